package domain_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// communities is a field of organisations in groups that each work on one
// topic, mostly among themselves; every organisation also works on the
// next group's topic with it. One project per group is held out of the
// index and asked about.
type question struct {
	seeker, partner, topic string
}

func communities(t *testing.T, seed uint64) (*domain.Index, []question) {
	t.Helper()
	return field(t, seed, 28)
}

// field is communities with perGroup projects per group.
func field(t *testing.T, seed uint64, perGroup int) (*domain.Index, []question) {
	t.Helper()
	topics := []string{rnaSeq, proteomics, "EDAM:topic_0622", "EDAM:topic_0080", "EDAM:topic_3474", "EDAM:topic_0154"}
	r := rand.New(rand.NewPCG(seed, 1))
	x := domain.NewIndex(ontology())
	var qs []question
	const size = 8
	member := func(k, i int) string { return fmt.Sprintf("G%d-%d", k%len(topics), i) }
	for k, topic := range topics {
		if !ontology().Known(topic) {
			t.Fatalf("%s is not in the vocabulary", topic)
		}
		for i := range size {
			kind := institute
			if i%4 == 0 {
				kind = company
			}
			x.Apply(org(member(k, i), fmt.Sprintf("Lab %d of group %d", i, k), kind, pub, "ITH44"))
		}
	}
	for k, topic := range topics {
		for j := range perGroup {
			a, b := r.IntN(size), r.IntN(size)
			if a == b {
				b = (b + 1) % size
			}
			c := project(fmt.Sprintf("G%d-P%d", k, j), 1, member(k, a), member(k, b))
			c.Title = ontology().Label(topic) + " study"
			c.TermIDs = []string{topic}
			if j%3 == 0 {
				// With the previous group, on this group's topic.
				c.Members = append(c.Members, domain.CollabMember{OrgID: member(k+len(topics)-1, r.IntN(size)), Role: domain.RoleParticipant})
			}
			x.PutCollaboration(c)
		}
		a := r.IntN(size)
		qs = append(qs, question{member(k, a), member(k, (a+1+r.IntN(size-1))%size), topic})
	}
	return x, qs
}

// inGroup counts the top 7 suggestions from the seeker's own group, the
// field of its need.
func inGroup(t *testing.T, x *domain.Index, q domain.Query, group string) int {
	t.Helper()
	q.Limit = 7
	n := 0
	for _, s := range suggest(t, x, q).GetSuggestions() {
		if strings.HasPrefix(s.GetCandidate().GetRef().GetOrganizationId(), group) {
			n++
		}
	}
	return n
}

// A seeker works in two fields; stating one as its need keeps its
// suggestions in that field at least as much as its history alone does.
func TestNeedRefinesTheProfile(t *testing.T) {
	for seed := range uint64(3) {
		x, qs := communities(t, seed)
		var with, without int
		for _, q := range qs {
			group := strings.Split(q.seeker, "-")[0] + "-"
			plain := seek(q.seeker)
			need := seek(q.seeker)
			need.Need = domain.Need{Text: ontology().Label(q.topic)}
			a, b := inGroup(t, x, plain, group), inGroup(t, x, need, group)
			if b < a {
				t.Errorf("seed %d, %s: with the need %d of the top 7 are of its field, without %d", seed, q.seeker, b, a)
			}
			without += a
			with += b
		}
		if with < without || with == 0 {
			t.Errorf("seed %d: %d of the top 7 in the field with the need, %d without", seed, with, without)
		}
	}
}

func TestFitLearnsFromHistory(t *testing.T) {
	x, _ := communities(t, 7)
	rep := x.Fit()
	if rep.Fallback || rep.Pairs < 150 || rep.Questions == 0 {
		t.Fatalf("fit on %d collaborations fell back: %+v", rep.Collaborations, rep)
	}
	var sum float64
	for _, w := range rep.Weights {
		if w < 0 {
			t.Fatalf("negative weight: %v", rep.Weights)
		}
		sum += w
	}
	if sum < 0.999 || sum > 1.001 {
		t.Fatalf("weights sum to %v", sum)
	}
	if rep.Weights == domain.DefaultWeights || x.Weights() != rep.Weights {
		t.Fatalf("the fit changed nothing or is not used: %v", rep.Weights)
	}
	// Nobody in this field publishes requests, and all share a region:
	// the history cannot say what those are worth.
	for _, f := range []domain.Feature{domain.FeatReciprocity, domain.FeatClusterRegion} {
		if d := rep.Weights[f] - domain.DefaultWeights[f]; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s, which the history never varies, weighs %.3f, not its default %.3f", f, rep.Weights[f], domain.DefaultWeights[f])
		}
	}
}

// A history too small for a share of it to give enough questions is
// cross-fitted: every collaboration is asked about once, against an index
// of the other folds, and the fit learns instead of falling back.
func TestFitCrossFitsASmallHistory(t *testing.T) {
	x, _ := field(t, 7, 9) // 54 collaborations: 30% would be about 16 questions
	rep := x.Fit()
	if rep.Collaborations != 54 || rep.Questions != rep.Collaborations {
		t.Fatalf("%d of %d collaborations asked about, want every one: %+v", rep.Questions, rep.Collaborations, rep)
	}
	if rep.Fallback || rep.Weights == domain.DefaultWeights || x.Weights() != rep.Weights {
		t.Fatalf("a cross-fitted history fell back or is not used: %+v", rep)
	}
	// The same history fitted again gives the same weights.
	if again := x.Fit(); again.Weights != rep.Weights {
		t.Fatalf("a second fit differs: %v, then %v", rep.Weights, again.Weights)
	}
	// Nobody in this field publishes requests, and all share a region.
	for _, f := range []domain.Feature{domain.FeatReciprocity, domain.FeatClusterRegion} {
		if d := rep.Weights[f] - domain.DefaultWeights[f]; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s, which the history never varies, weighs %.3f, not its default %.3f", f, rep.Weights[f], domain.DefaultWeights[f])
		}
	}
}

func TestFitFallsBackWithLittleHistory(t *testing.T) {
	x := historyWorld(t)
	var w domain.Weights
	w[domain.FeatText] = 1
	x.SetWeights(w)
	rep := x.Fit()
	if !rep.Fallback || rep.Weights != domain.DefaultWeights || x.Weights() != domain.DefaultWeights {
		t.Fatalf("a fit on %d collaborations (%d pairs) did not fall back to the defaults: %+v", rep.Collaborations, rep.Pairs, rep)
	}
	if _, err := x.Suggest(seek("ACME")); err != nil {
		t.Fatal(err)
	}
	empty := domain.NewIndex(ontology())
	if rep := empty.Fit(); !rep.Fallback || rep.Questions != 0 {
		t.Fatalf("a fit without history: %+v", rep)
	}
}
