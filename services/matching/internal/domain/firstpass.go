package domain

import (
	"cmp"
	"math"
	"slices"
	"strings"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

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
			if x.broadTerm(cw, p.dfs[k][j]) {
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
			if x.commonWord(x.wordDF(n)) {
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
	for _, o := range p.gt {
		if i, g := x.orgCand[o], p.gv[o]; i >= 0 && g > 0 {
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
	return df > min(x.st.nCands/4+10, max(x.st.nCands/50, x.pruneFloor))
}

// broadTerm reports whether the first pass leaves out an expanded term of
// weight w held by df candidates: a weak relation to a term much of a large
// index holds, such as a need's distant broader topic. Like common words,
// it still counts in full scoring; walking it would cost the first pass a
// third of its time for a share of a score under a tenth.
func (x *Index) broadTerm(w float64, df int) bool {
	return w < 0.1 && df > max(x.st.nCands/50, x.pruneFloor)
}

// candidatePool takes candidates in first-pass order (score, then id) and
// scores them in full until poolSize pass the filters. Only the head of that
// order is needed, so it is selected with a bounded heap rather than by
// sorting everything the first pass reached; the head grows only when the
// filters leave too few in it.
func (x *Index) candidatePool(q Query, p *profile, poolSize int) []scored {
	return x.trackedPool(q, p, poolSize, nil)
}

// trackedPool is candidatePool, noting in fp (when not nil) every
// candidate it reads and the one that fills the pool.
func (x *Index) trackedPool(q Query, p *profile, poolSize int, fp *Footprint) []scored {
	s := x.scratch.get(len(x.cands))
	defer x.scratch.put(s)
	x.preselect(p, s, bucketsOf(q.Filter.Kinds))
	var pool []scored
	take := func(order []int32) bool {
		for _, i := range order {
			if len(pool) >= poolSize {
				return true
			}
			if fp != nil {
				fp.examined = append(fp.examined, i)
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
			if fp != nil && len(pool) == poolSize {
				fp.full, fp.last = true, preEntry{s.cells[i].acc, x.idKeys[i], i}
			}
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
