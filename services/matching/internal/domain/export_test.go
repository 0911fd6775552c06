package domain

import (
	"slices"
	"strings"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// SuggestExhaustive answers like Suggest but builds the candidate pool the
// plain way: every candidate's first-pass score computed from its own
// document, all of them sorted. Tests pin the fast path against it.
func (x *Index) SuggestExhaustive(q Query) (*matchingv1.SuggestPartnersResponse, error) {
	return x.suggest(q, exhaustivePool)
}

func exhaustivePool(x *Index, q Query, p *profile, poolSize int) []scored {
	type first struct {
		i int32
		s float32
	}
	var wsum float64
	for _, t := range p.need {
		wsum += x.needWeight(t)
	}
	words := make([]string, 0, len(p.words))
	for w := range p.words {
		words = append(words, w)
	}
	slices.Sort(words)
	var idfSum float64
	for _, w := range words {
		idfSum += x.idf(x.wordDFOf(w))
	}
	var all []first
	for i, c := range x.cands {
		if c == nil {
			continue
		}
		var s float32
		reached := false
		for _, t := range p.need {
			var best float32
			for _, e := range x.expand(t.id) {
				if x.broadTerm(e.Sim*x.candTermWeight(e.TermID), x.termDFOf(e.TermID)) {
					continue
				}
				if h := x.heldTerm(c, e.TermID); h != nil {
					if v := float32(e.Sim * x.candTermWeight(e.TermID) * float64(h.strength)); v > best {
						best = v
					}
				}
			}
			if best > 0 {
				s += float32(p.w[FeatOntology] * (x.needWeight(t) / wsum) * float64(best))
				reached = true
			}
		}
		for _, w := range words {
			if x.commonWord(x.wordDFOf(w)) {
				continue
			}
			if f, ok := x.heldWord(c, w); ok {
				tf := float64(f)
				s += float32(p.w[FeatText] * x.idf(x.wordDFOf(w)) * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(c.length)/x.avgLen())) / (1.5 * idfSum))
				reached = true
			}
		}
		for t := range p.offers {
			for _, e := range x.expand(t) {
				if _, ok := c.reqTerms[e.TermID]; ok && e.Sim >= 0.7 {
					s += float32(p.w[FeatReciprocity] * 0.5)
					reached = true
				}
			}
		}
		if g := p.graphOf(c.orgN); c.ref.Kind == KindOrg && g > 0 {
			s += float32(p.w[FeatGraph] * g)
			reached = true
		}
		if a := x.actives(); p.w[FeatActivity] > 0 {
			if k := slices.Index(a.cands, int32(i)); k >= 0 {
				s += float32(p.w[FeatActivity] * activity(a.n[k]))
				reached = true
			}
		}
		if reached {
			all = append(all, first{int32(i), s})
		}
	}
	slices.SortFunc(all, func(a, b first) int {
		if a.s != b.s {
			if a.s > b.s {
				return -1
			}
			return 1
		}
		return strings.Compare(x.cands[a.i].ref.ID, x.cands[b.i].ref.ID)
	})
	var pool []scored
	for _, f := range all {
		if len(pool) >= poolSize {
			break
		}
		d := x.cands[f.i]
		if x.exclusion(q, p, d) != "" {
			continue
		}
		det := x.score(q, p, d)
		if det.relevance() < minRelevance {
			continue
		}
		pool = append(pool, scored{f.i, det})
	}
	return pool
}

func (x *Index) heldTerm(c *cand, term string) *candTerm {
	n, ok := x.termNum[term]
	if !ok {
		return nil
	}
	for k := range c.terms {
		if c.terms[k].t == n {
			return &c.terms[k]
		}
	}
	return nil
}

func (x *Index) heldWord(c *cand, word string) (uint16, bool) {
	for _, cw := range c.tokens {
		if x.wordName[cw.w] == word {
			return cw.tf, true
		}
	}
	return 0, false
}

// SetPruneFloor lowers the size from which the first pass leaves out
// common words and broad terms, so that a small test index exercises it.
func (x *Index) SetPruneFloor(n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pruneFloor = n
	x.answers.changed()
}

// SetStatsDrift lets the documents changed since the statistics' snapshot
// reach 1/share of its candidates before it is taken again (1/100 by
// default), so that a small test index changes documents under one
// snapshot.
func (x *Index) SetStatsDrift(share int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.driftShare = share
}

// StatsDrift returns how many documents changed since the statistics'
// snapshot, and how many candidates it counted.
func (x *Index) StatsDrift() (drift, cands int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.drift, x.st.nCands
}

// WalkValues is what a seeker's walk leaves in its profile.
type WalkValues struct {
	Order     []int32           // the organisations reached, in the walk's order
	Closeness map[int32]float64 // by organisation number
	Partners  map[int32]int32
}

func walkValues(p *profile) WalkValues {
	v := WalkValues{Order: append([]int32(nil), p.gt...), Closeness: map[int32]float64{}, Partners: map[int32]int32{}}
	for _, o := range p.gt {
		v.Closeness[o] = p.gv[o]
	}
	for o, n := range p.partners {
		v.Partners[o] = n
	}
	return v
}

// KeptAndFreshWalk returns the walk q's seeker profile holds (kept from an
// earlier query when there is one) and the walk made afresh.
func (x *Index) KeptAndFreshWalk(q Query) (kept, fresh WalkValues, err error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return kept, fresh, err
	}
	defer p.release()
	f := profilePool.Get().(*profile)
	defer f.release()
	f.orgN = p.orgN
	if cols := x.collabsOf(p.orgN); len(cols) > 0 {
		x.walkFrom(f, cols)
	}
	return walkValues(p), walkValues(f), nil
}

// KeptWalks says how many walks the index keeps.
func (x *Index) KeptWalks() int {
	x.walks.mu.Lock()
	defer x.walks.mu.Unlock()
	return len(x.walks.m)
}
