package domain

import (
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// postings is one term's (or word's) inverted list. The map takes the
// one-at-a-time changes the event feed makes in O(1); queries walk a flat
// copy grouped by organisation kind and ordered by candidate index within a
// kind, which is many times faster to scan than a map, touches the score
// arrays in order, and lets a query filtered by kind (the research side
// only, say) skip the other kinds outright. Writers hold the index's write
// lock and drop the copy; the first query after a change rebuilds it.
type postings[V any] struct {
	m    map[int32]V
	n    int // len(m), read without touching the map
	flat atomic.Pointer[flatList[V]]
}

// kindBuckets group candidates by organisation kind: one bucket per kind
// the API knows, and a last one for any kind added after.
const kindBuckets = 12

func bucketOf(k profilesv1.OrganizationKind) int { return min(int(k), kindBuckets-1) }

// flatList is a posting list's flat copy: ps[at[b]:at[b+1]] are the
// candidates of bucket b.
type flatList[V any] struct {
	ps []posting[V]
	at [kindBuckets + 1]int32
}

func (f *flatList[V]) bucket(b int) []posting[V] { return f.ps[f.at[b]:f.at[b+1]] }

type posting[V any] struct {
	i int32
	v V
}

func newPostings[V any]() *postings[V] { return &postings[V]{m: map[int32]V{}} }

func (p *postings[V]) set(i int32, v V) {
	p.m[i] = v
	p.n = len(p.m)
	p.flat.Store(nil)
}

func (p *postings[V]) remove(i int32) {
	delete(p.m, i)
	p.n = len(p.m)
	p.flat.Store(nil)
}

// tokenHit is a word's frequency in a candidate's document, with the
// document's length (capped; maxTokLen means "look it up") so that the
// first pass reads BM25's length norm from the list it walks.
type tokenHit struct{ tf, length uint16 }

const maxTokLen = 65535

// df is how many candidates the list holds; a nil list holds none.
func (p *postings[V]) df() int {
	if p == nil {
		return 0
	}
	return p.n
}

// list returns the flat copy, building it when a change dropped it; kinds
// is the organisation kind of each candidate. Readers hold the index's read
// lock, so neither the map nor kinds change meanwhile; two readers may both
// build it, and either copy is right. A nil list returns nil.
func (p *postings[V]) list(kinds []profilesv1.OrganizationKind) *flatList[V] {
	if p == nil {
		return nil
	}
	if f := p.flat.Load(); f != nil {
		return f
	}
	f := &flatList[V]{ps: make([]posting[V], 0, len(p.m))}
	for i, v := range p.m {
		f.ps = append(f.ps, posting[V]{i, v})
		f.at[bucketOf(kinds[i])+1]++
	}
	for b := range kindBuckets {
		f.at[b+1] += f.at[b]
	}
	slices.SortFunc(f.ps, func(a, b posting[V]) int {
		if ka, kb := bucketOf(kinds[a.i]), bucketOf(kinds[b.i]); ka != kb {
			return ka - kb
		}
		return int(a.i - b.i)
	})
	p.flat.Store(f)
	return f
}

// scratch is one query's working memory: score arrays indexed by candidate,
// reused across queries so a query allocates next to nothing however many
// candidates it touches. Every first-pass contribution is positive, so a
// zero entry is an untouched one; a query zeroes what it touched when it is
// done, which costs far less than clearing the arrays. The arrays hold
// float32s, and a candidate's two sit side by side, so that the walk over
// posting lists stays in the processor's caches as long as it can: the
// first pass only orders candidates, and every candidate it keeps is scored
// again exactly.
type scratch struct {
	cells    []cell
	touched  []int32   // candidates with an acc entry, in first-touch order
	btouched []int32   // candidates with a best entry
	vals     []float32 // topN's copy of the touched candidates' scores
	sel      []float32 // the ones nthLargest selects among
	hist     [1 << (32 - histShift)]int32
}

// histShift keeps the sign, exponent and 5 bits of mantissa of a float32:
// 32 histogram buckets per power of two.
const histShift = 18

type cell struct {
	acc  float32 // first-pass score
	best float32 // the current need term's best expansion
}

// scratches keeps query working memory between queries. Unlike a
// sync.Pool, it is not emptied by every garbage collection: on a large
// index a scratch is megabytes, and allocating it again costs a query more
// than its scoring.
type scratches struct {
	mu   sync.Mutex
	free []*scratch
}

func (f *scratches) get(n int) *scratch {
	f.mu.Lock()
	var s *scratch
	if k := len(f.free); k > 0 {
		s, f.free = f.free[k-1], f.free[:k-1]
	}
	f.mu.Unlock()
	if s == nil {
		s = &scratch{}
	}
	if len(s.cells) < n {
		n = n + n/8 + 64
		s.cells = make([]cell, n)
	}
	s.touched, s.btouched = s.touched[:0], s.btouched[:0]
	return s
}

// put zeroes what the query touched and keeps the scratch for the next.
func (f *scratches) put(s *scratch) {
	for _, i := range s.touched {
		s.cells[i].acc = 0
	}
	for _, i := range s.btouched {
		s.cells[i].best = 0
	}
	f.mu.Lock()
	f.free = append(f.free, s)
	f.mu.Unlock()
}

// add adds v > 0 to a candidate's first-pass score.
func (s *scratch) add(i int32, v float32) {
	a := &s.cells[i].acc
	if *a == 0 {
		s.touched = append(s.touched, i)
	}
	*a += v
}

// raise keeps the larger of v > 0 and the candidate's best so far.
func (s *scratch) raise(i int32, v float32) {
	b := &s.cells[i].best
	if *b == 0 {
		s.btouched = append(s.btouched, i)
		*b = v
		return
	}
	if v > *b {
		*b = v
	}
}

// takeBest moves every per-term maximum into the first-pass score, times
// w, and leaves best empty for the next term.
func (s *scratch) takeBest(w float64) {
	for _, i := range s.btouched {
		c := &s.cells[i]
		if c.acc == 0 {
			s.touched = append(s.touched, i)
		}
		c.acc += float32(w * float64(c.best))
		c.best = 0
	}
	s.btouched = s.btouched[:0]
}

// idKey is the first 16 bytes of a candidate id, big-endian and zero
// padded: comparing keys orders ids as strings do, except that equal keys
// must fall back to the ids themselves.
type idKey struct{ hi, lo uint64 }

func idKeyOf(id string) idKey {
	var b [16]byte
	copy(b[:], id)
	return idKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}
