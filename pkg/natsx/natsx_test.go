package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

func setupStream(t *testing.T) (context.Context, jetstream.JetStream) {
	t.Helper()
	_, nc, js := testenv.JetStream(t)
	lastConn = nc
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	_, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}, Duplicates: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second replica starting must not fail.
	if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}, Duplicates: time.Minute}); err != nil {
		t.Fatalf("second EnsureStream: %v", err)
	}
	return ctx, js
}

// lastConn is the connection of the latest setupStream; tests do not run in
// parallel.
var lastConn *nats.Conn

func TestPublish(t *testing.T) {
	ctx, js := setupStream(t)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	tctx := trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	ack1, err := natsx.Publish(tctx, js, "ev.a", "evt-1", wrapperspb.String("hello"))
	if err != nil {
		t.Fatal(err)
	}
	ack2, err := natsx.Publish(tctx, js, "ev.a", "evt-1", wrapperspb.String("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !ack2.Duplicate || ack2.Sequence != ack1.Sequence {
		t.Fatalf("retried publish not deduplicated: %+v vs %+v", ack2, ack1)
	}
	if _, err := natsx.Publish(ctx, js, "ev.a", "", wrapperspb.String("x")); err == nil {
		t.Fatal("Publish with empty event id = nil error")
	}
	// Optimistic concurrency: expecting the wrong last sequence fails.
	if _, err := natsx.Publish(ctx, js, "ev.a", "evt-2", wrapperspb.String("x"), jetstream.WithExpectLastSequencePerSubject(99)); err == nil {
		t.Fatal("publish with stale expected sequence succeeded")
	}

	st, _ := js.Stream(ctx, "EV")
	raw, err := st.GetMsg(ctx, ack1.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get(natsx.HeaderEventType); got != "google.protobuf.StringValue" {
		t.Errorf("event type header = %q", got)
	}
	if got := raw.Header.Get(jetstream.MsgIDHeader); got != "evt-1" {
		t.Errorf("msg id header = %q", got)
	}
	if got := trace.SpanContextFromContext(tracing.ExtractNATS(ctx, raw.Header)).TraceID(); got != tid {
		t.Errorf("trace id in headers = %s, want %s", got, tid)
	}
	var m wrapperspb.StringValue
	if err := proto.Unmarshal(raw.Data, &m); err != nil || m.GetValue() != "hello" {
		t.Errorf("payload = %v, %v", &m, err)
	}
}

func TestConsume(t *testing.T) {
	ctx, js := setupStream(t)
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	tctx := trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	for i, body := range []string{"ok", "retry", "poison"} {
		if _, err := natsx.Publish(tctx, js, "ev."+body, fmt.Sprintf("e%d", i), wrapperspb.String(body)); err != nil {
			t.Fatal(err)
		}
	}

	// The server announces every terminated message; an Ack would not.
	terms, err := lastConn.SubscribeSync("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.EV.worker")
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	deliveries := map[string]int{}
	var traces []trace.TraceID
	handle := func(hctx context.Context, msg jetstream.Msg) error {
		var v wrapperspb.StringValue
		if err := proto.Unmarshal(msg.Data(), &v); err != nil {
			return fmt.Errorf("decode: %w: %w", natsx.ErrPermanent, err)
		}
		mu.Lock()
		deliveries[v.GetValue()]++
		n := deliveries[v.GetValue()]
		traces = append(traces, trace.SpanContextFromContext(hctx).TraceID())
		mu.Unlock()
		switch {
		case v.GetValue() == "retry" && n == 1:
			return errors.New("transient: store unavailable")
		case v.GetValue() == "poison":
			return fmt.Errorf("unknown organization: %w", natsx.ErrPermanent)
		}
		return nil
	}

	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	// No BackOff: it would replace the ack wait by its first step, and on a
	// loaded machine a message buffered behind another would be redelivered
	// before its turn.
	cfg := jetstream.ConsumerConfig{Durable: "worker", FilterSubjects: []string{"ev.>"}}
	go func() { done <- natsx.Consume(cctx, nil, js, "EV", cfg, handle) }()

	cons := waitConsumer(t, ctx, js)
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		settled := deliveries["retry"] >= 2 && deliveries["ok"] >= 1 && deliveries["poison"] >= 1
		mu.Unlock()
		if settled && info.NumPending == 0 && info.NumAckPending == 0 {
			if info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.MaxDeliver != natsx.DefaultMaxDeliver {
				t.Errorf("consumer config = ack %v max deliver %d", info.Config.AckPolicy, info.Config.MaxDeliver)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("messages not settled: deliveries %v, info %+v", deliveries, info)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Give a wrongly naked poison message time to come back (a nak without a
	// delay is redelivered at once).
	time.Sleep(300 * time.Millisecond)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"ok": 1, "retry": 2, "poison": 1}
	for k, n := range want {
		if deliveries[k] != n {
			t.Errorf("%s delivered %d times, want %d", k, deliveries[k], n)
		}
	}
	if n, _, _ := terms.Pending(); n != 1 {
		t.Errorf("%d termination advisories, want 1 (the poison message)", n)
	}
	for _, got := range traces {
		if got != tid {
			t.Errorf("handler trace id %s, want %s", got, tid)
		}
	}
}

func waitConsumer(t *testing.T, ctx context.Context, js jetstream.JetStream) jetstream.Consumer {
	t.Helper()
	for {
		c, err := js.Consumer(ctx, "EV", "worker")
		if err == nil {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("consumer never created: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestConsumeWaitsForInFlightHandler(t *testing.T) {
	ctx, js := setupStream(t)
	if _, err := natsx.Publish(ctx, js, "ev.slow", "s1", wrapperspb.String("slow")); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	var finished bool
	var mu sync.Mutex
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- natsx.Consume(cctx, nil, js, "EV", jetstream.ConsumerConfig{Durable: "slow"}, func(context.Context, jetstream.Msg) error {
			close(started)
			<-release
			mu.Lock()
			finished = true
			mu.Unlock()
			return nil
		})
	}()
	<-started
	stop()
	select {
	case err := <-done:
		t.Fatalf("Consume returned (%v) while a handler was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !finished {
		t.Fatal("Consume returned before the handler finished")
	}
}

func TestConsumeRequiresDurable(t *testing.T) {
	ctx, js := setupStream(t)
	err := natsx.Consume(ctx, nil, js, "EV", jetstream.ConsumerConfig{}, func(context.Context, jetstream.Msg) error { return nil })
	if err == nil {
		t.Fatal("Consume without Durable = nil error")
	}
}

func TestEnsureKV(t *testing.T) {
	ctx, js := setupStream(t)
	for range 2 {
		kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: "b", History: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConnectGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Port 1 on loopback refuses connections.
	if nc, _, err := natsx.Connect(ctx, "nats://127.0.0.1:1", "t", nil); err == nil {
		nc.Close()
		t.Fatal("Connect to a closed port succeeded")
	}
}

func TestConnectAndDrain(t *testing.T) {
	url, _, _ := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, js, err := natsx.Connect(ctx, url, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := natsx.Drain(ctx, nc); err != nil {
		t.Fatal(err)
	}
	if !nc.IsClosed() {
		t.Fatal("connection not closed after Drain")
	}
}

// TestAttemptsRepeatsAnUnansweredRequest: a request that is never answered
// (as when the stream leader it reached stops) is tried again, and the
// second answer returns well before the caller's deadline; an error that
// cannot heal by repeating ends the attempts at once.
func TestAttemptsRepeatsAnUnansweredRequest(t *testing.T) {
	_, nc, _ := testenv.JetStream(t)
	var mu sync.Mutex
	seen := 0
	sub, err := nc.Subscribe("svc.get", func(m *nats.Msg) {
		mu.Lock()
		seen++
		n := seen
		mu.Unlock()
		if n > 1 { // the first request is lost
			_ = m.Respond([]byte(fmt.Sprint("answer ", n)))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// A deadline far beyond one attempt: without repeats the call would
	// fail with it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*natsx.RequestAttempt)
	defer cancel()
	got, err := natsx.Attempts(ctx, func(ctx context.Context) (*nats.Msg, error) { return nc.RequestWithContext(ctx, "svc.get", nil) })
	if err != nil {
		t.Fatalf("Attempts: %v", err)
	}
	if string(got.Data) != "answer 2" {
		t.Fatalf("answer %q, want the second try's", got.Data)
	}

	calls := 0
	permanent := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence, Description: "wrong last sequence"}
	if _, err := natsx.Attempts(ctx, func(context.Context) (int, error) { calls++; return 0, permanent }); !errors.As(err, new(*jetstream.APIError)) || calls != 1 {
		t.Fatalf("a stale write: %v after %d calls, want the API error after one", err, calls)
	}
}
