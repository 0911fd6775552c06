package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-cluster/tandem/pkg/logging"
)

func TestNew(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	tests := []struct {
		name      string
		level     string
		ctx       context.Context
		debug     bool
		wantLine  bool
		wantTrace string
	}{
		{name: "info without span", level: "info", ctx: context.Background(), wantLine: true},
		{name: "info with span", level: "info", ctx: traced, wantLine: true, wantTrace: tid.String()},
		{name: "debug filtered at info", level: "info", ctx: context.Background(), debug: true},
		{name: "debug shown at debug", level: "DEBUG", ctx: context.Background(), debug: true, wantLine: true},
		{name: "unknown level means info", level: "loud", ctx: context.Background(), debug: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := logging.New(&buf, "profiles", tt.level).With("k", "v")
			if tt.debug {
				log.DebugContext(tt.ctx, "hello")
			} else {
				log.InfoContext(tt.ctx, "hello")
			}
			if !tt.wantLine {
				if buf.Len() != 0 {
					t.Fatalf("got line %q, want none", buf.String())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("not JSON: %v: %q", err, buf.String())
			}
			if rec["service"] != "profiles" || rec["msg"] != "hello" || rec["k"] != "v" {
				t.Errorf("record = %v", rec)
			}
			got, _ := rec["trace_id"].(string)
			if got != tt.wantTrace {
				t.Errorf("trace_id = %q, want %q", got, tt.wantTrace)
			}
		})
	}
}

// TestRequestIDAndSeconds: a record logged within a request carries its
// request id, and durations are in seconds.
func TestRequestIDAndSeconds(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, "profiles", "info")
	ctx := logging.WithRequestID(context.Background(), "req-4711")
	log.InfoContext(ctx, "done", "duration", 1500*time.Millisecond)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not JSON: %v: %q", err, buf.String())
	}
	if rec["request_id"] != "req-4711" || rec["duration"] != 1.5 {
		t.Errorf("record = %v, want request_id req-4711 and duration 1.5 (seconds)", rec)
	}
	buf.Reset()
	log.Info("outside a request")
	if bytes.Contains(buf.Bytes(), []byte("request_id")) {
		t.Errorf("a record outside a request has a request id: %s", buf.String())
	}
}
