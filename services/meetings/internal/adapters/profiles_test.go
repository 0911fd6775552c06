package adapters_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/adapters"
)

const orgID = "01JAAAAAAAAAAAAAAAAAAAAAAA"

func marshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeProfileEvent(t *testing.T) {
	upserted := marshal(t, &eventsv1.OrganizationUpserted{AggregateId: orgID, AggregateVersion: 2, Organization: &profilesv1.Organization{
		Id: orgID, Name: "Helix", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, Visibility: profilesv1.Visibility_VISIBILITY_HIDDEN,
		ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: "C1"}},
	}})
	for _, tc := range []struct {
		name              string
		subject           string
		data              []byte
		wantOK, wantErase bool
		wantErr           bool
		wantKey, wantName string
	}{
		{name: "organisation upserted", subject: "tandem.profiles.v1.organization.upserted." + orgID, data: upserted, wantOK: true, wantKey: "org:" + orgID, wantName: "Helix"},
		{name: "organisation erased", subject: "tandem.profiles.v1.organization.erased." + orgID, data: marshal(t, &eventsv1.OrganizationErased{AggregateId: orgID, AggregateVersion: 3}), wantOK: true, wantErase: true, wantKey: "org:" + orgID},
		{name: "person upserted", subject: "tandem.profiles.v1.person.upserted.P1", data: marshal(t, &eventsv1.PersonUpserted{AggregateId: "P1", Person: &profilesv1.Person{Name: "Ada"}}), wantOK: true, wantKey: "person:P1", wantName: "Ada"},
		{name: "person erased", subject: "tandem.profiles.v1.person.erased.P1", data: marshal(t, &eventsv1.PersonErased{AggregateId: "P1"}), wantOK: true, wantErase: true, wantKey: "person:P1"},
		{name: "another entity", subject: "tandem.profiles.v1.audit.recorded.X", data: []byte{1, 2}},
		{name: "garbage", subject: "tandem.profiles.v1.organization.upserted." + orgID, data: []byte{0xff, 0xff}, wantErr: true},
		{name: "payload of another aggregate", subject: "tandem.profiles.v1.organization.upserted.OTHER", data: upserted, wantErr: true},
		{name: "id unfit for a key", subject: "tandem.profiles.v1.person.erased.", data: nil, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, erased, ok, err := adapters.DecodeProfileEvent(tc.subject, tc.data)
			if (err != nil) != tc.wantErr || ok != tc.wantOK || erased != tc.wantErase {
				t.Fatalf("decode = %+v, erased %v, ok %v, err %v", p, erased, ok, err)
			}
			if ok && (p.Key != tc.wantKey || p.Name != tc.wantName) {
				t.Errorf("profile = %+v, want key %s name %q", p, tc.wantKey, tc.wantName)
			}
		})
	}
	p, _, _, _ := adapters.DecodeProfileEvent("tandem.profiles.v1.organization.upserted."+orgID, upserted)
	if p.Version != 2 || p.Visibility != profilesv1.Visibility_VISIBILITY_HIDDEN || len(p.Clusters) != 2 {
		t.Errorf("upserted cluster body = %+v, want version 2, hidden, clusters C1 and itself", p)
	}
}

// FuzzDecodeProfileEvent: any message on the profiles stream is decoded,
// ignored or refused, never a panic, and an accepted one names a profile.
func FuzzDecodeProfileEvent(f *testing.F) {
	f.Add("tandem.profiles.v1.organization.upserted."+orgID, marshal(f, &eventsv1.OrganizationUpserted{AggregateId: orgID, Organization: &profilesv1.Organization{Name: "Helix"}}))
	f.Add("tandem.profiles.v1.person.erased.P1", marshal(f, &eventsv1.PersonErased{AggregateId: "P1", OrganizationId: orgID}))
	f.Add("tandem.profiles.v1.organization.erased.a.b", []byte{0x1a, 0x01, 0x41})
	f.Add("tandem.profiles.v1.person.upserted.", []byte{})
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		p, _, ok, err := adapters.DecodeProfileEvent(subject, data)
		if ok && (err != nil || p.Key == "") {
			t.Fatalf("accepted %q as %+v (err %v)", subject, p, err)
		}
	})
}
