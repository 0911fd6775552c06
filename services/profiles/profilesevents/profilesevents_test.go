package profilesevents_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/profiles/profilesevents"
)

func TestDecode(t *testing.T) {
	erased, _ := proto.Marshal(&eventsv1.PersonErased{AggregateId: "P1", OrganizationId: "O1"})
	for _, tc := range []struct {
		name, subject string
		data          []byte
		want          bool // an event decoded
		permanent     bool
	}{
		{"person erased", "tandem.profiles.v1.person.erased.P1", erased, true, false},
		{"another entity", "tandem.profiles.v1.cluster.renamed.C1", erased, false, false},
		{"another aggregate", "tandem.profiles.v1.person.erased.P2", erased, false, true},
		{"garbage", "tandem.profiles.v1.person.erased.P1", []byte{0xff, 0xff}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := profilesevents.Decode(tc.subject, tc.data)
			if (ev != nil) != tc.want || errors.Is(err, natsx.ErrPermanent) != tc.permanent || (err != nil) != tc.permanent {
				t.Fatalf("Decode = %v, %v", ev, err)
			}
		})
	}
}

// FuzzDecode: whatever arrives on the profiles stream decodes, is ignored,
// or fails permanently; it never panics.
func FuzzDecode(f *testing.F) {
	erased, _ := proto.Marshal(&eventsv1.OrganizationErased{AggregateId: "O1"})
	f.Add("tandem.profiles.v1.organization.erased.O1", erased)
	f.Add("tandem.profiles.v1.person.upserted.", []byte{0x0a, 0x01})
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		ev, err := profilesevents.Decode(subject, data)
		if err != nil && (ev != nil || !errors.Is(err, natsx.ErrPermanent)) {
			t.Fatalf("Decode = %v, %v", ev, err)
		}
	})
}
