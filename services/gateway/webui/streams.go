package webui

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Each open match stream holds a stream to the matching service and a
// consumer on its event stream, so the UI bounds them per user: at most
// max at once, and at most perMinute openings a minute (a browser that
// reconnects in a loop, or a script, cannot pile them up). The bounds hold
// per gateway process; the services' own limits stay behind them.

const (
	defaultStreamsPerUser       = 3
	defaultStreamOpensPerMinute = 30
	streamGateUsers             = 10000
)

type streamGate struct {
	mu        sync.Mutex
	max       int
	perMinute int
	open      map[string]int
	opens     map[string]*rate.Limiter
}

func newStreamGate(max, perMinute int) *streamGate {
	return &streamGate{max: max, perMinute: perMinute, open: map[string]int{}, opens: map[string]*rate.Limiter{}}
}

// enter admits one more stream of subject, or says how long to wait.
// release must be called once the stream ends.
func (g *streamGate) enter(subject string) (release func(), retryAfter time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open[subject] >= g.max {
		// A stream frees its place when it ends, which cannot be known:
		// a few seconds is as long as a browser should wait to retry.
		return nil, 5 * time.Second, false
	}
	lim := g.opens[subject]
	if lim == nil {
		if len(g.opens) >= streamGateUsers {
			g.prune()
		}
		lim = rate.NewLimiter(rate.Every(time.Minute/time.Duration(g.perMinute)), max(g.perMinute/3, 1))
		g.opens[subject] = lim
	}
	if r := lim.Reserve(); r.Delay() > 0 {
		d := r.Delay()
		r.Cancel()
		return nil, d, false
	}
	g.open[subject]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.open[subject]--; g.open[subject] <= 0 {
				delete(g.open, subject)
			}
		})
	}, 0, true
}

// prune forgets the budgets of users without an open stream. Callers hold mu.
func (g *streamGate) prune() {
	for s := range g.opens {
		if g.open[s] == 0 {
			delete(g.opens, s)
		}
	}
}
