package domain

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

type origin int

const (
	fromNeed origin = iota + 1
	fromRequest
	fromOffer
	fromCompetency
	fromHistory
)

// ownWords is how many of its most distinctive words a seeker looks for,
// beside a need's words when it states one.
const ownWords = 15

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
	dfs      [][]int                // the statistics' count of candidates holding each expanded term
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
	gv       []float64 // by organisation number; zero outside the walk
	gt       []int32   // the entries of gv set
	wa, wb   []float64 // the walk's steps, all zero between queries
	wta, wtb []int32
	partners map[int32]int32
	walked   *walked // the walk as kept, nil when the seeker has no history
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
		expOf: map[int32]int32{}, seen: map[string]int{}, partners: map[int32]int32{}}
}}

// release hands p back to the pool. Nothing of p may be referenced after
// it: resolved goes into the response, so it is never reused.
func (p *profile) release() {
	for _, o := range p.gt {
		p.gv[o] = 0
	}
	*p = profile{
		need: p.need[:0], offers: p.offers, words: p.words, requests: p.requests[:0], wantCollab: p.wantCollab,
		partnerKinds: p.partnerKinds[:0], needW: p.needW[:0], exps: p.exps[:0], cws: p.cws[:0], lists: p.lists[:0],
		wordList: p.wordList[:0], wordNums: p.wordNums[:0], idfs: p.idfs[:0], expOf: p.expOf, expAt: p.expAt[:0], bestV: p.bestV[:0], bestJ: p.bestJ[:0], bestT: p.bestT[:0], bestE: p.bestE[:0], clusters: p.clusters[:0],
		bestH: p.bestH[:0], contrib: p.contrib[:0], seen: p.seen,
		dets: p.dets[:0], matches: p.matches[:0],
		gv: p.gv, gt: p.gt[:0], wa: p.wa, wb: p.wb, wta: p.wta[:0], wtb: p.wtb[:0], partners: p.partners, expWords: p.expWords[:0], expBest: p.expBest[:0], calls: p.calls[:0],
	}
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
	clear(p.dfs[:cap(p.dfs)])
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
	// The seeker's own profile and history always count in full, with
	// a need or without: a need adds what it names to them (it refines
	// the profile, it never replaces it), and the ranking is scored with
	// the same weights either way.
	p.hasNeed = len(p.need) > 0 || len(p.words) > 0
	for _, c := range coops {
		if c.IsOffer() {
			for _, t := range c.TermIDs {
				addNeed(seekerTerm{id: t, weight: 0.8, origin: fromOffer, coopID: c.ID, title: c.Title})
			}
			if !p.hasNeed {
				p.addWords(c.Title+" "+c.Summary, 1)
			}
		}
	}
	for _, c := range comps {
		addNeed(seekerTerm{id: c.TermID, weight: 0.7 * float64(levelStrength(c.Level)) * (1 + evidenceBoost(c.Evidence)), origin: fromCompetency, title: c.Label})
	}
	if p.selfIdx >= 0 && x.cands[p.selfIdx] != nil {
		self := x.cands[p.selfIdx]
		if p.self.Kind == KindOrg && onlyCoop == nil {
			// What its collaborations were about.
			for _, ct := range self.terms {
				if h := ct.hit; h.collabs > 0 && len(h.comps) == 0 && len(h.coops) == 0 {
					addNeed(seekerTerm{id: h.term, weight: 0.7 * float64(ct.strength) * (1 + math.Log1p(float64(h.collabs))/4), origin: fromHistory})
				}
			}
		}
		// Its own words go beside a need's words; a need of chosen terms
		// alone is read as exactly those.
		chosenOnly := len(q.Need.Terms) > 0 && strings.TrimSpace(q.Need.Text) == ""
		if !chosenOnly && (len(p.words) == 0 || p.hasNeed && onlyCoop == nil) {
			x.topWords(p, self)
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

// topWords adds the seeker's ownWords most distinctive words to its text
// query, alone or beside a need's words.
func (x *Index) topWords(p *profile, d *cand) {
	type ws struct {
		w string
		s float64
	}
	var all []ws
	for _, cw := range d.tokens {
		all = append(all, ws{x.wordName[cw.w], float64(cw.tf) * x.idf(x.wordDF(cw.w))})
	}
	slices.SortFunc(all, func(a, b ws) int { return cmp.Or(cmp.Compare(b.s, a.s), strings.Compare(a.w, b.w)) })
	for _, a := range all[:min(len(all), ownWords)] {
		if _, ok := p.words[a.w]; !ok {
			p.words[a.w] = 1
		}
	}
}

func (x *Index) idf(df int) float64 {
	n := float64(x.st.nCands)
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// rarity is in [0, 1]: high for terms few candidates hold and for specific
// terms of the vocabulary.
func (x *Index) rarity(term string) float64 { return x.rarityOf(term, x.termDFOf(term)) }

func (x *Index) rarityOf(term string, termDF int) float64 {
	return x.rarityFrom(x.ont.InformationContent(term), termDF, math.Log(float64(x.st.nCands)+1))
}

// rarityFrom is rarityOf from the term's information content, with
// logN = ln(candidates + 1) worked out by the caller.
func (x *Index) rarityFrom(ic float64, termDF int, logN float64) float64 {
	n := float64(x.st.nCands)
	df := float64(termDF)
	idfNorm := 1.0
	if n > 1 {
		idfNorm = math.Log((n+1)/(df+1)) / logN
	}
	return 0.5*ic + 0.5*idfNorm
}

func (x *Index) needWeight(t seekerTerm) float64 { return t.weight * (0.4 + 0.6*x.rarity(t.id)) }

func (x *Index) candTermWeight(term string) float64 {
	return x.candTermWeightOf(term, x.termDFOf(term))
}

func (x *Index) candTermWeightOf(term string, df int) float64 { return 0.6 + 0.4*x.rarityOf(term, df) }

// numbered is a term's expansion as the index numbers it, with the weight
// of each expanded term: what prepare would otherwise look up by name and
// work out, term by term, on every query. It holds until the statistics
// are taken again or a term is numbered; entries are never changed once
// stored, so queries share them.
type numbered struct {
	gen   uint64  // the index generation it was made in
	nums  []int32 // -1 where no candidate ever held the term
	lists []*postings[float32]
	cws   []float64 // candTermWeight of each expanded term
	dfs   []int     // the statistics' count of candidates holding each
}

// numberedExpansion returns exp, the expansion of term, as numbers,
// posting lists and weights. Callers hold the read lock.
func (x *Index) numberedExpansion(term string, exp []Related) *numbered {
	if v, ok := x.numbered.Load(term); ok {
		if ne := v.(*numbered); ne.gen == x.gen {
			return ne
		}
	}
	ne := &numbered{gen: x.gen, nums: make([]int32, len(exp)), lists: make([]*postings[float32], len(exp)), cws: make([]float64, len(exp)), dfs: make([]int, len(exp))}
	logN := math.Log(float64(x.st.nCands) + 1)
	for j, e := range exp {
		t, ok := x.termNum[e.TermID]
		if ok {
			ne.nums[j], ne.lists[j] = t, x.post[t]
		} else {
			ne.nums[j] = -1
		}
		ne.dfs[j] = x.termDF(ne.nums[j])
		ne.cws[j] = 0.6 + 0.4*x.rarityFrom(e.IC, ne.dfs[j], logN)
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
	p.dfs = grown(p.dfs, len(p.need))
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
		p.dfs[k] = ne.dfs
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
		p.idfs[k] = x.idf(x.wordDF(n))
		p.idfSum += p.idfs[k]
		if n >= 0 {
			p.expWords = append(p.expWords, expWord{n, p.idfs[k]})
		}
	}
	sortExpWords(p.expWords)
	p.expBest = grown(p.expBest, len(p.need))
}

func (x *Index) avgLen() float64 {
	if x.st.nCands == 0 {
		return 1
	}
	return max(1, float64(x.st.totalLen)/float64(x.st.nCands))
}

func (x *Index) expand(id string) []Related {
	e := x.ont.Expand(id)
	if len(e) > maxExpansions {
		e = e[:maxExpansions]
	}
	return e
}
