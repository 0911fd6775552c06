package domain

import (
	"slices"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// Footprint is what an answer read of the index beyond the scoring
// statistics: the documents its seeker profile was made of, and the
// candidates its pool was chosen from. Scores read the statistics'
// snapshot (stats.go), so a change to one candidate's document moves that
// candidate's scores only; Holds tells from the footprint whether such a
// change can move the answer.
type Footprint struct {
	// deps are the documents the seeker's profile and the viewer's
	// visibility are read from.
	deps []Ref
	// examined are the candidates the pool was chosen from, in first-pass
	// order up to the last taken (sorted by index here); full tells
	// whether the pool was filled, and last is the candidate that filled
	// it: a candidate after it in first-pass order was never read.
	examined []int32
	full     bool
	last     preEntry
	epoch    uint64
	// What the first pass walks for the seeker, each sorted: a candidate
	// holding none of it (nor among the most active, where activity
	// counts) has no first-pass score, and Holds needs no profile for it.
	terms  []int32  // the expanded terms' numbers
	words  []int32  // the words' numbers
	reqs   []string // the request terms reciprocity answers
	orgs   []int32  // the organisations the walk reached
	active bool     // whether activity counts
}

// noteReach notes in fp what the first pass walks for p.
func (x *Index) noteReach(fp *Footprint, p *profile) {
	fp.terms = slices.Grow(fp.terms, len(p.expOf))
	for t := range p.expOf {
		fp.terms = append(fp.terms, t)
	}
	slices.Sort(fp.terms)
	for _, n := range p.wordNums {
		if n >= 0 && !x.commonWord(x.wordDF(n)) {
			fp.words = append(fp.words, n)
		}
	}
	slices.Sort(fp.words)
	for t := range p.offers {
		for _, e := range x.expand(t) {
			if e.Sim >= 0.7 {
				fp.reqs = append(fp.reqs, e.TermID)
			}
		}
	}
	slices.Sort(fp.reqs)
	if p.walked != nil {
		fp.orgs = p.walked.reached() // shared: footprints never change it
	}
	fp.active = p.w[FeatActivity] > 0
}

// mayReach reports whether the first pass may give c a score for the
// seeker of fp. Callers hold the read lock.
func (x *Index) mayReach(fp *Footprint, c *cand) bool {
	if meets(c.terms, fp.terms, func(ct candTerm) int32 { return ct.t }) || meets(c.tokens, fp.words, func(cw candWord) int32 { return cw.w }) {
		return true
	}
	for r := range c.reqTerms {
		if _, ok := slices.BinarySearch(fp.reqs, r); ok {
			return true
		}
	}
	if _, ok := slices.BinarySearch(fp.orgs, c.orgN); ok && c.ref.Kind == KindOrg {
		return true
	}
	return fp.active && slices.Contains(x.actives().cands, c.idx)
}

// meets reports whether as (sorted by num) and bs (sorted) share a number.
func meets[T any](as []T, bs []int32, num func(T) int32) bool {
	for i, j := 0, 0; i < len(as) && j < len(bs); {
		switch a := num(as[i]); {
		case a < bs[j]:
			i++
		case a > bs[j]:
			j++
		default:
			return true
		}
	}
	return false
}

// SuggestKept answers q as Suggest does, always scored, with the epoch it
// is the answer at and its footprint for Holds.
func (x *Index) SuggestKept(q Query) (*matchingv1.SuggestPartnersResponse, uint64, *Footprint, error) {
	fp := &Footprint{}
	res, err := x.suggestTracked(q, func(x *Index, q Query, p *profile, n int) []scored {
		return x.trackedPool(q, p, n, fp)
	}, fp)
	if err != nil {
		return nil, 0, nil, err
	}
	slices.Sort(fp.examined)
	return res, fp.epoch, fp, nil
}

// Holds reports whether the answer to q computed at epoch since, with
// footprint fp, is still the scorer's answer, and the epoch it holds at.
// It does when only documents changed since (no history, event,
// candidate added or removed, statistics or weights) and none of them is
// one the seeker's profile or the viewer's visibility reads, one the pool
// was chosen from, or one whose first-pass score now reaches the pool's
// last (with a margin for rounding, so a doubt counts as a change).
func (x *Index) Holds(q Query, fp *Footprint, since uint64) (uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	now, ds, ok := x.answers.since(since)
	if !ok || fp == nil {
		return now, false
	}
	var reach []int32
	for _, d := range ds {
		for _, r := range d.refs {
			if slices.Contains(fp.deps, r) {
				return now, false
			}
		}
		for _, i := range d.cands {
			if _, in := slices.BinarySearch(fp.examined, i); in {
				return now, false
			}
			if len(q.Filter.Kinds) > 0 && !slices.Contains(q.Filter.Kinds, x.kinds[i]) {
				continue // never walked by the first pass, never taken
			}
			if c := x.cands[i]; c == nil || x.mayReach(fp, c) {
				reach = append(reach, i)
			}
		}
	}
	if len(reach) == 0 {
		return now, true
	}
	if !fp.full || fp.last.v <= 0 {
		return now, false
	}
	p, err := x.seekerProfile(q)
	if err != nil {
		return now, false
	}
	defer p.release()
	floor := float64(fp.last.v) * (1 - 1e-4)
	for _, i := range reach {
		c := x.cands[i]
		if c == nil || x.firstPass(p, c) >= floor {
			return now, false
		}
	}
	return now, true
}

// firstPass is the first-pass score preselect gives candidate c, summed
// in another order (so equal to it up to rounding).
func (x *Index) firstPass(p *profile, c *cand) float64 {
	var s float64
	best := make([]float64, len(p.need))
	for _, ct := range c.terms {
		at, ok := p.expOf[ct.t]
		for ; ok && at >= 0; at = p.expAt[at].next {
			r := p.expAt[at]
			cw := p.exps[r.k][r.j].Sim * p.cws[r.k][r.j]
			if x.broadTerm(cw, p.dfs[r.k][r.j]) {
				continue
			}
			best[r.k] = max(best[r.k], float64(float32(cw*float64(ct.strength))))
		}
	}
	for k, b := range best {
		s += p.w[FeatOntology] * (p.needW[k] / p.wsum) * b
	}
	if len(p.wordList) > 0 {
		avg := x.avgLen()
		for k, n := range p.wordNums {
			if n < 0 || x.commonWord(x.wordDF(n)) {
				continue
			}
			f, ok := c.tf(n)
			if !ok {
				continue
			}
			tf, ln := float64(f), float64(c.length)
			s += p.w[FeatText] * p.idfs[k] * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*ln/avg)) / (1.5 * p.idfSum)
		}
	}
	for t := range p.offers {
		for _, pl := range x.recipLists(t) {
			if _, ok := pl.m[c.idx]; ok {
				s += p.w[FeatReciprocity] * 0.5
			}
		}
	}
	if c.ref.Kind == KindOrg && c.orgN >= 0 && int(c.orgN) < len(p.gv) && x.orgCand[c.orgN] == c.idx {
		if g := p.gv[c.orgN]; g > 0 {
			s += p.w[FeatGraph] * g
		}
	}
	if w := p.w[FeatActivity]; w > 0 {
		a := x.actives()
		if k := slices.Index(a.cands, c.idx); k >= 0 {
			s += w * activity(a.n[k])
		}
	}
	return s
}
