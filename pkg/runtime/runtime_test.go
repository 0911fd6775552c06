package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/config"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

// common returns a Common as a service binary would get it: tag defaults
// from config.Load, then the test's infrastructure.
func common(t *testing.T) runtime.Common {
	t.Helper()
	natsURL, _, _ := testenv.JetStream(t)
	rc, prefix := testenv.Redis(t)
	cfg := struct{ runtime.Common }{runtime.WithAddrs("127.0.0.1:0", "127.0.0.1:0")}
	if err := config.Load("RTTEST", &cfg, []string{"--nats-url", natsURL, "--redis-url", "redis://" + rc.Options().Addr + "/0", "--redis-prefix", prefix, "--shutdown-timeout", "10s",
		"--auth-public-keys", authtest.PublicKeys(t, authtest.Default())}, nil); err != nil {
		t.Fatal(err)
	}
	return cfg.Common
}

type started struct{ grpcAddr, debugAddr string }

func TestRun(t *testing.T) {
	c := common(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := logging.New(writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) }), "fake", "info")

	ready := make(chan started, 1)
	var bgSawStatus healthpb.HealthCheckResponse_ServingStatus
	var bgDone bool
	var rtSeen *runtime.Runtime
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runtime.Run(ctx, runtime.Options{
			Name: "fake", Common: c, Log: log,
			Register: func(_ context.Context, rt *runtime.Runtime) error {
				rtSeen = rt
				testpb.RegisterTestServiceServer(rt.GRPC, testService{})
				if rt.NATS == nil || rt.JS == nil || rt.Redis == nil || rt.Auth == nil || rt.Registry == nil {
					return errors.New("runtime not fully built")
				}
				rt.Go("consumer", func(ctx context.Context) error {
					<-ctx.Done()
					// Background work must outlive the gRPC server.
					resp, err := rt.Health.Check(context.Background(), &healthpb.HealthCheckRequest{})
					if err == nil {
						bgSawStatus = resp.GetStatus()
					}
					time.Sleep(50 * time.Millisecond) // Run must wait for this
					bgDone = true
					return nil
				})
				return nil
			},
			Ready: func(g, d string) { ready <- started{g, d} },
		})
	}()

	var addrs started
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service not ready")
	}
	if strings.HasSuffix(addrs.grpcAddr, ":0") || addrs.debugAddr == "" {
		t.Fatalf("Ready got %+v, want bound ports", addrs)
	}

	cc, err := grpc.NewClient(addrs.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()

	hc := healthpb.NewHealthClient(cc)
	for _, svc := range []string{"", "grpc.testing.TestService"} {
		resp, err := hc.Check(rctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q = %v, %v; want SERVING", svc, resp, err)
		}
	}
	if _, err := testpb.NewTestServiceClient(cc).EmptyCall(rctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	services := runtimetest.ReflectedServices(t, cc)
	for _, want := range []string{"grpc.testing.TestService", "grpc.health.v1.Health"} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection lists %v, lacks %s", services, want)
		}
	}
	resp, err := http.Get("http://" + addrs.debugAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `grpc_server_handled_total{grpc_code="OK",grpc_method="EmptyCall"`) {
		t.Errorf("metrics lack the EmptyCall count:\n%.2000s", body)
	}
	if resp, err := http.Get("http://" + addrs.debugAddr + "/debug/pprof/"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("pprof without DEBUG_PPROF: %v %v, want 404", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	// Watch health, then shut down: the watcher must see NOT_SERVING while
	// the server is still draining.
	wctx, wcancel := context.WithCancel(rctx)
	watch, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := watch.Recv(); err != nil || m.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first watch status %v, %v", m, err)
	}
	cancel()
	m, err := watch.Recv()
	if err != nil || m.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch during shutdown = %v, %v; want NOT_SERVING", m, err)
	}
	wcancel() // lets GracefulStop finish

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !bgDone {
		t.Error("Run returned before its background goroutine finished")
	}
	if bgSawStatus != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("background ctx cancelled while health was %v; want NOT_SERVING first", bgSawStatus)
	}
	if !rtSeen.NATS.IsClosed() {
		t.Error("NATS connection still open after Run")
	}
	if err := rtSeen.Redis.Ping(context.Background()).Err(); err == nil {
		t.Error("Redis client still usable after Run")
	}
}

