package adapters

import (
	"context"
	"sync"
	"time"
)

// PrefetchLimiter is a RateLimiter that spares a busy client's requests
// the round trip to Redis: when a key comes back within Idle of its last
// visit to Redis, that visit also takes up to a second's worth of its budget
// ahead (PerMinute/60 units, at most MaxPrefetch), and the next requests
// spend those units here, in memory.
//
// Across replicas the budget is never exceeded: every unit let through was
// taken from the shared budget in Redis first. What a replica holds and has
// not spent is given back to Redis once the key has been idle for Idle, and
// at shutdown (Flush). So a client whose requests are spread over several
// replicas may be refused early, by at most what the other replicas hold
// (a second's worth of its budget each), for at most Idle; a client on one
// replica sees the budget exactly. Budgets under 120 a minute prefetch
// nothing and are decided in Redis request by request, as are keys seen
// once. If Redis fails, prefetched units are still spent; the rest is let
// through as by RateLimiter's callers.
type PrefetchLimiter struct {
	redis *RateLimiter
	idle  time.Duration
	now   func() time.Time

	mu      sync.Mutex
	keys    map[string]*held
	pending []Budget // units to give back whose key was replaced
}

// held is what one key has taken from Redis and not spent yet.
type held struct {
	perMinute int
	units     int       // taken ahead, not yet spent
	remaining int       // what Redis had left after the last visit
	visited   time.Time // the last visit to Redis
	used      time.Time // the last request
}

// MaxPrefetch bounds the units a key takes ahead in one visit.
const MaxPrefetch = 100

// DefaultPrefetchIdle is how long a key's units are held after its last
// request before they go back to Redis.
const DefaultPrefetchIdle = time.Second

// NewPrefetchLimiter prefetches over l; idle 0 means DefaultPrefetchIdle.
func NewPrefetchLimiter(l *RateLimiter, idle time.Duration) *PrefetchLimiter {
	if idle <= 0 {
		idle = DefaultPrefetchIdle
	}
	return &PrefetchLimiter{redis: l, idle: idle, now: time.Now, keys: map[string]*held{}}
}

// prefetch is how many units a busy key takes ahead: a second's worth, and
// none for budgets under two a second.
func prefetch(perMinute int) int {
	if n := perMinute / 60; n >= 2 {
		return min(n, MaxPrefetch)
	}
	return 0
}

// AllowAll charges each budget on its own, as RateLimiter.AllowAll does,
// from the units held here where they suffice and otherwise in one round
// trip to Redis.
func (p *PrefetchLimiter) AllowAll(ctx context.Context, budgets []Budget) (Decision, int, error) {
	if len(budgets) == 0 {
		return Decision{Allowed: true}, -1, nil
	}
	now := p.now()
	ds := make([]Decision, len(budgets))
	var remote []int // budgets decided in Redis
	var ask []Budget
	p.mu.Lock()
	for i, b := range budgets {
		h := p.keys[b.Key]
		if h != nil && h.perMinute == b.PerMinute && h.units >= b.N {
			h.units -= b.N
			h.used = now
			ds[i] = Decision{Allowed: true, Remaining: h.remaining + h.units}
			continue
		}
		if h != nil && now.Sub(h.visited) < p.idle {
			b.Extra = prefetch(b.PerMinute)
		}
		remote = append(remote, i)
		ask = append(ask, b)
	}
	p.mu.Unlock()
	if len(ask) == 0 {
		i := decide(ds)
		return ds[i], i, nil
	}
	got, err := p.redis.allowEach(ctx, ask)
	if err != nil {
		return Decision{}, 0, err
	}
	p.mu.Lock()
	for j, i := range remote {
		b, d := ask[j], got[j]
		h := p.keys[b.Key]
		if h == nil || h.perMinute != b.PerMinute {
			if h != nil && h.units > 0 {
				// The budget's size changed: what was taken under the old
				// one is not spent under the new.
				p.pending = append(p.pending, Budget{Key: b.Key, PerMinute: h.perMinute, N: -h.units})
			}
			h = &held{perMinute: b.PerMinute}
			p.keys[b.Key] = h
		}
		h.visited, h.used = now, now
		if d.Allowed {
			h.units += d.Extra
			h.remaining = d.Remaining
			d.Remaining += h.units
		}
		d.Extra = 0
		ds[i] = d
	}
	p.mu.Unlock()
	i := decide(ds)
	return ds[i], i, nil
}

// Run gives back, every Idle, the units of keys idle for Idle and forgets
// those keys, until ctx ends; then it gives back everything held.
func (p *PrefetchLimiter) Run(ctx context.Context) error {
	t := time.NewTicker(p.idle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = p.Flush(fctx)
			return nil
		case <-t.C:
			// Units taken off the books are returned even if ctx ends
			// meanwhile: cancelled, they would be lost for a minute.
			gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = p.giveBack(gctx, p.now().Add(-p.idle))
			cancel()
		}
	}
}

// Flush gives back to Redis every unit held, so other replicas can use it.
func (p *PrefetchLimiter) Flush(ctx context.Context) error {
	return p.giveBack(ctx, p.now().Add(time.Hour))
}

// giveBack returns the units of keys unused since before and forgets them.
// Units that cannot be returned (Redis away) are lost to their client for
// at most a minute: the budget refills by itself.
func (p *PrefetchLimiter) giveBack(ctx context.Context, before time.Time) error {
	p.mu.Lock()
	back := p.pending
	p.pending = nil
	for k, h := range p.keys {
		if h.used.After(before) {
			continue
		}
		delete(p.keys, k)
		if h.units > 0 {
			back = append(back, Budget{Key: k, PerMinute: h.perMinute, N: -h.units})
		}
	}
	p.mu.Unlock()
	if len(back) == 0 {
		return nil
	}
	_, err := p.redis.allowEach(ctx, back)
	return err
}

// Held is the units held for key, not yet spent (for tests and metrics).
func (p *PrefetchLimiter) Held(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.keys[key]; h != nil {
		return h.units
	}
	return 0
}
