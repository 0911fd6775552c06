package domain_test

import (
	"slices"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// A repeated query is answered from the kept answer, and every change to
// the index (an applied event, new weights) is seen by the next query.
func TestKeptAnswersStayFresh(t *testing.T) {
	x := world(t)
	q := seek("ACME")
	first := suggest(t, x, q)
	if again := suggest(t, x, q); again != first {
		t.Fatal("a repeated query on an unchanged index was scored again")
	}
	other := q
	other.Limit = 2
	if got := suggest(t, x, other); len(got.GetSuggestions()) != 2 {
		t.Fatalf("a different query got the kept answer of another: %d suggestions", len(got.GetSuggestions()))
	}

	// A new research organisation with the sought term is suggested at once.
	x.Apply(org("NEWLAB", "New Sequencing Lab", institute, pub, "ITH44", cluster), comp("C9", domain.OrgRef("NEWLAB"), rnaSeq, 9))
	fresh := suggest(t, x, q)
	if !slices.Contains(ids(fresh), "NEWLAB") {
		t.Fatalf("an organisation applied after the answer was kept is missing: %v", ids(fresh))
	}
	want, err := x.SuggestExhaustive(q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(fresh), ids(want)) {
		t.Fatalf("answer after a change %v, exhaustive scorer %v", ids(fresh), ids(want))
	}

	// An erasure is seen at once.
	x.Apply(domain.Change{Key: domain.OrgKey("NEWLAB"), Version: 2, Removed: true})
	if slices.Contains(ids(suggest(t, x, q)), "NEWLAB") {
		t.Fatal("an erased organisation was served from a kept answer")
	}

	// New weights are seen at once.
	before := suggest(t, x, q)
	var w domain.Weights
	w[domain.FeatClusterRegion] = 1
	x.SetWeights(w)
	after := suggest(t, x, q)
	if after == before {
		t.Fatal("the answer kept under the old weights was served after new weights")
	}
}
