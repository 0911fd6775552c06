package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNthLargest checks the selection behind topN against sorting, on
// inputs rich in ties as first-pass scores are.
func TestNthLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 2000 {
		vs := make([]float32, 1+r.IntN(300))
		distinct := 1 + r.IntN(20)
		for i := range vs {
			vs[i] = float32(r.IntN(distinct)) / 4
		}
		n := 1 + r.IntN(len(vs))
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		if got, want := nthLargest(slices.Clone(vs), n), sorted[n-1]; got != want {
			t.Fatalf("round %d: %d-th largest of %v is %v, want %v", round, n, vs, got, want)
		}
	}
}
