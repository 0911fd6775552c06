package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// syncBuffer collects a command's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func execute(ctx context.Context, args ...string) (code int, stdout, stderr *syncBuffer) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	root := newRootCmd()
	root.SetOut(stdout)
	root.SetErr(stderr)
	return runRoot(ctx, root, args), stdout, stderr
}

func TestVersion(t *testing.T) {
	code, out, _ := execute(context.Background(), "version")
	if code != 0 || !strings.HasPrefix(out.String(), "tandem dev ") {
		t.Fatalf("tandem version = %d %q, want 0 and a version line", code, out)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, errOut := execute(context.Background(), "version", "--no-such-flag")
	if code != exitUsage || !strings.Contains(errOut.String(), "no-such-flag") {
		t.Fatalf("exit %d, stderr %q; want %d naming the flag", code, errOut, exitUsage)
	}
}

// freePort returns a port nobody listens on, below the kernel's ephemeral
// range (32768 and up on Linux): a port the kernel handed out and took back
// may be given at once to another test's listener or outgoing connection,
// and two services then fight over it.
func freePort(t *testing.T) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if handedOut.ports[port] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		handedOut.ports[port] = true
		return port
	}
	t.Fatal("no free port between 20000 and 32000")
	return 0
}

// handedOut are the ports freePort returned in this test process.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// TestDev starts the six services in one process and checks that the
// gateway reports every one of them, NATS and Redis ready, then that an
// interrupt stops everything cleanly.
func TestDev(t *testing.T) {
	rc, _ := testenv.Redis(t)
	args := []string{"dev", "--data", t.TempDir(), "--nats-port", "-1", "--log-level", "warn",
		"--redis-url", "redis://" + rc.Options().Addr + "/" + strconv.Itoa(rc.Options().DB)}
	ports := map[string]int{}
	for _, name := range []string{"profiles", "competencies", "matching", "meetings", "messaging", "gateway", "http"} {
		ports[name] = freePort(t)
		args = append(args, "--"+name+"-port", strconv.Itoa(ports[name]))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out *syncBuffer
	outReady := make(chan struct{})
	go func() {
		stdout, stderr := &syncBuffer{}, &syncBuffer{}
		out = stdout
		close(outReady)
		root := newRootCmd()
		root.SetOut(stdout)
		root.SetErr(stderr)
		code := runRoot(ctx, root, args)
		if code != 0 {
			t.Logf("tandem dev stderr:\n%s", stderr)
		}
		done <- code
	}()
	<-outReady

	// Loading the demo data and its history takes seconds alone, and much
	// longer beside other packages' tests under the race detector: the
	// deadline only stops a start that hangs.
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(out.String(), "tandem dev is running") {
		select {
		case code := <-done:
			t.Fatalf("tandem dev exited with %d before it was running", code)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("tandem dev did not start within 5 minutes")
		}
	}
	for _, name := range []string{"profiles", "competencies", "matching", "meetings", "messaging", "gateway"} {
		if !strings.Contains(out.String(), "127.0.0.1:"+strconv.Itoa(ports[name])) {
			t.Errorf("port list lacks %s's port %d:\n%s", name, ports[name], out)
		}
	}

	// Matching is ready once its read model is complete: poll.
	for {
		res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(ports["http"]) + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var ready struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		err = json.NewDecoder(res.Body).Decode(&ready)
		res.Body.Close()
		if err == nil && res.StatusCode == http.StatusOK && ready.Status == "ok" && len(ready.Checks) == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %+v (%v), want 200 with seven checks ok", res.StatusCode, ready, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("tandem dev exited with %d after interrupt, want 0", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("tandem dev did not stop within 60s")
	}
}
