package domain

import (
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
)

// postings is one term's (or word's) inverted list. The map takes the
// one-at-a-time changes the event feed makes in O(1); queries walk a flat
// copy ordered by candidate index, which is many times faster to scan than
// a map and touches the score arrays in order. Writers hold the index's
// write lock and drop the copy; the first query after a change rebuilds it.
type postings[V float32 | uint16] struct {
	m    map[int32]V
	flat atomic.Pointer[[]posting[V]]
}

type posting[V float32 | uint16] struct {
	i int32
	v V
}

func newPostings[V float32 | uint16]() *postings[V] { return &postings[V]{m: map[int32]V{}} }

func (p *postings[V]) set(i int32, v V) {
	p.m[i] = v
	p.flat.Store(nil)
}

func (p *postings[V]) remove(i int32) {
	delete(p.m, i)
	p.flat.Store(nil)
}

// df is how many candidates the list holds; a nil list holds none.
func (p *postings[V]) df() int {
	if p == nil {
		return 0
	}
	return len(p.m)
}

// list returns the flat copy, building it when a change dropped it. Readers
// hold the index's read lock, so the map does not change meanwhile; two
// readers may both build it, and either copy is right.
func (p *postings[V]) list() []posting[V] {
	if p == nil {
		return nil
	}
	if f := p.flat.Load(); f != nil {
		return *f
	}
	f := make([]posting[V], 0, len(p.m))
	for i, v := range p.m {
		f = append(f, posting[V]{i, v})
	}
	slices.SortFunc(f, func(a, b posting[V]) int { return int(a.i - b.i) })
	p.flat.Store(&f)
	return f
}

// scratch is one query's working memory: score arrays indexed by candidate,
// reused across queries so a query allocates next to nothing however many
// candidates it touches. Entries are valid only where their stamp equals
// the current generation, which spares clearing the arrays per query; a
// value sits next to its stamp so the walk over a posting list touches one
// cache line per candidate, not two.
type scratch struct {
	acc      []cell // first-pass score per candidate
	gen      uint32
	touched  []int32 // candidates with an acc entry, in first-touch order
	best     []cell
	bgen     uint32
	btouched []int32
}

type cell struct {
	v   float64
	gen uint32
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

func getScratch(n int) *scratch {
	s := scratchPool.Get().(*scratch)
	if len(s.acc) < n {
		n = n + n/8 + 64
		s.acc, s.best = make([]cell, n), make([]cell, n)
		s.gen, s.bgen = 0, 0
	}
	s.gen++
	if s.gen == 0 {
		clear(s.acc)
		s.gen = 1
	}
	s.touched = s.touched[:0]
	return s
}

func putScratch(s *scratch) { scratchPool.Put(s) }

func (s *scratch) add(i int32, v float64) {
	c := &s.acc[i]
	if c.gen != s.gen {
		c.gen = s.gen
		c.v = 0
		s.touched = append(s.touched, i)
	}
	c.v += v
}

// resetBest starts a new per-term maximum.
func (s *scratch) resetBest() {
	s.bgen++
	if s.bgen == 0 {
		clear(s.best)
		s.bgen = 1
	}
	s.btouched = s.btouched[:0]
}

func (s *scratch) raise(i int32, v float64) {
	c := &s.best[i]
	if c.gen != s.bgen {
		if v > 0 {
			c.gen = s.bgen
			c.v = v
			s.btouched = append(s.btouched, i)
		}
		return
	}
	if v > c.v {
		c.v = v
	}
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
