package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tandem-cluster/tandem/pkg/redisx"
)

// DefaultRedisURL is used when REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// backend is the Redis every test of this binary shares, found once.
type backend struct {
	opts *redis.Options
	note string // said once per test that uses a fallback
	err  error
}

var (
	backendOnce sync.Once
	shared      backend
)

// Redis returns a client to a real Redis and a key prefix unique to this
// test; at cleanup every key under the prefix is deleted. The Redis is
// REDIS_URL (default DefaultRedisURL); when that does not answer, a
// redis-server from PATH on a free port, started once per test binary; when
// none is installed, an in-process miniredis, which the test log says. With
// CI=true only a real Redis will do.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	backendOnce.Do(func() { shared = findBackend() })
	if shared.err != nil {
		t.Fatalf("testenv: %v", shared.err)
	}
	if shared.note != "" {
		t.Log("testenv: " + shared.note)
	}
	c := redis.NewClient(shared.opts)
	prefix := "test:" + safeName(t.Name()) + ":" + ulid.Make().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, c, prefix); err != nil {
			t.Errorf("testenv: clean up redis prefix %s: %v", prefix, err)
		}
		_ = c.Close()
	})
	return c, prefix
}

// DeletePrefix removes every key under prefix+":" (and prefix itself).
func DeletePrefix(ctx context.Context, c *redis.Client, prefix string) error {
	if err := c.Unlink(ctx, prefix).Err(); err != nil {
		return err
	}
	iter := c.Scan(ctx, 0, prefix+":*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return c.Unlink(ctx, batch...).Err()
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// safeName keeps glob characters ([, *, ?) out of the SCAN pattern.
func safeName(name string) string {
	return unsafeChars.ReplaceAllString(name, "_")
}

func findBackend() backend {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = DefaultRedisURL
	}
	opts, err := redisx.Options(url)
	if err != nil {
		return backend{err: fmt.Errorf("REDIS_URL: %w", err)}
	}
	if ping(opts) == nil {
		return backend{opts: opts}
	}
	if path, err := exec.LookPath("redis-server"); err == nil {
		addr, err := startRedisServer(path)
		if err != nil {
			return backend{err: fmt.Errorf("no redis at %s and starting %s failed: %w", url, path, err)}
		}
		return backend{opts: &redis.Options{Addr: addr}, note: fmt.Sprintf("no redis at %s; using redis-server started on %s", url, addr)}
	}
	if os.Getenv("CI") == "true" {
		return backend{err: fmt.Errorf("CI=true needs a real redis: none at %s and no redis-server on PATH", url)}
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return backend{err: fmt.Errorf("miniredis: %w", err)}
	}
	// Never closed: it lives in this process and ends with the test binary.
	return backend{opts: &redis.Options{Addr: m.Addr()}, note: fmt.Sprintf("no redis at %s and no redis-server on PATH; falling back to in-process miniredis (not every command behaves like Redis)", url)}
}

func ping(opts *redis.Options) error {
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// startRedisServer runs redis-server without persistence on a free port. It
// is tied to this process (see startTied) so it never outlives the tests.
func startRedisServer(path string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", os.TempDir(), "--loglevel", "warning")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startTied(cmd); err != nil {
		return "", err
	}
	opts := &redis.Options{Addr: addr}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(opts) == nil {
			return addr, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("redis-server on %s did not answer: %s", addr, out.String())
}
