package domain_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// TestFastPathMatchesExhaustive pins SuggestPartners' candidate generation
// (flat posting lists, score arrays, a bounded heap over the first pass) to
// the plain computation over every candidate, on a random corpus dense in
// near terms and ties, before and after changes to it.
func TestFastPathMatchesExhaustive(t *testing.T) {
	t.Parallel()
	ont := ontology()
	terms := nearTerms(rnaSeq, proteomics, "EDAM:topic_0622", "EDAM:operation_2945", "MESH:D008099")
	r := rand.New(rand.NewPCG(3, 5))
	kinds := []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
		profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY}
	nuts := []string{"ITH41", "ITH42", "ITC11", "DE111", "FR101", "SI042"}
	term := func() string { f := r.Float64(); return terms[int(f*f*float64(len(terms)))] }
	x := domain.NewIndex(ont)
	const n = 1200
	var changes []domain.Change
	for i := range n {
		id := fmt.Sprintf("R%05d", i)
		ch := org(id, "Lab "+id, kinds[r.IntN(len(kinds))], pub, nuts[r.IntN(len(nuts))], fmt.Sprintf("CL%d", r.IntN(4)))
		ch.Org.Description = ont.Label(term()) + " and " + ont.Label(term())
		changes = append(changes, ch)
		for j := range r.IntN(6) {
			c := comp(fmt.Sprintf("%s-C%d", id, j), domain.OrgRef(id), term(), int32(r.IntN(3)))
			c.Comp.Level = competenciesv1.CompetencyLevel(1 + r.IntN(4))
			changes = append(changes, c)
		}
		switch r.IntN(8) {
		case 0:
			changes = append(changes, coop(id+"-R", domain.OrgRef(id), competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST, "Need "+ont.Label(term()), term(), term()))
		case 1:
			changes = append(changes, coop(id+"-O", domain.OrgRef(id), competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER, "Offer "+ont.Label(term()), term()))
		}
	}
	x.Apply(changes...)
	check := func(round string, queries int) {
		for k := range queries {
			q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: fmt.Sprintf("R%05d", r.IntN(n))}, Viewer: domain.Viewer{Admin: true},
				Limit: 1 + r.IntN(40), Diversity: matchingv1.Diversity(r.IntN(4))}
			switch r.IntN(4) {
			case 0:
				q.Need.Text = strings.ToLower(ont.Label(term()))
			case 1:
				q.Need.Terms = []string{term(), term()}
			}
			switch r.IntN(4) {
			case 0:
				q.Filter.Kinds = kinds[1:3]
			case 1:
				// Few pass: the pool must reach past the head of the first pass.
				q.Filter.NUTSPrefixes = []string{"SI"}
				q.Filter.Kinds = kinds[:1]
			}
			samePaths(t, x, q, fmt.Sprintf("%s query %d", round, k))
		}
	}
	check("initial", 150)
	// Leaving out common words and broad terms must not tell the paths apart.
	x.SetPruneFloor(5)
	check("pruned", 60)
	x.SetPruneFloor(1000)
	// Changes drop flat posting lists and move candidates.
	changes = changes[:0]
	for i := range n / 4 {
		id := fmt.Sprintf("R%05d", r.IntN(n))
		changes = append(changes, comp(fmt.Sprintf("%s-X%d", id, i), domain.OrgRef(id), term(), 2))
		changes = append(changes, domain.Change{Key: domain.CompKey(fmt.Sprintf("R%05d-C0", r.IntN(n))), Version: 5, Removed: true})
	}
	for i := range 40 {
		changes = append(changes, domain.Change{Key: domain.OrgKey(fmt.Sprintf("R%05d", r.IntN(n))), Version: int64(10 + i), Removed: true})
	}
	x.Apply(changes...)
	check("after changes", 150)
}

// TestTieGoesToFirstExpansion pins which candidate term explains a match
// when two of the candidate's terms score the same for one sought term: the
// first in the expansion's order, as the expansion lists the closest first.
// Scoring walks the candidate's terms in map order, so this must not depend
// on it.
func TestTieGoesToFirstExpansion(t *testing.T) {
	t.Parallel()
	ont := ontology()
	var need, first, second string
	for _, root := range []string{rnaSeq, proteomics, "EDAM:topic_0622", "EDAM:operation_2945", "EDAM:topic_0080"} {
		exp := ont.Expand(root)
		for a := 1; a < len(exp) && first == ""; a++ {
			for b := a + 1; b < len(exp); b++ {
				if exp[a].Sim == exp[b].Sim && ont.InformationContent(exp[a].TermID) == ont.InformationContent(exp[b].TermID) {
					need, first, second = root, exp[a].TermID, exp[b].TermID
					break
				}
			}
		}
		if first != "" {
			break
		}
	}
	if first == "" {
		t.Fatal("no two expanded terms tie in the vocabulary: the test checks nothing")
	}
	for round := range 20 {
		x := domain.NewIndex(ont)
		// Holding them in either order must not matter.
		a, b := first, second
		if round%2 == 1 {
			a, b = b, a
		}
		x.Apply(org("SEEK", "Seeker", company, pub, "ITH41"), org("CAND", "Candidate", university, pub, "ITH41"),
			comp("C1", domain.OrgRef("CAND"), a, 0), comp("C2", domain.OrgRef("CAND"), b, 0))
		q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: "SEEK"}, Need: domain.Need{Terms: []string{need}}, Viewer: domain.Viewer{Admin: true}}
		res, err := x.Explain(q, domain.OrgRef("CAND"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range res.GetSuggestion().GetExplanations() {
			if it.GetKind() == matchingv1.ExplanationKind_EXPLANATION_KIND_TERM_MATCH {
				got = append(got, it.GetCandidateTermIds()...)
			}
		}
		if len(got) != 1 || got[0] != first {
			t.Fatalf("round %d: need %s matched candidate terms %v, want [%s] (before %s in the expansion)", round, need, got, first, second)
		}
	}
}

// nearTerms lists the terms the roots expand to: a corpus drawn from them is
// dense in near terms, as the scoring's hard cases are.
func nearTerms(roots ...string) []string {
	var terms []string
	for _, root := range roots {
		for _, r := range ontology().Expand(root) {
			terms = append(terms, r.TermID)
		}
	}
	return terms
}

// samePaths fails t unless the fast path and the exhaustive one answer q
// alike. An erased seeker passes.
func samePaths(t *testing.T, x *domain.Index, q domain.Query, what string) {
	t.Helper()
	fast, err := x.Suggest(q)
	if domain.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	slow, err := x.SuggestExhaustive(q)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(fast, slow) {
		t.Fatalf("%s (%+v): fast path %v, exhaustive %v", what, q, ids(fast), ids(slow))
	}
}
