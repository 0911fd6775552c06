package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/redisx"
	"github.com/tandem-cluster/tandem/pkg/redisx/embedded"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
)

func TestRateLimiterAgainstRedis(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	l := adapters.NewRateLimiter(rdb, prefix)
	ctx := context.Background()
	for i := range 5 {
		d, err := l.Allow(ctx, "ip:192.0.2.1", 5)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("request %d: %+v", i+1, d)
		}
	}
	d, err := l.Allow(ctx, "ip:192.0.2.1", 5)
	if err != nil {
		t.Fatal(err)
	}
	// 5 a minute is one every 12 s: the next fits within that.
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 12*time.Second {
		t.Fatalf("6th request: %+v", d)
	}
	// Other keys have their own budget.
	if d, err := l.Allow(ctx, "ip:192.0.2.2", 5); err != nil || !d.Allowed {
		t.Fatalf("other key: %+v %v", d, err)
	}
	// The state lives under the prefix and expires by itself.
	keys, err := rdb.Keys(ctx, "rate:"+prefix+":*").Result()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys under prefix = %v, %v", keys, err)
	}
	if ttl := rdb.TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl %v", ttl)
	}
	_ = rdb.Del(ctx, keys...)
}

// TestRateLimiterAllowAll: several budgets in one round trip; the decision
// is the first refusing budget's, and each budget is charged on its own.
func TestRateLimiterAllowAll(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	l := adapters.NewRateLimiter(rdb, prefix)
	ctx := context.Background()
	budgets := []adapters.Budget{{Key: "ip:192.0.2.9", PerMinute: 10, N: 1}, {Key: "items:carla", PerMinute: 5, N: 3}}
	d, i, err := l.AllowAll(ctx, budgets)
	if err != nil || !d.Allowed || i != 1 || d.Remaining != 2 {
		t.Fatalf("first call: %+v, budget %d, %v", d, i, err)
	}
	d, i, err = l.AllowAll(ctx, budgets)
	if err != nil || d.Allowed || i != 1 || d.RetryAfter <= 0 {
		t.Fatalf("second call: %+v, budget %d, %v; want the item budget to refuse", d, i, err)
	}
	// The address budget was charged by both calls: 8 of 10 left.
	if d, err := l.Allow(ctx, "ip:192.0.2.9", 10); err != nil || !d.Allowed || d.Remaining != 7 {
		t.Fatalf("address budget after two calls and this one: %+v, %v", d, err)
	}
	_ = rdb.Del(ctx, "rate:"+prefix+":ip:192.0.2.9", "rate:"+prefix+":items:carla")
}

func BenchmarkRateLimiterAllow(b *testing.B) {
	rdb, prefix := testenv.Redis(b)
	l := adapters.NewRateLimiter(rdb, prefix)
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Allow(ctx, "bench", 1_000_000); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = rdb.Del(ctx, "rate:"+prefix+":bench")
}

// tandem dev runs on the embedded Redis-compatible server when no Redis is
// configured: the limiter's script must run there too.
func TestRateLimiterOnEmbeddedRedis(t *testing.T) {
	emb, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	rdb, err := redisx.Connect(context.Background(), emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	l := adapters.NewRateLimiter(rdb, "tandem:gateway:ratelimit")
	for i := range 3 {
		if d, err := l.Allow(context.Background(), "sub:demo", 2); err != nil || d.Allowed != (i < 2) {
			t.Fatalf("request %d: %+v, %v", i+1, d, err)
		}
	}
	// Taking ahead and giving back run there too.
	p := adapters.NewPrefetchLimiter(l, time.Hour)
	for i := range 2 {
		if d, _, err := p.AllowAll(context.Background(), []adapters.Budget{{Key: "sub:busy", PerMinute: 600, N: 1}}); err != nil || !d.Allowed {
			t.Fatalf("prefetching request %d: %+v, %v", i+1, d, err)
		}
	}
	if p.Held("sub:busy") != 10 {
		t.Fatalf("held %d, want 10", p.Held("sub:busy"))
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, err := l.Allow(context.Background(), "sub:busy", 600); err != nil || d.Remaining < 597 {
		t.Fatalf("after giving back: %+v, %v", d, err)
	}
}
