// Package grpcserver builds the gRPC server every service runs, with the same
// interceptor chain, tracing, health and reflection, so services only
// register their handlers.
package grpcserver

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// Options configure New. Only Log is required.
type Options struct {
	Log     *slog.Logger
	Auth    *auth.Verifier          // nil: no authentication (every call anonymous)
	Public  []string                // full method names callable even with an invalid token
	Metrics *grpcprom.ServerMetrics // nil: no gRPC metrics
	// Validate runs after a request's own Validate() method; its errors go
	// through grpcerr.ToStatus, so return grpcerr.Invalid(...) for bad input.
	Validate func(ctx context.Context, fullMethod string, req any) error
	// TracerProvider for server spans; nil means the global one.
	TracerProvider trace.TracerProvider
	// ServerOptions are appended last (e.g. grpc.MaxRecvMsgSize).
	ServerOptions []grpc.ServerOption
}

// New returns a server with an otelgrpc stats handler and, outermost first,
// the interceptors recovery, logging, metrics, auth, validation and error
// mapping; with health (returned, so the caller flips serving status) and
// reflection registered.
func New(o Options) (*grpc.Server, *health.Server) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	otelOpts := []otelgrpc.Option{
		otelgrpc.WithPropagators(propagation.TraceContext{}),
		otelgrpc.WithFilter(filters.Not(filters.HealthCheck())), // probes every few seconds are noise
	}
	if o.TracerProvider != nil {
		otelOpts = append(otelOpts, otelgrpc.WithTracerProvider(o.TracerProvider))
	}

	rec := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in grpc handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})
	unary := []grpc.UnaryServerInterceptor{recovery.UnaryServerInterceptor(rec), unaryLogging(log)}
	stream := []grpc.StreamServerInterceptor{recovery.StreamServerInterceptor(rec), streamLogging(log)}
	if o.Metrics != nil {
		unary = append(unary, o.Metrics.UnaryServerInterceptor())
		stream = append(stream, o.Metrics.StreamServerInterceptor())
	}
	if o.Auth != nil {
		unary = append(unary, o.Auth.UnaryServerInterceptor(o.Public...))
		stream = append(stream, o.Auth.StreamServerInterceptor(o.Public...))
	}
	v := validator{log: log, extra: o.Validate}
	unary = append(unary, v.unary, grpcerr.UnaryServerInterceptor(log))
	stream = append(stream, v.stream, grpcerr.StreamServerInterceptor(log))

	tp := o.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	var spans stats.Handler = spanHandler{}
	if tracing.Recording(tp) {
		spans = otelgrpc.NewServerHandler(otelOpts...)
	}
	opts := append([]grpc.ServerOption{
		grpc.StatsHandler(spans),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, o.ServerOptions...)
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	return srv, hs
}

// spanHandler gives every call its own span context continuing the
// caller's trace (a new span id, the caller's trace id and flags, or a new
// trace), and does nothing else: without an exporter no span is recorded,
// and otelgrpc's attributes, message events and metrics, and even the SDK's
// sampling of a span that is dropped, would be built for no one. Trace ids
// still reach the logs and the services called next.
type spanHandler struct{}

var traceContext = propagation.TraceContext{}

func (spanHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if strings.HasPrefix(info.FullMethodName, "/grpc.health.v1.") {
		return ctx // probes every few seconds are noise
	}
	// Extracted into an empty context: reading it back walks one value,
	// not the call's whole context.
	return tracing.Continue(ctx, trace.SpanContextFromContext(traceContext.Extract(context.Background(), mdCarrier{ctx})))
}

func (spanHandler) HandleRPC(context.Context, stats.RPCStats) {}

func (spanHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (spanHandler) HandleConn(context.Context, stats.ConnStats) {}

// mdCarrier reads trace headers from a call's incoming metadata, looking
// up each key rather than copying the whole metadata.
type mdCarrier struct{ ctx context.Context }

func (c mdCarrier) Get(key string) string {
	if v := metadata.ValueFromIncomingContext(c.ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (mdCarrier) Set(string, string) {}

func (mdCarrier) Keys() []string { return nil }

// quiet are methods whose client errors are logged at debug: probes and
// tooling, not traffic.
func quiet(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.") || strings.HasPrefix(method, "/grpc.reflection.")
}

// logCall logs a finished call: failures always (server faults at error,
// the rest at info), successes at debug only, as one line per call at info
// would cost more than many calls themselves (metrics and traces count
// them). Nothing is built when the level is off.
func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	level := slog.LevelDebug
	code := codes.OK
	if err != nil {
		code = status.Code(err)
		level = slog.LevelInfo
		switch {
		case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
			level = slog.LevelError
		case quiet(method):
			level = slog.LevelDebug
		}
	}
	if !log.Enabled(ctx, level) {
		return
	}
	log.LogAttrs(ctx, level, "grpc call", slog.String("method", method), slog.String("code", code.String()), slog.Duration("duration", time.Since(start)))
}

// RequestIDKey is the metadata key of the id the gateway gives each HTTP
// request; the call's log lines carry it as "request_id".
const RequestIDKey = "x-request-id"

// withRequestID puts the call's request id, when it has a sound one, into
// ctx for the logger.
func withRequestID(ctx context.Context) context.Context {
	v := metadata.ValueFromIncomingContext(ctx, RequestIDKey)
	if len(v) == 0 || !soundRequestID(v[0]) {
		return ctx
	}
	return logging.WithRequestID(ctx, v[0])
}

// soundRequestID accepts at most 128 letters, digits and "-_.:", so a
// caller cannot fill or forge log lines through it.
func soundRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

func unaryLogging(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		ctx = withRequestID(ctx)
		resp, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func streamLogging(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		ctx := withRequestID(ss.Context())
		if ctx != ss.Context() {
			ss = ctxStream{ss, ctx}
		}
		err := handler(srv, ss)
		logCall(ctx, log, info.FullMethod, start, err)
		return err
	}
}

// ctxStream is a stream with a context of its own.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s ctxStream) Context() context.Context { return s.ctx }

// validator checks requests before handlers see them.
type validator struct {
	log   *slog.Logger
	extra func(ctx context.Context, fullMethod string, req any) error
}

func (v validator) check(ctx context.Context, method string, req any) error {
	if r, ok := req.(interface{ Validate() error }); ok {
		if err := r.Validate(); err != nil {
			return invalid(err)
		}
	}
	if v.extra != nil {
		if err := v.extra(ctx, method, req); err != nil {
			return grpcerr.ToStatus(v.log, err)
		}
	}
	return nil
}

// invalid makes a request's own Validate error InvalidArgument: such a
// method only reports bad input, whatever error type it uses.
func invalid(err error) error {
	var ve *grpcerr.ValidationError
	if errors.As(err, &ve) {
		return grpcerr.ToStatus(nil, err)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.InvalidArgument, err.Error())
}

func (v validator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := v.check(ctx, info.FullMethod, req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (v validator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &validatingStream{ServerStream: ss, v: v, method: info.FullMethod})
}

// validatingStream validates every message the client sends.
type validatingStream struct {
	grpc.ServerStream
	v      validator
	method string
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.v.check(s.Context(), s.method, m)
}
