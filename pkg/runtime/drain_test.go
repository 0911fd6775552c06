package runtime_test

import (
	"context"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/runtime"
)

// On shutdown the service reports NOT_SERVING and keeps answering for the
// drain period, so a load balancer sees it leave before its port closes.
func TestShutdownReportsNotServingWhileDraining(t *testing.T) {
	c := common(t)
	c.DrainPeriod = 3 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runtime.Run(ctx, runtime.Options{
			Name: "fake", Common: c, Log: logging.New(io.Discard, "fake", "error"),
			Register: func(context.Context, *runtime.Runtime) error { return nil },
			Ready:    func(addr, _ string) { ready <- addr },
		})
	}()
	addr := <-ready
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	hc := healthpb.NewHealthClient(conn)
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	if r, err := hc.Check(cctx, &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("before shutdown: %v, %v", r, err)
	}
	cancel()
	for {
		r, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
			break
		}
		if err != nil {
			t.Fatalf("health after shutdown began: %v; want NOT_SERVING answered during the drain", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
