// Package scheduler places the accepted meeting requests of a brokerage event
// into slots and at tables. It is pure: no I/O, no clock, no randomness, so
// the same problem always gives the same schedule, and it can be tested and
// benchmarked on generated events of any size.
//
// Hard constraints, always kept: nobody has two meetings in one slot, both
// parties are available in the slot, a table holds one meeting per slot,
// nobody exceeds their meeting limit (fixed meetings aside: they are kept as
// they are even when a later change makes them exceed a limit).
//
// Goals, in order: the organiser's policy (see Policy: priorities first,
// most meetings, or a weighted balance), then raise the fewest meetings any
// participant gets, then leave as few idle gaps between a participant's
// meetings of a day as possible.
//
// Solve builds a schedule greedily group by group (fairness first within a
// group), repairs it, and then improves it with ejection chains (see
// improve.go) until no chain raises the policy's objective.
package scheduler

import (
	"cmp"
	"container/heap"
	"math/bits"
	"slices"
	"time"
)

// Slot is one meeting time. Slots are given in chronological order; Day
// groups them for idle-gap counting, and consecutive slots of a day are
// adjacent.
type Slot struct {
	Day int
}

// Participant is one attendee.
type Participant struct {
	// ID breaks ties, so the result does not depend on input order.
	ID string
	// Available lists slot indices the participant can meet in; nil means
	// every slot, an empty non-nil slice means none.
	Available []int
	// Max is the meeting limit; 0 means no limit beyond the slots.
	Max int
}

// Request is an accepted meeting request between two participants.
type Request struct {
	// ID breaks ties, so the result does not depend on input order.
	ID string
	// A and B index Problem.Participants; A != B.
	A, B int
	// Must is set when either side marked the meeting as a must.
	Must bool
	// Mutual is set when both sides asked for the meeting.
	Mutual bool
}

// Fixed is a meeting that stays where it is (a published or booked meeting).
type Fixed struct {
	// Request indexes Problem.Requests, or is -1 for a meeting without one.
	Request int
	// A and B index Problem.Participants.
	A, B int
	// Slot and Table index the slots and tables.
	Slot, Table int
}

// Problem is one scheduling run.
type Problem struct {
	Slots        []Slot
	Tables       int
	Participants []Participant
	Requests     []Request
	Fixed        []Fixed
	// Policy is what to optimise; the zero value is PrioritiesFirst.
	Policy Policy
	// Weights are the Balanced policy's; zero means DefaultWeights.
	Weights Weights
}

// Assignment places one request.
type Assignment struct {
	Request     int
	Slot, Table int
}

// Stats reports how good a schedule is.
type Stats struct {
	RequestsConsidered int
	// Placed counts every meeting of the schedule, fixed ones included.
	Placed int
	// UpperBound is a bound on Placed no schedule can beat (see upperBound).
	UpperBound int
	// Objective is what the policy maximises: meetings for MostMeetings and
	// PrioritiesFirst (whose strict order of classes the schedule keeps),
	// the sum of weights for Balanced; fixed meetings included.
	Objective int64
	// ObjectiveBound is an upper bound on Objective.
	ObjectiveBound int64
	MustPlaced     int
	MustConsidered int
	MutualPlaced   int
	// MinMeetings is the fewest meetings of a participant with at least one
	// request or fixed meeting; MeanMeetings averages over the same ones.
	MinMeetings  int
	MeanMeetings float64
	// Fewest lists participant indices with the fewest meetings, at most 50,
	// by count then ID.
	Fewest      []int
	WithoutAny  int
	IdleGaps    int
	Kept        int
	SolveTime   time.Duration
	Unscheduled []int // request indices not placed (and not fixed)
}

// Result is a schedule: the new placements (fixed meetings are not repeated)
// and its statistics.
type Result struct {
	Placed []Assignment
	Stats  Stats
}

// FewestLimit caps Stats.Fewest.
const FewestLimit = 50

