package runtime_test

import (
	"context"
	"io"
	"net"
	"os/exec"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/runtime"
)

// F7: a service that keeps nothing in Redis starts while Redis is down. It
// reports NOT_SERVING and refuses tokens with Unavailable (the deny list
// cannot be read) instead of exiting, and serves once Redis answers,
// without a restart. A service that needs Redis still waits for it.
func TestRedisOptionalStartsWithoutRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redisAddr := l.Addr().String()
	l.Close()
	c := common(t)
	c.RedisURL = "redis://" + redisAddr + "/0"
	c.StartupTimeout = time.Second

	// Needing Redis, the service gives up when the start-up timeout passes.
	err = runtime.Run(context.Background(), runtime.Options{Name: "fake", Common: c, Log: logging.New(io.Discard, "fake", "error"),
		Register: func(context.Context, *runtime.Runtime) error { return nil }})
	if err == nil {
		t.Fatal("a service that needs Redis started without it")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runtime.Run(ctx, runtime.Options{
			Name: "fake", Common: c, Log: logging.New(io.Discard, "fake", "error"), RedisOptional: true,
			Register: func(_ context.Context, rt *runtime.Runtime) error {
				testpb.RegisterTestServiceServer(rt.GRPC, testService{})
				return nil
			},
			Ready: func(addr, _ string) { ready <- addr },
		})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run without Redis returned: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not serving within 30 s without Redis")
	}
	tok := authtest.Token(t, auth.Principal{Subject: "u", Roles: []auth.Role{auth.RoleAdmin}})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	hc := healthpb.NewHealthClient(conn)
	tc := testpb.NewTestServiceClient(conn)
	waitHealth(t, hc, healthpb.HealthCheckResponse_NOT_SERVING)
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err = tc.EmptyCall(cctx, &testpb.Empty{})
	ccancel()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("a call with a token while Redis is down: %v, want Unavailable", err)
	}

	host, port, _ := net.SplitHostPort(redisAddr)
	rs := exec.Command("redis-server", "--bind", host, "--port", port, "--save", "", "--appendonly", "no")
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Process.Kill(); _ = rs.Wait() })
	waitHealth(t, hc, healthpb.HealthCheckResponse_SERVING)
	cctx, ccancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if _, err := tc.EmptyCall(cctx, &testpb.Empty{}); err != nil {
		t.Fatalf("a call once Redis answers: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
