package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNthLargest checks the selections behind topN against sorting, on
// positive inputs rich in ties and near ties as first-pass scores are.
func TestNthLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 2000 {
		vs := make([]float32, 1+r.IntN(300))
		distinct := 1 + r.IntN(20)
		for i := range vs {
			vs[i] = float32(1+r.IntN(distinct)) / 4
			if round%2 == 1 {
				// Close scores share a histogram bucket.
				vs[i] = 0.3 + float32(r.IntN(distinct))*1e-6
			}
		}
		n := 1 + r.IntN(len(vs))
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		if got, want := nthLargest(slices.Clone(vs), n), sorted[n-1]; got != want {
			t.Fatalf("round %d: %d-th largest of %v is %v, want %v", round, n, vs, got, want)
		}
		s := &scratch{vals: slices.Clone(vs)}
		if got, want := s.nthLargest(n), sorted[n-1]; got != want {
			t.Fatalf("round %d: by histogram, %d-th largest of %v is %v, want %v", round, n, vs, got, want)
		}
		if s.hist != ([len(s.hist)]int32{}) {
			t.Fatalf("round %d: the histogram is left dirty", round)
		}
	}
}
