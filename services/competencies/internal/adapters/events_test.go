package adapters_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/adapters"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

type recorder struct{ changed, erased []domain.Holder }

func (r *recorder) HolderChanged(_ context.Context, h domain.Holder) error {
	r.changed = append(r.changed, h)
	return nil
}

func (r *recorder) HolderErased(_ context.Context, h domain.Holder) error {
	r.erased = append(r.erased, h)
	return nil
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandleProfileEvent(t *testing.T) {
	org := &eventsv1.OrganizationUpserted{AggregateId: "01ORG", AggregateVersion: 3, Organization: &profilesv1.Organization{
		Id: "01ORG", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER,
		ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: "01NAT"}},
	}}
	cases := []struct {
		name, subject string
		msg           proto.Message
		wantChanged   *domain.Holder
		wantErased    *domain.Holder
		wantErr       bool
	}{
		{name: "organisation", subject: "tandem.profiles.v1.organization.upserted.01ORG", msg: org,
			wantChanged: &domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: "01ORG"}, Organization: "01ORG",
				Clusters: []string{"01NAT", "01ORG"}, Visibility: profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, Version: 3}},
		{name: "person", subject: "tandem.profiles.v1.person.upserted.01P",
			msg:         &eventsv1.PersonUpserted{AggregateId: "01P", AggregateVersion: 1, Person: &profilesv1.Person{OrganizationId: "01ORG", Subject: "alice"}},
			wantChanged: &domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderPerson, ID: "01P"}, Organization: "01ORG", Subject: "alice", Version: 1}},
		{name: "organisation erased", subject: "tandem.profiles.v1.organization.erased.01ORG",
			msg:        &eventsv1.OrganizationErased{AggregateId: "01ORG", AggregateVersion: 4},
			wantErased: &domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: "01ORG"}, Organization: "01ORG", Version: 4, Erased: true}},
		{name: "person erased", subject: "tandem.profiles.v1.person.erased.01P",
			msg:        &eventsv1.PersonErased{AggregateId: "01P", AggregateVersion: 2, OrganizationId: "01ORG"},
			wantErased: &domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderPerson, ID: "01P"}, Organization: "01ORG", Version: 2, Erased: true}},
		{name: "other entity", subject: "tandem.profiles.v1.membership.changed.x", msg: org},
		{name: "no id", subject: "tandem.profiles.v1.person.erased.x", msg: &eventsv1.PersonErased{}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{}
			err := adapters.HandleProfileEvent(context.Background(), c.subject, mustMarshal(t, c.msg), r)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			check := func(got []domain.Holder, want *domain.Holder) {
				t.Helper()
				if want == nil {
					if len(got) != 0 {
						t.Errorf("got %+v, want none", got)
					}
					return
				}
				if len(got) != 1 || got[0].Ref != want.Ref || got[0].Organization != want.Organization || got[0].Subject != want.Subject ||
					got[0].Version != want.Version || got[0].Erased != want.Erased || got[0].Visibility != want.Visibility ||
					len(got[0].Clusters) != len(want.Clusters) {
					t.Errorf("got %+v, want %+v", got, *want)
				}
			}
			check(r.changed, c.wantChanged)
			check(r.erased, c.wantErased)
		})
	}
	if err := adapters.HandleProfileEvent(context.Background(), "tandem.profiles.v1.person.upserted.x", []byte{0xff, 0xff}, &recorder{}); err == nil {
		t.Error("garbage accepted")
	}
}

// FuzzHandleProfileEvent: whatever arrives on the profiles stream is
// handled or rejected, never a panic, and a holder handed on has a valid id.
func FuzzHandleProfileEvent(f *testing.F) {
	f.Add("tandem.profiles.v1.organization.upserted.01ORG", mustMarshal(f, &eventsv1.OrganizationUpserted{AggregateId: "01ORG", Organization: &profilesv1.Organization{Id: "01ORG"}}))
	f.Add("tandem.profiles.v1.person.erased.01P", mustMarshal(f, &eventsv1.PersonErased{AggregateId: "01P"}))
	f.Add("tandem.profiles.v1.person.upserted.01P", []byte{0x0a, 0x02, 'a'})
	f.Add("tandem.profiles.v1.organization.erased.x", []byte("not proto"))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		r := &recorder{}
		if err := adapters.HandleProfileEvent(context.Background(), subject, data, r); err != nil {
			return
		}
		for _, h := range append(r.changed, r.erased...) {
			if !domain.ValidID(h.Ref.ID) {
				t.Fatalf("holder with id %q handed on", h.Ref.ID)
			}
		}
	})
}