// state is the solver's working memory. Bit sets are flat []uint64 with
// words per participant, so the slot scan of one request is a few word ANDs.
type state struct {
	p        *Problem
	words    int
	nSlots   int
	avail    []uint64 // participant availability
	busy     []uint64 // participant occupied slots
	count    []int    // meetings per participant
	limit    []int    // effective limit per participant
	tableUse [][]bool // [slot][table]
	slotFree []int    // free tables per slot
	assigned []int    // request -> slot, -1 when not placed
	table    []int    // request -> table
	fixed    []bool   // request is fixed
	rank     []int    // request -> position in ID order
	// slotReq maps (participant, slot) to the request placed there, -2 for a
	// fixed meeting without request, -1 when free.
	slotReq []int32
	// fixedBusy and fixedCount are what fixed meetings alone take, for the
	// upper bound, which must not count what the solver placed.
	fixedBusy  []uint64
	fixedCount []int
	weight     []int64   // request -> what the policy values it at
	tableReq   [][]int32 // [slot][table] -> request, -2 fixed, -1 free
}

func newState(p *Problem) *state {
	n := len(p.Slots)
	w := (n + 63) / 64
	np := len(p.Participants)
	s := &state{
		p: p, words: w, nSlots: n,
		avail:      make([]uint64, np*w),
		busy:       make([]uint64, np*w),
		count:      make([]int, np),
		limit:      make([]int, np),
		tableUse:   make([][]bool, n),
		slotFree:   make([]int, n),
		assigned:   make([]int, len(p.Requests)),
		table:      make([]int, len(p.Requests)),
		fixed:      make([]bool, len(p.Requests)),
		rank:       make([]int, len(p.Requests)),
		slotReq:    make([]int32, np*n),
		fixedBusy:  make([]uint64, np*w),
		fixedCount: make([]int, np),
		tableReq:   make([][]int32, n),
	}
	w8 := Weight(p)
	s.weight = make([]int64, len(p.Requests))
	for r := range s.weight {
		s.weight[r] = w8(r)
	}
	for i := range s.slotReq {
		s.slotReq[i] = -1
	}
	for i := range n {
		s.tableUse[i] = make([]bool, p.Tables)
		s.tableReq[i] = make([]int32, p.Tables)
		for t := range s.tableReq[i] {
			s.tableReq[i][t] = -1
		}
		s.slotFree[i] = p.Tables
	}
	for i, pa := range p.Participants {
		row := s.avail[i*w : (i+1)*w]
		if pa.Available == nil {
			for sl := range n {
				row[sl/64] |= 1 << (sl % 64)
			}
		} else {
			for _, sl := range pa.Available {
				if sl >= 0 && sl < n {
					row[sl/64] |= 1 << (sl % 64)
				}
			}
		}
		s.limit[i] = pa.Max
		if pa.Max <= 0 || pa.Max > n {
			s.limit[i] = n
		}
	}
	order := make([]int, len(p.Requests))
	for i := range order {
		order[i] = i
		s.assigned[i] = -1
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p.Requests[a].ID, p.Requests[b].ID) })
	for r, i := range order {
		s.rank[i] = r
	}
	for _, f := range p.Fixed {
		if f.Slot < 0 || f.Slot >= n {
			continue
		}
		if f.Table >= 0 && f.Table < p.Tables && !s.tableUse[f.Slot][f.Table] {
			s.tableUse[f.Slot][f.Table] = true
			s.tableReq[f.Slot][f.Table] = -2
			s.slotFree[f.Slot]--
		}
		rq := int32(-2)
		if f.Request >= 0 && f.Request < len(p.Requests) {
			s.fixed[f.Request] = true
			s.assigned[f.Request] = f.Slot
			s.table[f.Request] = f.Table
			rq = int32(f.Request)
		}
		for _, v := range []int{f.A, f.B} {
			if v < 0 || v >= np {
				continue
			}
			s.setBusy(v, f.Slot, true)
			s.fixedBusy[v*w+f.Slot/64] |= 1 << (f.Slot % 64)
			s.slotReq[v*n+f.Slot] = rq
			s.count[v]++
			s.fixedCount[v]++
		}
	}
	return s
}

func (s *state) row(bitsets []uint64, v int) []uint64 { return bitsets[v*s.words : (v+1)*s.words] }

