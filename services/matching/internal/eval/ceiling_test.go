package eval

import (
	"fmt"
	"testing"
)

// TestCeilingFitsTheQuestionsItScores: the in-sample fit finds the one
// feature that separates the right answers (here the second of two, the
// first being noise and popularity a decoy), and the per-question oracle
// is at least as good as the fit.
func TestCeilingFitsTheQuestionsItScores(t *testing.T) {
	var qs []ceilQ
	for k := range 6 {
		q := ceilQ{project: fmt.Sprint(k)}
		for i := range 40 {
			f := make([]float64, len(ceilingNames))
			f[tandemFeatures] = float64((i*7 + k) % 11) // projects: unrelated to relevance
			f[0] = float64((i*13 + k) % 5)
			rel := i%10 == k%10
			if rel {
				f[1] = 1 + float64(i%3)/10
				q.nrel++
			}
			q.ids = append(q.ids, fmt.Sprintf("o%02d", i))
			q.rel = append(q.rel, rel)
			q.f = append(q.f, f)
		}
		qs = append(qs, q)
	}
	all := make([]int, len(ceilingNames))
	for i := range all {
		all[i] = i
	}
	m := scoreAll(qs, fitPairwise(qs, all))
	if m.R5 != 1 || m.MRR != 1 {
		t.Fatalf("in-sample fit: %+v, want every right answer first", m)
	}
	byR10, byMRR := oracle(qs)
	if byR10.R10 < m.R10 || byMRR.MRR < m.MRR {
		t.Errorf("oracle %+v / %+v below the fit %+v", byR10, byMRR, m)
	}
	pop := scoreAll(qs, &linear{use: []int{tandemFeatures}, mu: []float64{0}, sd: []float64{1}, w: []float64{1}})
	if pop.MRR >= 1 {
		t.Errorf("ranking by projects alone scored %+v on a decoy", pop)
	}
}

// TestCeilingTreesLearnAnInteraction: the small tree ensemble ranks right
// answers first when only a combination of two features tells them
// (a linear fit cannot).
func TestCeilingTreesLearnAnInteraction(t *testing.T) {
	var qs []ceilQ
	for k := range 6 {
		q := ceilQ{project: fmt.Sprint(k)}
		for i := range 80 {
			f := make([]float64, len(ceilingNames))
			f[0], f[1] = float64(i%2), float64((i/2)%2) // relevant: exactly one of the two
			rel := i%4 == 1 || i%4 == 2
			if rel && i > 8 {
				rel = false
				f[2] = 1 // a decoy pattern with the same f[0], f[1]: breaks only with f[2]
			}
			if rel {
				q.nrel++
			}
			q.ids = append(q.ids, fmt.Sprintf("o%02d", i))
			q.rel = append(q.rel, rel)
			q.f = append(q.f, f)
		}
		qs = append(qs, q)
	}
	if m := scoreRanking(qs, fitLambdaMART(qs, 30, 3, 0.3).score); m.R5 != 1 || m.MRR != 1 {
		t.Fatalf("trees: %+v, want every right answer first", m)
	}
}
