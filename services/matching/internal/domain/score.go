package domain

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Scoring limits that keep a query fast on a large index.
const (
	maxNeedTerms   = 40
	maxExpansions  = 48
	maxQueryWords  = 30
	minRelevance   = 0.03
	bm25K1         = 1.2
	bm25B          = 0.75
	defaultLimit   = 10
	maxLimit       = 100
	maxExplanation = 5
)

// ErrSeekerNotFound is returned for a seeker the read model does not hold.
var ErrSeekerNotFound = fmt.Errorf("seeker: %w", grpcerr.ErrNotFound)

type origin int

const (
	fromNeed origin = iota + 1
	fromRequest
	fromOffer
	fromCompetency
	fromHistory
)

// profileShare weighs the seeker's own terms against a stated need's.
const profileShare = 0.35

// seekerTerm is one term the seeker looks for.
type seekerTerm struct {
	id     string
	weight float64 // importance before rarity
	origin origin
	coopID string // the request or offer it comes from
	title  string
}

// offerTerm is one term the seeker can give, for reciprocity.
type offerTerm struct {
	coopID string
	title  string
}

// profile is the seeker as scoring sees it.
type profile struct {
	self         Ref
	selfIdx      int32 // the seeker's own candidate index, or -1
	orgID        string
	orgN         int32   // the seeker's organization by number, or -1
	clusters     []int32 // its organization's clusters by number, -1 for any no candidate is in
	nuts2        uint64  // its organization's NUTS-2 prefix (nutsPrefix)
	countryN     int32   // its organization's country by number, or -1
	org          *Org
	need         []seekerTerm
	offers       map[string]offerTerm
	words        map[string]int
	needText     string
	resolved     []string
	requests     []*Coop
	wantCollab   map[competenciesv1.CollaborationType]bool
	partnerKinds []profilesv1.OrganizationKind

	// Worked out by prepare.
	needW    []float64              // weight of each need term
	wsum     float64                // sum of needW
	exps     [][]Related            // expansion of each need term
	cws      [][]float64            // candTermWeight of each expanded term
	lists    [][]*postings[float32] // posting list of each expanded term
	wordList []string               // words, sorted
	wordNums []int32                // number of each word, -1 when no candidate uses it
	idfs     []float64              // IDF of each word
	idfSum   float64
	// expOf finds, from a candidate term, every need term whose expansion
	// holds it: score looks up the candidate's few terms instead of every
	// expansion. Entries chain through expAt by next, -1 ending a chain.
	expOf map[int32]int32
	expAt []expRef
	// score's working memory, one entry per need term.
	bestV []float64
	bestJ []int32
	bestT []int32 // the candidate term's number
	bestH []*termHit
	bestE []int32 // the candidate term's evidence items
	// contrib is score's buffer of word contributions.
	contrib []wordScore
	// dets and matches hold the details score makes: a query scores tens
	// of candidates, and allocating each detail on its own cost it more
	// than scoring them. Nothing outlives the query that made them.
	dets    []detail
	matches []termMatch

	// History: the organisations the walk from the seeker reached (by
	// number, closest 1), its direct partners with the collaborations shared,
	// and the query words by number for experience.
	graph    map[int32]float64
	partners map[int32]int32
	expWords []expWord
	expBest  []float64
	// w are the weights the query scores with.
	w Weights
	// hasNeed is set when the query states a need; calls are the call
	// codes its text names, by callFamily.
	hasNeed bool
	calls   [][]string

	// Buffers kept between queries by profilePool.
	seen map[string]int
}

// profilePool keeps profiles, their maps and buffers between queries: the
// maps especially cost a query much to grow anew.
var profilePool = sync.Pool{New: func() any {
	return &profile{offers: map[string]offerTerm{}, words: map[string]int{}, wantCollab: map[competenciesv1.CollaborationType]bool{},
		expOf: map[int32]int32{}, seen: map[string]int{}, graph: map[int32]float64{}, partners: map[int32]int32{}}
}}

// release hands p back to the pool. Nothing of p may be referenced after
// it: resolved goes into the response, so it is never reused.
func (p *profile) release() {
	*p = profile{
		need: p.need[:0], offers: p.offers, words: p.words, requests: p.requests[:0], wantCollab: p.wantCollab,
		partnerKinds: p.partnerKinds[:0], needW: p.needW[:0], exps: p.exps[:0], cws: p.cws[:0], lists: p.lists[:0],
		wordList: p.wordList[:0], wordNums: p.wordNums[:0], idfs: p.idfs[:0], expOf: p.expOf, expAt: p.expAt[:0], bestV: p.bestV[:0], bestJ: p.bestJ[:0], bestT: p.bestT[:0], bestE: p.bestE[:0], clusters: p.clusters[:0],
		bestH: p.bestH[:0], contrib: p.contrib[:0], seen: p.seen,
		dets: p.dets[:0], matches: p.matches[:0],
		graph: p.graph, partners: p.partners, expWords: p.expWords[:0], expBest: p.expBest[:0], calls: p.calls[:0],
	}
	clear(p.graph)
	clear(p.partners)
	clear(p.dets[:cap(p.dets)])
	clear(p.matches[:cap(p.matches)])
	clear(p.offers)
	clear(p.words)
	clear(p.wantCollab)
	clear(p.expOf)
	clear(p.seen)
	clear(p.requests[:cap(p.requests)])
	clear(p.exps[:cap(p.exps)])
	clear(p.lists[:cap(p.lists)])
	clear(p.bestH[:cap(p.bestH)])
	profilePool.Put(p)
}

