package scheduler

import (
	"cmp"
	"math/bits"
	"slices"
)

// The improvement phase is a local search with ejection chains. It takes an
// unplaced request and puts it into a slot both parties can attend, ejecting
// what stands in the way: a party's meeting in that slot, a meeting holding
// the last table, or a meeting of a party at its limit. Each ejected meeting
// is then put back elsewhere the same way (one level shallower), or replaced
// by an unplaced request of the party it freed (an augmenting path), or
// dropped when it is worth less than what the chain gained. A chain is kept
// only when the schedule's weight strictly rises, so the search ends, and it
// is undone otherwise. Everything is ordered by request rank, never by time
// or chance, so the same input gives the same schedule.

const (
	chainDepth = 5
	// chainEffort caps the insert attempts of one chain; searchEffort the
	// attempts of the whole phase per request of the problem.
	chainEffort  = 300
	searchEffort = 60
	// optionsPerNode is how many options one insert tries with ejections;
	// variants how many candidates for a table or a limit make options.
	optionsPerNode = 8
	variants       = 3
	// substitutes is how many unplaced requests of a freed party are tried.
	substitutes = 8
	// perturbSweeps bounds the ruin-and-recreate sweeps over the requests left out.
	perturbSweeps = 10
)

type move struct {
	r, slot int
	placed  bool
}

// search holds the improvement phase's bookkeeping.
type search struct {
	s      *state
	log    []move
	stamp  int32
	locked []int32 // request -> stamp of the chain that holds it
	effort int     // insert attempts left in the current chain
	total  int     // insert attempts left in the phase
	// byPart lists each participant's placeable requests in rank order.
	byPart [][]int32
	cand   [][]uint64 // scratch slot sets, one per depth
	// group is each request's construction group (-1: not to place); a
	// chain only places requests of groups up to stage.
	group []int
	stage int
	// topWeight is the weight of the request a chain started from: only
	// lighter meetings may be dropped, so under PrioritiesFirst nothing of
	// a higher class is ever given up for a lower one.
	topWeight int64
	// value is the weight of the placed requests, kept by place and
	// unplace so a ruin-and-recreate round knows what it changed.
	value int64
}

func (s *state) newSearch(groups [][]int) *search {
	se := &search{s: s, locked: make([]int32, len(s.p.Requests)), byPart: make([][]int32, len(s.p.Participants)),
		group: make([]int, len(s.p.Requests))}
	for r := range se.group {
		se.group[r] = -1
	}
	var order []int
	for g, reqs := range groups {
		for _, r := range reqs {
			se.group[r] = g
			order = append(order, r)
		}
	}
	s.sortByRank(order)
	for _, r := range order {
		rq := s.p.Requests[r]
		se.byPart[rq.A] = append(se.byPart[rq.A], int32(r))
		se.byPart[rq.B] = append(se.byPart[rq.B], int32(r))
	}
	se.total = searchEffort * max(1, len(order))
	for range chainDepth + 2 {
		se.cand = append(se.cand, make([]uint64, s.words))
	}
	return se
}

func (se *search) place(r, sl int) {
	se.s.place(r, sl)
	se.value += se.s.weight[r]
	se.log = append(se.log, move{r: r, slot: sl, placed: true})
}

func (se *search) unplace(r int) {
	sl := se.s.assigned[r]
	se.s.unplace(r)
	se.value -= se.s.weight[r]
	se.log = append(se.log, move{r: r, slot: sl})
}

func (se *search) rollback(mark int) {
	for i := len(se.log) - 1; i >= mark; i-- {
		m := se.log[i]
		if m.placed {
			se.s.unplace(m.r)
			se.value -= se.s.weight[m.r]
		} else {
			se.s.place(m.r, m.slot)
			se.value += se.s.weight[m.r]
		}
	}
	se.log = se.log[:mark]
}

// mayDrop reports whether a chain may give up meeting m: only for a
// heavier request, and under PrioritiesFirst only a want, so the count of
// must-meet and mutual meetings never falls.
func (se *search) mayDrop(m int) bool {
	if se.s.weight[m] >= se.topWeight {
		return false
	}
	return se.s.p.Policy != PrioritiesFirst || Class(se.s.p.Requests[m]) == 3
}

