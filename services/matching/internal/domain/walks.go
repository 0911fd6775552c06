package domain

import (
	"slices"
	"sync"
)

// maxWalks bounds the walks kept: at 100,000 organisations a walk reaches
// about 2,000 of them, some 25 KB kept per seeker.
const maxWalks = 1024

// walked is the walk from one organisation, kept while the history is
// unchanged. The walk reads the history alone, never the need, and a seeker
// asks again and again: with other needs, through its saved searches, and
// when its kept answers are brought up to date after an event. Its values
// are the walk's own, copied, so scores stay the same bit for bit.
type walked struct {
	histGen  uint64
	gt       []int32   // the organisations reached, in the walk's order
	gv       []float64 // their closeness, by gt
	partners []partnerCount

	// reach is gt with a closeness above zero, sorted: what an answer's
	// footprint notes of the walk. Made once, on the first ask that needs it.
	reachOnce sync.Once
	reach     []int32
}

// reached returns the organisations the walk reached, sorted.
func (w *walked) reached() []int32 {
	w.reachOnce.Do(func() {
		w.reach = make([]int32, 0, len(w.gt))
		for k, o := range w.gt {
			if w.gv[k] > 0 {
				w.reach = append(w.reach, o)
			}
		}
		slices.Sort(w.reach)
	})
	return w.reach
}

type partnerCount struct{ org, n int32 }

// walks keeps walks by the seeker's organisation number. Queries hold the
// index's read lock only, so it has its own.
type walks struct {
	mu sync.Mutex
	m  map[int32]*walked
}

func (ws *walks) get(orgN int32, histGen uint64) *walked {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w := ws.m[orgN]; w != nil && w.histGen == histGen {
		return w
	}
	return nil
}

func (ws *walks) put(orgN int32, w *walked) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[int32]*walked{}
	}
	if _, ok := ws.m[orgN]; !ok && len(ws.m) >= maxWalks {
		for o := range ws.m { // any one: maps are iterated from a random place
			delete(ws.m, o)
			break
		}
	}
	ws.m[orgN] = w
}

// keepWalk copies p's walk for the next query of the same organisation.
func keepWalk(p *profile, histGen uint64) *walked {
	w := &walked{histGen: histGen, gt: append([]int32(nil), p.gt...), gv: make([]float64, len(p.gt)),
		partners: make([]partnerCount, 0, len(p.partners))}
	for k, o := range p.gt {
		w.gv[k] = p.gv[o]
	}
	for o, n := range p.partners {
		w.partners = append(w.partners, partnerCount{o, n})
	}
	return w
}

// into sets p's walk to w; n is the number of organisations.
func (w *walked) into(p *profile, n int) {
	p.gv = grown(p.gv, n)
	p.gt = append(p.gt[:0], w.gt...)
	for k, o := range w.gt {
		p.gv[o] = w.gv[k]
	}
	for _, pc := range w.partners {
		p.partners[pc.org] = pc.n
	}
}
