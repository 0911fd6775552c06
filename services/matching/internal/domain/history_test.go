package domain_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
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

// historyWorld is a small network: ACME worked with UNITS on two FP7
// projects; UNITS and ICGEB with SISSA; BIOLAB did many RNA-Seq projects
// with others.
func historyWorld(t *testing.T) *domain.Index {
	t.Helper()
	x := domain.NewIndex(ontology())
	x.Apply(
		org("ACME", "Acme Diagnostics", company, pub, "ITH44"),
		org("UNITS", "University of Trieste", university, pub, "ITH44"),
		org("ICGEB", "ICGEB", institute, pub, "ITH44"),
		org("SISSA", "SISSA", institute, pub, "ITH44"),
		org("BIOLAB", "Bio Lab", institute, pub, "DE11"),
		org("X1", "Other One", institute, pub, "FR10"),
		org("X2", "Other Two", institute, pub, "FR10"),
	)
	p1 := project("P1", 1, "ACME", "UNITS")
	p1.Year = 2010
	p2 := project("P2", 1, "UNITS", "ACME")
	p3 := project("P3", 1, "UNITS", "SISSA")
	p4 := project("P4", 1, "SISSA", "ICGEB")
	for _, c := range []*domain.Collaboration{p1, p2, p3, p4} {
		x.PutCollaboration(c)
	}
	for i := range 12 {
		c := project("R"+string(rune('a'+i)), 1, "BIOLAB", []string{"X1", "X2"}[i%2])
		c.Title = "RNA-Seq of tumour samples"
		x.PutCollaboration(c)
	}
	return x
}

func explanationText(s *matchingv1.Suggestion, k matchingv1.ExplanationKind) string {
	for _, e := range s.GetExplanations() {
		if e.GetKind() == k {
			return e.GetText()
		}
	}
	return ""
}

func TestHistoryExplainsPartnersNetworkAndExperience(t *testing.T) {
	x := historyWorld(t)
	q := seek("ACME")
	q.Need = domain.Need{Text: "RNA-Seq of tumour samples"}
	res := suggest(t, x, q)
	units := find(res, "UNITS")
	if units == nil {
		t.Fatalf("the past partner is not suggested: %v", ids(res))
	}
	if got := explanationText(units, matchingv1.ExplanationKind_EXPLANATION_KIND_PAST_COLLABORATION); got != "worked with University of Trieste on 2 projects (FP7, 2012)" {
		t.Errorf("past collaboration reads %q", got)
	}
	if units.GetComponents().GetGraph() != 1 {
		t.Errorf("the closest organisation's graph component = %v, want 1", units.GetComponents().GetGraph())
	}
	sissa := find(res, "SISSA")
	if sissa == nil || explanationText(sissa, matchingv1.ExplanationKind_EXPLANATION_KIND_PARTNER_NETWORK) != "a partner of one of your partners" {
		t.Errorf("SISSA (a partner of UNITS) is not explained as a partner of a partner: %v", sissa.GetExplanations())
	}
	bio := find(res, "BIOLAB")
	if bio == nil || explanationText(bio, matchingv1.ExplanationKind_EXPLANATION_KIND_EXPERIENCE) != "12 projects on this topic" {
		t.Errorf("BIOLAB's experience is not explained: %v", bio.GetExplanations())
	}
	if bio.GetComponents().GetExperience() <= find(res, "SISSA").GetComponents().GetExperience() {
		t.Errorf("12 projects on the need weigh no more than none")
	}
}

func TestExcludeExistingPartnersFromHistory(t *testing.T) {
	x := historyWorld(t)
	q := seek("ACME")
	q.Filter.ExcludeExistingPartners = true
	res := suggest(t, x, q)
	if find(res, "UNITS") != nil {
		t.Fatalf("an existing partner is suggested: %v", ids(res))
	}
	if find(res, "SISSA") == nil {
		t.Fatalf("a partner of a partner is left out: %v", ids(res))
	}
	q.Filter.ExcludeExistingPartners = false
	if find(suggest(t, x, q), "UNITS") == nil {
		t.Fatal("without the option the partner is missing")
	}
}

func TestUnknownCountryIsNeverTheSameRegion(t *testing.T) {
	x := domain.NewIndex(ontology())
	mk := func(id, country, nuts string) domain.Change {
		c := org(id, "Lab "+id, institute, pub, "XXXX")
		c.Org.Country, c.Org.NUTS = country, nuts
		return c
	}
	x.Apply(
		mk("A", "ZZ", ""), comp("CA", domain.OrgRef("A"), rnaSeq, 1),
		mk("B", "ZZ", ""), comp("CB", domain.OrgRef("B"), rnaSeq, 1),
		mk("C", "", ""), comp("CC", domain.OrgRef("C"), rnaSeq, 1),
		mk("D", "IT", "ITH44"), comp("CD", domain.OrgRef("D"), rnaSeq, 1),
		mk("E", "IT", "ITC41"), comp("CE", domain.OrgRef("E"), rnaSeq, 1),
		mk("F", "IT", "ITH43"), comp("CF", domain.OrgRef("F"), rnaSeq, 1),
	)
	for _, s := range []string{"A", "C"} {
		for _, sg := range suggest(t, x, seek(s)).GetSuggestions() {
			if sg.GetComponents().GetClusterRegion() != 0 || len(explanationText(sg, matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION)) > 0 {
				t.Errorf("%s and %s, of unknown countries, count as neighbours", s, sg.GetCandidate().GetDisplayName())
			}
		}
	}
	res := suggest(t, x, seek("D"))
	if got := explanationText(find(res, "F"), matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION); got != "same region: ITH4" {
		t.Errorf("same NUTS-2 region reads %q", got)
	}
	e := find(res, "E")
	if got := explanationText(e, matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_COUNTRY); got != "same country: IT" || explanationText(e, matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION) != "" {
		t.Errorf("same country, other region reads %q", got)
	}
}

// TestKeptWalkIsTheWalk pins the walks kept per seeker to the walk made
// afresh, value for value, as the history changes under them.
func TestKeptWalkIsTheWalk(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 9))
	x := domain.NewIndex(ontology())
	const n = 60
	id := func(i int) string { return fmt.Sprintf("O%03d", i) }
	for i := range n {
		x.Apply(org(id(i), "Lab "+id(i), fourKinds[i%len(fourKinds)], pub, "ITH41"))
	}
	members := func() []string {
		var ms []string
		for range 2 + r.IntN(4) {
			ms = append(ms, id(r.IntN(n)))
		}
		return ms
	}
	for c := range 50 {
		x.PutCollaboration(project(fmt.Sprintf("P%d", c), 1, members()...))
	}
	check := func(round string) {
		for range 30 {
			q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: id(r.IntN(n))}, Viewer: domain.Viewer{Admin: true}}
			for ask := range 2 {
				kept, fresh, err := x.KeptAndFreshWalk(q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(kept, fresh) {
					t.Fatalf("%s, %s asking (%d): kept walk %+v, fresh %+v", round, q.Seeker.ID, ask, kept, fresh)
				}
			}
		}
		if x.KeptWalks() == 0 {
			t.Fatalf("%s: no walk kept", round)
		}
	}
	check("initial")
	for round := range 4 {
		for c := range 10 {
			if r.IntN(3) == 0 {
				x.RemoveCollaboration(fmt.Sprintf("P%d", r.IntN(50)), int64(10+round))
			} else {
				x.PutCollaboration(project(fmt.Sprintf("P%d", 50+10*round+c), 1, members()...))
			}
		}
		check(fmt.Sprintf("after changes %d", round))
	}
}