func (s *state) setBusy(v, sl int, on bool) {
	if on {
		s.busy[v*s.words+sl/64] |= 1 << (sl % 64)
	} else {
		s.busy[v*s.words+sl/64] &^= 1 << (sl % 64)
	}
}

func (s *state) isBusy(v, sl int) bool { return s.busy[v*s.words+sl/64]&(1<<(sl%64)) != 0 }

// candidates writes into dst the slots where both a and b are available and
// free; table capacity is checked by the caller.
func (s *state) candidates(dst []uint64, a, b int) bool {
	aa, ab := s.row(s.avail, a), s.row(s.avail, b)
	ba, bb := s.row(s.busy, a), s.row(s.busy, b)
	any := false
	for i := range dst {
		dst[i] = aa[i] & ab[i] &^ (ba[i] | bb[i])
		any = any || dst[i] != 0
	}
	return any
}

// gapDelta is how many idle gaps a meeting of v in slot sl adds (negative:
// fills one).
func (s *state) gapDelta(v, sl int) int {
	day := s.p.Slots[sl].Day
	// Nearest meeting of the same day before and after sl.
	before, after := -1, -1
	for i := sl - 1; i >= 0 && s.p.Slots[i].Day == day; i-- {
		if s.isBusy(v, i) {
			before = i
			break
		}
	}
	for i := sl + 1; i < s.nSlots && s.p.Slots[i].Day == day; i++ {
		if s.isBusy(v, i) {
			after = i
			break
		}
	}
	switch {
	case before >= 0 && after >= 0:
		return -1 // sl was a gap between two meetings
	case before >= 0:
		return sl - before - 1
	case after >= 0:
		return after - sl - 1
	default:
		return 0
	}
}

func (s *state) place(r, sl int) {
	rq := s.p.Requests[r]
	t := 0
	for t < s.p.Tables && s.tableUse[sl][t] {
		t++
	}
	s.tableUse[sl][t] = true
	s.tableReq[sl][t] = int32(r)
	s.slotFree[sl]--
	s.assigned[r], s.table[r] = sl, t
	for _, v := range []int{rq.A, rq.B} {
		s.setBusy(v, sl, true)
		s.slotReq[v*s.nSlots+sl] = int32(r)
		s.count[v]++
	}
}

func (s *state) unplace(r int) {
	rq := s.p.Requests[r]
	sl := s.assigned[r]
	s.tableUse[sl][s.table[r]] = false
	s.tableReq[sl][s.table[r]] = -1
	s.slotFree[sl]++
	s.assigned[r] = -1
	for _, v := range []int{rq.A, rq.B} {
		s.setBusy(v, sl, false)
		s.slotReq[v*s.nSlots+sl] = -1
		s.count[v]--
	}
}

// bestSlot picks, among the slots in cand with a free table, the one that
// adds the fewest idle gaps for a and b; ties go to the earliest slot, which
// keeps agendas compact and the result deterministic.
func (s *state) bestSlot(cand []uint64, a, b int) int {
	best, bestCost := -1, 0
	for w, word := range cand {
		for word != 0 {
			i := bits.TrailingZeros64(word)
			word &^= 1 << i
			sl := w*64 + i
			if s.slotFree[sl] == 0 {
				continue
			}
			c := s.gapDelta(a, sl) + s.gapDelta(b, sl)
			if best < 0 || c < bestCost {
				best, bestCost = sl, c
				if c <= -2 {
					return best // fills a gap on both sides: cannot do better
				}
			}
		}
	}
	return best
}

// Class is a request's rank under PrioritiesFirst: 0 must and mutual, 1
// must, 2 mutual, 3 want.
func Class(r Request) int {
	switch {
	case r.Must && r.Mutual:
		return 0
	case r.Must:
		return 1
	case r.Mutual:
		return 2
	default:
		return 3
	}
}

