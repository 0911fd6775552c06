package adapters_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
)

// TestPrefetchSpendsLocallyAndReportsTheBudget: a key's first request is
// decided in Redis, its second takes a second's worth ahead (600 a minute:
// 10), and the next ones spend those without Redis; Remaining still counts
// what the client has left, held units included.
func TestPrefetchSpendsLocallyAndReportsTheBudget(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	l := adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rdb, prefix), time.Hour)
	ctx := context.Background()
	key := "sub:prefetch-" + t.Name()
	t.Cleanup(func() { _ = rdb.Del(ctx, "rate:"+prefix+":"+key) })
	budget := []adapters.Budget{{Key: key, PerMinute: 600, N: 1}}
	for i, held := range []int{0, 10, 9, 8} {
		d, _, err := l.AllowAll(ctx, budget)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v, %v", i+1, d, err)
		}
		if got := l.Held(key); got != held {
			t.Fatalf("after request %d: %d units held, want %d", i+1, got, held)
		}
		// 600 - (i+1) left, give or take what refilled meanwhile.
		if want := 600 - (i + 1); d.Remaining < want-1 || d.Remaining > want+1 {
			t.Fatalf("request %d: remaining %d, want about %d", i+1, d.Remaining, want)
		}
	}
	// Redis itself was charged the held units too: a replica without
	// them sees 4 spent and 8 held.
	other := adapters.NewRateLimiter(rdb, prefix)
	if d, err := other.Allow(ctx, key, 600); err != nil || d.Remaining > 600-13+1 {
		t.Fatalf("another replica's view: %+v, %v; want about %d left", d, err, 600-13)
	}
}

// TestPrefetchNeverExceedsTheBudgetAcrossReplicas: two replicas serving
// one client concurrently let through no more than the shared budget
// (600, plus what refills while the test runs), and what they took from
// Redis is either spent or still held.
func TestPrefetchNeverExceedsTheBudgetAcrossReplicas(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	ctx := context.Background()
	key := "ip:192.0.2.77"
	t.Cleanup(func() { _ = rdb.Del(ctx, "rate:"+prefix+":"+key) })
	replicas := []*adapters.PrefetchLimiter{
		adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rdb, prefix), time.Hour),
		adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rdb, prefix), time.Hour),
	}
	var allowed, refused atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 120 {
				d, _, err := replicas[w%2].AllowAll(ctx, []adapters.Budget{{Key: key, PerMinute: 600, N: 1}})
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	refill := int64(math.Ceil(time.Since(start).Seconds() * 10))
	held := int64(replicas[0].Held(key) + replicas[1].Held(key))
	if allowed.Load() > 600+refill {
		t.Fatalf("%d requests let through, budget 600 + %d refilled", allowed.Load(), refill)
	}
	if refused.Load() == 0 {
		t.Fatalf("960 requests against a budget of 600 all let through")
	}
	// A refusal means Redis had nothing left: the whole budget was taken,
	// spent or held, never lost.
	if allowed.Load()+held < 600 {
		t.Fatalf("%d let through and %d held: less than the budget of 600", allowed.Load(), held)
	}
}

// TestPrefetchGivesBackUnusedUnits: what a replica holds goes back to Redis
// when the key has been idle for the idle time (Run) and at shutdown
// (Flush), so other replicas can use it.
func TestPrefetchGivesBackUnusedUnits(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	ctx := context.Background()
	check := func(key string, give func(*adapters.PrefetchLimiter)) {
		t.Helper()
		t.Cleanup(func() { _ = rdb.Del(ctx, "rate:"+prefix+":"+key) })
		l := adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rdb, prefix), 20*time.Millisecond)
		for range 2 {
			if d, _, err := l.AllowAll(ctx, []adapters.Budget{{Key: key, PerMinute: 600, N: 1}}); err != nil || !d.Allowed {
				t.Fatalf("%+v, %v", d, err)
			}
		}
		if l.Held(key) != 10 {
			t.Fatalf("held %d, want 10", l.Held(key))
		}
		give(l)
		// Two spent; the next request elsewhere leaves 597.
		d, err := adapters.NewRateLimiter(rdb, prefix).Allow(ctx, key, 600)
		if err != nil || d.Remaining < 597 {
			t.Fatalf("after giving back: %+v, %v; want 597 left", d, err)
		}
	}
	check("sub:flushed", func(l *adapters.PrefetchLimiter) {
		if err := l.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	})
	check("sub:idle", func(l *adapters.PrefetchLimiter) {
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- l.Run(rctx) }()
		for deadline := time.Now().Add(10 * time.Second); l.Held("sub:idle") > 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("units still held after 10 s idle")
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestPrefetchSmallBudgetsAreExact: under 120 a minute nothing is taken
// ahead; every request is decided in Redis.
func TestPrefetchSmallBudgetsAreExact(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	ctx := context.Background()
	key := "sub:small"
	t.Cleanup(func() { _ = rdb.Del(ctx, "rate:"+prefix+":"+key) })
	l := adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rdb, prefix), time.Hour)
	for i := range 4 {
		d, _, err := l.AllowAll(ctx, []adapters.Budget{{Key: key, PerMinute: 3, N: 1}})
		if err != nil || d.Allowed != (i < 3) || l.Held(key) != 0 {
			t.Fatalf("request %d: %+v, %v, held %d", i+1, d, err, l.Held(key))
		}
	}
}
