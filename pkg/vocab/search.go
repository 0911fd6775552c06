package vocab

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// MatchKind says how a query matched a term.
type MatchKind int

// Kinds of match, from the strongest.
const (
	MatchExact       MatchKind = iota + 1 // the id or the exact label
	MatchLabelPrefix                      // a prefix of the label or of its words
	MatchSynonym                          // a synonym, exactly or by prefix
	MatchFuzzy                            // after typo correction
	MatchText                             // words of the definition, or part of a name
)

// Match is one ranked search or resolve result.
type Match struct {
	Term        *Term
	Score       float64 // higher is better; comparable within one result list
	Kind        MatchKind
	MatchedText string // the label or synonym that matched
}

// Options narrow and page a search.
type Options struct {
	Limit    int      // 0 means 10
	Offset   int      // results to skip, for paging
	Sources  []Source // only these vocabularies; empty means all
	Branches []string // only these branches ("topic", "operation", "C", "local"); empty means all
}

// Search autocompletes q: the best non-obsolete terms whose label or synonym
// starts with q, contains its words as prefixes (in any order), or matches
// them after typo correction.
func (v *Vocabulary) Search(q string, limit int) []Match {
	return v.Query(q, Options{Limit: limit})
}

// Resolve turns free text ("next generation sequencing", "mass spec") into
// ranked candidate terms. Unlike Search it expands known abbreviations and
// accepts terms that cover only part of the text.
func (v *Vocabulary) Resolve(text string, limit int) []Match {
	return v.ResolveWith(text, Options{Limit: limit})
}

// Closest suggests terms for an id or text that names no term, for error
// messages: "EDAM:topic_317" suggests "EDAM:topic_3170", "rna seq" the RNA-Seq terms.
func (v *Vocabulary) Closest(idOrText string, limit int) []Match {
	if limit <= 0 {
		limit = 3
	}
	var out []Match
	seen := map[string]bool{}
	add := func(ms []Match) {
		for _, m := range ms {
			if len(out) < limit && !seen[m.Term.ID] {
				seen[m.Term.ID] = true
				out = append(out, m)
			}
		}
	}
	text := idOrText
	if c := strings.IndexByte(idOrText, ':'); c > 0 {
		prefix := strings.ToUpper(idOrText[:c+1])
		local := idOrText[c+1:]
		switch prefix {
		case PrefixEDAM, PrefixMeSH, PrefixLocal:
			add(v.idNeighbours(prefix+local, limit))
			text = local
		}
	}
	if strings.HasPrefix(text, "topic_") || strings.HasPrefix(text, "operation_") || isMeSHID(text) {
		return out
	}
	add(v.Resolve(strings.ReplaceAll(text, "-", " "), limit))
	return out
}

