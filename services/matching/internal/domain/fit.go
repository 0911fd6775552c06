package domain

import (
	"hash/fnv"
	"math"
	"slices"
	"strings"
)

// Fitting the weights to the deployment's own history: a share of its
// collaborations (chosen by a hash of their ids) becomes questions. For
// each, an index of everything but those collaborations is asked, by each
// member, for partners; the other members should rank above the rest. Pairwise logistic
// regression over the components of (member, other candidate) pairs gives
// the weights. No pair is both trained on and scored: the questions'
// collaborations are absent from the index that scores them.
const (
	fitShare        = 0.3 // of the collaborations, as questions
	maxFitQuestions = 300
	fitSeekers      = 3  // members of a question that ask
	fitNegatives    = 12 // other candidates per positive
	fitPool         = 60 // candidates the negatives are spread over
	// fitWidePool is that pool for a cross-fitted (small) history. There
	// the members of a question trail the head of the pool on almost
	// every component (on CORDIS all but country), and a fit against the
	// head alone puts nearly all weight on one; spread over most of the
	// field, the negatives show what activity, experience and the graph
	// are worth.
	fitWidePool     = 600
	minFitPairs     = 150
	minFitQuestions = 40 // collaborations asked about: fewer are too few to learn from
	fitFolds        = 3  // of a history too small for fitShare to give minFitQuestions
	fitSteps        = 500
	fitRate         = 4
	fitStart        = 10   // the defaults, scaled to a logistic slope
	fitRidge        = 0.01 // on the weights
	fitShrink       = 0.15 // toward the defaults
)

// FitReport says what a fit learned from and what it chose.
type FitReport struct {
	Collaborations int // with two or more members
	Questions      int
	Pairs          int
	// Fallback is set when there was too little history to learn from:
	// the index scores with DefaultWeights.
	Fallback bool
	// Weights score every query, with a need or without: a need adds
	// what it names to the seeker's profile (its terms and words), so the
	// components weigh the same either way.
	Weights Weights
}

// Fit fits the weights of the score's components to the collaboration
// history the index holds, and scores with them from then on; with too
// little history it scores with DefaultWeights. It reads a snapshot, so
// queries go on while it runs.
func (x *Index) Fit() FitReport {
	folds, total := x.fitSnapshot()
	rep := FitReport{Collaborations: total}
	var pairs [][NumFeatures]float64
	for _, f := range folds {
		rep.Questions += len(f.questions)
		t := NewIndex(x.ont)
		t.pruneFloor = x.pruneFloor
		t.Apply(f.changes...)
		for _, q := range f.questions {
			pairs = append(pairs, t.fitPairs(q, len(folds) > 1)...)
		}
	}
	rep.Pairs = len(pairs)
	rep.Weights = DefaultWeights
	if len(pairs) < minFitPairs || rep.Questions < minFitQuestions {
		rep.Fallback = true
	} else {
		rep.Weights = learnWeights(pairs).normalized()
	}
	w := rep.Weights
	x.weights.Store(&w)
	x.answers.changed()
	return rep
}

// fitFold is one training index's part of a fit: the collaborations asked
// about and everything else the index holds, as changes.
type fitFold struct {
	questions []*Collaboration
	changes   []Change
}

// fitSnapshot picks the question collaborations and lists, for each fold,
// everything else the index holds as changes for its training index. A
// history large enough gives fitShare of its collaborations as questions,
// in one fold; a smaller one (fewer than minFitQuestions in that share)
// is cross-fitted: its collaborations are split by hash into fitFolds
// folds, and each fold is asked about against an index of the others, so
// every collaboration is a question once and never in the index that
// scores it.
func (x *Index) fitSnapshot() (folds []fitFold, total int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	type keyed struct {
		h uint64
		c *Collaboration
	}
	var all []keyed
	for _, id := range sortedKeys(x.collabs) {
		c := x.collabs[id]
		n := 0
		for _, m := range c.Members {
			if x.orgs[m.OrgID] != nil {
				n++
			}
		}
		if n < 2 {
			continue
		}
		total++
		h := fnv.New64a()
		h.Write([]byte(id))
		all = append(all, keyed{h.Sum64(), c})
	}
	slices.SortFunc(all, func(a, b keyed) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return strings.Compare(a.c.ID, b.c.ID)
	})
	share := 0
	for _, k := range all {
		if float64(k.h%1000) < fitShare*1000 {
			share++
		}
	}
	n := 1
	if share < minFitQuestions {
		n = fitFolds
	}
	held := make([]map[string]bool, n)
	questions := make([][]*Collaboration, n)
	for f := range n {
		held[f] = map[string]bool{}
	}
	for _, k := range all {
		f := int(k.h % uint64(n))
		if n == 1 && float64(k.h%1000) >= fitShare*1000 || len(questions[f]) >= maxFitQuestions/n {
			continue
		}
		questions[f] = append(questions[f], k.c)
		held[f][k.c.ID] = true
	}
	var common []Change
	for _, id := range sortedKeys(x.orgs) {
		common = append(common, Change{Key: OrgKey(id), Version: 1, Org: x.orgs[id]})
	}
	for _, id := range sortedKeys(x.people) {
		common = append(common, Change{Key: PersonKey(id), Version: 1, Person: x.people[id]})
	}
	for _, id := range sortedKeys(x.comps) {
		common = append(common, Change{Key: CompKey(id), Version: 1, Comp: x.comps[id]})
	}
	for _, id := range sortedKeys(x.coops) {
		common = append(common, Change{Key: CoopKey(id), Version: 1, Coop: x.coops[id]})
	}
	for f := range n {
		if len(questions[f]) == 0 {
			continue
		}
		changes := slices.Clone(common)
		for _, id := range sortedKeys(x.collabs) {
			if !held[f][id] {
				changes = append(changes, Change{Key: CollabKey(id), Version: 1, Collab: x.collabs[id]})
			}
		}
		folds = append(folds, fitFold{questions[f], changes})
	}
	return folds, total
}

