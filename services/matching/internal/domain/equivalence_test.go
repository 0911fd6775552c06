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
	r := rand.New(rand.NewPCG(3, 5))
	term := termDraw(r, rnaSeq, proteomics, "EDAM:topic_0622", "EDAM:operation_2945", "MESH:D008099")
	kinds := fourKinds
	nuts := []string{"ITH41", "ITH42", "ITC11", "DE111", "FR101", "SI042"}
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

// fourKinds are the organisation kinds random corpora draw from.
var fourKinds = []profilesv1.OrganizationKind{company, university, institute, profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY}

// termDraw draws terms at random from those the roots expand to, the
// closest most often.
func termDraw(r *rand.Rand, roots ...string) func() string {
	terms := nearTerms(roots...)
	return func() string { f := r.Float64(); return terms[int(f*f*float64(len(terms)))] }
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

// TestHeldAnswersAreTheScorers keeps answers across random changes to
// documents (competencies added and removed, cooperation profiles,
// organisations edited: kind, visibility, description, people) under one
// statistics snapshot, and checks after each change that every answer
// Holds keeps is the exhaustive scorer's answer now, and every one computed
// again is too. Were Holds to keep an answer a change reaches (its seeker,
// its viewer, its pool, a candidate now ahead of the pool's last), the
// comparison fails.
func TestHeldAnswersAreTheScorers(t *testing.T) {
	t.Parallel()
	ont := ontology()
	r := rand.New(rand.NewPCG(11, 7))
	term := termDraw(r, rnaSeq, proteomics, "EDAM:topic_0622", "EDAM:operation_2945")
	kinds, nuts := fourKinds, []string{"ITH41", "ITC11", "DE111", "SI042"}
	const n = 300
	ver := map[string]int64{}
	next := func(key string) int64 { ver[key]++; return ver[key] }
	orgOf := func(id string) domain.Change {
		vis := pub
		if r.IntN(5) == 0 {
			vis = profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
		}
		ch := org(id, "Lab "+id, kinds[r.IntN(len(kinds))], vis, nuts[r.IntN(len(nuts))], fmt.Sprintf("CL%d", r.IntN(3)))
		ch.Version = next(ch.Key)
		ch.Org.Version = ch.Version
		ch.Org.Description = ont.Label(term()) + " and " + ont.Label(term())
		return ch
	}
	seq := 0
	compOf := func(holder domain.Ref) domain.Change {
		seq++
		ch := comp(fmt.Sprintf("%s-C%d", holder.ID, seq), holder, term(), int32(r.IntN(3)))
		ch.Comp.Level = competenciesv1.CompetencyLevel(1 + r.IntN(4))
		return ch
	}
	x := domain.NewIndex(ont)
	x.KeepAnswers(false)
	var initial []domain.Change
	var comps []string
	for i := range n {
		id := fmt.Sprintf("R%05d", i)
		initial = append(initial, orgOf(id))
		for range r.IntN(5) {
			c := compOf(domain.OrgRef(id))
			comps = append(comps, c.Key)
			initial = append(initial, c)
		}
		if r.IntN(10) == 0 {
			pid := "P" + id
			initial = append(initial, person(pid, id), compOf(domain.PersonRef(pid)))
		}
		if r.IntN(6) == 0 {
			initial = append(initial, coop(id+"-R0", domain.OrgRef(id), techRequest, "Need "+ont.Label(term()), term(), term()))
		}
	}
	x.Apply(initial...)
	// Every change below is under the snapshot taken now.
	x.SetStatsDrift(1)

	type kept struct {
		q     domain.Query
		res   *matchingv1.SuggestPartnersResponse
		epoch uint64
		fp    *domain.Footprint
	}
	score := func(q domain.Query) kept {
		res, epoch, fp, err := x.SuggestKept(q)
		if err != nil {
			t.Fatal(err)
		}
		return kept{q, res, epoch, fp}
	}
	var ks []kept
	for i := range 32 {
		seeker := fmt.Sprintf("R%05d", r.IntN(n))
		q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: seeker}, Limit: 1 + r.IntN(15), Diversity: matchingv1.Diversity(r.IntN(4)),
			Viewer: domain.Viewer{Org: seeker, Clusters: []string{fmt.Sprintf("CL%d", r.IntN(3))}}}
		switch i % 4 {
		case 0:
			q.Filter.Kinds = kinds[1:3]
		case 1:
			q.Need.Text = strings.ToLower(ont.Label(term()))
		case 2:
			q.Filter.NUTSPrefixes = []string{"IT"}
		}
		ks = append(ks, score(q))
	}
	held, moved := 0, 0
	for round := range 100 {
		id := fmt.Sprintf("R%05d", r.IntN(n))
		var ch domain.Change
		switch r.IntN(6) {
		case 0, 1:
			ch = compOf(domain.OrgRef(id))
			comps = append(comps, ch.Key)
		case 2:
			k := r.IntN(len(comps))
			ch = domain.Change{Key: comps[k], Version: 9, Removed: true}
			comps = append(comps[:k], comps[k+1:]...)
		case 3:
			ch = orgOf(id)
		case 4:
			seq++
			ch = coop(fmt.Sprintf("%s-X%d", id, seq), domain.OrgRef(id), []competenciesv1.CooperationProfileKind{techRequest, techOffer}[r.IntN(2)], "About "+ont.Label(term()), term())
		default:
			if _, ok := ver[domain.PersonKey("P"+id)]; !ok {
				ch = compOf(domain.OrgRef(id))
				break
			}
			ch = compOf(domain.PersonRef("P" + id))
		}
		x.Apply(ch)
		if drift, _ := x.StatsDrift(); drift == 0 {
			t.Fatalf("round %d: the statistics were taken again: the test no longer changes documents under one snapshot", round)
		}
		for i, k := range ks {
			what := fmt.Sprintf("round %d query %d (%+v)", round, i, k.q)
			if epoch, ok := x.Holds(k.q, k.fp, k.epoch); ok {
				held++
				want, err := x.SuggestExhaustive(k.q)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if !proto.Equal(k.res, want) {
					t.Fatalf("%s: the answer held differs from the scorer's\nheld:   %v\nscorer: %v", what, ids(k.res), ids(want))
				}
				ks[i].epoch = epoch
				continue
			}
			moved++
			ks[i] = score(k.q)
			samePaths(t, x, k.q, what)
		}
	}
	t.Logf("after a change, %d answers held and %d were computed again", held, moved)
	if held == 0 || moved == 0 {
		t.Fatalf("%d held, %d computed again: the test checks nothing", held, moved)
	}
}