// newDetail hands out a zero detail from the profile's buffer.
func (p *profile) newDetail() *detail {
	if len(p.dets) == cap(p.dets) {
		// Earlier details keep the old array; only new ones use the new.
		p.dets = make([]detail, 0, max(16, 2*cap(p.dets)))
	}
	p.dets = p.dets[:len(p.dets)+1]
	return &p.dets[len(p.dets)-1]
}

// newMatches hands out an empty slice with room for n matches.
func (p *profile) newMatches(n int) []termMatch {
	if cap(p.matches)-len(p.matches) < n {
		p.matches = make([]termMatch, 0, max(64, 2*cap(p.matches), n))
	}
	m := p.matches[len(p.matches) : len(p.matches) : len(p.matches)+n]
	p.matches = p.matches[:len(p.matches)+n]
	return m
}

// grown returns s with length n, reusing its array when it is large enough.
func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// wordScore is one query word's share of a candidate's text relevance.
type wordScore struct {
	w string
	c float64
}

// expRef is the j-th expansion of the k-th need term.
type expRef struct{ k, j, next int32 }

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
func (x *Index) Suggest(q Query) (*matchingv1.SuggestPartnersResponse, error) {
	return x.suggest(q, (*Index).candidatePool)
}

func (x *Index) suggest(q Query, poolOf poolFunc) (*matchingv1.SuggestPartnersResponse, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return nil, err
	}
	defer p.release()
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

// seekerProfile gathers what the seeker looks for and what it offers.
func (x *Index) seekerProfile(q Query) (*profile, error) {
	p := profilePool.Get().(*profile)
	p.needText = q.Need.Text
	var holders []Ref
	var onlyCoop *Coop
	switch q.Seeker.Kind {
	case SeekOrg:
		o := x.orgs[q.Seeker.ID]
		if o == nil {
			return nil, fmt.Errorf("organization %s: %w", q.Seeker.ID, ErrSeekerNotFound)
		}
		p.self, p.orgID, p.org = OrgRef(o.ID), o.ID, o
		holders = append(holders, p.self)
		for _, pid := range sortedKeys(x.staff[o.ID]) {
			holders = append(holders, PersonRef(pid))
		}
	case SeekPerson:
		pe := x.people[q.Seeker.ID]
		if pe == nil {
			return nil, fmt.Errorf("person %s: %w", q.Seeker.ID, ErrSeekerNotFound)
		}
		p.self, p.orgID, p.org = PersonRef(pe.ID), pe.OrgID, x.orgs[pe.OrgID]
		holders = append(holders, p.self)
	case SeekCoop:
		c := x.coops[q.Seeker.ID]
		if c == nil {
			return nil, fmt.Errorf("cooperation profile %s: %w", q.Seeker.ID, ErrSeekerNotFound)
		}
		onlyCoop = c
		p.self = c.Holder
		p.orgID = c.Holder.ID
		if c.Holder.Kind == KindPerson {
			if pe := x.people[c.Holder.ID]; pe != nil {
				p.orgID = pe.OrgID
			}
		}
		p.org = x.orgs[p.orgID]
	default:
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "seeker", Description: "set one of organization_id, person_id, cooperation_profile_id"})
	}

	p.selfIdx = -1
	if i, ok := x.byRef[p.self]; ok {
		p.selfIdx = i
	}
	p.orgN = lookupNumber(x.orgNum, p.orgID)
	p.nuts2, p.countryN = 0, -1
	if p.org != nil {
		for _, cl := range p.org.Clusters {
			p.clusters = append(p.clusters, lookupNumber(x.clusterNum, cl))
		}
		p.nuts2 = nutsPrefix(p.org.NUTS)
		if knownCountry(p.org.Country) {
			p.countryN = lookupNumber(x.countryNum, p.org.Country)
		}
	}

	seen := p.seen
	addNeed := func(t seekerTerm) {
		if !x.ont.Known(t.id) {
			return
		}
		if k, ok := seen[t.id]; ok {
			if t.weight > p.need[k].weight {
				p.need[k] = t
			}
			return
		}
		seen[t.id] = len(p.need)
		p.need = append(p.need, t)
	}
	for _, t := range q.Need.Terms {
		addNeed(seekerTerm{id: t, weight: 1, origin: fromNeed})
	}
	if strings.TrimSpace(q.Need.Text) != "" {
		for _, r := range x.readText(q.Need.Text) {
			if slices.Contains(q.Need.ExcludedTerms, r.TermID) {
				continue
			}
			p.resolved = append(p.resolved, r.TermID)
			addNeed(seekerTerm{id: r.TermID, weight: r.Confidence, origin: fromNeed})
		}
		p.addWords(q.Need.Text, 2)
		for _, f := range strings.Fields(q.Need.Text) {
			if c := strings.Trim(f, ",;:|()"); isCode(c) && strings.IndexFunc(c, unicode.IsLetter) >= 0 {
				p.calls = append(p.calls, callFamily(c))
			}
		}
	}

	var coops []*Coop
	var comps []*Competency
	if onlyCoop != nil {
		coops = append(coops, onlyCoop)
	} else {
		for _, h := range holders {
			for _, key := range sortedKeys(x.held[h]) {
				kind, id := splitKey(key)
				if kind == "comp" && x.comps[id] != nil {
					comps = append(comps, x.comps[id])
				} else if kind == "coop" && x.coops[id] != nil && (x.coops[id].Matchable() || x.coops[id].Status == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT) {
					coops = append(coops, x.coops[id])
				}
			}
		}
	}
	for _, c := range coops {
		if c.IsOffer() {
			for _, t := range c.TermIDs {
				p.offers[t] = offerTerm{coopID: c.ID, title: c.Title}
			}
			continue
		}
		p.requests = append(p.requests, c)
		for _, t := range c.TermIDs {
			addNeed(seekerTerm{id: t, weight: 0.9, origin: fromRequest, coopID: c.ID, title: c.Title})
		}
		for _, ct := range c.CollaborationTypes {
			p.wantCollab[ct] = true
		}
		p.partnerKinds = append(p.partnerKinds, c.PartnerKinds...)
		p.addWords(c.Title+" "+c.Summary+" "+c.PartnerSought, 1)
	}
	for _, c := range comps {
		if _, ok := p.offers[c.TermID]; !ok {
			p.offers[c.TermID] = offerTerm{title: c.Label}
		}
	}
	// The seeker's own profile and history always count: alone when it
	// states no need, narrowed by the need when it does (a need refines
	// the profile, it never replaces it).
	p.hasNeed = len(p.need) > 0 || len(p.words) > 0
	own := 1.0
	if p.hasNeed {
		own = profileShare
	}
	for _, c := range coops {
		if c.IsOffer() {
			for _, t := range c.TermIDs {
				addNeed(seekerTerm{id: t, weight: own * 0.8, origin: fromOffer, coopID: c.ID, title: c.Title})
			}
			if !p.hasNeed {
				p.addWords(c.Title+" "+c.Summary, 1)
			}
		}
	}
	for _, c := range comps {
		addNeed(seekerTerm{id: c.TermID, weight: own * 0.7 * float64(levelStrength(c.Level)) * (1 + evidenceBoost(c.Evidence)), origin: fromCompetency, title: c.Label})
	}
	if p.selfIdx >= 0 && x.cands[p.selfIdx] != nil {
		self := x.cands[p.selfIdx]
		if p.self.Kind == KindOrg && onlyCoop == nil {
			// What its collaborations were about.
			for _, ct := range self.terms {
				if h := ct.hit; h.collabs > 0 && len(h.comps) == 0 && len(h.coops) == 0 {
					addNeed(seekerTerm{id: h.term, weight: own * 0.7 * float64(ct.strength) * (1 + math.Log1p(float64(h.collabs))/4), origin: fromHistory})
				}
			}
		}
		// Its own words go beside a need's words; a need of chosen terms
		// alone is read as exactly those.
		if len(p.words) == 0 && len(q.Need.Terms) == 0 || len(p.words) > 0 && p.hasNeed && onlyCoop == nil && strings.TrimSpace(q.Need.Text) != "" {
			x.topWords(p, self, p.hasNeed)
		}
	}
	if len(p.need) > maxNeedTerms {
		slices.SortStableFunc(p.need, func(a, b seekerTerm) int { return cmp.Compare(b.weight, a.weight) })
		p.need = p.need[:maxNeedTerms]
	}
	x.prepare(p)
	p.w = *x.weights.Load()
	x.walk(p)
	return p, nil
}