// Solve computes a schedule for p.
func Solve(p Problem) Result {
	start := time.Now()
	s := newState(&p)
	groups := s.groups()
	cand := make([]uint64, s.words)
	se := s.newSearch(groups)
	var all []int
	for k, reqs := range groups {
		s.greedy(reqs, cand)
		s.repair(reqs)
		s.balance(reqs)
		// Balancing frees capacity of well-served participants, which may
		// make requests placeable that the greedy pass had to skip.
		s.greedy(s.unplaced(reqs), cand)
		se.stage = k
		se.improve(reqs)
		all = append(all, reqs...)
	}
	if p.Policy != PrioritiesFirst && len(groups) > 1 {
		// A lighter group's meetings may now make way for heavier ones.
		se.improve(all)
	}
	se.perturb(all)
	s.compact(cand)
	// Moving meetings may free a common slot for a request left out; higher
	// groups take it first.
	for _, reqs := range groups {
		s.greedy(s.unplaced(reqs), cand)
	}
	return s.result(start)
}

// Greedy is the baseline Solve is measured against: requests in ID order,
// each in the first slot both parties have free, no priorities, no repair.
func Greedy(p Problem) Result {
	start := time.Now()
	s := newState(&p)
	cand := make([]uint64, s.words)
	order := make([]int, 0, len(p.Requests))
	for r := range p.Requests {
		if !s.fixed[r] {
			order = append(order, r)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.rank[a], s.rank[b]) })
	for _, r := range order {
		rq := p.Requests[r]
		if !s.valid(rq) || s.count[rq.A] >= s.limit[rq.A] || s.count[rq.B] >= s.limit[rq.B] || !s.candidates(cand, rq.A, rq.B) {
			continue
		}
		if sl := s.firstWithTable(cand); sl >= 0 {
			s.place(r, sl)
		}
	}
	return s.result(start)
}

func (s *state) firstWithTable(cand []uint64) int {
	for w, word := range cand {
		for word != 0 {
			i := bits.TrailingZeros64(word)
			word &^= 1 << i
			if sl := w*64 + i; s.slotFree[sl] > 0 {
				return sl
			}
		}
	}
	return -1
}

func (s *state) valid(rq Request) bool {
	np := len(s.p.Participants)
	return rq.A != rq.B && rq.A >= 0 && rq.B >= 0 && rq.A < np && rq.B < np
}

// pending groups the requests to place by class, each group in ID order.
func (s *state) pending() [4][]int {
	var out [4][]int
	for r, rq := range s.p.Requests {
		if s.fixed[r] || !s.valid(rq) {
			continue
		}
		c := Class(rq)
		out[c] = append(out[c], r)
	}
	for c := range out {
		slices.SortFunc(out[c], func(a, b int) int { return cmp.Compare(s.rank[a], s.rank[b]) })
	}
	return out
}

func (s *state) unplaced(reqs []int) []int {
	var out []int
	for _, r := range reqs {
		if s.assigned[r] < 0 {
			out = append(out, r)
		}
	}
	return out
}

// item is a request in the greedy queue with the key it was pushed with.
type item struct {
	r      int
	lo, hi int // meetings of the party with fewer and with more
	deg    int // sum of both parties' open requests: scarce ones first
	rank   int
}

type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if a.lo != b.lo {
		return a.lo < b.lo
	}
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	if a.deg != b.deg {
		return a.deg < b.deg
	}
	return a.rank < b.rank
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// greedy places reqs one by one, always taking next the request whose
// less-served party has the fewest meetings so far: that is what raises the
// minimum. Keys only grow as meetings are placed, so a popped item whose key
// went stale is pushed back with its current key.
func (s *state) greedy(reqs []int, cand []uint64) {
	open := make([]int, len(s.p.Participants))
	for _, r := range reqs {
		open[s.p.Requests[r].A]++
		open[s.p.Requests[r].B]++
	}
	key := func(r int) item {
		rq := s.p.Requests[r]
		lo, hi := s.count[rq.A], s.count[rq.B]
		if lo > hi {
			lo, hi = hi, lo
		}
		return item{r: r, lo: lo, hi: hi, deg: open[rq.A] + open[rq.B], rank: s.rank[r]}
	}
	q := make(queue, 0, len(reqs))
	for _, r := range reqs {
		q = append(q, key(r))
	}
	heap.Init(&q)
	for q.Len() > 0 {
		it := heap.Pop(&q).(item)
		cur := key(it.r)
		if cur.lo != it.lo || cur.hi != it.hi || cur.deg != it.deg {
			heap.Push(&q, cur)
			continue
		}
		rq := s.p.Requests[it.r]
		open[rq.A]--
		open[rq.B]--
		if s.count[rq.A] >= s.limit[rq.A] || s.count[rq.B] >= s.limit[rq.B] {
			continue
		}
		if !s.candidates(cand, rq.A, rq.B) {
			continue
		}
		if sl := s.bestSlot(cand, rq.A, rq.B); sl >= 0 {
			s.place(it.r, sl)
		}
	}
}