// idNeighbours finds ids that extend id or are one edit away, so a
// truncated or mistyped id gets the intended term suggested.
func (v *Vocabulary) idNeighbours(id string, limit int) []Match {
	var out []Match
	for i := range v.terms {
		t := &v.terms[i]
		if t.Obsolete || !strings.HasPrefix(t.ID, id[:strings.IndexByte(id, ':')+1]) {
			continue
		}
		if strings.HasPrefix(t.ID, id) || withinDistance(t.ID, id, 1) {
			out = append(out, Match{Term: t, Score: 1, Kind: MatchFuzzy, MatchedText: t.ID})
		}
	}
	// Completions of a truncated id first, then ids one edit away.
	ext := func(m Match) int {
		if strings.HasPrefix(m.Term.ID, id) {
			return 0
		}
		return 1
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmpInt(ext(a), ext(b), cmpInt(len(a.Term.ID), len(b.Term.ID), strings.Compare(a.Term.ID, b.Term.ID)))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func cmpInt(a, b int, then int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return then
}

// name is one searchable string of a term: its label or a synonym.
type name struct {
	term    int32
	text    string
	norm    string // normalized text, for exact links between vocabularies
	compact string
	words   []int32
	label   bool
}

type index struct {
	names     []name
	words     []string // distinct stemmed words, sorted
	wordID    map[string]int32
	postings  [][]int32 // word -> names containing it
	idf       []float64 // word -> inverse document frequency over names
	byCompact []int32   // names ordered by compact form
	compactTo map[string][]int32
	defWords  map[string][]int32 // definition word -> terms
}

func buildIndex(terms []Term) index {
	ix := index{wordID: map[string]int32{}, compactTo: map[string][]int32{}, defWords: map[string][]int32{}}
	wordNames := map[string][]int32{}
	for ti := range terms {
		t := &terms[ti]
		if t.Obsolete {
			continue
		}
		for k, s := range append([]string{t.Label}, t.Synonyms...) {
			n := normalize(s)
			if n == "" {
				continue
			}
			ni := int32(len(ix.names))
			ws := words(n)
			nm := name{term: int32(ti), text: s, norm: n, compact: strings.Join(ws, ""), label: k == 0}
			for _, w := range dedupeStrings(ws) {
				wordNames[w] = append(wordNames[w], ni)
			}
			ix.names = append(ix.names, nm)
			ix.compactTo[nm.compact] = append(ix.compactTo[nm.compact], ni)
		}
		if t.Definition != "" {
			for _, w := range dedupeStrings(words(normalize(t.Definition))) {
				ix.defWords[w] = append(ix.defWords[w], int32(ti))
			}
		}
	}
	ix.words = make([]string, 0, len(wordNames))
	for w := range wordNames {
		ix.words = append(ix.words, w)
	}
	sort.Strings(ix.words)
	ix.postings = make([][]int32, len(ix.words))
	ix.idf = make([]float64, len(ix.words))
	total := float64(len(ix.names))
	for i, w := range ix.words {
		ix.wordID[w] = int32(i)
		ix.postings[i] = wordNames[w]
		ix.idf[i] = math.Log(1 + total/float64(len(wordNames[w])))
		for _, ni := range wordNames[w] {
			ix.names[ni].words = append(ix.names[ni].words, int32(i))
		}
	}
	ix.byCompact = make([]int32, len(ix.names))
	for i := range ix.byCompact {
		ix.byCompact[i] = int32(i)
	}
	slices.SortFunc(ix.byCompact, func(a, b int32) int { return strings.Compare(ix.names[a].compact, ix.names[b].compact) })
	return ix
}

func dedupeStrings(ss []string) []string {
	out := ss[:0]
	for i, s := range ss {
		if !slices.Contains(ss[:i], s) {
			out = append(out, s)
		}
	}
	return out
}

// candidate is the best way one term matched so far.
type candidate struct {
	score float64
	kind  MatchKind
	text  string
}

// collector keeps the best candidate per term in dense arrays indexed by
// term and name, reused across queries through a pool: maps of thousands of
// candidates for short prefixes cost more than the search itself.
type collector struct {
	best    []candidate // by term
	touched []int32     // terms with a candidate
	epoch   uint32
	seen    []uint32 // by name: == epoch when seen in this pass
	acc     []orAcc  // by name, for wordsOR
	accUsed []int32
}

type orAcc struct {
	idf     float64
	matched int32
	fuzzy   bool
}

func (v *Vocabulary) collector() *collector {
	if c, ok := v.pool.Get().(*collector); ok {
		return c
	}
	return &collector{best: make([]candidate, len(v.terms)), seen: make([]uint32, len(v.idx.names)), acc: make([]orAcc, len(v.idx.names))}
}

func (v *Vocabulary) release(c *collector) {
	for _, t := range c.touched {
		c.best[t] = candidate{}
	}
	c.touched = c.touched[:0]
	v.pool.Put(c)
}

// nextPass starts a new set of seen names.
func (c *collector) nextPass() {
	c.epoch++
	if c.epoch == 0 { // wrapped: forget every old mark
		clear(c.seen)
		c.epoch = 1
	}
}

func (c *collector) add(term int32, score float64, kind MatchKind, text string) {
	if score <= 0 {
		return
	}
	cd := &c.best[term]
	if cd.score == 0 {
		c.touched = append(c.touched, term)
	}
	if score > cd.score {
		*cd = candidate{score: score, kind: kind, text: text}
	}
}

func (c *collector) len() int { return len(c.touched) }

// Scores: an exact label beats an exact synonym beats a label prefix, and
// so on; within a band, covering more of the name ranks higher.
const (
	scoreID          = 2000
	scoreExactLabel  = 1000
	scoreExactSyn    = 950
	scorePrefixLabel = 700
	scorePrefixSyn   = 600
	scoreWords       = 500
	scoreText        = 200
	maxPrefixScan    = 5000
)

// Query is Search with filters and paging.
func (v *Vocabulary) Query(q string, o Options) []Match {
	qn := normalize(q)
	if qn == "" {
		return nil
	}
	c := v.collector()
	defer v.release(c)
	if i, ok := v.lookup(strings.TrimSpace(q)); ok && !v.terms[i].Obsolete {
		c.add(i, scoreID, MatchExact, v.terms[i].ID)
	}
	for _, p := range []string{PrefixEDAM, PrefixMeSH} {
		if i, ok := v.byID[p+strings.TrimSpace(q)]; ok && !v.terms[i].Obsolete {
			c.add(i, scoreID, MatchExact, v.terms[i].ID)
		}
	}
	toks := words(qn)
	v.prefixNames(c, strings.Join(toks, ""), 1)
	// One letter is too little to match words by; the whole-name prefix
	// above already lists what starts with it.
	if len(qn) > 1 {
		v.wordsAND(c, toks, true, 1)
	}
	for _, vr := range v.variants(qn)[1:] {
		v.wordsAND(c, words(vr.text), false, 0.9*vr.factor)
	}
	if c.len() < o.Offset+limitOf(o) {
		v.definitionAND(c, words(qn), 1)
	}
	return v.rank(c, o)
}

func limitOf(o Options) int {
	if o.Limit <= 0 {
		return 10
	}
	return o.Limit
}

// prefixNames scores names whose compact form starts with qc: the whole
// name typed so far, whatever its spacing or hyphens.
func (v *Vocabulary) prefixNames(c *collector, qc string, factor float64) {
	if qc == "" {
		return
	}
	ix := &v.idx
	lo := sort.Search(len(ix.byCompact), func(i int) bool { return ix.names[ix.byCompact[i]].compact >= qc })
	for k := lo; k < len(ix.byCompact) && k-lo < maxPrefixScan; k++ {
		nm := &ix.names[ix.byCompact[k]]
		if !strings.HasPrefix(nm.compact, qc) {
			break
		}
		var score float64
		var kind MatchKind
		switch {
		case nm.compact == qc && nm.label:
			score, kind = scoreExactLabel, MatchExact
		case nm.compact == qc:
			score, kind = scoreExactSyn, MatchSynonym
		case nm.label:
			score, kind = scorePrefixLabel, MatchLabelPrefix
		default:
			score, kind = scorePrefixSyn, MatchSynonym
		}
		score += 100 * float64(len(qc)) / float64(len(nm.compact))
		c.add(nm.term, score*factor, kind, nm.text)
	}
}

// wordMatch is how one query word matched one vocabulary word.
type wordMatch struct {
	weight float64
	fuzzy  bool
}

// matchWord finds the vocabulary words a query word stands for: itself,
// words it is a prefix of (when prefix is allowed), and words within a small
// edit distance when it is not a word of the vocabulary.
func (v *Vocabulary) matchWord(t string, prefix bool) map[int32]wordMatch {
	ix := &v.idx
	out := map[int32]wordMatch{}
	exact, isWord := ix.wordID[t]
	if isWord {
		out[exact] = wordMatch{weight: 1}
	}
	hasPrefix := false
	if prefix && (len(t) >= 2 || !isWord) {
		lo := sort.SearchStrings(ix.words, t)
		for k := lo; k < len(ix.words) && k-lo < maxPrefixScan && strings.HasPrefix(ix.words[k], t); k++ {
			if int32(k) != exact {
				out[int32(k)] = wordMatch{weight: 0.5 + 0.4*float64(len(t))/float64(len(ix.words[k]))}
				hasPrefix = true
			}
		}
	}
	if isWord || hasPrefix || len(t) < 4 {
		return out
	}
	k := 1
	if len(t) >= 8 {
		k = 2
	}
	for wi, w := range ix.words {
		if !plausibleTypo(t, w) {
			continue
		}
		switch {
		case withinDistance(t, w, k):
			out[int32(wi)] = wordMatch{weight: 0.6, fuzzy: true}
		case prefix && len(w) > len(t)+1 && withinDistance(t, w[:len(t)], 1):
			out[int32(wi)] = wordMatch{weight: 0.45, fuzzy: true}
		}
	}
	return out
}

// plausibleTypo is a cheap filter before the edit distance: people rarely
// get both of the first two letters wrong.
func plausibleTypo(t, w string) bool {
	if len(w) < 3 {
		return false
	}
	return t[0] == w[0] || t[1] == w[1] || (t[0] == w[1] && t[1] == w[0])
}

// wordsAND scores names that contain every query word (the last one may be
// a prefix), in any order.
func (v *Vocabulary) wordsAND(c *collector, toks []string, lastPrefix bool, factor float64) {
	if len(toks) == 0 {
		return
	}
	ix := &v.idx
	matches := make([]map[int32]wordMatch, len(toks))
	driver, driverSize := -1, 0
	for i, t := range toks {
		// Autocomplete lets every word be a prefix ("prot struct"); resolve
		// takes words as written, up to typos.
		matches[i] = v.matchWord(t, lastPrefix && (i == len(toks)-1 || len(t) >= 3))
		if len(matches[i]) == 0 {
			return
		}
		size := 0
		for w := range matches[i] {
			size += len(ix.postings[w])
		}
		if driver < 0 || size < driverSize {
			driver, driverSize = i, size
		}
	}
	c.nextPass()
	for w := range matches[driver] {
		for _, ni := range ix.postings[w] {
			if c.seen[ni] == c.epoch {
				continue
			}
			c.seen[ni] = c.epoch
			nm := &ix.names[ni]
			total, fuzzy, covered := 0.0, false, 0
			ok := true
			for i := range toks {
				best, bestFuzzy := 0.0, false
				for _, nw := range nm.words {
					if m, hit := matches[i][nw]; hit && m.weight > best {
						best, bestFuzzy = m.weight, m.fuzzy
					}
				}
				if best == 0 {
					ok = false
					break
				}
				total += best
				fuzzy = fuzzy || bestFuzzy
				covered++
			}
			if !ok {
				continue
			}
			coverage := math.Min(1, float64(covered)/float64(len(nm.words)))
			score := scoreWords * (total / float64(len(toks))) * (0.6 + 0.4*coverage)
			kind := MatchSynonym
			switch {
			case fuzzy:
				kind = MatchFuzzy
			case nm.label:
				kind = MatchLabelPrefix
				score += 20
			}
			c.add(nm.term, score*factor, kind, nm.text)
		}
	}
}

// definitionAND scores terms whose definition holds every query word.
func (v *Vocabulary) definitionAND(c *collector, toks []string, factor float64) {
	if len(toks) == 0 {
		return
	}
	var set []int32
	for i, t := range toks {
		ts := v.idx.defWords[t]
		if i == 0 {
			set = slices.Clone(ts)
			continue
		}
		set = slices.DeleteFunc(set, func(x int32) bool { return !slices.Contains(ts, x) })
	}
	for _, ti := range set {
		c.add(ti, scoreText*factor, MatchText, v.terms[ti].Label)
	}
}

// ResolveWith is Resolve with filters and paging.
func (v *Vocabulary) ResolveWith(text string, o Options) []Match {
	qn := normalize(text)
	if qn == "" {
		return nil
	}
	c := v.collector()
	defer v.release(c)
	if i, ok := v.lookup(strings.TrimSpace(text)); ok && !v.terms[i].Obsolete {
		c.add(i, scoreID, MatchExact, v.terms[i].ID)
	}
	for _, vr := range v.variants(qn) {
		v.resolveOne(c, vr.text, vr.factor)
	}
	return v.rank(c, o)
}

type variant struct {
	text   string
	factor float64
}

// variants is the text itself plus its readings through the abbreviation
// table: the whole text expanded, or one phrase inside it replaced.
func (v *Vocabulary) variants(qn string) []variant {
	out := []variant{{qn, 1}}
	for _, e := range v.abbrev[qn] {
		out = append(out, variant{e, 0.97})
	}
	toks := strings.Split(qn, " ")
	if len(toks) > 1 {
		for i := range toks {
			for j := i + 1; j <= len(toks) && j-i <= 3; j++ {
				if i == 0 && j == len(toks) {
					continue
				}
				phrase := strings.Join(toks[i:j], " ")
				for _, e := range v.abbrev[phrase] {
					rest := append(append(slices.Clone(toks[:i]), e), toks[j:]...)
					out = append(out, variant{strings.Join(rest, " "), 0.9})
				}
			}
		}
	}
	return out
}

func (v *Vocabulary) resolveOne(c *collector, qn string, factor float64) {
	toks := words(qn)
	for _, ni := range v.idx.compactTo[strings.Join(toks, "")] {
		nm := &v.idx.names[ni]
		if nm.label {
			c.add(nm.term, scoreExactLabel*factor, MatchExact, nm.text)
		} else {
			c.add(nm.term, scoreExactSyn*factor, MatchSynonym, nm.text)
		}
	}
	v.wordsAND(c, toks, false, 0.9*factor)
	v.wordsOR(c, toks, 0.8*factor)
	v.definitionAND(c, toks, factor)
}

// wordsOR scores names that share some of the query's words, weighted by
// how rare those words are and how much of the name they cover, so
// "CRISPR screening" finds "CRISPR-Cas Systems" before "Mass Screening".
func (v *Vocabulary) wordsOR(c *collector, toks []string, factor float64) {
	if len(toks) < 2 {
		return
	}
	ix := &v.idx
	var totalIDF float64
	defer func() {
		for _, ni := range c.accUsed {
			c.acc[ni] = orAcc{}
		}
		c.accUsed = c.accUsed[:0]
	}()
	for _, t := range toks {
		ms := v.matchWord(t, false)
		best := 0.0
		for w, m := range ms {
			best = math.Max(best, ix.idf[w])
			if len(ix.postings[w]) > 3000 {
				continue // too common to suggest anything on its own
			}
			for _, ni := range ix.postings[w] {
				a := &c.acc[ni]
				if a.matched == 0 {
					c.accUsed = append(c.accUsed, ni)
				}
				a.idf += ix.idf[w] * m.weight
				a.matched++
				a.fuzzy = a.fuzzy || m.fuzzy
			}
		}
		if best == 0 {
			best = math.Log(1 + float64(len(ix.names)))
		}
		totalIDF += best
	}
	for _, ni := range c.accUsed {
		a := &c.acc[ni]
		nm := &ix.names[ni]
		coverage := math.Min(1, float64(a.matched)/float64(len(nm.words)))
		score := 450 * (a.idf / totalIDF) * (0.5 + 0.5*coverage)
		if nm.label {
			score += 10
		}
		kind := MatchText
		if a.fuzzy {
			kind = MatchFuzzy
		}
		c.add(nm.term, score*factor, kind, nm.text)
	}
}

// rank filters, orders and pages the candidates: score, then shorter
// labels (broader, better known terms), then EDAM before MeSH before local,
// then id.
func (v *Vocabulary) rank(c *collector, o Options) []Match {
	want := o.Offset + limitOf(o)
	better := func(a, b int32) bool {
		ca, cb := &c.best[a], &c.best[b]
		sa, sb := math.Round(ca.score*100), math.Round(cb.score*100)
		if sa != sb {
			return sa > sb
		}
		ta, tb := &v.terms[a], &v.terms[b]
		if len(ta.Label) != len(tb.Label) {
			return len(ta.Label) < len(tb.Label)
		}
		if ta.Source != tb.Source {
			return ta.Source < tb.Source
		}
		return ta.ID < tb.ID
	}
	// Keep the best `want` in a small sorted slice: far fewer comparisons
	// than sorting thousands of candidates of a short prefix.
	top := make([]int32, 0, want+1)
	for _, ti := range c.touched {
		if !v.allowed(&v.terms[ti], o) {
			continue
		}
		if len(top) == want && !better(ti, top[want-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, ti, func(x, t int32) int {
			if better(x, t) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, ti)
		if len(top) > want {
			top = top[:want]
		}
	}
	if o.Offset >= len(top) {
		return nil
	}
	out := make([]Match, 0, len(top)-o.Offset)
	for _, ti := range top[o.Offset:] {
		cd := c.best[ti]
		out = append(out, Match{Term: &v.terms[ti], Score: math.Round(cd.score*100) / 100, Kind: cd.kind, MatchedText: cd.text})
	}
	return out
}

func (v *Vocabulary) allowed(t *Term, o Options) bool {
	if t.Obsolete {
		return false
	}
	if len(o.Sources) > 0 && !slices.Contains(o.Sources, t.Source) {
		return false
	}
	if len(o.Branches) == 0 {
		return true
	}
	for _, b := range o.Branches {
		if strings.EqualFold(b, t.Branch) {
			return true
		}
		for _, tn := range t.TreeNumbers {
			if strings.HasPrefix(tn, b) {
				return true
			}
		}
	}
	return false
}