// evidenceBoost lifts a seeker's competencies with much evidence: they are
// what it is known for.
func evidenceBoost(ev [7]int32) float64 {
	n := 0
	for _, c := range ev {
		n += int(c)
	}
	return math.Log1p(float64(n)) / 4
}

func (p *profile) addWords(text string, weight int) {
	for _, w := range Tokens(text) {
		if len(p.words) >= maxQueryWords {
			if _, ok := p.words[w]; !ok {
				continue
			}
		}
		p.words[w] += weight
	}
}

// topWords adds the seeker's most distinctive words to its text query:
// 15 of them alone, 8 beside a need's words.
func (x *Index) topWords(p *profile, d *cand, beside bool) {
	type ws struct {
		w string
		s float64
	}
	var all []ws
	for _, cw := range d.tokens {
		all = append(all, ws{x.wordName[cw.w], float64(cw.tf) * x.idf(x.tokPost[cw.w].df())})
	}
	slices.SortFunc(all, func(a, b ws) int { return cmp.Or(cmp.Compare(b.s, a.s), strings.Compare(a.w, b.w)) })
	n := 15
	if beside {
		n = 8
	}
	for _, a := range all[:min(len(all), n)] {
		if _, ok := p.words[a.w]; !ok {
			p.words[a.w] = 1
		}
	}
}

