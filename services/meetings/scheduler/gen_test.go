package scheduler_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

// genConfig describes a generated brokerage event.
type genConfig struct {
	participants, requests int
	days, slotsPerDay      int
	tables                 int
	mustShare              float64 // share of requests marked must
	limitShare             float64 // share of participants with a meeting limit
	partialShare           float64 // share of participants not available every slot
	fixed                  int     // meetings already published
}

// generate builds a reproducible event shaped like a partnering fair: a few
// popular participants receive many requests, some people come for one day
// or half a day, some cap their meetings, some pairs ask each other.
func generate(seed uint64, c genConfig) scheduler.Problem {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var p scheduler.Problem
	for d := range c.days {
		for range c.slotsPerDay {
			p.Slots = append(p.Slots, scheduler.Slot{Day: d})
		}
	}
	n := len(p.Slots)
	p.Tables = c.tables
	for i := range c.participants {
		pa := scheduler.Participant{ID: fmt.Sprintf("P%06d", i)}
		if rng.Float64() < c.partialShare {
			pa.Available = []int{}
			switch rng.IntN(3) {
			case 0: // one day only
				d := rng.IntN(c.days)
				for s := d * c.slotsPerDay; s < (d+1)*c.slotsPerDay; s++ {
					pa.Available = append(pa.Available, s)
				}
			case 1: // mornings only
				for s := range n {
					if s%c.slotsPerDay < c.slotsPerDay/2 {
						pa.Available = append(pa.Available, s)
					}
				}
			default: // random holes
				for s := range n {
					if rng.Float64() < 0.7 {
						pa.Available = append(pa.Available, s)
					}
				}
			}
		}
		if rng.Float64() < c.limitShare {
			pa.Max = 3 + rng.IntN(10)
		}
		p.Participants = append(p.Participants, pa)
	}
	// Recipients are drawn with a mild skew: low indices are popular.
	pick := func() int {
		x := rng.Float64()
		return min(c.participants-1, int(float64(c.participants)*x*x*0.6+float64(c.participants)*0.4*x))
	}
	seen := map[[2]int]int{}
	for len(p.Requests) < c.requests {
		a, b := rng.IntN(c.participants), pick()
		if a == b {
			continue
		}
		key := [2]int{min(a, b), max(a, b)}
		if i, dup := seen[key]; dup {
			p.Requests[i].Mutual = true // both asked: one mutual request
			continue
		}
		seen[key] = len(p.Requests)
		p.Requests = append(p.Requests, scheduler.Request{
			ID: fmt.Sprintf("R%07d", len(p.Requests)), A: a, B: b, Must: rng.Float64() < c.mustShare,
		})
	}
	// Fixed meetings: a conflict-free prefix of requests, placed round-robin.
	used := map[[2]int]bool{}
	tableUse := map[[2]int]bool{}
	for r := 0; r < len(p.Requests) && len(p.Fixed) < c.fixed; r++ {
		rq := p.Requests[r]
		for try := range n {
			sl := (r + try) % n
			if used[[2]int{rq.A, sl}] || used[[2]int{rq.B, sl}] {
				continue
			}
			t := 0
			for tableUse[[2]int{sl, t}] {
				t++
			}
			if t >= p.Tables {
				continue
			}
			used[[2]int{rq.A, sl}], used[[2]int{rq.B, sl}], tableUse[[2]int{sl, t}] = true, true, true
			p.Fixed = append(p.Fixed, scheduler.Fixed{Request: r, A: rq.A, B: rq.B, Slot: sl, Table: t})
			break
		}
	}
	return p
}

var (
	largeEvent = genConfig{participants: 6000, requests: 30000, days: 3, slotsPerDay: 20, tables: 3000,
		mustShare: 0.15, limitShare: 0.2, partialShare: 0.25}
	smallEvent = genConfig{participants: 150, requests: 600, days: 1, slotsPerDay: 16, tables: 60,
		mustShare: 0.15, limitShare: 0.2, partialShare: 0.25}
)
