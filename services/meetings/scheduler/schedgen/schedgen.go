// Package schedgen generates brokerage events for the scheduler's tests and
// benchmarks: reproducible from a seed, shaped like partnering fairs.
package schedgen

import (
	"fmt"
	"math/rand/v2"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

// Config describes a generated brokerage event.
type Config struct {
	Participants, Requests int
	Days, SlotsPerDay      int
	Tables                 int
	MustShare              float64 // share of requests marked must
	LimitShare             float64 // share of participants with a meeting limit
	PartialShare           float64 // share of participants not available every slot
	Fixed                  int     // meetings already published
}

// Generate builds a reproducible event shaped like a partnering fair: a few
// popular participants receive many requests, some people come for one day
// or half a day, some cap their meetings, some pairs ask each other.
func Generate(seed uint64, c Config) scheduler.Problem {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var p scheduler.Problem
	for d := range c.Days {
		for range c.SlotsPerDay {
			p.Slots = append(p.Slots, scheduler.Slot{Day: d})
		}
	}
	n := len(p.Slots)
	p.Tables = c.Tables
	for i := range c.Participants {
		pa := scheduler.Participant{ID: fmt.Sprintf("P%06d", i)}
		if rng.Float64() < c.PartialShare {
			pa.Available = []int{}
			switch rng.IntN(3) {
			case 0: // one day only
				d := rng.IntN(c.Days)
				for s := d * c.SlotsPerDay; s < (d+1)*c.SlotsPerDay; s++ {
					pa.Available = append(pa.Available, s)
				}
			case 1: // mornings only
				for s := range n {
					if s%c.SlotsPerDay < c.SlotsPerDay/2 {
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
		if rng.Float64() < c.LimitShare {
			pa.Max = 3 + rng.IntN(10)
		}
		p.Participants = append(p.Participants, pa)
	}
	// Recipients are drawn with a mild skew: low indices are popular.
	pick := func() int {
		x := rng.Float64()
		return min(c.Participants-1, int(float64(c.Participants)*x*x*0.6+float64(c.Participants)*0.4*x))
	}
	seen := map[[2]int]int{}
	for len(p.Requests) < c.Requests {
		a, b := rng.IntN(c.Participants), pick()
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
			ID: fmt.Sprintf("R%07d", len(p.Requests)), A: a, B: b, Must: rng.Float64() < c.MustShare,
		})
	}
	// Fixed meetings: a conflict-free prefix of requests, placed round-robin.
	used := map[[2]int]bool{}
	tableUse := map[[2]int]bool{}
	for r := 0; r < len(p.Requests) && len(p.Fixed) < c.Fixed; r++ {
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

// Shape is a named event configuration.
type Shape struct {
	Name string
	Config
}

// Shapes are the events the scheduler is measured on, smallest first: from a
// regional brokerage day to a large partnering fair. MIP reference optima
// are practical up to the fourth.
func Shapes() []Shape {
	return []Shape{
		{"80p_400r", Config{Participants: 80, Requests: 400, Days: 1, SlotsPerDay: 12, Tables: 30, MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}},
		{"150p_600r", Small()},
		{"300p_1500r", Config{Participants: 300, Requests: 1500, Days: 2, SlotsPerDay: 12, Tables: 100, MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}},
		{"500p_4000r", Config{Participants: 500, Requests: 4000, Days: 2, SlotsPerDay: 16, Tables: 200, MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}},
		{"2000p_10000r", Config{Participants: 2000, Requests: 10000, Days: 2, SlotsPerDay: 20, Tables: 1000, MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}},
		{"6000p_30000r", Large()},
	}
}

// Large is a partnering fair: 6,000 participants, 30,000 requests, 3 days.
func Large() Config {
	return Config{Participants: 6000, Requests: 30000, Days: 3, SlotsPerDay: 20, Tables: 3000,
		MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}
}

// Small is a regional brokerage day: 150 participants, 600 requests.
func Small() Config {
	return Config{Participants: 150, Requests: 600, Days: 1, SlotsPerDay: 16, Tables: 60,
		MustShare: 0.15, LimitShare: 0.2, PartialShare: 0.25}
}