// perturb is ruin and recreate around each request still left out: both
// parties' movable meetings are taken out, the request is placed, and the
// others are put back by ejection chains, with requests of the partners
// who lost a meeting in their stead. A round is kept when the schedule's
// weight does not fall (so the search can cross plateaus, where the chains
// alone stop) and nothing heavier than the request was given up; it is
// undone otherwise.
func (se *search) perturb(reqs []int) {
	s := se.s
	open := s.unplaced(reqs)
	s.heaviestFirst(open)
	var removed []int
	for sweep := 0; sweep < perturbSweeps && se.total > 0; sweep++ {
		gained := false
		for _, r := range open {
			if s.assigned[r] >= 0 || !se.startChain(r) {
				continue
			}
			mark, before := len(se.log), se.value
			rq := s.p.Requests[r]
			removed = removed[:0]
			for _, v := range [2]int{rq.A, rq.B} {
				for sl := range s.nSlots {
					if m := s.slotReq[v*s.nSlots+sl]; m >= 0 && !s.fixed[m] {
						removed = append(removed, int(m))
						se.locked[m] = se.stamp
						se.unplace(int(m))
					}
				}
			}
			if _, ok := se.insert(r, 1, 0); !ok {
				se.rollback(mark)
				continue
			}
			slices.SortFunc(removed, func(a, b int) int {
				return cmp.Or(cmp.Compare(s.weight[b], s.weight[a]), cmp.Compare(s.rank[a], s.rank[b]))
			})
			ok := true
			for _, m := range removed {
				if _, done := se.insert(m, 2, 0); !done && !se.mayDrop(m) {
					ok = false
					break
				}
			}
			if ok && se.value < before {
				// Partners who lost a meeting may take another request.
				for _, m := range removed {
					if s.assigned[m] >= 0 {
						continue
					}
					x := s.p.Requests[m]
					for _, v := range [2]int{x.A, x.B} {
						for _, q := range se.byPart[v] {
							if se.value >= before {
								break
							}
							if q := int(q); s.assigned[q] < 0 && se.locked[q] != se.stamp && se.group[q] <= se.stage {
								se.insert(q, 1, 0)
							}
						}
					}
				}
			}
			if !ok || se.value < before {
				se.rollback(mark)
				continue
			}
			se.log = se.log[:0]
			gained = true // a plateau move changes what the next sweep can do
		}
		if !gained {
			break
		}
	}
}

// heaviestFirst orders requests by weight, heaviest first, then by rank.
func (s *state) heaviestFirst(rs []int) {
	slices.SortFunc(rs, func(a, b int) int {
		return cmp.Or(cmp.Compare(s.weight[b], s.weight[a]), cmp.Compare(s.rank[a], s.rank[b]))
	})
}

// startChain begins a chain from request r, or reports that the phase's
// effort is spent.
func (se *search) startChain(r int) bool {
	if se.total <= 0 {
		return false
	}
	se.stamp++
	se.effort = chainEffort
	se.topWeight = se.s.weight[r]
	return true
}

// improve runs ejection chains for the unplaced requests of reqs, heaviest
// first, until a pass adds nothing or the effort is spent.
func (se *search) improve(reqs []int) {
	s := se.s
	open := s.unplaced(reqs)
	s.heaviestFirst(open)
	for pass := 0; pass < 4 && se.total > 0; pass++ {
		improved := false
		for _, r := range open {
			if s.assigned[r] >= 0 || !se.startChain(r) {
				continue
			}
			mark := len(se.log)
			if loss, ok := se.insert(r, chainDepth, s.weight[r]-1); ok && loss < s.weight[r] {
				se.log = se.log[:0]
				improved = true
				continue
			}
			se.rollback(mark)
		}
		if !improved {
			break
		}
	}
}

// option is one way to place a request: a slot and the meetings to eject.
type option struct {
	slot     int
	blockers [4]int32
	n        int
	weight   int64
}

// insert places r, ejecting blockers as needed, and returns the weight lost
// on the way (ejected meetings that found no place, less what replaced
// them), which is at most allow. On failure it leaves the state as it found
// it.
func (se *search) insert(r, depth int, allow int64) (int64, bool) {
	s := se.s
	if se.effort <= 0 || se.total <= 0 {
		return 0, false
	}
	se.effort--
	se.total--
	se.locked[r] = se.stamp
	defer func() {
		if s.assigned[r] < 0 {
			se.locked[r] = 0
		}
	}()
	rq := s.p.Requests[r]
	a, b := rq.A, rq.B
	cand := se.cand[depth]
	if s.count[a] < s.limit[a] && s.count[b] < s.limit[b] && s.candidates(cand, a, b) {
		if sl := s.bestSlot(cand, a, b); sl >= 0 {
			se.place(r, sl)
			return 0, true
		}
	}
	if depth == 0 {
		return 0, false
	}
	opts := se.options(r)
	for _, o := range opts {
		mark := len(se.log)
		for i := range o.n {
			// Locked, so no substitution elsewhere in the chain takes it.
			se.locked[o.blockers[i]] = se.stamp
			se.unplace(int(o.blockers[i]))
		}
		if s.slotFree[o.slot] == 0 || s.isBusy(a, o.slot) || s.isBusy(b, o.slot) || s.count[a] >= s.limit[a] || s.count[b] >= s.limit[b] {
			se.rollback(mark)
			continue
		}
		se.place(r, o.slot)
		loss, ok := int64(0), true
		for i := range o.n {
			l, done := se.resettle(int(o.blockers[i]), depth-1, allow-loss)
			if !done {
				ok = false
				break
			}
			loss += l
		}
		if ok && loss <= allow {
			return loss, true
		}
		se.rollback(mark)
	}
	return 0, false
}

