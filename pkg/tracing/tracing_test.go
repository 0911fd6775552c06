package tracing_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-cluster/tandem/pkg/tracing"
)

func TestNATSRoundTrip(t *testing.T) {
	ctx := context.Background()
	tp, err := tracing.NewProvider(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown(ctx) })

	spanCtx, span := tp.Tracer("test").Start(ctx, "publish")
	defer span.End()

	tests := []struct {
		name    string
		ctx     context.Context
		wantID  trace.TraceID
		wantHdr bool
	}{
		{name: "with span", ctx: spanCtx, wantID: span.SpanContext().TraceID(), wantHdr: true},
		{name: "without span", ctx: ctx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := nats.Header{}
			tracing.InjectNATS(tt.ctx, h)
			if got := h.Get("traceparent") != ""; got != tt.wantHdr {
				t.Fatalf("traceparent present = %v, want %v (%v)", got, tt.wantHdr, h)
			}
			got := trace.SpanContextFromContext(tracing.ExtractNATS(ctx, h))
			if got.TraceID() != tt.wantID {
				t.Fatalf("extracted trace id %s, want %s", got.TraceID(), tt.wantID)
			}
			if tt.wantHdr && !got.IsRemote() {
				t.Errorf("extracted span context is not remote")
			}
		})
	}
}

func TestSetupRejectsEmptyName(t *testing.T) {
	if _, err := tracing.Setup(context.Background(), "", ""); err == nil {
		t.Fatal("Setup with empty service = nil error")
	}
}