func (x *Index) idf(df int) float64 {
	n := float64(x.nCands)
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// rarity is in [0, 1]: high for terms few candidates hold and for specific
// terms of the vocabulary.
func (x *Index) rarity(term string) float64 { return x.rarityOf(term, x.termPost(term).df()) }

func (x *Index) rarityOf(term string, termDF int) float64 {
	return x.rarityFrom(x.ont.InformationContent(term), termDF, math.Log(float64(x.nCands)+1))
}

// rarityFrom is rarityOf from the term's information content, with
// logN = ln(candidates + 1) worked out by the caller.
func (x *Index) rarityFrom(ic float64, termDF int, logN float64) float64 {
	n := float64(x.nCands)
	df := float64(termDF)
	idfNorm := 1.0
	if n > 1 {
		idfNorm = math.Log((n+1)/(df+1)) / logN
	}
	return 0.5*ic + 0.5*idfNorm
}

func (x *Index) needWeight(t seekerTerm) float64 { return t.weight * (0.4 + 0.6*x.rarity(t.id)) }

func (x *Index) candTermWeight(term string) float64 {
	return x.candTermWeightOf(term, x.termPost(term).df())
}

func (x *Index) candTermWeightOf(term string, df int) float64 { return 0.6 + 0.4*x.rarityOf(term, df) }

// numbered is a term's expansion as the index numbers it, with the weight
// of each expanded term: what prepare would otherwise look up by name and
// work out, term by term, on every query. It holds until the index
// changes; entries are never changed once stored, so queries share them.
type numbered struct {
	gen   uint64  // the index generation it was made in
	nums  []int32 // -1 where no candidate ever held the term
	lists []*postings[float32]
	cws   []float64 // candTermWeight of each expanded term
}

// numberedExpansion returns exp, the expansion of term, as numbers,
// posting lists and weights. Callers hold the read lock.
func (x *Index) numberedExpansion(term string, exp []Related) *numbered {
	if v, ok := x.numbered.Load(term); ok {
		if ne := v.(*numbered); ne.gen == x.gen {
			return ne
		}
	}
	ne := &numbered{gen: x.gen, nums: make([]int32, len(exp)), lists: make([]*postings[float32], len(exp)), cws: make([]float64, len(exp))}
	logN := math.Log(float64(x.nCands) + 1)
	for j, e := range exp {
		t, ok := x.termNum[e.TermID]
		if ok {
			ne.nums[j], ne.lists[j] = t, x.post[t]
		} else {
			ne.nums[j] = -1
		}
		ne.cws[j] = 0.6 + 0.4*x.rarityFrom(e.IC, ne.lists[j].df(), logN)
	}
	x.numbered.Store(term, ne)
	return ne
}

// prepare works out, once per query, what both passes read for every
// candidate: each sought term's weight, its expansion with the rarity of
// every expanded term, and the text query's words with their IDF. Words are
// kept sorted so sums come out the same, bit for bit, on every run and
// replica.
func (x *Index) prepare(p *profile) {
	p.needW = grown(p.needW, len(p.need))
	p.exps = grown(p.exps, len(p.need))
	p.cws = grown(p.cws, len(p.need))
	p.wsum = 0
	n := 0
	for k, t := range p.need {
		p.needW[k] = x.needWeight(t)
		p.wsum += p.needW[k]
		p.exps[k] = x.expand(t.id)
		n += len(p.exps[k])
	}
	p.lists = grown(p.lists, len(p.need))
	p.expAt = slices.Grow(p.expAt[:0], n)
	for k, nt := range p.need {
		ne := x.numberedExpansion(nt.id, p.exps[k])
		for j := range p.exps[k] {
			t := ne.nums[j]
			if t < 0 {
				continue // no candidate can match it
			}
			next, ok := p.expOf[t]
			if !ok {
				next = -1
			}
			p.expOf[t] = int32(len(p.expAt))
			p.expAt = append(p.expAt, expRef{int32(k), int32(j), next})
		}
		p.cws[k] = ne.cws
		p.lists[k] = ne.lists
	}
	p.bestV = grown(p.bestV, len(p.need))
	p.bestJ = grown(p.bestJ, len(p.need))
	p.bestT = grown(p.bestT, len(p.need))
	p.bestH = grown(p.bestH, len(p.need))
	p.bestE = grown(p.bestE, len(p.need))
	p.wordList = p.wordList[:0]
	for w := range p.words {
		p.wordList = append(p.wordList, w)
	}
	slices.Sort(p.wordList)
	p.idfs = grown(p.idfs, len(p.wordList))
	p.wordNums = grown(p.wordNums, len(p.wordList))
	p.idfSum = 0
	for k, w := range p.wordList {
		n, ok := x.wordNum[w]
		if !ok {
			n = -1
		}
		p.wordNums[k] = n
		p.idfs[k] = x.idf(x.wordPost(w).df())
		p.idfSum += p.idfs[k]
		if n >= 0 {
			p.expWords = append(p.expWords, expWord{n, p.idfs[k]})
		}
	}
	sortExpWords(p.expWords)
	p.expBest = grown(p.expBest, len(p.need))
}

// recipLists are the request lists an offered term answers: those of the
// terms close to it (similarity 0.7 or more) that some candidate requests.
type recipLists struct {
	gen   uint64 // x.reqGen when made
	lists []*postings[uint16]
}

// recipLists returns, for an offered term, the request lists the first
// pass walks for reciprocity; they are kept with the term's number, and
// worked out each time for a term no candidate holds. Callers hold the
// read lock.
func (x *Index) recipLists(term string) []*postings[uint16] {
	n, numbered := x.termNum[term]
	if numbered {
		if r := x.recip[n].Load(); r != nil && r.gen == x.reqGen {
			return r.lists
		}
	}
	r := &recipLists{gen: x.reqGen}
	for _, e := range x.expand(term) {
		if pl := x.reqPost[e.TermID]; e.Sim >= 0.7 && pl != nil {
			r.lists = append(r.lists, pl)
		}
	}
	if numbered {
		x.recip[n].Store(r)
	}
	return r.lists
}

// bucketsOf lists the kind buckets a query's candidates can be in.
func bucketsOf(kinds []profilesv1.OrganizationKind) []int {
	var out []int
	for b := range kindBuckets {
		if len(kinds) == 0 || slices.ContainsFunc(kinds, func(k profilesv1.OrganizationKind) bool { return bucketOf(k) == b }) {
			out = append(out, b)
		}
	}
	return out
}

// preselect walks the inverted lists, in the kind buckets the query
// filters on, and gives every candidate they reach a cheap first score in
// s.cells.
func (x *Index) preselect(p *profile, s *scratch, buckets []int) {
	for k := range p.need {
		for j, e := range p.exps[k] {
			cw := e.Sim * p.cws[k][j]
			if x.broadTerm(cw, p.lists[k][j].df()) {
				continue
			}
			fl := p.lists[k][j].list(x.kinds)
			if fl == nil {
				continue
			}
			for _, b := range buckets {
				for _, e := range fl.bucket(b) {
					s.raise(e.i, float32(cw*float64(e.v)))
				}
			}
		}
		s.takeBest(p.w[FeatOntology] * (p.needW[k] / p.wsum))
	}
	if len(p.wordList) > 0 {
		idfSum := p.idfSum
		avg := x.avgLen()
		for k, n := range p.wordNums {
			if n < 0 {
				continue
			}
			post := x.tokPost[n]
			// Common words only re-rank; walking them costs much and finds little.
			if x.commonWord(post.df()) {
				continue
			}
			wi := p.w[FeatText] * p.idfs[k]
			fl := post.list(x.kinds)
			for _, b := range buckets {
				for _, e := range fl.bucket(b) {
					tf, n := float64(e.v.tf), float64(e.v.length)
					if e.v.length == maxTokLen {
						n = float64(x.lens[e.i])
					}
					s.add(e.i, float32(wi*tf*(bm25K1+1)/(tf+bm25K1*(1-bm25B+bm25B*n/avg))/(1.5*idfSum)))
				}
			}
		}
	}
	for t := range p.offers {
		for _, pl := range x.recipLists(t) {
			fl := pl.list(x.kinds)
			for _, b := range buckets {
				for _, r := range fl.bucket(b) {
					s.add(r.i, float32(p.w[FeatReciprocity]*0.5))
				}
			}
		}
	}
	x.preselectGraph(p, s)
	if w := p.w[FeatActivity]; w > 0 {
		a := x.actives()
		for k, i := range a.cands {
			s.add(i, float32(w*activity(a.n[k])))
		}
	}
}

// preselectGraph reaches the organisations the walk from the seeker
// reached, by their closeness.
func (x *Index) preselectGraph(p *profile, s *scratch) {
	for o, g := range p.graph {
		if i := x.orgCand[o]; i >= 0 && g > 0 {
			s.add(i, float32(p.w[FeatGraph]*g))
		}
	}
}

// commonWord reports whether a word held by df candidates is too common
// for the first pass to walk: more than a quarter of a small index, more
// than 2% of a large one (and never under 1,000). Their share of a score
// is small (their IDF is low) and the full scoring still counts them; on
// 100,000 organisations a single such word would be a list of 10,000.
func (x *Index) commonWord(df int) bool {
	return df > min(x.nCands/4+10, max(x.nCands/50, x.pruneFloor))
}

// broadTerm reports whether the first pass leaves out an expanded term of
// weight w held by df candidates: a weak relation to a term much of a large
// index holds, such as a need's distant broader topic. Like common words,
// it still counts in full scoring; walking it would cost the first pass a
// third of its time for a share of a score under a tenth.
func (x *Index) broadTerm(w float64, df int) bool {
	return w < 0.1 && df > max(x.nCands/50, x.pruneFloor)
}

// candidatePool takes candidates in first-pass order (score, then id) and
// scores them in full until poolSize pass the filters. Only the head of that
// order is needed, so it is selected with a bounded heap rather than by
// sorting everything the first pass reached; the head grows only when the
// filters leave too few in it.
func (x *Index) candidatePool(q Query, p *profile, poolSize int) []scored {
	s := x.scratch.get(len(x.cands))
	defer x.scratch.put(s)
	x.preselect(p, s, bucketsOf(q.Filter.Kinds))
	var pool []scored
	take := func(order []int32) bool {
		for _, i := range order {
			if len(pool) >= poolSize {
				return true
			}
			// The kind filter first, from the dense array: a candidate it
			// drops is never read at all.
			if len(q.Filter.Kinds) > 0 && !slices.Contains(q.Filter.Kinds, x.kinds[i]) {
				continue
			}
			d := x.cands[i]
			if d == nil || x.exclusion(q, p, d) != "" {
				continue
			}
			det := x.score(q, p, d)
			if det.relevance() < minRelevance {
				continue
			}
			pool = append(pool, scored{i, det})
		}
		return len(pool) >= poolSize
	}
	// The first n of the order are the same whatever n is, so a larger head
	// takes on where the smaller one stopped.
	var order []int32
	done := 0
	for _, n := range [...]int{2 * poolSize, 8 * poolSize} {
		n = min(n, len(s.touched))
		if n <= done {
			continue
		}
		order = x.topN(s, n)
		if take(order[done:]) {
			return pool
		}
		done = n
	}
	if len(s.touched) > done {
		// Filters left too few in the head: order the rest too.
		// best is all zeroes between need terms: it marks the head here.
		for _, i := range order {
			s.cells[i].best = 1
		}
		rest := make([]int32, 0, len(s.touched)-done)
		for _, i := range s.touched {
			if s.cells[i].best == 0 {
				rest = append(rest, i)
			}
		}
		for _, i := range order {
			s.cells[i].best = 0
		}
		slices.SortFunc(rest, func(a, b int32) int { return x.comparePre(s, a, b) })
		take(rest)
	}
	return pool
}

// comparePre orders candidates best first by first-pass score, then by id.
func (x *Index) comparePre(s *scratch, a, b int32) int {
	return x.compareEntries(preEntry{s.cells[a].acc, x.idKeys[a], a}, preEntry{s.cells[b].acc, x.idKeys[b], b})
}

// preEntry is a candidate in topN's heap, carrying what orders it so that
// comparisons read the heap alone rather than the score and id arrays.
type preEntry struct {
	v float32
	k idKey
	i int32
}

func (x *Index) compareEntries(a, b preEntry) int {
	if a.v != b.v {
		if a.v > b.v {
			return -1
		}
		return 1
	}
	return x.compareKeys(a.k, b.k, a.i, b.i)
}

// compareIDs orders two candidates by id.
func (x *Index) compareIDs(a, b int32) int { return x.compareKeys(x.idKeys[a], x.idKeys[b], a, b) }

// compareKeys orders candidates a and b by id, given their id keys: the
// ids themselves are read only when the keys tie.
func (x *Index) compareKeys(ka, kb idKey, a, b int32) int {
	switch {
	case ka.hi != kb.hi:
		return cmp.Compare(ka.hi, kb.hi)
	case ka.lo != kb.lo:
		return cmp.Compare(ka.lo, kb.lo)
	}
	return strings.Compare(x.cands[a].ref.ID, x.cands[b].ref.ID)
}

// topN returns the n best of the candidates s touched, best first. The
// n-th best score is found by selection over a copy of the scores; only
// candidates at or above it are then ordered, and only they need their ids
// read, which a large index keeps far apart in memory.
func (x *Index) topN(s *scratch, n int) []int32 {
	if n <= 0 {
		return nil
	}
	s.vals = s.vals[:0]
	for _, i := range s.touched {
		s.vals = append(s.vals, s.cells[i].acc)
	}
	var floor float32
	if n < len(s.vals) {
		floor = s.nthLargest(n)
	}
	h := make([]preEntry, 0, n)
	var ties []preEntry
	for k, i := range s.touched {
		switch v := s.vals[k]; {
		case v > floor:
			h = append(h, preEntry{v, x.idKeys[i], i})
		case v == floor:
			ties = append(ties, preEntry{v, x.idKeys[i], i})
		}
	}
	// Candidates tied at the floor fill the places left, smallest id first.
	slices.SortFunc(ties, x.compareEntries)
	h = append(h, ties[:min(len(ties), n-len(h))]...)
	slices.SortFunc(h, x.compareEntries)
	out := make([]int32, len(h))
	for k, e := range h {
		out[k] = e.i
	}
	return out
}

// nthLargest returns the n-th largest of s.vals (1 <= n <= len(s.vals)),
// all positive. Positive floats order as their bits do, so a histogram of
// the bits' top (exponent and 5 bits of mantissa) finds the range the
// answer is in, and only the scores in that range are selected among.
func (s *scratch) nthLargest(n int) float32 {
	lo, hi := len(s.hist), 0
	for _, v := range s.vals {
		b := int(math.Float32bits(v) >> histShift)
		s.hist[b]++
		lo, hi = min(lo, b), max(hi, b)
	}
	above := 0
	b := hi
	for ; above+int(s.hist[b]) < n; b-- {
		above += int(s.hist[b])
	}
	clear(s.hist[lo : hi+1])
	s.sel = s.sel[:0]
	for _, v := range s.vals {
		if int(math.Float32bits(v)>>histShift) == b {
			s.sel = append(s.sel, v)
		}
	}
	return nthLargest(s.sel, n-above)
}

// nthLargest returns the n-th largest of vs (1 <= n <= len(vs)),
// reordering vs.
func nthLargest(vs []float32, n int) float32 {
	k := n - 1 // index of the answer once vs is in descending order
	lo, hi := 0, len(vs)-1
	for lo < hi {
		// Median of three as the pivot keeps sorted runs linear.
		mid := lo + (hi-lo)/2
		if vs[mid] > vs[lo] {
			vs[mid], vs[lo] = vs[lo], vs[mid]
		}
		if vs[hi] > vs[lo] {
			vs[hi], vs[lo] = vs[lo], vs[hi]
		}
		if vs[mid] > vs[hi] {
			vs[mid], vs[hi] = vs[hi], vs[mid]
		}
		pivot := vs[hi]
		// Three-way partition, descending: > pivot, == pivot, < pivot.
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case vs[i] > pivot:
				vs[lt], vs[i] = vs[i], vs[lt]
				lt++
				i++
			case vs[i] < pivot:
				vs[i], vs[gt] = vs[gt], vs[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return pivot
		}
	}
	return vs[k]
}

func (x *Index) avgLen() float64 {
	if x.nCands == 0 {
		return 1
	}
	return max(1, float64(x.totalLen)/float64(x.nCands))
}

func (x *Index) expand(id string) []Related {
	e := x.ont.Expand(id)
	if len(e) > maxExpansions {
		e = e[:maxExpansions]
	}
	return e
}

// termMatch is the best candidate term for one seeker term.
type termMatch struct {
	need  seekerTerm
	rel   Related
	t     int32 // the candidate term's number
	hit   *termHit
	value float64 // in [0, 1]
	share float64 // weight of the seeker term in the ontology component
}

// reciprocal is a candidate request the seeker can answer.
type reciprocal struct {
	reqTerm, offerTerm string
	reqIDs             []string
	offer              offerTerm
	rel                Related
	value, share       float64
}

// detail is a pair's score with what it is made of.
type detail struct {
	ont, text, recip, evid, compl, region float64
	graph, exper, activity                float64
	total, penalty                        float64
	// History behind the pair: collaborations shared with the seeker,
	// seeker partners the candidate worked with, its collaborations on
	// the topic.
	shared, network, onTopic    int
	matches                     []termMatch
	recips                      []reciprocal
	words                       []string
	termSet                     []int32 // numbers of the matched candidate terms, sorted, for diversity
	evidence                    int     // evidence items behind the matched terms
	sharedCluster, sharedRegion string
	sharedCountry               string
	collab                      []competenciesv1.CollaborationType
	sideText                    string
}

// relevance says whether a candidate is worth suggesting at all: something
// of the need matches it, it is close in the history, or it is among the
// most active (a prior that stands in when the need's words are not the
// ones its collaborations used).
func (d *detail) relevance() float64 {
	return d.ont + d.text + d.recip + d.graph + d.exper + 0.5*d.activity
}

// features lists the components in Feature order.
func (d *detail) features() [NumFeatures]float64 {
	return [NumFeatures]float64{d.ont, d.text, d.recip, d.evid, d.compl, d.region, d.graph, d.exper, d.activity}
}

// score computes every component of one pair exactly. Suggest and Explain
// both use it, so they always agree.
func (x *Index) score(q Query, p *profile, c *cand) *detail {
	det := p.newDetail()
	// Ontology: per need term, the expansion that scores best, the first
	// in expansion order on a tie. The candidate's terms are walked rather
	// than every expansion, as a candidate holds few terms and a query
	// expands to hundreds.
	clear(p.bestV)
	clear(p.bestH)
	for _, ct := range c.terms {
		at, ok := p.expOf[ct.t]
		if !ok {
			continue
		}
		for ; at >= 0; at = p.expAt[at].next {
			r := p.expAt[at]
			v := p.exps[r.k][r.j].Sim * p.cws[r.k][r.j] * float64(ct.strength)
			if v > p.bestV[r.k] || (v > 0 && v == p.bestV[r.k] && r.j < p.bestJ[r.k]) {
				p.bestV[r.k], p.bestJ[r.k], p.bestT[r.k], p.bestH[r.k], p.bestE[r.k] = v, r.j, ct.t, ct.hit, ct.ev
			}
		}
	}
	matched := 0
	for _, h := range p.bestH {
		if h != nil {
			matched++
		}
	}
	if matched > 0 {
		det.matches = p.newMatches(matched)
	}
	for k, t := range p.need {
		h := p.bestH[k]
		if h == nil {
			continue
		}
		share := p.needW[k] / p.wsum
		bm := termMatch{need: t, rel: p.exps[k][p.bestJ[k]], t: p.bestT[k], hit: h, value: p.bestV[k], share: share}
		det.ont += share * bm.value
		det.matches = append(det.matches, bm)
		det.evidence += int(p.bestE[k])
	}
	// Text relevance (BM25, saturated into [0, 1]).
	if len(p.wordList) > 0 {
		var bm25 float64
		idfSum := p.idfSum
		contrib := p.contrib[:0]
		avg := x.avgLen()
		for k, w := range p.wordList {
			idf := p.idfs[k]
			n := p.wordNums[k]
			if n < 0 {
				continue
			}
			f, ok := c.tf(n)
			if !ok {
				continue
			}
			tf := float64(f)
			s := idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(c.length)/avg))
			bm25 += s
			contrib = append(contrib, wordScore{w, s})
		}
		p.contrib = contrib
		if bm25 > 0 {
			det.text = bm25 / (bm25 + 0.5*idfSum)
			slices.SortFunc(contrib, func(a, b wordScore) int {
				if c := cmp.Compare(b.c, a.c); c != 0 {
					return c
				}
				return strings.Compare(a.w, b.w)
			})
			det.words = make([]string, 0, min(4, len(contrib)))
			for _, a := range contrib[:min(4, len(contrib))] {
				det.words = append(det.words, x.shown(a.w))
			}
		}
	}
	// Reciprocity: the candidate's requests against what the seeker offers.
	if len(c.reqTerms) > 0 && len(p.offers) > 0 {
		var rsum float64
		for _, r := range sortedKeys(c.reqTerms) {
			w := 0.4 + 0.6*x.rarity(r)
			rsum += w
			var best reciprocal
			for _, e := range x.expand(r) {
				o, ok := p.offers[e.TermID]
				if !ok {
					continue
				}
				if e.Sim > best.value {
					best = reciprocal{reqTerm: r, offerTerm: e.TermID, reqIDs: c.reqTerms[r], offer: o, rel: e, value: e.Sim, share: w}
				}
			}
			if best.value > 0 {
				det.recips = append(det.recips, best)
			}
		}
		for i := range det.recips {
			det.recips[i].share /= rsum
			det.recip += det.recips[i].share * det.recips[i].value
		}
	}
	// Evidence behind the matched terms.
	det.evid = 1 - math.Exp(-float64(det.evidence)/4)
	// Complementarity.
	if p.org != nil {
		ss, cs := SideOf(p.org.Kind), SideOf(c.kind)
		switch {
		case ss != cs && ss != SideOther && cs != SideOther:
			det.compl = 1
			det.sideText = KindLabel(c.kind)
		case ss == SideResearch && cs == SideResearch:
			det.compl = 0.4
		case ss == SideOther || cs == SideOther:
			det.compl = 0.2
		default:
			det.compl = 0.3
		}
		if slices.Contains(p.partnerKinds, c.kind) {
			det.compl = 1
			det.sideText = KindLabel(c.kind)
		}
		for ct := range p.wantCollab {
			if c.collab[ct] {
				det.collab = append(det.collab, ct)
			}
		}
		slices.Sort(det.collab)
		if len(det.collab) > 0 {
			det.compl = min(1, 0.8*det.compl+0.3)
		}
		// Cluster and region.
		for k, cl := range p.clusters {
			if cl >= 0 && slices.Contains(c.clusters, cl) {
				det.sharedCluster = p.org.Clusters[k]
				break
			}
		}
		switch {
		case det.sharedCluster != "":
			det.region = 1
		case p.nuts2 != 0 && p.nuts2 == c.nuts2:
			det.region, det.sharedRegion = 0.7, c.org.NUTS[:4]
		case p.countryN >= 0 && p.countryN == c.countryN:
			det.region, det.sharedCountry = 0.4, c.org.Country
		}
	}
	// History: closeness in the collaboration graph, experience on the
	// topic, activity.
	if c.ref.Kind == KindOrg {
		det.graph = p.graph[c.orgN]
		if det.graph > 0 {
			det.shared = int(p.partners[c.orgN])
			det.network = x.network(p, c.orgN)
		}
		det.exper, det.onTopic = x.experience(p, c.orgN)
		det.activity = activity(len(x.collabsOf(c.orgN)))
	}
	f := det.features()
	det.total = p.w.dot(&f)
	return det
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

