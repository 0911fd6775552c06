package domain

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Aggregate keys name every aggregate the read model holds, across streams,
// so one version table makes every event idempotent.
func OrgKey(id string) string    { return "org:" + id }
func PersonKey(id string) string { return "person:" + id }
func CompKey(id string) string   { return "comp:" + id }
func CoopKey(id string) string   { return "coop:" + id }

// termHit is one term a candidate holds, merged over its competencies and
// offers.
type termHit struct {
	term     string
	strength float32
	comps    []string // competency ids behind it
	coops    []string // offer ids behind it
	collabs  int32    // collaborations about it
	evidence [7]int32
}

// candTerm is a term a candidate holds, by the index's number for it,
// with its strength next to it: scoring reads both for every candidate it
// scores, and neither needs the term's name.
type candTerm struct {
	t        int32
	strength float32
	ev       int32 // evidence items behind it, all kinds
	hit      *termHit
}

// candWord is a word of a candidate's text, by the index's number for it,
// with its frequency there.
type candWord struct {
	w  int32
	tf uint16
}

// cand is a candidate's document: everything scoring reads, derived from
// the entities whenever one of them changes.
type cand struct {
	ref   Ref
	orgID string
	idx   int32 // the candidate's index
	// orgN and clusters are the organization and its clusters by number,
	// so that a query compares numbers rather than reads names.
	orgN     int32
	clusters []int32
	// What filters and scoring read of the organization (and the person),
	// copied here so that a candidate is decided without reading its
	// organization: visibility after the organization's, kind, the NUTS-2
	// prefix as nutsPrefix makes it, the country by number (-1 for none).
	vis      profilesv1.Visibility
	kind     profilesv1.OrganizationKind
	nuts2    uint64
	countryN int32
	// org and person are the entities behind the candidate, so filters
	// and visibility need no map lookups; any change to either rebuilds
	// the document, which keeps them current.
	org      *Org
	person   *Person
	terms    []candTerm          // sorted by term number
	reqTerms map[string][]string // term -> request ids of the candidate
	offers   []*Coop
	requests []*Coop
	collab   map[competenciesv1.CollaborationType]bool
	maxTRL   int32
	tokens   []candWord // sorted by word number
	length   int
	// nameTokens tell near-duplicates of one institution apart from others.
	// They are word numbers, sorted.
	nameTokens []int32
}

