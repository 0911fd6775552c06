package webui

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Each open match stream holds a stream to the matching service and a
// consumer on its event stream, so the UI bounds them per user: at most
// max at once, and at most perMinute openings a minute (a browser that
// reconnects in a loop, or a script, cannot pile them up). With
// Options.Streams the bounds hold across every gateway replica; a replica
// that cannot reach it falls back to its own count. The services' own
// limits stay behind them.

const (
	defaultStreamsPerUser       = 3
	defaultStreamOpensPerMinute = 30
	streamGateUsers             = 10000
)

// StreamLimiter admits a user's live stream when they have fewer than max
// open and opened fewer than perMinute a minute, counted across replicas;
// release must be called once the stream ends.
type StreamLimiter interface {
	Enter(ctx context.Context, subject string, max, perMinute int) (release func(), retryAfter time.Duration, ok bool, err error)
}

type streamGate struct {
	shared    StreamLimiter
	log       *slog.Logger
	mu        sync.Mutex
	max       int
	perMinute int
	open      map[string]int
	opens     map[string]*rate.Limiter
}

func newStreamGate(max, perMinute int, shared StreamLimiter, log *slog.Logger) *streamGate {
	return &streamGate{shared: shared, log: log, max: max, perMinute: perMinute, open: map[string]int{}, opens: map[string]*rate.Limiter{}}
}

// enter admits one more stream of subject, or says how long to wait.
// release must be called once the stream ends.
func (g *streamGate) enter(ctx context.Context, subject string) (release func(), retryAfter time.Duration, ok bool) {
	if g.shared != nil {
		release, retryAfter, ok, err := g.shared.Enter(ctx, subject, g.max, g.perMinute)
		if err == nil {
			return release, retryAfter, ok
		}
		g.log.Warn("live streams counted by this replica alone", "err", err)
	}
	return g.local(subject)
}

func (g *streamGate) local(subject string) (release func(), retryAfter time.Duration, ok bool) {
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
