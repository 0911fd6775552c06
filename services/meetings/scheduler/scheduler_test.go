package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler/schedgen"
)

// check fails t unless res is a valid schedule for p: every hard constraint
// holds, fixed meetings included, and the figures add up.
func check(t *testing.T, p scheduler.Problem, res scheduler.Result) {
	t.Helper()
	n := len(p.Slots)
	type key struct{ a, b int }
	who := map[key]string{}    // (participant, slot) -> what is there
	tables := map[key]string{} // (slot, table) -> what is there
	count := make([]int, len(p.Participants))
	occupy := func(what string, a, b, sl, tb int) {
		for _, v := range []int{a, b} {
			if prev, dup := who[key{v, sl}]; dup {
				t.Fatalf("participant %d double-booked in slot %d: %s and %s", v, sl, prev, what)
			}
			who[key{v, sl}] = what
			count[v]++
		}
		if tb < 0 || tb >= p.Tables {
			t.Fatalf("%s at table %d of %d", what, tb, p.Tables)
		}
		if prev, dup := tables[key{sl, tb}]; dup {
			t.Fatalf("table %d holds two meetings in slot %d: %s and %s", tb, sl, prev, what)
		}
		tables[key{sl, tb}] = what
	}
	fixedReq := map[int]bool{}
	for i, f := range p.Fixed {
		occupy(fmt.Sprintf("fixed %d", i), f.A, f.B, f.Slot, f.Table)
		if f.Request >= 0 {
			fixedReq[f.Request] = true
		}
	}
	placedReq := map[int]bool{}
	for _, a := range res.Placed {
		if a.Slot < 0 || a.Slot >= n {
			t.Fatalf("request %d in slot %d of %d", a.Request, a.Slot, n)
		}
		if fixedReq[a.Request] || placedReq[a.Request] {
			t.Fatalf("request %d placed twice", a.Request)
		}
		placedReq[a.Request] = true
		rq := p.Requests[a.Request]
		for _, v := range []int{rq.A, rq.B} {
			if av := p.Participants[v].Available; av != nil && !slices.Contains(av, a.Slot) {
				t.Fatalf("request %d in slot %d where participant %d is not available", a.Request, a.Slot, v)
			}
		}
		occupy(rq.ID, rq.A, rq.B, a.Slot, a.Table)
	}
	fixedCount := make([]int, len(p.Participants))
	for _, f := range p.Fixed {
		fixedCount[f.A]++
		fixedCount[f.B]++
	}
	for v, pa := range p.Participants {
		// Fixed meetings may exceed a limit lowered later; new ones never add to that.
		if pa.Max > 0 && count[v] > max(pa.Max, fixedCount[v]) {
			t.Fatalf("participant %d has %d meetings, limit %d", v, count[v], pa.Max)
		}
	}
	st := res.Stats
	if st.Placed != len(p.Fixed)+len(res.Placed) {
		t.Fatalf("stats say %d placed, schedule has %d", st.Placed, len(p.Fixed)+len(res.Placed))
	}
	if st.Placed > st.UpperBound {
		t.Fatalf("placed %d exceeds the upper bound %d", st.Placed, st.UpperBound)
	}
	if got := objective(p, res); st.Objective != got {
		t.Fatalf("stats say objective %d, the schedule is worth %d", st.Objective, got)
	}
	if st.Objective > st.ObjectiveBound {
		t.Fatalf("objective %d exceeds its bound %d", st.Objective, st.ObjectiveBound)
	}
}

var policies = []scheduler.Policy{scheduler.PrioritiesFirst, scheduler.MostMeetings, scheduler.Balanced}

// objective values a schedule as its policy does, fixed meetings included:
// meetings, or for Balanced the sum of weights.
func objective(p scheduler.Problem, res scheduler.Result) int64 {
	if p.Policy != scheduler.Balanced {
		return int64(len(p.Fixed) + len(res.Placed))
	}
	var v int64
	for _, f := range p.Fixed {
		if f.Request >= 0 {
			v += scheduler.DefaultWeights.Of(p.Requests[f.Request])
		} else {
			v += scheduler.DefaultWeights.Want
		}
	}
	for _, a := range res.Placed {
		v += scheduler.DefaultWeights.Of(p.Requests[a.Request])
	}
	return v
}

