// Package runtimetest starts a service in-process for component tests,
// against a per-test JetStream server and an isolated Redis, the way its
// binary would run.
package runtimetest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// Common returns runtime settings for a test: free ports on loopback, a fresh
// JetStream server, the test's own Redis key prefix and the public key of
// the test binary's throwaway keys (sign with authtest.Token).
func Common(t testing.TB) runtime.Common {
	t.Helper()
	natsURL, _, _ := testenv.JetStream(t)
	rc, prefix := testenv.Redis(t)
	return runtime.Common{
		GRPCAddr:        "127.0.0.1:0",
		NATSURL:         natsURL,
		RedisURL:        "redis://" + rc.Options().Addr + "/" + strconv.Itoa(rc.Options().DB),
		RedisPrefix:     prefix,
		AuthPublicKeys:  authtest.PublicKeys(t, authtest.Default()),
		LogLevel:        "warn",
		StartupTimeout:  time.Minute,
		ShutdownTimeout: 10 * time.Second,
	}
}

// Start runs the service described by o until the test ends and returns a
// client connection to its gRPC server. The test fails if the service does
// not come up, or if it does not shut down cleanly at the end.
func Start(t testing.TB, o runtime.Options) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	o.Ready = func(grpcAddr, _ string) { ready <- grpcAddr }
	go func() { done <- runtime.Run(ctx, o) }()

	// The service gives up by itself when NATS or Redis do not answer
	// within its StartupTimeout; the minute beyond it is for declaring
	// streams and loading read models on a loaded machine.
	limit := o.Common.StartupTimeout + time.Minute
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("%s stopped before serving: %v", o.Name, err)
	case <-time.After(limit):
		cancel()
		t.Fatalf("%s did not start within %v", o.Name, limit)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s shut down with an error: %v", o.Name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not shut down within 30s", o.Name)
		}
	})
	return conn
}

// HealthStatus asks the server's health service about service ("" is the
// whole server).
func HealthStatus(t testing.TB, conn *grpc.ClientConn, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health check %q: %v", service, err)
	}
	return res.GetStatus()
}

// WaitServing waits until the server reports SERVING for itself (a service
// turns SERVING once its read model is complete: matching rebuilds its index
// first), however loaded the machine is, and fails the test after three
// minutes.
func WaitServing(t testing.TB, conn *grpc.ClientConn) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); HealthStatus(t, conn, "") != healthpb.HealthCheckResponse_SERVING; {
		if time.Now().After(deadline) {
			t.Fatalf("%s is not SERVING after 3 minutes", conn.Target())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReflectedServices lists the services the server's reflection reports.
func ReflectedServices(t testing.TB, conn *grpc.ClientConn) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatalf("reflection: %v", err)
	}
	defer func() { _ = stream.CloseSend() }()
	req := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}
	if err := stream.Send(req); err != nil {
		t.Fatalf("reflection send: %v", err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatalf("reflection receive: %v", err)
	}
	var names []string
	for _, s := range res.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names
}

// CheckServing fails the test unless the server reports SERVING, for itself
// and for service, and reflection lists service and the health API, which is
// what grpc_health_probe and grpcurl rely on.
func CheckServing(t testing.TB, conn *grpc.ClientConn, service string) {
	t.Helper()
	// A service turns SERVING once its read model is complete: wait for it.
	deadline := time.Now().Add(20 * time.Second)
	for _, svc := range []string{"", service} {
		for {
			got := HealthStatus(t, conn, svc)
			if got == healthpb.HealthCheckResponse_SERVING {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("health of %q = %v, want SERVING", svc, got)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	services := ReflectedServices(t, conn)
	for _, want := range []string{service, healthpb.Health_ServiceDesc.ServiceName} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection lists %v, want %s among them", services, want)
		}
	}
}