// exclusion says why a candidate may not be suggested to this query, or "".
func (x *Index) exclusion(q Query, p *profile, d *cand) string {
	id := d.ref.ID
	if d.idx == p.selfIdx || d.orgN == p.orgN {
		return "the seeker itself"
	}
	if !x.visible(q.Viewer, d) {
		return "filtered: not visible to you"
	}
	if when, ok := q.Dismissed[id]; ok {
		return "dismissed on " + when
	}
	f := q.Filter
	switch f.CandidateType {
	case matchingv1.CandidateType_CANDIDATE_TYPE_PERSON:
		if d.ref.Kind != KindPerson {
			return "filtered: candidate type"
		}
	case matchingv1.CandidateType_CANDIDATE_TYPE_ANY:
	default:
		if d.ref.Kind != KindOrg {
			return "filtered: candidate type"
		}
	}
	o := d.org
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, d.kind) {
		return "filtered: organization kind"
	}
	if len(f.Sectors) > 0 && !slices.ContainsFunc(o.Sectors, func(s profilesv1.Sector) bool { return slices.Contains(f.Sectors, s) }) {
		return "filtered: sector"
	}
	if len(f.NUTSPrefixes) > 0 && !slices.ContainsFunc(f.NUTSPrefixes, func(pfx string) bool { return strings.HasPrefix(o.NUTS, pfx) }) {
		return "filtered: region"
	}
	if len(f.Countries) > 0 && !slices.Contains(f.Countries, o.Country) {
		return "filtered: country"
	}
	if len(f.Clusters) > 0 && !slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(f.Clusters, c) }) {
		return "filtered: cluster"
	}
	if len(f.CollaborationTypes) > 0 && !slices.ContainsFunc(f.CollaborationTypes, func(c competenciesv1.CollaborationType) bool { return d.collab[c] }) {
		return "filtered: collaboration type"
	}
	if f.MinTRL > 0 && d.maxTRL < f.MinTRL {
		return "filtered: technology readiness below the minimum"
	}
	if len(f.CandidateIDs) > 0 && !slices.Contains(f.CandidateIDs, id) {
		return "filtered: not among the requested candidates"
	}
	if slices.Contains(f.ExcludeIDs, id) {
		return "filtered: excluded by the request"
	}
	if f.EventID != "" && !x.attends(f.EventID, d) {
		return "filtered: not registered for the brokerage event"
	}
	if f.ExcludeExistingPartners && (q.Partners[id] || d.ref.Kind == KindOrg && p.partners[d.orgN] > 0) {
		return "filtered: already a partner"
	}
	return ""
}

