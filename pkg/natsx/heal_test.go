package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/retry"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

var quick = natsx.WithRedelivery(retry.Policy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond})

// run starts Consume until the test ends.
func run(t *testing.T, js jetstream.JetStream, cfg jetstream.ConsumerConfig, handle func(context.Context, jetstream.Msg) error, opts ...natsx.ConsumeOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- natsx.Consume(ctx, nil, js, "EV", cfg, handle, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Consume: %v", err)
		}
	})
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A message that fails more often than the old bound of 10 deliveries (an
// erasure while Redis is down for minutes) is still handled in the end.
func TestConsumeNeverGivesUp(t *testing.T) {
	ctx, js := setupStream(t)
	if _, err := natsx.Publish(ctx, js, "ev.erase", "e1", wrapperspb.String("erase")); err != nil {
		t.Fatal(err)
	}
	var calls, acked atomic.Int32
	run(t, js, jetstream.ConsumerConfig{Durable: "stubborn"}, func(context.Context, jetstream.Msg) error {
		if calls.Add(1) <= 25 {
			return errors.New("redis unavailable")
		}
		acked.Add(1)
		return nil
	}, quick)
	eventually(t, "handled after 25 failures", func() bool { return acked.Load() == 1 })
}

func TestConsumeSkipsUnknownTypesAndParksPoison(t *testing.T) {
	ctx, js := setupStream(t)
	for i, body := range []string{"future", "poison", "ok"} {
		if _, err := natsx.Publish(ctx, js, "ev."+body, fmt.Sprintf("e%d", i), wrapperspb.String(body)); err != nil {
			t.Fatal(err)
		}
	}
	var okSeen atomic.Bool
	calls := map[string]*atomic.Int32{"future": {}, "poison": {}, "ok": {}}
	run(t, js, jetstream.ConsumerConfig{Durable: "mixed", FilterSubject: "ev.>"}, func(_ context.Context, m jetstream.Msg) error {
		name := m.Subject()[3:]
		calls[name].Add(1)
		switch name {
		case "future":
			return fmt.Errorf("tandem.events.v9.X: %w", natsx.ErrUnknownType)
		case "poison":
			return fmt.Errorf("no such organization: %w", natsx.ErrPermanent)
		}
		okSeen.Store(true)
		return nil
	}, quick)
	eventually(t, "ok handled", okSeen.Load)
	var dlq jetstream.Stream
	eventually(t, "dead letter stored", func() bool {
		var err error
		dlq, err = js.Stream(ctx, natsx.DeadLetterStream)
		if err != nil {
			return false
		}
		info, err := dlq.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	raw, err := dlq.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get(natsx.HeaderDLQSubject) != "ev.poison" || raw.Header.Get(natsx.HeaderDLQConsumer) != "mixed" || raw.Header.Get(natsx.HeaderDLQError) == "" {
		t.Fatalf("dead letter headers %v", raw.Header)
	}
	cons, _ := js.Consumer(ctx, "EV", "mixed")
	eventually(t, "all settled", func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	if n := calls["future"].Load(); n != 1 {
		t.Errorf("unknown type handled %d times, want 1 (skipped, not retried)", n)
	}
	if n := calls["poison"].Load(); n != 1 {
		t.Errorf("poison handled %d times, want 1 (parked)", n)
	}
}

// F3: a durable consumer deleted under a running service comes back, and
// messages published afterwards are handled.
func TestConsumeRecreatesADeletedConsumer(t *testing.T) {
	ctx, js := setupStream(t)
	var seen atomic.Int32
	run(t, js, jetstream.ConsumerConfig{Durable: "healing"}, func(context.Context, jetstream.Msg) error {
		seen.Add(1)
		return nil
	}, natsx.CheckEvery(50*time.Millisecond))
	if _, err := natsx.Publish(ctx, js, "ev.a", "a1", wrapperspb.String("a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first message", func() bool { return seen.Load() == 1 })
	if err := js.DeleteConsumer(ctx, "EV", "healing"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "consumer recreated", func() bool { _, err := js.Consumer(ctx, "EV", "healing"); return err == nil })
	if _, err := natsx.Publish(ctx, js, "ev.b", "b1", wrapperspb.String("b")); err != nil {
		t.Fatal(err)
	}
	// The recreated consumer starts from the stream's start: both again.
	eventually(t, "message after the deletion", func() bool { return seen.Load() >= 2 })
}

// A stream another service owns may appear later; Consume waits for it.
func TestConsumeWaitsForItsStream(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	var seen atomic.Int32
	run(t, js, jetstream.ConsumerConfig{Durable: "early"}, func(context.Context, jetstream.Msg) error {
		seen.Add(1)
		return nil
	})
	ctx := context.Background()
	time.Sleep(50 * time.Millisecond) // let it find no stream first
	if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := natsx.Publish(ctx, js, "ev.a", "a1", wrapperspb.String("a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "message once the stream exists", func() bool { return seen.Load() == 1 })
}