// Index is one replica's in-memory read model. It applies changes
// idempotently by aggregate version and keeps the inverted indexes that
// scoring walks. It is safe for concurrent use.
type Index struct {
	mu  sync.RWMutex
	ont Ontology

	versions map[string]int64 // removed aggregates keep their version: a late, older event changes nothing
	orgs     map[string]*Org
	people   map[string]*Person
	comps    map[string]*Competency
	coops    map[string]*Coop
	held     map[Ref]map[string]struct{} // holder -> aggregate keys of its competencies and profiles
	staff    map[string]map[string]struct{}

	// Brokerage events: registrations change who may be suggested for an
	// event, never a candidate's document.
	participants map[string]*Participant
	attendees    map[string]map[Ref]int // event -> registered profile -> registrations
	events       map[string]*BrokerageEvent
	eventsSeen   map[string]struct{}

	// Collaboration history: who worked with whom, on what (history.go).
	collabs    map[string]*Collaboration
	orgCollabs map[string]map[string]struct{} // organisation -> its collaborations
	histGen    uint64                         // counts changes to the history
	colDocs    map[string]*collabDoc          // collaboration -> what scoring reads of it
	orgCols    [][]*collabDoc                 // organisation number -> its collaborations, by id
	orgCand    []int32                        // organisation number -> its candidate index, -1 for none
	weights    atomic.Pointer[Weights]        // for queries without a need
	answers    *answers                       // kept answers, valid for one epoch of the index
	walks      walks                          // the walk from each recent seeker, valid for one histGen
	active     atomic.Pointer[activeList]
	activeMu   sync.Mutex

	cands   []*cand
	scratch scratches
	lens    []int32                       // document length per candidate, dense for the first pass
	idKeys  []idKey                       // id prefix per candidate, for tie-breaks without chasing pointers
	kinds   []profilesv1.OrganizationKind // organisation kind per candidate, for the commonest filter
	byRef   map[Ref]int32
	free    []int32
	// Terms are numbered as candidates first hold them; the numbers are
	// never reused, and the vocabulary bounds them.
	termNum map[string]int32
	// Organizations, clusters and countries are numbered too.
	orgNum     map[string]int32
	clusterNum map[string]int32
	countryNum map[string]int32
	post       []*postings[float32]          // term number -> candidate -> strength
	numbered   sync.Map                      // term -> *numbered, its expansion by number
	gen        uint64                        // counts statistics snapshots and terms numbered: what numbered entries are valid for
	slotGen    uint64                        // counts candidates added and removed: what the active list is valid for
	reqPost    map[string]*postings[uint16]  // request term -> candidate -> 1
	reqGen     uint64                        // counts changes to which terms reqPost holds
	recip      []*atomic.Pointer[recipLists] // term number -> the request lists it answers
	// Words are numbered like terms.
	wordNum  map[string]int32
	wordName []string
	surface  map[string]string     // stem -> the first word seen for it, for explanations
	tokPost  []*postings[tokenHit] // word number -> candidate -> frequency and document length
	totalLen int64
	nCands   int

	dirty map[Ref]struct{}

	// st is the snapshot of the corpus statistics scoring reads (stats.go);
	// the pending marks name the words and terms whose counts moved since,
	// and drift counts the documents changed since.
	st                 corpusStats
	wordPend, termPend pending
	drift              int
	driftShare         int

	// pruneFloor is the fewest candidates a word or term must reach before
	// the first pass may leave it out (see commonWord and broadTerm).
	pruneFloor int
}

// NewIndex returns an empty read model scored with ont.
func NewIndex(ont Ontology) *Index {
	x := &Index{
		ont:      ont,
		versions: map[string]int64{},
		orgs:     map[string]*Org{},
		people:   map[string]*Person{},
		comps:    map[string]*Competency{},
		coops:    map[string]*Coop{},
		held:     map[Ref]map[string]struct{}{},
		staff:    map[string]map[string]struct{}{},

		participants: map[string]*Participant{},
		attendees:    map[string]map[Ref]int{},
		events:       map[string]*BrokerageEvent{},
		eventsSeen:   map[string]struct{}{},
		collabs:      map[string]*Collaboration{},
		orgCollabs:   map[string]map[string]struct{}{},
		colDocs:      map[string]*collabDoc{},
		byRef:        map[Ref]int32{},
		termNum:      map[string]int32{},
		orgNum:       map[string]int32{},
		clusterNum:   map[string]int32{},
		countryNum:   map[string]int32{},
		reqPost:      map[string]*postings[uint16]{},
		wordNum:      map[string]int32{},
		surface:      map[string]string{},
		dirty:        map[Ref]struct{}{},
		pruneFloor:   1000,
		driftShare:   statsDriftShare,
		answers:      newAnswers(),
	}
	x.SetWeights(DefaultWeights)
	return x
}

// Change is one aggregate's new state: exactly one of the pointers is set,
// or none with Removed for a removal.
type Change struct {
	Key     string // aggregate key (OrgKey, ...)
	Version int64
	Org     *Org
	Person  *Person
	Comp    *Competency
	Coop    *Coop
	// Participant and Event come from the meetings service.
	Participant *Participant
	Event       *BrokerageEvent
	// Collab is a collaboration of the history (CollabKey).
	Collab  *Collaboration
	Removed bool
	// Purge removes regardless of version and keeps the version held: an
	// erasure removes what the erased holder held, and the removal must
	// stay even if an older event of it is replayed.
	Purge bool
}

// Version returns the version the index holds for an aggregate key (0 when
// never seen).
func (x *Index) Version(key string) int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.versions[key]
}