// resettle finds a new home for ejected meeting m: elsewhere, or in its
// stead an unplaced request of a party it freed, or nowhere if its weight
// fits within allow. It returns the weight lost.
func (se *search) resettle(m, depth int, allow int64) (int64, bool) {
	s := se.s
	w := s.weight[m]
	if l, ok := se.insert(m, depth, allow); ok {
		return l, true
	}
	se.locked[m] = se.stamp // stays out for the rest of this chain
	if depth > 0 {
		rq := s.p.Requests[m]
		tried := 0
		for _, v := range [2]int{rq.A, rq.B} {
			if s.count[v] >= s.limit[v] {
				continue
			}
			for _, q := range se.byPart[v] {
				if tried >= substitutes {
					break
				}
				q := int(q)
				if s.assigned[q] >= 0 || se.locked[q] == se.stamp || se.group[q] > se.stage || w-s.weight[q] > allow {
					continue
				}
				tried++
				if l, ok := se.insert(q, depth-1, allow-(w-s.weight[q])); ok {
					return w - s.weight[q] + l, true
				}
			}
		}
	}
	if w <= allow && se.mayDrop(m) {
		return w, true
	}
	return 0, false
}

// options lists, cheapest first, the ways to place r: a slot both parties
// can attend and the movable meetings to eject there. Where a table or a
// party's limit has to be freed, there are several candidates; a few of
// them make variants of the option.
func (se *search) options(r int) []option {
	s := se.s
	rq := s.p.Requests[r]
	a, b := rq.A, rq.B
	aa, ab := s.row(s.avail, a), s.row(s.avail, b)
	var out []option
	movable := func(m int32) bool {
		return m >= 0 && !s.fixed[m] && se.locked[m] != se.stamp
	}
	var tableC, limitA, limitB []int32
	for wi := range s.words {
		both := aa[wi] & ab[wi]
		for both != 0 {
			i := bits.TrailingZeros64(both)
			both &^= 1 << i
			sl := wi*64 + i
			var base option
			base.slot = sl
			ok := true
			for _, v := range [2]int{a, b} {
				m := s.slotReq[v*s.nSlots+sl]
				if m == -1 {
					continue
				}
				if !movable(m) || (base.n > 0 && base.blockers[0] == m) {
					ok = false
					break
				}
				base.blockers[base.n] = m
				base.n++
			}
			if !ok {
				continue
			}
			tableC = tableC[:0]
			if base.n == 0 && s.slotFree[sl] == 0 {
				if tableC = se.lightest(tableC, s.tableReq[sl], nil); len(tableC) == 0 {
					continue
				}
			}
			limitA, limitB = limitA[:0], limitB[:0]
			for k, v := range [2]int{a, b} {
				freed := false
				for j := range base.n {
					x := s.p.Requests[base.blockers[j]]
					freed = freed || x.A == v || x.B == v
				}
				if s.count[v] < s.limit[v] || freed {
					continue
				}
				row := s.slotReq[v*s.nSlots : (v+1)*s.nSlots]
				c := se.lightest(nil, row, func(m int32) bool { return s.assigned[m] == sl })
				if len(c) == 0 {
					ok = false
					break
				}
				if k == 0 {
					limitA = c
				} else {
					limitB = c
				}
			}
			if !ok {
				continue
			}
			for j := range variants {
				o := base
				for _, c := range [][]int32{tableC, limitA, limitB} {
					if len(c) == 0 {
						continue
					}
					m := c[min(j, len(c)-1)]
					if slices.Contains(o.blockers[:o.n], m) {
						ok = false
						break
					}
					o.blockers[o.n] = m
					o.n++
				}
				if !ok {
					break
				}
				for k := range o.n {
					o.weight += s.weight[o.blockers[k]]
				}
				out = append(out, o)
				if len(tableC) <= j+1 && len(limitA) <= j+1 && len(limitB) <= j+1 {
					break
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y option) int {
		return cmp.Or(cmp.Compare(x.n, y.n), cmp.Compare(x.weight, y.weight), cmp.Compare(x.slot, y.slot))
	})
	return out[:min(len(out), optionsPerNode)]
}

// lightest appends to dst up to variants movable meetings of ms, lightest
// first, by rank on ties, leaving out those skip reports.
func (se *search) lightest(dst, ms []int32, skip func(int32) bool) []int32 {
	s := se.s
	for _, m := range ms {
		if m < 0 || s.fixed[m] || se.locked[m] == se.stamp || (skip != nil && skip(m)) {
			continue
		}
		at, _ := slices.BinarySearchFunc(dst, m, func(x, y int32) int {
			return cmp.Or(cmp.Compare(s.weight[x], s.weight[y]), cmp.Compare(s.rank[x], s.rank[y]))
		})
		if at >= variants {
			continue
		}
		dst = slices.Insert(dst, at, m)
		if len(dst) > variants {
			dst = dst[:variants]
		}
	}
	return dst
}
