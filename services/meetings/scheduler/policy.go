package scheduler

import "slices"

// Policy is what the organiser asks the schedule to optimise. Every policy
// keeps the same hard constraints; they differ in which meetings count for
// more.
type Policy int

const (
	// PrioritiesFirst places must-meet and mutual requests before the
	// others: a lower class never displaces a higher one (must and mutual,
	// must, mutual, want), then as many meetings as possible.
	PrioritiesFirst Policy = iota
	// MostMeetings maximises the number of meetings; priorities only break
	// ties.
	MostMeetings
	// Balanced maximises the sum of per-class weights (Problem.Weights).
	Balanced
)

func (p Policy) String() string {
	switch p {
	case MostMeetings:
		return "most-meetings"
	case Balanced:
		return "balanced"
	default:
		return "priorities-first"
	}
}

// Weights value a meeting under the Balanced policy. A request that is both
// must and mutual is worth Must plus Mutual's bonus over Want.
type Weights struct {
	Must, Mutual, Want int64
}

// DefaultWeights are the Balanced policy's weights when none are given.
var DefaultWeights = Weights{Must: 4, Mutual: 2, Want: 1}

func (w Weights) orDefault() Weights {
	if w.Must <= 0 || w.Mutual <= 0 || w.Want <= 0 {
		return DefaultWeights
	}
	return w
}

// Of is the weight of one request.
func (w Weights) Of(r Request) int64 {
	w = w.orDefault()
	v := w.Want
	if r.Must {
		v = w.Must
	}
	if r.Mutual {
		v += max(0, w.Mutual-w.Want)
	}
	return v
}

// Weight is what request r of p is worth under p.Policy: 1 for
// MostMeetings, the class weight for Balanced, and for PrioritiesFirst a
// weight per class larger than all lower classes' requests together, so the
// weighted optimum is the lexicographic one.
func Weight(p *Problem) func(r int) int64 {
	switch p.Policy {
	case MostMeetings:
		return func(int) int64 { return 1 }
	case Balanced:
		w := p.Weights.orDefault()
		return func(r int) int64 { return w.Of(p.Requests[r]) }
	}
	var n [4]int64
	for _, rq := range p.Requests {
		n[Class(rq)]++
	}
	var lex [4]int64
	lex[3] = 1
	for c := 2; c >= 0; c-- {
		lex[c] = lex[c+1] * (n[c+1] + 1)
	}
	return func(r int) int64 { return lex[Class(p.Requests[r])] }
}

// groups splits the requests to place into the groups the construction
// places one after another: by class for PrioritiesFirst, by weight (highest
// first) for Balanced, all together for MostMeetings. Each group is in ID
// order.
func (s *state) groups() [][]int {
	byClass := s.pending()
	switch s.p.Policy {
	case MostMeetings:
		var all []int
		for _, g := range byClass {
			all = append(all, g...)
		}
		s.sortByRank(all)
		return [][]int{all}
	case Balanced:
		by := map[int64][]int{}
		var keys []int64
		for _, g := range byClass {
			for _, r := range g {
				w := s.weight[r]
				if by[w] == nil {
					keys = append(keys, w)
				}
				by[w] = append(by[w], r)
			}
		}
		slices.Sort(keys)
		slices.Reverse(keys)
		var out [][]int
		for _, k := range keys {
			s.sortByRank(by[k])
			out = append(out, by[k])
		}
		return out
	}
	return byClass[:]
}

func (s *state) sortByRank(rs []int) {
	slices.SortFunc(rs, func(a, b int) int { return s.rank[a] - s.rank[b] })
}