// Apply applies changes in order and reports how many were newer than what
// the index held. Replaying changes already applied changes nothing.
func (x *Index) Apply(changes ...Change) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	docsOnly := true
	for _, c := range changes {
		if x.applyOne(c) {
			n++
			if kind, _ := splitKey(c.Key); !docKinds[kind] {
				docsOnly = false
			}
		}
	}
	slots := x.slotGen
	refs, cands := x.flush()
	x.drift += len(refs)
	if !docsOnly || x.slotGen != slots || x.statsDue() {
		// Anything else (the history, events, candidates added or
		// removed) may move every answer: the statistics are taken again
		// with it.
		x.takeStats()
		x.answers.changed()
		return n
	}
	x.answers.changedDocs(refs, cands)
	return n
}

// docKinds are the aggregates whose changes reach only the documents of
// their holders (and those holders' organisations and people).
var docKinds = map[string]bool{"org": true, "person": true, "comp": true, "coop": true}

// HeldBy lists the aggregate keys of the competencies and cooperation
// profiles held by ref, so an erasure can remove them too.
func (x *Index) HeldBy(ref Ref) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.held[ref]))
	for k := range x.held[ref] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (x *Index) applyOne(c Change) bool {
	if c.Purge {
		c.Removed = true
		c.Version = x.versions[c.Key]
	} else if c.Version <= x.versions[c.Key] {
		return false
	}
	x.versions[c.Key] = c.Version
	kind, id := splitKey(c.Key)
	switch kind {
	case "org":
		if c.Removed || c.Org == nil {
			delete(x.orgs, id)
		} else {
			x.orgs[id] = c.Org
		}
		x.markOrg(id)
	case "person":
		if old := x.people[id]; old != nil {
			x.unlinkPerson(old)
		}
		if c.Removed || c.Person == nil {
			delete(x.people, id)
		} else {
			x.people[id] = c.Person
			s := x.staff[c.Person.OrgID]
			if s == nil {
				s = map[string]struct{}{}
				x.staff[c.Person.OrgID] = s
			}
			s[id] = struct{}{}
			x.markPerson(c.Person)
		}
	case "comp":
		if old := x.comps[id]; old != nil {
			x.unhold(old.Holder, c.Key)
		}
		if c.Removed || c.Comp == nil {
			delete(x.comps, id)
		} else {
			x.comps[id] = c.Comp
			x.hold(c.Comp.Holder, c.Key)
		}
	case "coop":
		if old := x.coops[id]; old != nil {
			x.unhold(old.Holder, c.Key)
		}
		if c.Removed || c.Coop == nil {
			delete(x.coops, id)
		} else {
			x.coops[id] = c.Coop
			x.hold(c.Coop.Holder, c.Key)
		}
	case "participant":
		x.applyParticipant(id, c)
	case "event":
		x.applyEvent(id, c)
	case "collab":
		x.applyCollab(id, c)
	default:
		return false
	}
	return true
}

