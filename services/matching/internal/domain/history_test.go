package domain_test

import (
	"slices"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func project(id string, version int64, orgs ...string) *domain.Collaboration {
	c := &domain.Collaboration{ID: id, Kind: domain.CollabProject, Year: 2012, Programme: "FP7", Call: "HEALTH.2012.1", Title: "Project " + id,
		TermIDs: []string{rnaSeq}, Version: version}
	for k, o := range orgs {
		role := domain.RoleParticipant
		if k == 0 {
			role = domain.RoleCoordinator
		}
		c.Members = append(c.Members, domain.CollabMember{OrgID: o, Role: role})
	}
	return c
}

func TestCollaborationsAreVersionedAndIdempotent(t *testing.T) {
	x := domain.NewIndex(ontology())
	if !x.PutCollaboration(project("P1", 1, "A", "B")) {
		t.Fatal("a new collaboration was not applied")
	}
	if x.PutCollaboration(project("P1", 1, "A", "B")) {
		t.Fatal("the same version applied twice")
	}
	if !x.PutCollaboration(project("P1", 3, "A", "C")) {
		t.Fatal("a newer version was not applied")
	}
	if x.PutCollaboration(project("P1", 2, "A", "B", "D")) {
		t.Fatal("an older version replaced a newer one")
	}
	if got := x.CollaborationsOf("B"); len(got) != 0 {
		t.Fatalf("B left the project in version 3 but still has %v", got)
	}
	if got := x.CollaborationsOf("C"); !slices.Equal(got, []string{"P1"}) {
		t.Fatalf("C's collaborations = %v, want [P1]", got)
	}
	if x.RemoveCollaboration("P1", 3) {
		t.Fatal("a removal at the version held was applied")
	}
	if !x.RemoveCollaboration("P1", 4) {
		t.Fatal("a newer removal was not applied")
	}
	if _, ok := x.Collaboration("P1"); ok || x.CollabCount() != 0 || len(x.CollaborationsOf("A")) != 0 {
		t.Fatal("the removed collaboration is still held")
	}
	if x.PutCollaboration(project("P1", 3, "A")) {
		t.Fatal("a late, older version brought a removed collaboration back")
	}
}

func TestCollaborationMembersCountOnce(t *testing.T) {
	x := domain.NewIndex(ontology())
	x.PutCollaboration(project("P1", 1, "A", "B", "A", ""))
	c, ok := x.Collaboration("P1")
	if !ok {
		t.Fatal("not held")
	}
	var ids []string
	for _, m := range c.Members {
		ids = append(ids, m.OrgID)
	}
	if !slices.Equal(ids, []string{"A", "B"}) {
		t.Fatalf("members = %v, want [A B]", ids)
	}
	if !c.Has("B") || c.Has("Z") {
		t.Fatal("Has disagrees with the members")
	}
}