// fitPairs asks the training index q's questions and returns the
// differences of components between each other member and the candidates
// ranked around it that are not members. Members ask without a need: a
// need adds to the profile and is scored with the same weights.
func (x *Index) fitPairs(q *Collaboration, small bool) (pairs [][NumFeatures]float64) {
	poolSize := fitPool
	if small {
		poolSize = fitWidePool
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	asked := 0
	for _, s := range q.Members {
		if asked == fitSeekers {
			break
		}
		if _, ok := x.byRef[OrgRef(s.OrgID)]; !ok {
			continue
		}
		asked++
		query := Query{Seeker: Seeker{Kind: SeekOrg, ID: s.OrgID}, Viewer: Viewer{Admin: true}}
		p, err := x.seekerProfile(query)
		if err != nil {
			continue
		}
		var pos, neg [][NumFeatures]float64
		for _, m := range q.Members {
			// In a small history, a member the training index knows
			// nothing of (no text, terms, offers, requests or other
			// collaboration) is not learned from: nothing could have
			// found it, and most members of a small history are such,
			// so pairs ranking them first would teach the weights to
			// prefer the unknown (in CORDIS, the same country alone).
			if i, ok := x.byRef[OrgRef(m.OrgID)]; ok && m.OrgID != s.OrgID && !(small && x.cands[i].blank()) {
				pos = append(pos, x.score(query, p, x.cands[i]).features())
			}
		}
		// Negatives are spread over the pool, not its head: the head is
		// what the current weights like, and learning from it alone
		// would turn their preferences against them.
		pool := x.candidatePool(query, p, poolSize)
		step := max(1, len(pool)/fitNegatives)
		for k := 0; k < len(pool) && len(neg) < fitNegatives; k += step {
			if sc := pool[k]; !q.Has(x.cands[sc.i].orgID) {
				neg = append(neg, sc.d.features())
			}
		}
		for _, a := range pos {
			for _, b := range neg {
				var d [NumFeatures]float64
				for k := range d {
					d[k] = a[k] - b[k]
				}
				pairs = append(pairs, d)
			}
		}
		p.release()
	}
	return pairs
}

// learnWeights fits the weights to the differences (each should score
// above 0) by pairwise logistic regression: non-negative weights, a small
// ridge, gradient descent. Components the history never varies (no
// requests, no clusters in it) cannot be learned: they keep their default
// weight, and the learned ones share the rest. The result is shrunk toward
// the defaults by fitShrink, so no component is silenced by one history.
func learnWeights(diffs [][NumFeatures]float64) Weights {
	var observed [NumFeatures]bool
	for _, d := range diffs {
		for k, v := range d {
			observed[k] = observed[k] || v != 0
		}
	}
	var v Weights
	for k := range v {
		if observed[k] {
			v[k] = fitStart * DefaultWeights[k]
		}
	}
	n := float64(len(diffs))
	for step := 0; step < fitSteps; step++ {
		var g Weights
		for _, d := range diffs {
			// d/dv log(1 + e^-m) = -d / (1 + e^m)
			s := 1 / (1 + math.Exp(v.dot(&d)))
			for k := range g {
				g[k] -= s * d[k]
			}
		}
		for k := range v {
			if observed[k] {
				v[k] = max(0, v[k]-fitRate*(g[k]/n+2*fitRidge*v[k]))
			}
		}
	}
	var learned, mass float64
	for k := range v {
		if observed[k] {
			learned += v[k]
			mass += DefaultWeights[k]
		}
	}
	w := DefaultWeights
	if learned > 0 {
		for k := range w {
			if observed[k] {
				w[k] = mass * v[k] / learned
			}
		}
	}
	for k := range w {
		w[k] = (1-fitShrink)*w[k] + fitShrink*DefaultWeights[k]
	}
	return w.normalized()
}

// blank reports whether a candidate's document holds nothing to match:
// no text, terms, offers or requests (its name and kind only).
func (c *cand) blank() bool {
	return c.length == 0 && len(c.terms) == 0 && len(c.offers) == 0 && len(c.requests) == 0
}
