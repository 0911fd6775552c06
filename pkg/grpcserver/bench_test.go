package grpcserver_test

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcserver"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/metrics"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

const noopMethod = "/tandem.bench.v1.NoopService/Noop"

// noopService is a unary method that does nothing, registered by hand so
// the benchmark needs no generated code.
var noopService = grpc.ServiceDesc{
	ServiceName: "tandem.bench.v1.NoopService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Noop", Handler: func(srv any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
		req := new(emptypb.Empty)
		if err := dec(req); err != nil {
			return nil, err
		}
		h := func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil }
		if in == nil {
			return h(ctx, req)
		}
		return in(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: noopMethod}, h)
	}}},
}

// serve runs srv with the no-op service on a local port and returns a
// client connection to it that sends token with every call.
func serve(b *testing.B, srv *grpc.Server, token string) *grpc.ClientConn {
	b.Helper()
	srv.RegisterService(&noopService, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.BearerToken(token)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

// BenchmarkStackNoop compares the project's server stack (recovery,
// logging, Prometheus metrics, token verification, validation, error
// mapping, OpenTelemetry spans, configured as a service runs them at info
// level without an exporter) with a bare grpc-go server, both serving a
// no-op method over TCP to 8 calls in flight. The two alternate in short
// rounds so both see the same load on a shared machine; "ratio" is the
// median over pairs of rounds of the stack's QPS over the bare server's
// (the target is at least 0.85).
//
//	go test -run '^$' -bench StackNoop -count 5 ./pkg/grpcserver
func BenchmarkStackNoop(b *testing.B) {
	tp, err := tracing.NewProvider(context.Background(), "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	sm, err := metrics.NewServerMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	stackSrv, _ := grpcserver.New(grpcserver.Options{
		Log: logging.New(io.Discard, "bench", "info"), Auth: authtest.Default().Verifier, Metrics: sm, TracerProvider: tp,
	})
	token := authtest.Token(b, auth.Principal{Subject: "bench", Organization: "ORGBENCH", Roles: []auth.Role{auth.RoleMember}})
	bare := serve(b, grpc.NewServer(), token)
	stack := serve(b, stackSrv, token)

	const inFlight, round = 8, 50 // calls per client per round
	run := func(conn *grpc.ClientConn) (time.Duration, error) {
		var wg sync.WaitGroup
		errs := make([]error, inFlight)
		start := time.Now()
		for c := range inFlight {
			wg.Go(func() {
				for range round {
					if err := conn.Invoke(context.Background(), noopMethod, &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
						errs[c] = err
						return
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	var tBare, tStack time.Duration
	var ratios []float64
	for b.Loop() {
		// Which server goes first alternates, so neither always meets the
		// start of a neighbour's burst.
		first, second := bare, stack
		if len(ratios)%2 == 1 {
			first, second = stack, bare
		}
		d1, err := run(first)
		if err != nil {
			b.Fatal(err)
		}
		d2, err := run(second)
		if err != nil {
			b.Fatal(err)
		}
		dBare, dStack := d1, d2
		if first == stack {
			dBare, dStack = d2, d1
		}
		tBare += dBare
		tStack += dStack
		ratios = append(ratios, dBare.Seconds()/dStack.Seconds())
	}
	calls := float64(len(ratios) * inFlight * round)
	slices.Sort(ratios)
	b.ReportMetric(calls/tBare.Seconds(), "bare_qps")
	b.ReportMetric(calls/tStack.Seconds(), "stack_qps")
	// The median over rounds: a burst of load on this shared machine
	// spoils a round, not the figure.
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
}
