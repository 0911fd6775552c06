package runtime_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/natsx/embedded"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
)

// Health tells the truth about NATS: a service reports NOT_SERVING while
// NATS is unreachable and SERVING again once it is back, without a restart
// (health used to stay SERVING through the outage).
func TestNotServingWhileNATSIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	startNATS := func() *embedded.Server {
		t.Helper()
		srv, err := embedded.Start(embedded.Options{Port: port, StoreDir: dir, ServerName: "rt"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Shutdown)
		return srv
	}
	srv := startNATS()
	c := common(t)
	c.NATSURL = "nats://127.0.0.1:" + strconv.Itoa(port)

	conn := runtimetest.Start(t, runtime.Options{
		Name: "fake", Common: c, Log: logging.New(io.Discard, "fake", "error"),
		Register: func(context.Context, *runtime.Runtime) error { return nil },
	})
	hc := healthpb.NewHealthClient(conn)
	waitHealth(t, hc, healthpb.HealthCheckResponse_SERVING)
	srv.Shutdown()
	waitHealth(t, hc, healthpb.HealthCheckResponse_NOT_SERVING)
	startNATS()
	waitHealth(t, hc, healthpb.HealthCheckResponse_SERVING)
}

// waitHealth polls hc until the service reports want, for up to 30 s.
func waitHealth(t *testing.T, hc healthpb.HealthClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		ccancel()
		if err == nil && r.GetStatus() == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health %v, %v; want %v", r.GetStatus(), err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
