package competencies_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestAnonymousHolderUnderReference: an anonymous organisation's
// competencies, and its person's, are listed to others under an opaque
// reference without evidence, never with its id; the reference lists them
// again for the one it was given to only; a plain id lists nothing of it,
// also its cooperation profiles. Itself, the manager of its cluster and an
// admin see its id. A hidden organisation's offer marked public stays hidden.
func TestAnonymousHolderUnderReference(t *testing.T) {
	t.Parallel()
	e := start(t)
	anon, pub, person := "N"+ulid.Make().String()[:10], "P"+ulid.Make().String()[:10], "Q"+ulid.Make().String()[:10]
	e.organization(anon, 1, profilesv1.Visibility_VISIBILITY_ANONYMOUS, "fvg")
	e.organization(pub, 1, profilesv1.Visibility_VISIBILITY_PUBLIC, "fvg")
	e.person(person, anon, 1)
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	waitHolder(t, admin, orgRef(anon))
	waitHolder(t, admin, personRef(person))
	if _, err := admin.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
		Holder: orgRef(anon), TermId: "EDAM:topic_3170", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT,
		Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1000/anon-lab", Title: "Our RNA-seq paper"}},
	}}); err != nil {
		t.Fatal(err)
	}
	// Offers marked public of an anonymous and of a hidden organisation: a
	// profile's own visibility narrows its holder's, never widens it.
	hidden := "H" + ulid.Make().String()[:10]
	e.organization(hidden, 1, profilesv1.Visibility_VISIBILITY_HIDDEN, "fvg")
	waitHolder(t, admin, orgRef(hidden))
	for _, holder := range []string{anon, hidden} {
		coop, err := admin.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(holder), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
			Title: "RNA-seq service", Summary: "Sequencing for hire.", TermIds: []string{"EDAM:topic_3170"}, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateCooperationProfile(ctx(t), &competenciesv1.UpdateCooperationProfileRequest{
			CooperationProfile: &competenciesv1.CooperationProfile{Id: coop.GetCooperationProfile().GetId(), Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED},
			ExpectedVersion:    1, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
			t.Fatal(err)
		}
	}

	// What a list shows of the anonymous holders: their ids or references.
	list := func(c competenciesv1.CompetenciesServiceClient, req *competenciesv1.ListCompetenciesRequest) (holders []string, raw string) {
		t.Helper()
		res, err := c.ListCompetencies(ctx(t), req)
		if err != nil {
			t.Fatalf("ListCompetencies(%v): %v", req, err)
		}
		for _, comp := range res.GetCompetencies() {
			switch h := comp.GetHolder(); {
			case h.GetOrganizationId() == pub || h.GetOrganizationId() == hidden:
			case h.GetPersonId() != "":
				holders = append(holders, "p:"+h.GetPersonId())
			default:
				holders = append(holders, "o:"+h.GetOrganizationId())
			}
		}
		return holders, protojson.Format(res)
	}
	all := &competenciesv1.ListCompetenciesRequest{PageSize: 500}
	for _, c := range []struct {
		name string
		as   auth.Principal
		sees bool
	}{
		{"an admin", auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}, true},
		{"a member of it", auth.Principal{Subject: "nina", Organization: anon}, true},
		{"the manager of its cluster", auth.Principal{Subject: "cm", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"fvg"}}, true},
		{"a member of another organisation", auth.Principal{Subject: "paul", Organization: pub, Clusters: []string{"fvg"}}, false},
		{"the manager of another cluster", auth.Principal{Subject: "cm2", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"other"}}, false},
		{"a researcher without organisation", auth.Principal{Subject: "rita"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := e.client(c.as)
			var holders []string
			// Three: waitHolder publishes one for each holder.
			eventually(t, "the competencies listed", func() error {
				if holders, _ = list(cl, all); len(holders) != 3 {
					return fmt.Errorf("holders shown %v", holders)
				}
				return nil
			})
			_, raw := list(cl, all)
			if c.sees {
				if !strings.Contains(raw, anon) || !strings.Contains(raw, person) || !strings.Contains(raw, "10.1000/anon-lab") {
					t.Fatalf("the holder's ids or evidence are missing: %s", raw)
				}
				return
			}
			if strings.Contains(raw, anon) || strings.Contains(raw, person) || strings.Contains(raw, "anon-lab") {
				t.Fatalf("the list shows the anonymous holder's id or evidence: %s", raw)
			}
			for _, h := range holders {
				if !anonref.Is(h[2:]) {
					t.Fatalf("holder %q is not an opaque reference", h)
				}
			}
			if again, _ := list(cl, all); strings.Join(again, ",") != strings.Join(holders, ",") {
				t.Errorf("references change between calls: %v, then %v", holders, again)
			}
			// The reference lists the holder's competencies again; plain
			// ids list nothing of it.
			ref := refOf(holders[0])
			for name, req := range map[string]*competenciesv1.ListCompetenciesRequest{
				"by its reference":          {Holder: ref},
				"by its plain id":           {Holder: orgRef(anon)},
				"by its person's plain id":  {Holder: personRef(person)},
				"by its organisation id":    {OrganizationId: anon},
				"by reference and plain id": {Holder: ref, OrganizationId: anon},
			} {
				got, raw := list(cl, req)
				if want := name == "by its reference"; (len(got) > 0) != want || strings.Contains(raw, anon) {
					t.Errorf("%s: %v (%s), want a listing: %v", name, got, raw, want)
				}
			}
			coops, err := cl.ListCooperationProfiles(ctx(t), &competenciesv1.ListCooperationProfilesRequest{})
			if err != nil || len(coops.GetCooperationProfiles()) != 1 || coops.GetCooperationProfiles()[0].GetHolder() != nil || strings.Contains(coops.String(), hidden) {
				t.Errorf("cooperation profiles: %v %v, want the anonymous one's only, without holder", coops, err)
			}
			for _, req := range []*competenciesv1.ListCooperationProfilesRequest{{Holder: orgRef(anon)}, {OrganizationId: anon}} {
				if res, err := cl.ListCooperationProfiles(ctx(t), req); err != nil || len(res.GetCooperationProfiles()) != 0 {
					t.Errorf("cooperation profiles by plain id %v: %v %v, want none", req, res, err)
				}
			}
		})
	}

	// A reference given to one organisation lists nothing for another.
	paul := e.client(auth.Principal{Subject: "paul", Organization: pub, Clusters: []string{"fvg"}})
	other := e.client(auth.Principal{Subject: "olga", Organization: "OTHER"})
	refs, _ := list(paul, all)
	for _, r := range refs {
		for _, req := range []*competenciesv1.ListCompetenciesRequest{{Holder: refOf(r)}, {OrganizationId: r[2:]}} {
			if got, _ := list(other, req); len(got) != 0 {
				t.Errorf("%v, sealed for another organisation, lists %v", req, got)
			}
		}
	}
}

// refOf reads a holder as list shows it ("o:id" or "p:id").
func refOf(h string) *profilesv1.ProfileRef {
	if strings.HasPrefix(h, "p:") {
		return personRef(h[2:])
	}
	return orgRef(h[2:])
}