// repair tries each unplaced request of the group again, freeing a slot by
// moving one meeting of a party elsewhere. Only meetings of this or a higher
// class move (lower classes are not placed yet), and fixed ones never do.
func (s *state) repair(reqs []int) {
	scratch := make([]uint64, s.words)
	for _, r := range reqs {
		if s.assigned[r] >= 0 {
			continue
		}
		rq := s.p.Requests[r]
		if s.count[rq.A] >= s.limit[rq.A] || s.count[rq.B] >= s.limit[rq.B] {
			continue
		}
		s.repairOne(r, rq, scratch)
	}
}

// repairOne tries the slots both parties are available in; where exactly
// one of them is busy, it moves that meeting to another slot its parties have
// free, then places r.
func (s *state) repairOne(r int, rq Request, scratch []uint64) bool {
	aa, ab := s.row(s.avail, rq.A), s.row(s.avail, rq.B)
	for w := range s.words {
		both := aa[w] & ab[w]
		for both != 0 {
			i := bits.TrailingZeros64(both)
			both &^= 1 << i
			sl := w*64 + i
			if s.slotFree[sl] == 0 {
				// A table frees up only if the blocking meeting moves, which
				// is handled below when it is one of r's parties.
				if !s.isBusy(rq.A, sl) && !s.isBusy(rq.B, sl) {
					continue
				}
			}
			busyA, busyB := s.isBusy(rq.A, sl), s.isBusy(rq.B, sl)
			if busyA && busyB {
				continue
			}
			if !busyA && !busyB {
				if s.slotFree[sl] > 0 {
					s.place(r, sl)
					return true
				}
				continue
			}
			v := rq.A
			if busyB {
				v = rq.B
			}
			other := int(s.slotReq[v*s.nSlots+sl])
			if other < 0 || s.fixed[other] {
				continue
			}
			orq := s.p.Requests[other]
			s.unplace(other)
			if s.candidates(scratch, orq.A, orq.B) {
				// The freed slot must not be taken back by the moved meeting.
				scratch[sl/64] &^= 1 << (sl % 64)
				if to := s.bestSlot(scratch, orq.A, orq.B); to >= 0 {
					s.place(other, to)
					if s.slotFree[sl] > 0 && !s.isBusy(rq.A, sl) && !s.isBusy(rq.B, sl) {
						s.place(r, sl)
						return true
					}
					s.unplace(other)
				}
			}
			s.place(other, sl)
		}
	}
	return false
}

// balance raises the fewest meetings within a group: an unplaced request of
// a participant who has fewer meetings than the partner's least-served other
// partner takes over that partner's meeting when the partner is at its
// limit. The total stays the same and the minimum goes up.
func (s *state) balance(reqs []int) {
	scratch := make([]uint64, s.words)
	inGroup := make(map[int]bool, len(reqs))
	for _, r := range reqs {
		inGroup[r] = true
	}
	for _, r := range reqs {
		if s.assigned[r] >= 0 {
			continue
		}
		rq := s.p.Requests[r]
		// v is the party at its limit, u the one who would gain.
		v, u := rq.A, rq.B
		switch {
		case s.count[v] >= s.limit[v] && s.count[u] < s.limit[u]:
		case s.count[u] >= s.limit[u] && s.count[v] < s.limit[v]:
			v, u = u, v
		default:
			continue
		}
		// The victim: v's meeting in this group whose other party has the
		// most meetings, at least two more than u.
		victim, victimSlot, most := -1, -1, s.count[u]+1
		for sl := range s.nSlots {
			o := int(s.slotReq[v*s.nSlots+sl])
			if o < 0 || s.fixed[o] || !inGroup[o] {
				continue
			}
			orq := s.p.Requests[o]
			w := orq.A
			if w == v {
				w = orq.B
			}
			if s.count[w] > most || (s.count[w] == most && victim >= 0 && s.rank[o] < s.rank[victim]) {
				victim, victimSlot, most = o, sl, s.count[w]
			}
		}
		if victim < 0 {
			continue
		}
		s.unplace(victim)
		if s.candidates(scratch, rq.A, rq.B) {
			if sl := s.bestSlot(scratch, rq.A, rq.B); sl >= 0 {
				s.place(r, sl)
				continue
			}
		}
		s.place(victim, victimSlot)
	}
}