// TestStatisticsLagBoundedly checks the snapshot's policy: changes to
// documents alone leave it until more than 1 % of its candidates changed,
// and any other change takes it again.
func TestStatisticsLagBoundedly(t *testing.T) {
	t.Parallel()
	x := domain.NewIndex(ontology())
	var initial []domain.Change
	for i := range 500 {
		id := fmt.Sprintf("R%05d", i)
		initial = append(initial, org(id, "Lab "+id, university, pub, "ITH41"), comp(id+"-C0", domain.OrgRef(id), rnaSeq, 1))
	}
	x.Apply(initial...)
	if drift, cands := x.StatsDrift(); drift != 0 || cands != 500 {
		t.Fatalf("after the first load the snapshot lags by %d documents and counts %d candidates, want 0 and 500", drift, cands)
	}
	for i := range 12 {
		id := fmt.Sprintf("R%05d", i)
		x.Apply(comp(fmt.Sprintf("%s-C%d", id, i+1), domain.OrgRef(id), proteomics, 1))
		drift, _ := x.StatsDrift()
		if drift > 500/100 {
			t.Fatalf("after %d changes the snapshot lags by %d documents, more than 1 %% of 500", i+1, drift)
		}
		if i < 5 && drift != i+1 {
			t.Fatalf("after %d changes to documents the snapshot lags by %d, want %d", i+1, drift, i+1)
		}
	}
	x.Apply(org("NEW", "New lab", company, pub, "ITH41"))
	if drift, cands := x.StatsDrift(); drift != 0 || cands != 501 {
		t.Fatalf("after a candidate was added the snapshot lags by %d documents and counts %d candidates, want 0 and 501", drift, cands)
	}
}
