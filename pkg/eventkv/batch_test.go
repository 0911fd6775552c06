package eventkv_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// lostAnswers publishes for real but loses the answer to the first lose
// asynchronous publishes, as when a connection drops after the server
// stored the message.
type lostAnswers struct {
	jetstream.JetStream
	lose atomic.Int64
}

func (l *lostAnswers) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	fut, err := l.JetStream.PublishMsgAsync(m, opts...)
	if err != nil || l.lose.Add(-1) < 0 {
		return fut, err
	}
	return unanswered{fut}, nil
}

// unanswered is a publish whose answer never comes.
type unanswered struct{ jetstream.PubAckFuture }

func (unanswered) Ok() <-chan *jetstream.PubAck { return nil }
func (unanswered) Err() <-chan error            { return nil }

func openOn(t *testing.T, js jetstream.JetStream) *eventkv.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bucketMsgs is how many messages the bucket's stream holds.
func bucketMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), "KV_orgs")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestWriteManyWritesEachAsCreateOrUpdateWould: one call of creates (more
// than the window), an update, a stale update, a create of an existing key
// and an invalid key gives each write the outcome Create or Update would.
func TestWriteManyWritesEachAsCreateOrUpdateWould(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	rev, err := s.Create(ctx, "old", upserted("old", "e-old", "Old", 1))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*eventkv.BatchInFlight + 7
	var ws []eventkv.Write
	for i := range n {
		key := fmt.Sprintf("org%d", i)
		ws = append(ws, eventkv.Write{Key: key, Event: upserted(key, "e"+key, key, 1)})
	}
	ws = append(ws,
		eventkv.Write{Key: "old", Event: upserted("old", "e-old-2", "Old 2", 2), LastRev: rev},
		eventkv.Write{Key: "old", Event: upserted("old", "e-old-3", "stale", 2), LastRev: rev},
		eventkv.Write{Key: "old", Event: upserted("old", "e-old-4", "again", 1)},
		eventkv.Write{Key: "bad.key", Event: upserted("x", "e-bad", "x", 1)},
	)
	out := s.WriteMany(ctx, ws)
	for i := range n {
		ev, got, err := s.Get(ctx, ws[i].Key)
		if out[i].Err != nil || err != nil || got != out[i].Rev || ev.(*eventsv1.OrganizationUpserted).GetEventId() != "e"+ws[i].Key {
			t.Fatalf("write %d: %+v; stored %v at %d, %v", i, out[i], ev, got, err)
		}
	}
	if o := out[n]; o.Err != nil || o.Rev <= rev {
		t.Fatalf("update: %+v", o)
	}
	if o := out[n+1]; !errors.Is(o.Err, grpcerr.ErrConflict) {
		t.Fatalf("stale update: %+v, want ErrConflict", o)
	}
	if o := out[n+2]; !errors.Is(o.Err, grpcerr.ErrAlreadyExists) {
		t.Fatalf("create of an existing key: %+v, want ErrAlreadyExists", o)
	}
	if o := out[n+3]; o.Err == nil {
		t.Fatal("a key with a dot was accepted")
	}
	if got := bucketMsgs(t, js); got != n+2 {
		t.Fatalf("bucket holds %d messages, want %d", got, n+2)
	}
}

// TestWriteManyRepublishesWritesWhoseAnswerWasLost: writes stored but not
// answered are published again after the attempt's bound and acknowledged
// with their first revision: each is stored once and relayed once.
func TestWriteManyRepublishesWritesWhoseAnswerWasLost(t *testing.T) {
	defer eventkv.SetBatchAttempt(50 * time.Millisecond)()
	_, _, real := testenv.JetStream(t)
	js := &lostAnswers{JetStream: real}
	s := openOn(t, js)
	const n, lost = 300, 40
	js.lose.Store(lost)
	var ws []eventkv.Write
	for i := range n {
		key := fmt.Sprintf("org%d", i)
		ws = append(ws, eventkv.Write{Key: key, Event: upserted(key, key+"-1", key, 1)})
	}
	out := s.WriteMany(context.Background(), ws)
	if js.lose.Load() >= 0 {
		t.Fatalf("only %d answers were lost", lost-js.lose.Load())
	}
	for i, o := range out {
		_, got, err := s.Get(context.Background(), ws[i].Key)
		if o.Err != nil || err != nil || got != o.Rev {
			t.Fatalf("write %d: %+v; stored at %d, %v", i, o, got, err)
		}
	}
	if got := bucketMsgs(t, real); got != n {
		t.Fatalf("bucket holds %d messages for %d writes", got, n)
	}
	startRelay(t, s)
	subjects, ids := streamed(t, real, n)
	inOrderOnce(t, subjects, ids, n)
}

// TestClaimManyClaimsEachAsClaimWould: new keys are claimed, keys claimed
// before answer the earlier value, and a claim whose answer was lost is
// recognised as the caller's own.
func TestClaimManyClaimsEachAsClaimWould(t *testing.T) {
	defer eventkv.SetBatchAttempt(50 * time.Millisecond)()
	_, _, real := testenv.JetStream(t)
	js := &lostAnswers{JetStream: real}
	ctx := context.Background()
	c, err := eventkv.OpenClaims(ctx, js, "claims", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Claim(ctx, "req 3", "earlier"); err != nil {
		t.Fatal(err)
	}
	const n = 600
	var keys, values []string
	for i := range n {
		keys = append(keys, fmt.Sprintf("req %d", i))
		values = append(values, fmt.Sprintf("id %d", i))
	}
	keys = append(keys, "req 5") // repeated in the call: the first one wins
	values = append(values, "other")
	js.lose.Store(20)
	out := c.ClaimMany(ctx, keys, values)
	for i, r := range out[:n] {
		want := claimWant(i, values[i])
		if r.Err != nil || r.Winner != want.Winner || r.Created != want.Created {
			t.Fatalf("claim %d = %+v, want %+v", i, r, want)
		}
		if v, ok, err := c.Lookup(ctx, keys[i]); err != nil || !ok || v != want.Winner {
			t.Fatalf("lookup %d = %q %v %v", i, v, ok, err)
		}
	}
	if r := out[n]; r.Err != nil || r.Created || r.Winner != "id 5" {
		t.Fatalf("repeated key = %+v, want the first value", r)
	}
	again := c.ClaimMany(ctx, keys[:n], values[:n])
	for i, r := range again {
		if want := claimWant(i, values[i]); r.Err != nil || r.Winner != want.Winner {
			t.Fatalf("repeated claim %d = %+v, want %+v", i, r, want)
		}
	}
}

// claimWant is the outcome of claiming "req i" for value in
// TestClaimManyClaimsEachAsClaimWould.
func claimWant(i int, value string) eventkv.ClaimResult {
	if i == 3 {
		return eventkv.ClaimResult{Winner: "earlier"}
	}
	return eventkv.ClaimResult{Winner: value, Created: true}
}