func TestRunStopsWhenBackgroundWorkFails(t *testing.T) {
	c := common(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	boom := errors.New("consumer lost its stream")
	err := runtime.Run(ctx, runtime.Options{
		Name: "fake", Common: c, Log: logging.New(io.Discard, "fake", "error"),
		Register: func(_ context.Context, rt *runtime.Runtime) error {
			rt.Go("consumer", func(context.Context) error { return boom })
			return nil
		},
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run() = %v, want %v", err, boom)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	ok := func(context.Context, *runtime.Runtime) error { return nil }
	tests := []struct {
		name string
		o    runtime.Options
	}{
		{"no name", runtime.Options{Common: runtime.WithAddrs("127.0.0.1:0", ""), Register: ok}},
		{"no grpc addr", runtime.Options{Name: "x", Register: ok}},
		{"no register", runtime.Options{Name: "x", Common: runtime.WithAddrs("127.0.0.1:0", "")}},
		{"no public keys", runtime.Options{Name: "x", Register: ok, Common: func() runtime.Common {
			c := common(t)
			c.AuthPublicKeys = ""
			return c
		}()}},
		{"the retired shared key", runtime.Options{Name: "x", Register: ok, Common: func() runtime.Common {
			c := common(t)
			c.AuthKey = "0123456789abcdef0123456789abcdef"
			return c
		}()}},
		{"the development key outside development", runtime.Options{Name: "x", Register: ok, Common: func() runtime.Common {
			c := common(t)
			b, _ := auth.MarshalPublicKeys(auth.DevSigningKey().Public())
			c.AuthPublicKeys = string(b)
			return c
		}()}},
		{"a failing config check", runtime.Options{Name: "x", Register: ok, Common: common(t), CheckConfig: func() error { return errors.New("no") }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tt.o.Log = logging.New(io.Discard, "x", "error")
			if err := runtime.Run(ctx, tt.o); err == nil {
				t.Fatal("Run() = nil, want error")
			}
		})
	}
}

func TestCommonDefaults(t *testing.T) {
	cfg := struct{ runtime.Common }{runtime.WithAddrs("127.0.0.1:7101", "127.0.0.1:9101")}
	if err := config.Load("RTDEFAULTS", &cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	c := cfg.Common
	if c.GRPCAddr != "127.0.0.1:7101" || c.DebugAddr != "127.0.0.1:9101" || c.NATSURL != "nats://127.0.0.1:4222" ||
		c.RedisURL != "redis://127.0.0.1:6379/0" || c.RedisPrefix != "tandem" || c.AuthPublicKeys != "" || c.AuthKey != "" ||
		c.Dev || c.DebugPprof || c.LogLevel != "info" || c.ShutdownTimeout != 20*time.Second {
		t.Fatalf("defaults = %+v", c)
	}
	t.Setenv("RTDEFAULTS_GRPC_ADDR", ":7201")
	if err := config.Load("RTDEFAULTS", &cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.GRPCAddr != ":7201" {
		t.Fatalf("env RTDEFAULTS_GRPC_ADDR ignored: %q", cfg.GRPCAddr)
	}
	t.Setenv("RTDEFAULTS_AUTH_KEY", "a-secret-someone-left-behind")
	if err := config.Load("RTDEFAULTS", &cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	if s := config.String(&cfg); strings.Contains(s, "a-secret-someone-left-behind") {
		t.Fatalf("config string shows the retired auth key: %s", s)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestPublicKeys(t *testing.T) {
	keys := authtest.PublicKeys(t, authtest.Default())
	dev, _ := auth.MarshalPublicKeys(auth.DevSigningKey().Public())
	tests := []struct {
		name     string
		args     []string
		wantKIDs []string
		wantErr  string
	}{
		{"configured", []string{"--auth-public-keys", keys}, []string{"test"}, ""},
		{"none", nil, nil, "set RTKEYS_AUTH_PUBLIC_KEYS"},
		{"--dev without keys", []string{"--dev"}, []string{auth.DevKID}, ""},
		{"--dev with keys", []string{"--dev", "--auth-public-keys", keys}, []string{"test", auth.DevKID}, ""},
		{"the development key without --dev", []string{"--auth-public-keys", string(dev)}, nil, "public development key"},
		{"the retired key", []string{"--dev", "--auth-key", "x"}, nil, "RTKEYS_AUTH_KEY is no longer accepted"},
		{"garbage", []string{"--auth-public-keys", "{nope"}, nil, "RTKEYS_AUTH_PUBLIC_KEYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := struct{ runtime.Common }{runtime.WithAddrs("127.0.0.1:0", "")}
			if err := config.Load("RTKEYS", &cfg, tt.args, nil); err != nil {
				t.Fatal(err)
			}
			got, err := runtime.PublicKeys("RTKEYS", cfg.Common)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PublicKeys() = %v, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range got {
				kids = append(kids, k.KID)
			}
			if !slices.Equal(kids, tt.wantKIDs) {
				t.Fatalf("key ids %v, want %v", kids, tt.wantKIDs)
			}
		})
	}
}
