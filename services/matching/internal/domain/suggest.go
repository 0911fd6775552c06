package domain

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// scored is a candidate scored in full.
type scored struct {
	i int32
	d *detail
}

// poolFunc gathers the candidates the top k is chosen from: the first
// poolSize candidates, in first-pass order, that pass the filters and are
// relevant.
type poolFunc func(x *Index, q Query, p *profile, poolSize int) []scored

// Suggest answers SuggestPartners.
//
// The answer is kept until the index changes and may be returned again to
// the same query: callers must not modify it.
func (x *Index) Suggest(q Query) (*matchingv1.SuggestPartnersResponse, error) {
	key, ok := answerKey(q)
	if !ok {
		return x.suggest(q, (*Index).candidatePool)
	}
	// The epoch is read before scoring: a change during it moves the epoch
	// on, and the answer is kept under the older one, never served.
	epoch := x.answers.epoch.Load()
	if res := x.answers.get(key, epoch); res != nil {
		return res, nil
	}
	res, err := x.suggest(q, (*Index).candidatePool)
	if err == nil {
		x.answers.put(key, epoch, res)
	}
	return res, err
}

func (x *Index) suggest(q Query, poolOf poolFunc) (*matchingv1.SuggestPartnersResponse, error) {
	return x.suggestTracked(q, poolOf, nil)
}

// suggestTracked is suggest, noting in fp (when not nil) the epoch and
// what the seeker's profile was read from; poolOf notes the pool's part.
func (x *Index) suggestTracked(q Query, poolOf poolFunc, fp *Footprint) (*matchingv1.SuggestPartnersResponse, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return nil, err
	}
	defer p.release()
	if fp != nil {
		fp.epoch = x.answers.epoch.Load()
		fp.deps = append(fp.deps, p.self, OrgRef(p.orgID))
		if q.Viewer.Org != "" {
			fp.deps = append(fp.deps, OrgRef(q.Viewer.Org))
		}
		x.noteReach(fp, p)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	res := &matchingv1.SuggestPartnersResponse{ResolvedNeedTermIds: p.resolved}

	pool := poolOf(x, q, p, max(4*limit, 40))
	slices.SortStableFunc(pool, func(a, b scored) int {
		if c := cmp.Compare(b.d.total, a.d.total); c != 0 {
			return c
		}
		return x.compareIDs(a.i, b.i)
	})
	lambda, onePerOrg := diversityOf(q.Diversity)
	for _, s := range pool {
		s.d.termSet = matchedTerms(s.d)
	}
	// Each pick maximises score minus the penalty for resembling the picks
	// above it (MMR); penalties grow as picks are made.
	pen := make([]float64, len(pool))
	taken := make([]bool, len(pool))
	var chosen []scored
	usedOrgs := map[string]bool{}
	for len(chosen) < limit {
		best, bestVal := -1, math.Inf(-1)
		for k, s := range pool {
			if taken[k] || (onePerOrg && usedOrgs[x.cands[s.i].orgID]) {
				continue
			}
			if v := s.d.total - pen[k]; v > bestVal {
				best, bestVal = k, v
			}
		}
		if best < 0 {
			break
		}
		taken[best] = true
		s := pool[best]
		s.d.penalty = pen[best]
		chosen = append(chosen, s)
		usedOrgs[x.cands[s.i].orgID] = true
		if lambda > 0 {
			for k, o := range pool {
				if !taken[k] {
					pen[k] = max(pen[k], lambda*x.similarity(x.cands[o.i], x.cands[s.i], o.d, s.d))
				}
			}
		}
	}
	for rank, s := range chosen {
		sg := x.suggestion(q, p, x.cands[s.i], s.d, maxExplanation)
		sg.Rank = int32(rank + 1)
		res.Suggestions = append(res.Suggestions, sg)
	}
	return res, nil
}

// Explain answers ExplainMatch: the pair scored with every reason, and why
// SuggestPartners would leave the candidate out, if it would.
func (x *Index) Explain(q Query, candidate Ref) (*matchingv1.ExplainMatchResponse, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return nil, err
	}
	i, ok := x.byRef[candidate]
	if !ok {
		return nil, fmt.Errorf("candidate %s: %w", candidate.ID, grpcerr.ErrNotFound)
	}
	d := x.cands[i]
	if !x.visible(q.Viewer, d) {
		// Not telling hidden from absent keeps hidden profiles hidden.
		return nil, fmt.Errorf("candidate %s: %w", candidate.ID, grpcerr.ErrNotFound)
	}
	det := x.score(q, p, d)
	res := &matchingv1.ExplainMatchResponse{Suggestion: x.suggestion(q, p, d, det, -1)}
	if r := x.exclusion(q, p, d); r != "" {
		res.ExclusionReasons = append(res.ExclusionReasons, r)
	}
	if det.relevance() < minRelevance {
		res.ExclusionReasons = append(res.ExclusionReasons, "not relevant: nothing in the need matches the candidate")
	}
	return res, nil
}

// Score returns only the score of one pair, for saved searches; ok is false
// when the pair would not be suggested.
func (x *Index) Score(q Query, candidate Ref) (*matchingv1.Suggestion, bool, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return nil, false, err
	}
	i, ok := x.byRef[candidate]
	if !ok {
		return nil, false, nil
	}
	d := x.cands[i]
	if x.exclusion(q, p, d) != "" {
		return nil, false, nil
	}
	det := x.score(q, p, d)
	if det.relevance() < minRelevance {
		return nil, false, nil
	}
	return x.suggestion(q, p, d, det, maxExplanation), true, nil
}

// CandidatesOf lists the candidates whose documents include what ref holds:
// ref itself and, for a person, their organization.
func (x *Index) CandidatesOf(ref Ref) []Ref {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Ref
	if _, ok := x.byRef[ref]; ok {
		out = append(out, ref)
	}
	if ref.Kind == KindPerson {
		if p := x.people[ref.ID]; p != nil {
			if _, ok := x.byRef[OrgRef(p.OrgID)]; ok {
				out = append(out, OrgRef(p.OrgID))
			}
		}
	}
	return out
}

func diversityOf(d matchingv1.Diversity) (lambda float64, onePerOrg bool) {
	switch d {
	case matchingv1.Diversity_DIVERSITY_NONE:
		return 0, false
	case matchingv1.Diversity_DIVERSITY_HIGH:
		return 0.5, true
	}
	return 0.15, false
}

// similarity says how much two chosen candidates are near-duplicates: 1 for
// the same organization, otherwise shared name words and matched terms.
func (x *Index) similarity(a, b *cand, da, db *detail) float64 {
	if a.orgN == b.orgN {
		return 1
	}
	return 0.5*jaccard(a.nameTokens, b.nameTokens) + 0.5*jaccard(da.termSet, db.termSet)
}

func matchedTerms(d *detail) []int32 {
	out := make([]int32, 0, len(d.matches))
	for _, m := range d.matches {
		out = append(out, m.t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// jaccard compares two sorted sets.
func jaccard[T cmp.Ordered](a, b []T) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