// visibilityOf works out a candidate's effective visibility from its
// entities, when its document is made: its visibility after its
// organization's, as a person is never more visible than the organization
// they belong to.
func visibilityOf(d *cand) profilesv1.Visibility {
	o := d.org
	if o == nil {
		return profilesv1.Visibility_VISIBILITY_HIDDEN
	}
	ov := o.Visibility
	if ov == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		ov = profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
	}
	if d.ref.Kind == KindOrg {
		return ov
	}
	pv := d.person.Visibility
	if pv == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		return ov
	}
	// The more restrictive wins; the enum is ordered public < cluster < anonymous < hidden.
	return max(pv, ov)
}

// visible applies visibility: hidden never, cluster-members-only only to
// callers whose organization shares a cluster, anonymous to everyone.
func (x *Index) visible(v Viewer, d *cand) bool {
	switch d.vis {
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return false
	case profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS:
		if v.Admin || v.Org == d.orgID {
			return true
		}
		// The viewer's clusters and its organization's are checked in turn
		// rather than joined: joining allocated once per candidate.
		o := d.org
		if slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(v.Clusters, c) }) {
			return true
		}
		if vo := x.orgs[v.Org]; vo != nil {
			return slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(vo.Clusters, c) })
		}
		return false
	}
	return true
}

// IsNotFound reports whether err is a not-found of the seeker or candidate.
func IsNotFound(err error) bool { return errors.Is(err, grpcerr.ErrNotFound) }