// compact moves meetings (never fixed ones) to slots that leave fewer idle
// gaps for both parties, a few rounds until nothing improves.
func (s *state) compact(cand []uint64) {
	order := make([]int, 0, len(s.assigned))
	for r, sl := range s.assigned {
		if sl >= 0 && !s.fixed[r] {
			order = append(order, r)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.rank[a], s.rank[b]) })
	for range 3 {
		improved := false
		for _, r := range order {
			rq := s.p.Requests[r]
			from := s.assigned[r]
			s.unplace(r)
			before := s.gapDelta(rq.A, from) + s.gapDelta(rq.B, from)
			s.candidates(cand, rq.A, rq.B)
			to := s.bestSlot(cand, rq.A, rq.B)
			if to >= 0 && to != from && s.gapDelta(rq.A, to)+s.gapDelta(rq.B, to) < before {
				s.place(r, to)
				improved = true
				continue
			}
			s.place(r, from)
		}
		if !improved {
			break
		}
	}
}

func (s *state) result(start time.Time) Result {
	p := s.p
	var res Result
	st := &res.Stats
	involved := make([]bool, len(p.Participants))
	for _, f := range p.Fixed {
		if f.Slot >= 0 && f.Slot < s.nSlots {
			st.Kept++
			involved[f.A], involved[f.B] = true, true
		}
	}
	st.Placed = st.Kept
	for r, rq := range p.Requests {
		if !s.valid(rq) {
			continue
		}
		st.RequestsConsidered++
		involved[rq.A], involved[rq.B] = true, true
		if rq.Must {
			st.MustConsidered++
		}
		if s.assigned[r] < 0 {
			st.Unscheduled = append(st.Unscheduled, r)
			continue
		}
		if rq.Must {
			st.MustPlaced++
		}
		if rq.Mutual {
			st.MutualPlaced++
		}
		if !s.fixed[r] {
			st.Placed++
			res.Placed = append(res.Placed, Assignment{Request: r, Slot: s.assigned[r], Table: s.table[r]})
		}
	}
	slices.SortFunc(res.Placed, func(a, b Assignment) int {
		return cmp.Or(cmp.Compare(a.Slot, b.Slot), cmp.Compare(a.Table, b.Table))
	})
	var ids []int
	total := 0
	for v := range p.Participants {
		if !involved[v] {
			continue
		}
		ids = append(ids, v)
		total += s.count[v]
		if s.count[v] == 0 {
			st.WithoutAny++
		}
		st.IdleGaps += s.gaps(v)
	}
	if len(ids) > 0 {
		st.MeanMeetings = float64(total) / float64(len(ids))
		slices.SortFunc(ids, func(a, b int) int {
			return cmp.Or(cmp.Compare(s.count[a], s.count[b]), cmp.Compare(p.Participants[a].ID, p.Participants[b].ID))
		})
		st.MinMeetings = s.count[ids[0]]
		st.Fewest = ids[:min(len(ids), FewestLimit)]
	}
	st.UpperBound = s.upperBound()
	st.Objective, st.ObjectiveBound = s.objective(st.Placed, st.UpperBound)
	st.SolveTime = time.Since(start)
	return res
}

// gaps counts v's free slots between its first and last meeting of each day.
func (s *state) gaps(v int) int {
	n, first, last, busy, day := 0, -1, -1, 0, -1
	flush := func() {
		if first >= 0 {
			n += last - first + 1 - busy
		}
		first, last, busy = -1, -1, 0
	}
	for sl := range s.nSlots {
		if d := s.p.Slots[sl].Day; d != day {
			flush()
			day = d
		}
		if s.isBusy(v, sl) {
			if first < 0 {
				first = sl
			}
			last = sl
			busy++
		}
	}
	flush()
	return n
}

