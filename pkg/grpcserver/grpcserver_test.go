package grpcserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/grpcserver"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/metrics"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// validatingRequest gives a generated message a Validate method, the way
// protoc-gen-validate output does; the proto codec sees the embedded message.
type validatingRequest struct{ *testpb.SimpleRequest }

func (r validatingRequest) Validate() error {
	if r.GetResponseSize() < 0 {
		return errors.New("response_size must not be negative")
	}
	return nil
}

const unaryCall = "/grpc.testing.TestService/UnaryCall"

// handle behaves by response_size: 1 panics, 2 not found, 3 an unknown error,
// 5 requires the admin role; anything else succeeds.
func handle(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	switch req.GetResponseSize() {
	case 1:
		panic("boom")
	case 2:
		return nil, fmt.Errorf("get organization o1: %w", grpcerr.ErrNotFound)
	case 3:
		return nil, errors.New("dial tcp 10.0.0.1: secret internals")
	case 5:
		p, err := auth.Require(ctx, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		return &testpb.SimpleResponse{Username: p.Subject}, nil
	}
	return &testpb.SimpleResponse{}, nil
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "grpc.testing.TestService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "UnaryCall",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := validatingRequest{&testpb.SimpleRequest{}}
			if err := dec(in); err != nil {
				return nil, err
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: unaryCall}, func(ctx context.Context, req any) (any, error) {
				return handle(ctx, req.(validatingRequest).SimpleRequest)
			})
		},
	}},
}

// syncBuffer lets the server goroutines log while the test reads.
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

func TestServer(t *testing.T) {
	var logs syncBuffer
	log := logging.New(&logs, "test", "debug")
	reg := prometheus.NewRegistry()
	sm, err := metrics.NewServerMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	keys := authtest.New(t, "")
	tp, err := tracing.NewProvider(context.Background(), "test", "")
	if err != nil {
		t.Fatal(err)
	}
	srv, hs := grpcserver.New(grpcserver.Options{
		Log: log, Auth: keys.Verifier, Metrics: sm, TracerProvider: tp,
		Validate: func(_ context.Context, method string, req any) error {
			if r, ok := req.(validatingRequest); ok && r.GetResponseSize() == 4 {
				return grpcerr.Invalid(grpcerr.Violation{Field: "response_size", Description: "4 is reserved"})
			}
			return nil
		},
	})
	srv.RegisterService(&serviceDesc, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)

	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	client := testpb.NewTestServiceClient(cc)
	admin := keys.Token(t, auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})

	tests := []struct {
		name     string
		size     int32
		token    string
		code     codes.Code
		msg      string
		field    string
		logged   string
		wantSubj string
	}{
		{name: "ok", size: 0, code: codes.OK},
		{name: "request Validate fails", size: -1, code: codes.InvalidArgument, msg: "must not be negative"},
		{name: "options Validate fails", size: 4, code: codes.InvalidArgument, field: "response_size"},
		{name: "panic", size: 1, code: codes.Internal, msg: "internal error", logged: "panic in grpc handler"},
		{name: "domain not found", size: 2, code: codes.NotFound, msg: "o1"},
		{name: "unknown error hidden", size: 3, code: codes.Internal, msg: "internal error", logged: "secret internals"},
		{name: "anonymous needs admin", size: 5, code: codes.Unauthenticated},
		{name: "admin token", size: 5, token: admin, code: codes.OK, wantSubj: "root"},
		{name: "bad token", size: 0, token: "garbage", code: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var opts []grpc.CallOption
			if tt.token != "" {
				opts = append(opts, grpc.PerRPCCredentials(auth.BearerToken(tt.token)))
			}
			resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: tt.size}, opts...)
			st := status.Convert(err)
			if st.Code() != tt.code {
				t.Fatalf("code = %s (%s), want %s", st.Code(), st.Message(), tt.code)
			}
			if !strings.Contains(st.Message(), tt.msg) {
				t.Errorf("message = %q, want %q", st.Message(), tt.msg)
			}
			if tt.code == codes.Internal && strings.Contains(st.Message(), "secret") {
				t.Errorf("internal details leaked: %q", st.Message())
			}
			if tt.field != "" {
				var got string
				for _, d := range st.Details() {
					if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
						got = br.GetFieldViolations()[0].GetField()
					}
				}
				if got != tt.field {
					t.Errorf("violation field = %q, want %q", got, tt.field)
				}
			}
			if tt.logged != "" && !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("log lacks %q:\n%s", tt.logged, logs.String())
			}
			if resp.GetUsername() != tt.wantSubj {
				t.Errorf("subject = %q, want %q", resp.GetUsername(), tt.wantSubj)
			}
		})
	}

	t.Run("health and reflection are open", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.PerRPCCredentials(auth.BearerToken("garbage")))
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health = %v, %v", resp, err)
		}
	})

	t.Run("access log has method, code and trace", func(t *testing.T) {
		var found bool
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"msg":"grpc call"`) && strings.Contains(line, `"method":"`+unaryCall+`"`) &&
				strings.Contains(line, `"code":"NotFound"`) && strings.Contains(line, `"trace_id":"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("no access log line for the NotFound call with a trace id:\n%s", logs.String())
		}
	})

	t.Run("the caller's trace continues", func(t *testing.T) {
		const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", "00-"+traceID+"-00f067aa0ba902b7-00")
		if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 2}); status.Code(err) != codes.NotFound {
			t.Fatalf("call: %v", err)
		}
		if !strings.Contains(logs.String(), `"trace_id":"`+traceID+`"`) {
			t.Errorf("no log line with the caller's trace id:\n%s", logs.String())
		}
	})

	t.Run("the gateway's request id reaches the log", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, id := range []string{"req-4711", `bad id","forged":"1`} {
			ctx := metadata.AppendToOutgoingContext(ctx, grpcserver.RequestIDKey, id)
			if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 2}); status.Code(err) != codes.NotFound {
				t.Fatalf("call: %v", err)
			}
		}
		if !strings.Contains(logs.String(), `"request_id":"req-4711"`) {
			t.Errorf("no log line with the request id:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "forged") {
			t.Errorf("a request id that is not sound reached the log:\n%s", logs.String())
		}
	})

	t.Run("metrics count calls by code", func(t *testing.T) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		codesSeen := map[string]bool{}
		for _, mf := range mfs {
			if mf.GetName() != "grpc_server_handled_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "grpc_code" && m.GetCounter().GetValue() > 0 {
						codesSeen[l.GetValue()] = true
					}
				}
			}
		}
		for _, c := range []string{"OK", "NotFound", "InvalidArgument", "Unauthenticated"} {
			if !codesSeen[c] {
				t.Errorf("grpc_server_handled_total has no %s (seen %v)", c, codesSeen)
			}
		}
	})
}
