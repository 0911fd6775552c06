package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
)

// system is Tandem started as five separate processes, the way production
// runs it, against the machine's real NATS and Redis.
type system struct {
	gateway string // HTTP base URL
	addrs   map[string]string
	bin     string
}

var serviceNames = []string{"profiles", "competencies", "matching", "meetings", "gateway"}

// workspaceRoot is the folder of go.work, from which the binaries build.
func workspaceRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOWORK: %v (the end-to-end test builds from the workspace)", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// reachable reports whether something listens at host:port.
func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// envOr returns the environment variable, or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// resetJetStream deletes Tandem's streams and buckets on the shared NATS,
// so each run starts from an empty system of record.
func resetJetStream(t *testing.T, url string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var doomed []string
	for name := range names.Name() {
		tandem := strings.HasPrefix(name, "TANDEM_")
		for _, svc := range serviceNames {
			tandem = tandem || strings.HasPrefix(name, "KV_"+svc+"_")
		}
		if tandem {
			doomed = append(doomed, name)
		}
	}
	for _, name := range doomed {
		if err := js.DeleteStream(ctx, name); err != nil {
			t.Fatalf("delete stream %s: %v", name, err)
		}
	}
}

// startSystem builds the five service binaries and the CLI, and starts the
// services as separate processes; they stop with SIGTERM when the test ends,
// and must exit cleanly.
func startSystem(t *testing.T) *system {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped with -short")
	}
	natsURL := envOr("NATS_URL", "nats://127.0.0.1:4222")
	redisAddr := envOr("REDIS_ADDR", "127.0.0.1:6379")
	natsHost := strings.TrimPrefix(natsURL, "nats://")
	if !reachable(natsHost) || !reachable(redisAddr) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the end-to-end test needs NATS at %s and Redis at %s (.ci/run starts them)", natsURL, redisAddr)
		}
		t.Skipf("no NATS at %s or Redis at %s: start them to run the end-to-end test", natsURL, redisAddr)
	}
	resetJetStream(t, natsURL)
	bin := buildBinaries(t)
	keys := authtest.New(t, "e2e")

	sys := &system{addrs: map[string]string{}, bin: bin}
	for _, s := range serviceNames {
		sys.addrs[s] = "127.0.0.1:" + strconv.Itoa(freePort(t))
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	sys.gateway = "http://" + httpAddr
	prefix := "e2e-" + strings.ToLower(ulid.Make().String())

	logs := t.TempDir()
	type proc struct {
		name string
		cmd  *exec.Cmd
		log  string
	}
	var procs []proc
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			err := p.cmd.Wait()
			out, _ := os.ReadFile(p.log)
			if err != nil {
				t.Errorf("%s did not exit cleanly after SIGTERM: %v\n%s", p.name, err, out)
			} else if t.Failed() {
				t.Logf("%s log:\n%s", p.name, tail(out, 40))
			}
		}
	})
	for _, s := range serviceNames {
		p := strings.ToUpper(s) + "_"
		env := append(os.Environ(),
			p+"GRPC_ADDR="+sys.addrs[s], p+"DEBUG_ADDR=", p+"NATS_URL="+natsURL,
			p+"REDIS_URL=redis://"+redisAddr+"/0", p+"REDIS_PREFIX="+prefix, p+"LOG_LEVEL=info",
			p+"SHUTDOWN_TIMEOUT=10s", p+"AUTH_PUBLIC_KEYS="+authtest.PublicKeys(t, keys))
		if s == "gateway" {
			env = append(env, "GATEWAY_HTTP_ADDR="+httpAddr, "GATEWAY_PROFILES="+sys.addrs["profiles"],
				"GATEWAY_COMPETENCIES="+sys.addrs["competencies"], "GATEWAY_MATCHING="+sys.addrs["matching"],
				"GATEWAY_MEETINGS="+sys.addrs["meetings"], "GATEWAY_DEV_LOGIN=true",
				"GATEWAY_AUTH_SIGNING_KEY="+keys.SigningKey(t))
		}
		logPath := filepath.Join(logs, s+".log")
		f, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(bin, s))
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", s, err)
		}
		_ = f.Close()
		procs = append(procs, proc{s, cmd, logPath})
	}

	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(sys.gateway + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return sys
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the system was not ready within 90s (last: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildBinaries builds the five service binaries and the CLI into a
// temporary folder and returns it.
func buildBinaries(t *testing.T) string {
	t.Helper()
	root := workspaceRoot(t)
	bin := t.TempDir()
	build := func(name, pkg string) {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, name), pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	for _, s := range serviceNames {
		build(s, "./services/"+s+"/cmd/"+s)
	}
	build("tandem", "./cmd/tandem")
	return bin
}

// TestBinariesRefuseToStartWithoutKeys: a service binary started without
// its token keys, or with the retired shared key, exits at once with status
// 2 and names the variable to set; it never falls back to a built-in key.
func TestBinariesRefuseToStartWithoutKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service binaries; skipped with -short")
	}
	bin := buildBinaries(t)
	keys := authtest.New(t, "k1")
	for _, s := range serviceNames {
		p := strings.ToUpper(s) + "_"
		cases := []struct {
			name string
			env  []string
			want string
		}{
			{"no keys", nil, p + "AUTH_PUBLIC_KEYS"},
			{"the retired shared key", []string{p + "AUTH_KEY=0123456789abcdef0123456789abcdef"}, p + "AUTH_KEY is no longer accepted"},
		}
		if s == "gateway" {
			cases = append(cases, struct {
				name string
				env  []string
				want string
			}{"public keys but no signing key", []string{p + "AUTH_PUBLIC_KEYS=" + authtest.PublicKeys(t, keys)}, "GATEWAY_AUTH_SIGNING_KEY"})
		}
		for _, c := range cases {
			t.Run(s+"/"+c.name, func(t *testing.T) {
				cmd := exec.Command(filepath.Join(bin, s))
				// Unroutable addresses: were it to start, it would hang, not pass.
				cmd.Env = append(os.Environ(), p+"NATS_URL=nats://192.0.2.1:4222", p+"STARTUP_TIMEOUT=2s")
				cmd.Env = append(cmd.Env, c.env...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 2 {
					t.Fatalf("%s exited with %v, want status 2; stderr:\n%s", s, err, stderr.String())
				}
				if !strings.Contains(stderr.String(), c.want) {
					t.Errorf("stderr %q does not name %s", stderr.String(), c.want)
				}
			})
		}
	}
}

func tail(b []byte, lines int) string {
	all := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}
