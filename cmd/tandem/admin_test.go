package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestAdminDLQ parks an event a consumer cannot take yet, lists it with
// tandem admin dlq list, and after the fix replays it: the consumer handles
// it and the dead-letter stream is empty.
func TestAdminDLQ(t *testing.T) {
	url, _, js := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Before anything is parked, the list is empty.
	code, out, errOut := execute(ctx, "admin", "dlq", "list", "--nats-url", url, "-o", "json")
	if code != 0 || !strings.Contains(out.String(), `"deadLetters": []`) {
		t.Fatalf("list without a dead-letter stream = %d %q %q", code, out, errOut)
	}

	if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	var fixed atomic.Bool
	var handled atomic.Int32
	cctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- natsx.Consume(cctx, nil, js, "EV", jetstream.ConsumerConfig{Durable: "orgs", FilterSubject: "ev.>"},
			func(_ context.Context, m jetstream.Msg) error {
				if m.Subject() == "ev.poison" && !fixed.Load() {
					return fmt.Errorf("no such organization: %w", natsx.ErrPermanent)
				}
				handled.Add(1)
				return nil
			})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Consume: %v", err)
		}
	})
	for _, s := range []string{"ok", "poison"} {
		if _, err := natsx.Publish(ctx, js, "ev."+s, "e-"+s, wrapperspb.String(s)); err != nil {
			t.Fatal(err)
		}
	}

	var list struct{ DeadLetters []deadLetter }
	eventually(t, "the poison event parked", func() bool {
		code, out, _ := execute(ctx, "admin", "dlq", "list", "--nats-url", url, "-o", "json")
		return code == 0 && json.Unmarshal([]byte(out.String()), &list) == nil && len(list.DeadLetters) == 1
	})
	d := list.DeadLetters[0]
	if d.Stream != "EV" || d.Consumer != "orgs" || d.Subject != "ev.poison" || d.Sequence != 2 || !strings.Contains(d.Error, "no such organization") {
		t.Fatalf("dead letter %+v", d)
	}
	code, out, _ = execute(ctx, "admin", "dlq", "list", "--nats-url", url)
	if code != 0 || !strings.Contains(out.String(), "ev.poison") || !strings.Contains(out.String(), "no such organization") {
		t.Fatalf("table = %d %q", code, out)
	}

	// Bad arguments are usage errors; an unknown sequence is not found.
	if code, _, _ := execute(ctx, "admin", "dlq", "replay", "--nats-url", url); code != exitUsage {
		t.Errorf("replay without sequences = %d, want %d", code, exitUsage)
	}
	if code, _, _ := execute(ctx, "admin", "dlq", "replay", "x", "--nats-url", url); code != exitUsage {
		t.Errorf("replay x = %d, want %d", code, exitUsage)
	}
	if code, _, _ := execute(ctx, "admin", "dlq", "replay", "99", "--nats-url", url); code != exitNotFound {
		t.Errorf("replay 99 = %d, want %d", code, exitNotFound)
	}

	before := handled.Load()
	fixed.Store(true)
	code, out, errOut = execute(ctx, "admin", "dlq", "replay", fmt.Sprint(d.Seq), "--nats-url", url)
	if code != 0 || !strings.Contains(out.String(), "replayed") {
		t.Fatalf("replay = %d %q %q", code, out, errOut)
	}
	eventually(t, "the replayed event handled", func() bool { return handled.Load() == before+1 })
	code, out, _ = execute(ctx, "admin", "dlq", "list", "--nats-url", url, "-o", "json")
	if code != 0 || !strings.Contains(out.String(), `"deadLetters": []`) {
		t.Fatalf("list after replay = %d %q", code, out)
	}

	// A letter from a bucket's stream is not replayed: it would be a new
	// revision of the key, taking it back to an old value.
	m := nats.NewMsg("tandem.dlq.KV_orgs.relay_orgs")
	m.Data = []byte("old value")
	m.Header.Set(natsx.HeaderDLQStream, "KV_orgs")
	m.Header.Set(natsx.HeaderDLQSubject, "$KV.orgs.o1")
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := execute(ctx, "admin", "dlq", "replay", "--all", "--nats-url", url); code == 0 || !strings.Contains(errOut.String(), "overwrite the key") {
		t.Fatalf("replay of a bucket's letter = %d %q", code, errOut)
	}
}