func randomProblem(rng *rand.Rand) scheduler.Problem {
	cfg := schedgen.Config{
		Participants: 2 + rng.IntN(40),
		Days:         1 + rng.IntN(3),
		SlotsPerDay:  2 + rng.IntN(10),
		MustShare:    rng.Float64(),
		LimitShare:   rng.Float64(),
		PartialShare: rng.Float64(),
	}
	cfg.Tables = 1 + rng.IntN(cfg.Participants)
	maxReq := cfg.Participants * (cfg.Participants - 1) / 2
	cfg.Requests = min(maxReq, rng.IntN(4*cfg.Participants))
	cfg.Fixed = rng.IntN(1 + cfg.Requests/4)
	return schedgen.Generate(rng.Uint64(), cfg)
}

// TestSolveProperties runs the solver on random events and checks the hard
// constraints, determinism, independence of input order, maximality and that
// lower-priority requests never displace must-meet ones.
func TestSolveProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		p := randomProblem(rng)
		p.Policy = policies[i%len(policies)]
		t.Run(fmt.Sprintf("%d/%s", i, p.Policy), func(t *testing.T) {
			res := scheduler.Solve(p)
			check(t, p, res)

			again := scheduler.Solve(p)
			if !slices.Equal(res.Placed, again.Placed) {
				t.Fatal("two runs on the same input differ")
			}

			sp := shuffled(p, rng)
			if got := byID(sp, scheduler.Solve(sp)); !mapsEqual(got, byID(p, res)) {
				t.Fatal("the schedule depends on the order of the requests")
			}

			assertMaximal(t, p, res)
			if p.Policy != scheduler.PrioritiesFirst {
				return
			}

			// Wants never displace musts: with every other request present
			// at least as many musts are placed as without them (they are
			// settled first; later passes only add).
			mustOnly := p
			mustOnly.Requests = nil
			remap := map[int]int{}
			for r, rq := range p.Requests {
				if rq.Must || isFixed(p, r) {
					remap[r] = len(mustOnly.Requests)
					mustOnly.Requests = append(mustOnly.Requests, rq)
				}
			}
			mustOnly.Fixed = slices.Clone(p.Fixed)
			for i := range mustOnly.Fixed {
				if r := mustOnly.Fixed[i].Request; r >= 0 {
					mustOnly.Fixed[i].Request = remap[r]
				}
			}
			if full, alone := res.Stats.MustPlaced, scheduler.Solve(mustOnly).Stats.MustPlaced; full < alone {
				t.Fatalf("must requests placed: %d with the others, %d alone", full, alone)
			}
		})
	}
}

// TestGreedyRespectsConstraints keeps the baseline honest too: the benchmark
// compares it with Solve.
func TestGreedyRespectsConstraints(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		p := randomProblem(rng)
		check(t, p, scheduler.Greedy(p))
	}
}

// TestUpperBoundAgainstOptimum compares the bounds with the true optimum,
// found by exhaustive search on tiny events, for every policy.
func TestUpperBoundAgainstOptimum(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	worse := 0
	for i := range 300 {
		cfg := schedgen.Config{Participants: 2 + rng.IntN(5), Days: 1, SlotsPerDay: 1 + rng.IntN(3),
			LimitShare: 0.5, PartialShare: 0.5}
		cfg.Tables = 1 + rng.IntN(2)
		cfg.Requests = min(cfg.Participants*(cfg.Participants-1)/2, rng.IntN(8))
		p := schedgen.Generate(rng.Uint64(), cfg)
		p.Policy = policies[i%len(policies)]
		res := scheduler.Solve(p)
		check(t, p, res)
		opt, optW := optimum(p)
		if res.Stats.UpperBound < opt {
			t.Fatalf("instance %d: upper bound %d below the optimum %d", i, res.Stats.UpperBound, opt)
		}
		if res.Stats.Placed > opt {
			t.Fatalf("instance %d: placed %d above the optimum %d: the checker is wrong", i, res.Stats.Placed, opt)
		}
		if p.Policy == scheduler.Balanced {
			if res.Stats.ObjectiveBound < optW {
				t.Fatalf("instance %d: weighted bound %d below the optimum %d", i, res.Stats.ObjectiveBound, optW)
			}
			if res.Stats.Objective < optW {
				worse++
			}
		}
		if p.Policy == scheduler.MostMeetings && res.Stats.Placed < opt {
			worse++
		}
	}
	// Tiny events are where exhaustive search is possible; the solver
	// should find their optimum nearly always.
	if worse > 3 {
		t.Fatalf("below the optimum on %d of 200 tiny events", worse)
	}
}

