package domain_test

import (
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

func orgRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
}

func personRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}
}

func TestNameFor(t *testing.T) {
	known := map[string]domain.Profile{
		"org:PUB":      {Key: "org:PUB", Name: "Helix", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Organization: "PUB"},
		"org:HID":      {Key: "org:HID", Name: "Stealth", Visibility: profilesv1.Visibility_VISIBILITY_HIDDEN, Organization: "HID"},
		"org:ANON":     {Key: "org:ANON", Name: "Quiet", Visibility: profilesv1.Visibility_VISIBILITY_ANONYMOUS, Organization: "ANON"},
		"org:CM":       {Key: "org:CM", Name: "Cluster Co", Visibility: profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, Organization: "CM", Clusters: []string{"C1"}},
		"org:ERASED":   {Key: "org:ERASED", Organization: "ERASED", Erased: true},
		"org:VIEWER":   {Key: "org:VIEWER", Name: "Viewer Inc", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Organization: "VIEWER", Clusters: []string{"C1"}},
		"person:P1":    {Key: "person:P1", Name: "Ada", Organization: "CM", Subject: "ada"},
		"person:P2":    {Key: "person:P2", Name: "Bo", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Organization: "HID"},
		"person:ORPH":  {Key: "person:ORPH", Name: "Orphan", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Organization: "NOWHERE"},
		"person:ANONP": {Key: "person:ANONP", Name: "Cy", Visibility: profilesv1.Visibility_VISIBILITY_ANONYMOUS, Organization: "PUB"},
	}
	lookup := func(k string) (domain.Profile, bool) { p, ok := known[k]; return p, ok }
	stranger := domain.Principal{Subject: "eve", Organization: "EVE"}
	for _, tc := range []struct {
		name   string
		viewer domain.Principal
		ref    *profilesv1.ProfileRef
		want   string
	}{
		{"public", stranger, orgRef("PUB"), "Helix"},
		{"hidden", stranger, orgRef("HID"), ""},
		{"hidden to its own member", domain.Principal{Subject: "s", Organization: "HID"}, orgRef("HID"), "Stealth"},
		{"hidden to an admin", domain.Principal{Subject: "root", Admin: true}, orgRef("HID"), "Stealth"},
		{"anonymous", stranger, orgRef("ANON"), domain.AnonymousLabel},
		{"cluster members, outside", stranger, orgRef("CM"), ""},
		{"cluster members, token cluster", domain.Principal{Subject: "c", Clusters: []string{"C1"}}, orgRef("CM"), "Cluster Co"},
		{"cluster members, viewer's organisation in the cluster", domain.Principal{Subject: "v", Organization: "VIEWER"}, orgRef("CM"), "Cluster Co"},
		{"cluster members, the cluster body's staff", domain.Principal{Subject: "m", Organization: "C1"}, orgRef("CM"), "Cluster Co"},
		{"erased", domain.Principal{Subject: "root", Admin: true}, orgRef("ERASED"), ""},
		{"unknown yet", stranger, orgRef("NEW"), "Organization NEW"},
		{"person inherits cluster-members", stranger, personRef("P1"), ""},
		{"person inherits, viewer in cluster", domain.Principal{Subject: "c", Clusters: []string{"C1"}}, personRef("P1"), "Ada"},
		{"person sees themself", domain.Principal{Subject: "ada"}, personRef("P1"), "Ada"},
		{"public person of a hidden organisation", stranger, personRef("P2"), "Bo"},
		{"person of an unknown organisation", stranger, personRef("ORPH"), ""},
		{"anonymous person", stranger, personRef("ANONP"), domain.AnonymousLabel},
		{"unknown person", stranger, personRef("NEWP"), "Person NEWP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.NameFor(tc.viewer, tc.ref, lookup); got != tc.want {
				t.Errorf("NameFor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewer(t *testing.T) {
	v := func(n int64) domain.Profile { return domain.Profile{Key: "org:A", Version: n} }
	erased := domain.Profile{Key: "org:A", Version: 3, Erased: true}
	for _, tc := range []struct {
		name string
		cur  domain.Profile
		ok   bool
		next domain.Profile
		want bool
	}{
		{"first", domain.Profile{}, false, v(1), true},
		{"newer", v(1), true, v(2), true},
		{"same again", v(2), true, v(2), false},
		{"older", v(2), true, v(1), false},
		{"erase wins over any version", v(5), true, erased, true},
		{"nothing after an erase", erased, true, v(9), false},
		{"erase again", erased, true, erased, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.Newer(tc.cur, tc.ok, tc.next); got != tc.want {
				t.Errorf("Newer = %v, want %v", got, tc.want)
			}
		})
	}
}