func splitKey(k string) (kind, id string) {
	for i := 0; i < len(k); i++ {
		if k[i] == ':' {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

func (x *Index) unlinkPerson(p *Person) {
	if s := x.staff[p.OrgID]; s != nil {
		delete(s, p.ID)
		if len(s) == 0 {
			delete(x.staff, p.OrgID)
		}
	}
	x.markPerson(p)
}

func (x *Index) hold(r Ref, key string) {
	s := x.held[r]
	if s == nil {
		s = map[string]struct{}{}
		x.held[r] = s
	}
	s[key] = struct{}{}
	x.markRef(r)
}

func (x *Index) unhold(r Ref, key string) {
	if s := x.held[r]; s != nil {
		delete(s, key)
		if len(s) == 0 {
			delete(x.held, r)
		}
	}
	x.markRef(r)
}

func (x *Index) markRef(r Ref) {
	if r.Kind == KindOrg {
		x.markOrg(r.ID)
		return
	}
	x.dirty[r] = struct{}{}
	if p := x.people[r.ID]; p != nil {
		x.dirty[OrgRef(p.OrgID)] = struct{}{}
	}
}

func (x *Index) markPerson(p *Person) {
	x.dirty[PersonRef(p.ID)] = struct{}{}
	x.dirty[OrgRef(p.OrgID)] = struct{}{}
}

func (x *Index) markOrg(id string) {
	x.dirty[OrgRef(id)] = struct{}{}
	for pid := range x.staff[id] {
		x.dirty[PersonRef(pid)] = struct{}{}
	}
}

// flush rebuilds the documents of every candidate touched since the last
// flush, and returns their refs and the indexes of those still candidates.
func (x *Index) flush() (refs []Ref, cands []int32) {
	for r := range x.dirty {
		x.rebuild(r)
		refs = append(refs, r)
		if i, ok := x.byRef[r]; ok {
			cands = append(cands, i)
		}
	}
	clear(x.dirty)
	return refs, cands
}

func (x *Index) rebuild(r Ref) {
	if i, ok := x.byRef[r]; ok {
		x.unpost(i)
	}
	doc := x.document(r)
	if r.Kind == KindOrg {
		x.setOrgCand(r.ID, doc)
	}
	if doc == nil {
		if i, ok := x.byRef[r]; ok {
			x.cands[i] = nil
			delete(x.byRef, r)
			x.free = append(x.free, i)
			x.nCands--
			x.slotGen++
		}
		return
	}
	i, ok := x.byRef[r]
	if !ok {
		if n := len(x.free); n > 0 {
			i, x.free = x.free[n-1], x.free[:n-1]
		} else {
			i = int32(len(x.cands))
			x.cands = append(x.cands, nil)
			x.lens = append(x.lens, 0)
			x.idKeys = append(x.idKeys, idKey{})
			x.kinds = append(x.kinds, 0)
		}
		x.byRef[r] = i
		x.nCands++
		x.slotGen++
	}
	doc.idx = i
	if r.Kind == KindOrg {
		x.orgCand[doc.orgN] = i
	}
	x.cands[i] = doc
	x.lens[i] = int32(doc.length)
	x.idKeys[i] = idKeyOf(r.ID)
	x.kinds[i] = doc.org.Kind
	x.postDoc(i, doc)
}

func (x *Index) unpost(i int32) {
	d := x.cands[i]
	if d == nil {
		return
	}
	for _, ct := range d.terms {
		x.post[ct.t].remove(i)
		x.termPend.mark(ct.t)
	}
	for t := range d.reqTerms {
		if m := x.reqPost[t]; m != nil {
			m.remove(i)
			if len(m.m) == 0 {
				delete(x.reqPost, t)
				x.reqGen++
			}
		}
	}
	for _, cw := range d.tokens {
		x.tokPost[cw.w].remove(i)
		x.wordPend.mark(cw.w)
	}
	x.totalLen -= int64(d.length)
}

func (x *Index) postDoc(i int32, d *cand) {
	for _, ct := range d.terms {
		x.post[ct.t].set(i, ct.strength)
		x.termPend.mark(ct.t)
	}
	for t := range d.reqTerms {
		m := x.reqPost[t]
		if m == nil {
			m = newPostings[uint16]()
			x.reqPost[t] = m
			x.reqGen++
		}
		m.set(i, 1)
	}
	for _, cw := range d.tokens {
		x.tokPost[cw.w].set(i, tokenHit{cw.tf, uint16(min(d.length, maxTokLen))})
		x.wordPend.mark(cw.w)
	}
	x.totalLen += int64(d.length)
}

// document derives a candidate's document, or nil when r is no candidate
// (unknown, or its organization is unknown).
func (x *Index) document(r Ref) *cand {
	var holders []Ref
	var texts []string
	var name string
	hits := map[string]*termHit{}
	hit := func(t string) *termHit {
		h := hits[t]
		if h == nil {
			h = &termHit{term: t}
			hits[t] = h
		}
		return h
	}
	d := &cand{ref: r}
	switch r.Kind {
	case KindOrg:
		o := x.orgs[r.ID]
		if o == nil {
			return nil
		}
		d.orgID, d.org = o.ID, o
		name = o.Name + " " + o.ShortName
		texts = append(texts, o.Description)
		holders = append(holders, r)
		for _, pid := range sortedKeys(x.staff[r.ID]) {
			if p := x.people[pid]; p != nil && p.Visibility != profilesv1.Visibility_VISIBILITY_HIDDEN {
				holders = append(holders, PersonRef(pid))
			}
		}
	case KindPerson:
		p := x.people[r.ID]
		if p == nil || x.orgs[p.OrgID] == nil {
			return nil
		}
		d.orgID, d.org, d.person = p.OrgID, x.orgs[p.OrgID], p
		name = d.org.Name
		texts = append(texts, p.Bio)
		holders = append(holders, r)
	}
	if r.Kind == KindOrg {
		texts = x.historyOf(r.ID, hit, texts)
	}
	for _, h := range holders {
		for _, key := range sortedKeys(x.held[h]) {
			kind, id := splitKey(key)
			switch kind {
			case "comp":
				c := x.comps[id]
				if c == nil {
					continue
				}
				hit := hit(c.TermID)
				hit.strength = max(hit.strength, levelStrength(c.Level))
				hit.comps = append(hit.comps, c.ID)
				for k, n := range c.Evidence {
					hit.evidence[k] += n
				}
				texts = append(texts, c.Label, c.Description)
			case "coop":
				c := x.coops[id]
				if c == nil || !c.Matchable() {
					continue
				}
				texts = append(texts, c.Title, c.Summary, c.Description, c.PartnerSought)
				for _, ct := range c.CollaborationTypes {
					if d.collab == nil {
						d.collab = map[competenciesv1.CollaborationType]bool{}
					}
					d.collab[ct] = true
				}
				if c.IsOffer() {
					d.offers = append(d.offers, c)
					d.maxTRL = max(d.maxTRL, c.TRL)
					for _, t := range c.TermIDs {
						hit := hit(t)
						hit.strength = 1
						hit.coops = append(hit.coops, c.ID)
						texts = append(texts, x.ont.Label(t))
					}
				} else {
					d.requests = append(d.requests, c)
					for _, t := range c.TermIDs {
						if d.reqTerms == nil {
							d.reqTerms = map[string][]string{}
						}
						d.reqTerms[t] = append(d.reqTerms[t], c.ID)
					}
				}
			}
		}
	}
	tfs := map[string]uint16{}
	for _, t := range texts {
		words(t, func(w, surface string) {
			if tfs[w] < 65535 {
				tfs[w]++
			}
			d.length++
			if _, ok := x.surface[w]; !ok {
				x.surface[w] = surface
			}
		})
	}
	d.tokens = make([]candWord, 0, len(tfs))
	for w, f := range tfs {
		d.tokens = append(d.tokens, candWord{x.wordNumber(w), f})
	}
	slices.SortFunc(d.tokens, func(a, b candWord) int { return int(a.w - b.w) })
	for _, w := range significantNameTokens(name) {
		d.nameTokens = append(d.nameTokens, x.wordNumber(w))
	}
	slices.Sort(d.nameTokens)
	d.terms = make([]candTerm, 0, len(hits))
	for t, h := range hits {
		var ev int32
		for _, n := range h.evidence {
			ev += n
		}
		d.terms = append(d.terms, candTerm{x.number(t), h.strength, ev, h})
	}
	slices.SortFunc(d.terms, func(a, b candTerm) int { return int(a.t - b.t) })
	d.orgN = numberOf(x.orgNum, d.orgID)
	d.vis = visibilityOf(d)
	d.kind = d.org.Kind
	d.nuts2 = nutsPrefix(d.org.NUTS)
	d.countryN = -1
	if knownCountry(d.org.Country) {
		d.countryN = numberOf(x.countryNum, d.org.Country)
	}
	for _, cl := range d.org.Clusters {
		d.clusters = append(d.clusters, numberOf(x.clusterNum, cl))
	}
	return d
}

// nutsPrefix packs the first four bytes of a NUTS code (its NUTS-2
// region) into a number, 0 for a code shorter than that.
func nutsPrefix(nuts string) uint64 {
	if len(nuts) < 4 || !knownCountry(nuts[:2]) {
		return 0
	}
	return 1<<32 | uint64(nuts[0])<<24 | uint64(nuts[1])<<16 | uint64(nuts[2])<<8 | uint64(nuts[3])
}

// knownCountry reports whether a country code names a country: empty and
// the user-assigned "ZZ" (unknown) never make two organisations neighbours.
func knownCountry(cc string) bool {
	return len(cc) == 2 && !strings.EqualFold(cc, "ZZ")
}

// numberOf returns name's number in m, giving it the next one when it has
// none. Callers hold the write lock.
func numberOf(m map[string]int32, name string) int32 {
	n, ok := m[name]
	if !ok {
		n = int32(len(m))
		m[name] = n
	}
	return n
}

// lookupNumber returns name's number in m, or -1.
func lookupNumber(m map[string]int32, name string) int32 {
	if n, ok := m[name]; ok {
		return n
	}
	return -1
}

// number returns the term's number, giving it one (and a posting list)
// when it has none. Callers hold the write lock.
func (x *Index) number(term string) int32 {
	n := numberOf(x.termNum, term)
	if int(n) == len(x.post) {
		x.gen++ // an expansion may hold the term, unnumbered until now
		x.post = append(x.post, newPostings[float32]())
		x.recip = append(x.recip, &atomic.Pointer[recipLists]{})
	}
	return n
}

// wordNumber returns the word's number, giving it one (and a posting list)
// when it has none. Callers hold the write lock.
func (x *Index) wordNumber(word string) int32 {
	n := numberOf(x.wordNum, word)
	if int(n) == len(x.wordName) {
		x.wordName = append(x.wordName, word)
		x.tokPost = append(x.tokPost, newPostings[tokenHit]())
	}
	return n
}

// wordPost returns the posting list of a word, nil when no candidate ever
// used it.
func (x *Index) wordPost(word string) *postings[tokenHit] {
	if n, ok := x.wordNum[word]; ok {
		return x.tokPost[n]
	}
	return nil
}

// tf is how often the word numbered w occurs in the candidate's text.
func (c *cand) tf(w int32) (uint16, bool) {
	// A plain binary search: scoring does this for every query word of
	// every candidate it scores, and the generic one calls a function per
	// step.
	lo, hi := 0, len(c.tokens)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.tokens[m].w < w {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(c.tokens) && c.tokens[lo].w == w {
		return c.tokens[lo].tf, true
	}
	return 0, false
}

// genericNameWords say nothing about which institution a name is.
var genericNameWords = map[string]bool{
	"university": true, "universita": true, "institute": true, "istituto": true, "of": true, "the": true,
	"for": true, "and": true, "research": true, "center": true, "centre": true, "national": true,
	"department": true, "di": true, "degli": true, "studi": true, "group": true, "lab": true,
	"laboratory": true, "srl": true, "spa": true, "ltd": true, "gmbh": true, "inc": true,
	"foundation": true, "fondazione": true, "science": true, "sciences": true, "elixir": true,
}

func significantNameTokens(name string) []string {
	var out []string
	for _, w := range Tokens(name) {
		if !genericNameWords[w] && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Counts returns how many organizations, people, competencies and
// cooperation profiles the index holds.
func (x *Index) Counts() (orgs, people, comps, coops int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.orgs), len(x.people), len(x.comps), len(x.coops)
}

// Org returns an organization held by the index.
func (x *Index) Org(id string) (*Org, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	o, ok := x.orgs[id]
	return o, ok
}

// Person returns a person held by the index.
func (x *Index) Person(id string) (*Person, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, ok := x.people[id]
	return p, ok
}

// Coop returns a cooperation profile held by the index.
func (x *Index) Coop(id string) (*Coop, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c, ok := x.coops[id]
	return c, ok
}

// FindOrgs returns the ids of organizations whose name or short name is
// name, case-insensitively, for the CLI's --organization NAME.
func (x *Index) FindOrgs(name string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for id, o := range x.orgs {
		if strings.EqualFold(o.Name, name) || (o.ShortName != "" && strings.EqualFold(o.ShortName, name)) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