// optimum is the most meetings any schedule can hold, and the most weight
// (Balanced), by trying every slot (or none) for every request.
func optimum(p scheduler.Problem) (int, int64) {
	n := len(p.Slots)
	busy := map[[2]int]bool{}
	used := make([]int, n)
	count := make([]int, len(p.Participants))
	avail := func(v, sl int) bool {
		av := p.Participants[v].Available
		return av == nil || slices.Contains(av, sl)
	}
	best, bestW := 0, int64(0)
	var rec func(r, placed int, w int64)
	rec = func(r, placed int, w int64) {
		if r == len(p.Requests) {
			best, bestW = max(best, placed), max(bestW, w)
			return
		}
		rq := p.Requests[r]
		for sl := range n {
			if used[sl] >= p.Tables || busy[[2]int{rq.A, sl}] || busy[[2]int{rq.B, sl}] || !avail(rq.A, sl) || !avail(rq.B, sl) {
				continue
			}
			if m := p.Participants[rq.A].Max; m > 0 && count[rq.A] >= m {
				continue
			}
			if m := p.Participants[rq.B].Max; m > 0 && count[rq.B] >= m {
				continue
			}
			busy[[2]int{rq.A, sl}], busy[[2]int{rq.B, sl}] = true, true
			used[sl]++
			count[rq.A]++
			count[rq.B]++
			rec(r+1, placed+1, w+scheduler.DefaultWeights.Of(rq))
			busy[[2]int{rq.A, sl}], busy[[2]int{rq.B, sl}] = false, false
			used[sl]--
			count[rq.A]--
			count[rq.B]--
		}
		rec(r+1, placed, w)
	}
	rec(0, 0, 0)
	return best, bestW
}

// TestFairness: a participant who can take one meeting meets the partner who
// otherwise has none, not the one who already has plenty.
func TestFairness(t *testing.T) {
	t.Parallel()
	p := scheduler.Problem{
		Slots:  []scheduler.Slot{{Day: 0}, {Day: 0}, {Day: 0}, {Day: 0}},
		Tables: 10,
		Participants: []scheduler.Participant{
			{ID: "busy"}, {ID: "limited", Max: 1}, {ID: "lonely"}, {ID: "x"}, {ID: "y"}, {ID: "z"},
		},
		Requests: []scheduler.Request{
			{ID: "a", A: 0, B: 1}, // busy-limited, first by ID
			{ID: "b", A: 2, B: 1}, // lonely-limited: lonely's only request
			{ID: "c", A: 0, B: 3},
			{ID: "d", A: 0, B: 4},
			{ID: "e", A: 0, B: 5},
		},
	}
	res := scheduler.Solve(p)
	check(t, p, res)
	if res.Stats.MinMeetings != 1 || res.Stats.WithoutAny != 0 {
		t.Fatalf("min meetings %d, %d without any; want everyone to meet someone", res.Stats.MinMeetings, res.Stats.WithoutAny)
	}
	if g := scheduler.Greedy(p); g.Stats.WithoutAny == 0 {
		t.Fatal("the baseline already gets this right; the test shows nothing")
	}
}

