package redisx_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/redisx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestConnectThroughSentinel starts a real Redis Sentinel watching the test
// Redis and connects with a master_name URL, as the services do on
// Kubernetes: what the client writes lands on the primary.
func TestConnectThroughSentinel(t *testing.T) {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true needs redis-server on PATH to run a Sentinel")
		}
		t.Skip("redis-server not on PATH: cannot start a Sentinel")
	}
	primary, prefix := testenv.Redis(t)
	host, port, err := net.SplitHostPort(primary.Options().Addr)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sentinelAddr := lis.Addr().String()
	_ = lis.Close()
	_, sport, _ := net.SplitHostPort(sentinelAddr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor tandemtest %s %s 1\nsentinel down-after-milliseconds tandemtest 60000\n", sport, dir, host, port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(server, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := redisx.Connect(ctx, "redis://"+sentinelAddr+"/0?master_name=tandemtest")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := prefix + ":through-sentinel"
	if err := c.Set(ctx, key, "written", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := primary.Get(ctx, key).Result(); err != nil || got != "written" {
		t.Fatalf("primary has %q (%v), want the value written through the Sentinel", got, err)
	}
}

func TestConnectRejectsBadSentinelURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := redisx.Connect(ctx, "redis://127.0.0.1:26379/x?master_name=tandem"); err == nil {
		t.Fatal("a Sentinel URL with a bad database number was accepted")
	}
}
