// Package tracing sets up OpenTelemetry for a service and carries trace
// context across NATS, so one request can be followed from the gateway through
// gRPC calls and JetStream events.
package tracing

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/textproto"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// propagator is stateless; NATS headers always use W3C TraceContext so the
// format does not depend on whichever global was installed last.
var propagator = propagation.TraceContext{}

// NewProvider returns a TracerProvider for service. With otlpEndpoint empty
// there is no exporter: spans are still created so trace ids reach logs and
// other services, but they are not sampled, so nothing records attributes
// and events that no one would read. otlpEndpoint is "host:port"
// (plaintext gRPC) or a URL.
func NewProvider(ctx context.Context, service, otlpEndpoint string) (*sdktrace.TracerProvider, error) {
	root := sdktrace.NeverSample()
	if otlpEndpoint != "" {
		root = sdktrace.AlwaysSample()
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
		sdktrace.WithSampler(sdktrace.ParentBased(root)),
	}
	if otlpEndpoint != "" {
		var eo []otlptracegrpc.Option
		if strings.Contains(otlpEndpoint, "://") {
			eo = append(eo, otlptracegrpc.WithEndpointURL(otlpEndpoint))
		} else {
			eo = append(eo, otlptracegrpc.WithEndpoint(otlpEndpoint), otlptracegrpc.WithInsecure())
		}
		exp, err := otlptracegrpc.New(ctx, eo...)
		if err != nil {
			return nil, fmt.Errorf("otlp exporter %s: %w", otlpEndpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// Setup installs a global TracerProvider (see NewProvider) and the W3C
// TraceContext propagator, and returns the provider's shutdown.
func Setup(ctx context.Context, service, otlpEndpoint string) (func(context.Context) error, error) {
	if service == "" {
		return nil, errors.New("tracing setup: empty service name")
	}
	tp, err := NewProvider(ctx, service, otlpEndpoint)
	if err != nil {
		return nil, err
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator)
	return tp.Shutdown, nil
}

// Recording reports whether tp records new root spans, that is whether an
// exporter takes them (NewProvider samples nothing without one). Without,
// servers and clients skip the instrumentation that builds spans no one
// reads and only pass trace context on (Continue).
func Recording(tp trace.TracerProvider) bool {
	_, span := tp.Tracer("github.com/tandem-cluster/tandem/pkg/tracing").Start(context.Background(), "probe")
	defer span.End()
	return span.IsRecording()
}

// Continue returns ctx with a span context of its own continuing caller's
// trace (a new span id; the caller's trace id, flags and state), or starting
// a trace when caller is not valid. It records nothing: trace ids still reach
// the logs and the services called next.
func Continue(ctx context.Context, caller trace.SpanContext) context.Context {
	cfg := trace.SpanContextConfig{TraceID: caller.TraceID(), TraceFlags: caller.TraceFlags(), TraceState: caller.TraceState()}
	if !cfg.TraceID.IsValid() {
		binary.BigEndian.PutUint64(cfg.TraceID[:8], rand.Uint64())
		binary.BigEndian.PutUint64(cfg.TraceID[8:], rand.Uint64())
	}
	binary.BigEndian.PutUint64(cfg.SpanID[:], rand.Uint64()|1) // never the invalid zero id
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(cfg))
}

// InjectNATS writes the trace context of ctx into h (traceparent, tracestate).
func InjectNATS(ctx context.Context, h nats.Header) {
	if h == nil {
		return
	}
	propagator.Inject(ctx, natsCarrier(h))
}

// ExtractNATS returns ctx with the remote span context found in h, if any.
func ExtractNATS(ctx context.Context, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return propagator.Extract(ctx, natsCarrier(h))
}

// natsCarrier stores keys exactly as the propagator names them
// ("traceparent"): NATS headers are case-sensitive and other clients read the
// lower-case W3C names. Get also accepts the canonical MIME form.
type natsCarrier nats.Header

func (c natsCarrier) Get(key string) string {
	if v := nats.Header(c).Get(key); v != "" {
		return v
	}
	return nats.Header(c).Get(textproto.CanonicalMIMEHeaderKey(key))
}

func (c natsCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
