package testenv_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tandem-cluster/tandem/pkg/testenv"
)

func TestRedisIsolation(t *testing.T) {
	ctx := context.Background()
	var observer *redis.Client
	prefixes := map[string]string{}

	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			c, prefix := testenv.Redis(t)
			if observer == nil {
				// A client of the same server that outlives the subtests.
				observer = redis.NewClient(c.Options())
			}
			for other, p := range prefixes {
				if p == prefix {
					t.Fatalf("prefix %q reused from %s", p, other)
				}
				keys, err := c.Keys(ctx, prefix+":*").Result()
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 0 {
					t.Fatalf("fresh prefix already holds %v", keys)
				}
			}
			prefixes[name] = prefix
			for _, k := range []string{"x", "y", "z:1"} {
				if err := c.Set(ctx, prefix+":"+k, name, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := c.Keys(ctx, prefix+":*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 3 {
				t.Fatalf("keys under %s = %v, want 3", prefix, keys)
			}
			if got := c.Get(ctx, prefix+":x").Val(); got != name {
				t.Fatalf("value = %q, want %q", got, name)
			}
		})
	}
	if observer == nil {
		t.Fatal("subtests did not run")
	}
	defer observer.Close()
	for name, prefix := range prefixes {
		keys, err := observer.Keys(ctx, prefix+":*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 0 {
			t.Errorf("after cleanup of %s, keys remain: %v", name, keys)
		}
	}
}

func TestJetStream(t *testing.T) {
	url, nc, js := testenv.JetStream(t)
	if url == "" || !nc.IsConnected() {
		t.Fatalf("url %q connected %v", url, nc.IsConnected())
	}
	if _, err := js.AccountInfo(context.Background()); err != nil {
		t.Fatalf("jetstream not enabled: %v", err)
	}
}
