package domain_test

import (
	"strings"
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

func TestCollaborationID(t *testing.T) {
	t.Parallel()
	if got := domain.CollaborationID("cordis", "115568"); got != "cordis-115568" {
		t.Errorf("clean id: %q", got)
	}
	a, b := domain.CollaborationID("biotools", "tool_x.1"), domain.CollaborationID("biotools", "tool_x.2")
	if a == b || a != domain.CollaborationID("biotools", "tool_x.1") || !domain.ValidID(a) || !strings.HasPrefix(a, "biotools-") {
		t.Errorf("hashed ids: %q, %q", a, b)
	}
	if long := domain.CollaborationID("cordis", strings.Repeat("9", 80)); !domain.ValidID(long) {
		t.Errorf("long source id gives invalid id %q", long)
	}
}

func TestCanSeeCollaboration(t *testing.T) {
	t.Parallel()
	org := func(id string, clusters ...string) domain.Holder {
		return domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: id}, Organization: id, Clusters: clusters}
	}
	parts := []domain.Holder{org("A", "fvg"), org("B")}
	member := domain.Viewer{Subject: "m", Organization: "X", Clusters: []string{"fvg"}}
	outsider := domain.Viewer{Subject: "o", Organization: "Y"}
	participant := domain.Viewer{Subject: "p", Organization: "B"}
	manager := domain.Viewer{Subject: "c", Manages: []string{"fvg"}}
	for _, c := range []struct {
		name string
		v    domain.Viewer
		vis  profilesv1.Visibility
		want bool
	}{
		{"unspecified: anyone, participants filtered later", outsider, profilesv1.Visibility_VISIBILITY_UNSPECIFIED, true},
		{"cluster: a member of a participant's cluster", member, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, true},
		{"cluster: its manager", manager, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, true},
		{"cluster: an outsider", outsider, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, false},
		{"hidden: an outsider", outsider, profilesv1.Visibility_VISIBILITY_HIDDEN, false},
		{"hidden: a participant", participant, profilesv1.Visibility_VISIBILITY_HIDDEN, true},
	} {
		if got := c.v.CanSeeCollaboration(c.vis, parts); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if (domain.Viewer{Subject: "m", Organization: "X"}).CanRecordCollaborations() || !manager.CanRecordCollaborations() {
		t.Error("only admins and cluster managers record collaborations")
	}
}