// TestCompactAgendas: with free choice, a participant's meetings of a day
// sit next to each other.
func TestCompactAgendas(t *testing.T) {
	t.Parallel()
	p := scheduler.Problem{Tables: 5}
	for range 10 {
		p.Slots = append(p.Slots, scheduler.Slot{Day: 0})
	}
	p.Participants = []scheduler.Participant{{ID: "hub"}, {ID: "a", Available: []int{8}}, {ID: "b"}, {ID: "c"}}
	p.Requests = []scheduler.Request{{ID: "1", A: 0, B: 1}, {ID: "2", A: 0, B: 2}, {ID: "3", A: 0, B: 3}}
	res := scheduler.Solve(p)
	check(t, p, res)
	if res.Stats.IdleGaps != 0 {
		t.Fatalf("idle gaps = %d, want 0 (%+v)", res.Stats.IdleGaps, res.Placed)
	}
}

// TestFillKeepsFixed: in fill mode published meetings are input, never
// output, and new meetings go around them.
func TestFillKeepsFixed(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100 {
		p := randomProblem(rng)
		if len(p.Fixed) == 0 {
			continue
		}
		res := scheduler.Solve(p)
		check(t, p, res) // occupying a fixed meeting's participant, slot or table fails here
		if res.Stats.Kept != len(p.Fixed) {
			t.Fatalf("kept %d of %d fixed meetings", res.Stats.Kept, len(p.Fixed))
		}
	}
}

func isFixed(p scheduler.Problem, r int) bool {
	return slices.ContainsFunc(p.Fixed, func(f scheduler.Fixed) bool { return f.Request == r })
}

func shuffled(p scheduler.Problem, rng *rand.Rand) scheduler.Problem {
	perm := rng.Perm(len(p.Requests))
	q := p
	q.Requests = make([]scheduler.Request, len(p.Requests))
	inv := make([]int, len(perm))
	for newIdx, old := range perm {
		q.Requests[newIdx] = p.Requests[old]
		inv[old] = newIdx
	}
	q.Fixed = slices.Clone(p.Fixed)
	for i := range q.Fixed {
		if r := q.Fixed[i].Request; r >= 0 {
			q.Fixed[i].Request = inv[r]
		}
	}
	return q
}

// byID keys a schedule by request ID, so runs over differently ordered
// inputs compare.
func byID(p scheduler.Problem, res scheduler.Result) map[string][2]int {
	out := map[string][2]int{}
	for _, a := range res.Placed {
		out[p.Requests[a.Request].ID] = [2]int{a.Slot, a.Table}
	}
	return out
}

func mapsEqual(a, b map[string][2]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// assertMaximal fails when a request left out could simply be added: both
// parties under their limit, free and available in a slot with a free table.
func assertMaximal(t *testing.T, p scheduler.Problem, res scheduler.Result) {
	t.Helper()
	n := len(p.Slots)
	busy := map[[2]int]bool{}
	used := make([]int, n)
	count := make([]int, len(p.Participants))
	add := func(a, b, sl int) {
		busy[[2]int{a, sl}], busy[[2]int{b, sl}] = true, true
		used[sl]++
		count[a]++
		count[b]++
	}
	for _, f := range p.Fixed {
		add(f.A, f.B, f.Slot)
	}
	for _, a := range res.Placed {
		add(p.Requests[a.Request].A, p.Requests[a.Request].B, a.Slot)
	}
	for _, r := range res.Stats.Unscheduled {
		rq := p.Requests[r]
		under := func(v int) bool { m := p.Participants[v].Max; return m <= 0 || count[v] < m }
		if !under(rq.A) || !under(rq.B) {
			continue
		}
		for sl := range n {
			free := func(v int) bool {
				av := p.Participants[v].Available
				return !busy[[2]int{v, sl}] && (av == nil || slices.Contains(av, sl))
			}
			if used[sl] < p.Tables && free(rq.A) && free(rq.B) {
				t.Fatalf("request %s left out though slot %d is free for both", rq.ID, sl)
			}
		}
	}
}