// upperBound bounds the meetings any schedule could hold: fixed meetings
// plus the least of (a) the open requests whose parties share an available
// slot, (b) half the sum over participants of what each can still take
// (limit, free available slots and feasible open requests, whichever is
// least: the degree bound), (c) the fractional b-matching of the feasible
// requests with those capacities, which is tighter than (b) around popular
// participants, and (d) the free tables over all slots.
func (s *state) upperBound() int {
	fixedN := 0
	for _, f := range s.p.Fixed {
		if f.Slot >= 0 && f.Slot < s.nSlots {
			fixedN++
		}
	}
	return fixedN + s.openBound(func(int) bool { return true })
}

// openBound bounds how many of the open requests that include accepts any
// schedule can add to the fixed meetings.
func (s *state) openBound(include func(r int) bool) int {
	p := s.p
	np := len(p.Participants)
	freeAvail := make([]int, np)
	room := make([]int, np)
	for v := range np {
		c := 0
		av, bu := s.row(s.avail, v), s.row(s.fixedBusy, v)
		for i := range av {
			c += bits.OnesCount64(av[i] &^ bu[i])
		}
		freeAvail[v] = c
		room[v] = max(0, s.limit[v]-s.fixedCount[v])
	}
	deg := make([]int, np)
	feasible := 0
	var edges [][2]int
	for r, rq := range p.Requests {
		if s.fixed[r] || !s.valid(rq) || !include(r) {
			continue
		}
		aa, ab := s.row(s.avail, rq.A), s.row(s.avail, rq.B)
		ok := false
		for i := range aa {
			if aa[i]&ab[i] != 0 {
				ok = true
				break
			}
		}
		if ok {
			feasible++
			edges = append(edges, [2]int{rq.A, rq.B})
			deg[rq.A]++
			deg[rq.B]++
		}
	}
	sum := 0
	b := make([]int, np)
	for v := range np {
		b[v] = min(deg[v], room[v], freeAvail[v])
		sum += b[v]
	}
	tables := 0
	for _, f := range s.fixedTablesFree() {
		tables += f
	}
	return min(feasible, sum/2, tables, matchingBound(np, edges, b))
}

// objective is the policy's value of the schedule and a bound on it. The
// Balanced bound splits the weights into layers: with distinct weights
// v1 > v2 > … > vk, a schedule's weight is the sum over j of (vj − vj+1)
// times its meetings of weight at least vj, and each of those counts is
// bounded like the number of meetings.
func (s *state) objective(placed, bound int) (int64, int64) {
	if s.p.Policy != Balanced {
		return int64(placed), int64(bound)
	}
	w := s.p.Weights.orDefault()
	var val, fixedW int64
	for _, f := range s.p.Fixed {
		if f.Slot < 0 || f.Slot >= s.nSlots {
			continue
		}
		if f.Request >= 0 && f.Request < len(s.p.Requests) {
			fixedW += s.weight[f.Request]
		} else {
			fixedW += w.Want
		}
	}
	var levels []int64
	for r, sl := range s.assigned {
		if s.fixed[r] || !s.valid(s.p.Requests[r]) {
			continue
		}
		if sl >= 0 {
			val += s.weight[r]
		}
		if !slices.Contains(levels, s.weight[r]) {
			levels = append(levels, s.weight[r])
		}
	}
	slices.Sort(levels)
	slices.Reverse(levels)
	ub := fixedW
	for j, v := range levels {
		next := int64(0)
		if j+1 < len(levels) {
			next = levels[j+1]
		}
		ub += (v - next) * int64(s.openBound(func(r int) bool { return s.weight[r] >= v }))
	}
	return fixedW + val, ub
}

func (s *state) fixedTablesFree() []int {
	free := make([]int, s.nSlots)
	for i := range free {
		free[i] = s.p.Tables
	}
	for _, f := range s.p.Fixed {
		if f.Slot >= 0 && f.Slot < s.nSlots && free[f.Slot] > 0 {
			free[f.Slot]--
		}
	}
	return free
}
