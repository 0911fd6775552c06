package eventkv_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

func open(t *testing.T) (*eventkv.Store, jetstream.JetStream) {
	t.Helper()
	_, _, js := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"})
	if err != nil {
		t.Fatal(err)
	}
	return s, js
}

func upserted(id, eventID, name string, version int64) *eventsv1.OrganizationUpserted {
	return &eventsv1.OrganizationUpserted{
		EventId: eventID, AggregateId: id, AggregateVersion: version,
		Organization: &profilesv1.Organization{Id: id, Name: name, Version: version},
	}
}

// startRelay runs the relay until the test ends.
func startRelay(t *testing.T, s *eventkv.Store, opts ...eventkv.RelayOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Relay(ctx, slog.New(slog.DiscardHandler), opts...); err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// streamed returns the subjects and event ids on the event stream, waiting
// until there are want of them.
func streamed(t *testing.T, js jetstream.JetStream, want int) (subjects, ids []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "TANDEM_PROFILES")
	if err != nil {
		t.Fatal(err)
	}
	for {
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(info.State.Msgs) >= want {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("event stream holds %d events, want %d", info.State.Msgs, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Read by sequence rather than through a consumer: an erase may purge
	// an earlier event between the count above and the read, and a
	// consumer would then wait for a message that is gone.
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, m.Subject)
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	return subjects, ids
}

func TestCreateGetUpdate(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	rev, err := s.Create(ctx, "org1", upserted("org1", "e1", "Area Science Park", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "org1", upserted("org1", "e2", "Again", 1)); !errors.Is(err, grpcerr.ErrAlreadyExists) {
		t.Fatalf("second create: %v, want ErrAlreadyExists", err)
	}
	rev2, err := s.Update(ctx, "org1", upserted("org1", "e3", "Area Science Park Trieste", 2), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "org1", upserted("org1", "e4", "stale", 2), rev); !errors.Is(err, grpcerr.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	ev, got, err := s.Get(ctx, "org1")
	if err != nil {
		t.Fatal(err)
	}
	if got != rev2 || ev.(*eventsv1.OrganizationUpserted).GetOrganization().GetName() != "Area Science Park Trieste" {
		t.Fatalf("Get = %v at %d, want the update at %d", ev, got, rev2)
	}
	if _, _, err := s.Get(ctx, "nope"); !errors.Is(err, grpcerr.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Create(ctx, "bad.key", upserted("x", "e5", "x", 1)); err == nil {
		t.Fatal("a key with a dot was accepted")
	}
	if _, err := s.Create(ctx, "org2", upserted("org2", "", "no id", 1)); err == nil {
		t.Fatal("an event without event_id was accepted")
	}
}

// TestRelayPublishesWritesMadeWhileItWasDown: writes acknowledged while no
// relay runs (a process killed after the write) still reach the event stream
// once a relay starts, exactly once each, in order.
func TestRelayPublishesWritesMadeWhileItWasDown(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	rev, err := s.Create(ctx, "org1", upserted("org1", "e1", "SISSA", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "org1", upserted("org1", "e2", "SISSA Trieste", 2), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "org2", upserted("org2", "e3", "ICGEB", 1)); err != nil {
		t.Fatal(err)
	}
	startRelay(t, s)
	subjects, ids := streamed(t, js, 3)
	wantSubjects := []string{
		"tandem.profiles.v1.organization.upserted.org1",
		"tandem.profiles.v1.organization.upserted.org1",
		"tandem.profiles.v1.organization.upserted.org2",
	}
	wantIDs := []string{"e1", "e2", "e3"}
	for i := range wantSubjects {
		if subjects[i] != wantSubjects[i] || ids[i] != wantIDs[i] {
			t.Fatalf("event %d = %s %s, want %s %s", i, subjects[i], ids[i], wantSubjects[i], wantIDs[i])
		}
	}
}

// TestRelayRepublishIsDeduplicated: a second relay over the same writes (a
// consumer reset) publishes nothing twice, thanks to the event ids.
func TestRelayRepublishIsDeduplicated(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, "org1", upserted("org1", "e1", "CNR", 1)); err != nil {
		t.Fatal(err)
	}
	startRelay(t, s)
	streamed(t, js, 1)
	// Replay every stored event as if the relay's position had been lost.
	if err := js.DeleteConsumer(ctx, "KV_orgs", "relay_orgs"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "org2", upserted("org2", "e2", "Elettra", 1)); err != nil {
		t.Fatal(err)
	}
	startRelay(t, s)
	_, ids := streamed(t, js, 2)
	if len(ids) != 2 || ids[0] != "e1" || ids[1] != "e2" {
		t.Fatalf("event ids %v, want [e1 e2] with no duplicate", ids)
	}
}

func TestEraseRemovesHistoryAndEarlierEvents(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	startRelay(t, s)
	rev, err := s.Create(ctx, "org1", upserted("org1", "e1", "Burlo Garofolo", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "org2", upserted("org2", "e2", "CRO Aviano", 1)); err != nil {
		t.Fatal(err)
	}
	streamed(t, js, 2)
	erased := &eventsv1.OrganizationErased{EventId: "e3", AggregateId: "org1", AggregateVersion: 2}
	if _, err := s.Erase(ctx, "org1", erased, rev); err != nil {
		t.Fatal(err)
	}
	// The erased event arrives and the earlier event of org1 is purged:
	// the stream ends with org2's upsert and org1's erasure only.
	deadline := time.Now().Add(10 * time.Second)
	for {
		subjects, _ := streamed(t, js, 0)
		if len(subjects) == 2 && subjects[0] == "tandem.profiles.v1.organization.upserted.org2" &&
			subjects[1] == "tandem.profiles.v1.organization.erased.org1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event stream after erase: %v", subjects)
		}
		time.Sleep(20 * time.Millisecond)
	}
	kv, err := js.KeyValue(ctx, "orgs")
	if err != nil {
		t.Fatal(err)
	}
	hist, err := kv.History(ctx, "org1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("org1 keeps %d revisions after erase, want 1", len(hist))
	}
	ev, _, err := s.Get(ctx, "org1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ev.(*eventsv1.OrganizationErased); !ok {
		t.Fatalf("org1 holds %T after erase, want the erased event", ev)
	}
}

func TestWatch(t *testing.T) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.Create(ctx, "org1", upserted("org1", "e1", "Innova FVG", 1)); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		key  string
		name string
	}
	got := make(chan seen, 10)
	synced := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(ctx, func(key string, ev proto.Message, _ uint64) error {
			got <- seen{key, ev.(*eventsv1.OrganizationUpserted).GetOrganization().GetName()}
			return nil
		}, eventkv.OnSynced(func() { close(synced) }))
	}()
	if g := <-got; g != (seen{"org1", "Innova FVG"}) {
		t.Fatalf("first entry %+v", g)
	}
	select {
	case <-synced:
	case <-time.After(10 * time.Second):
		t.Fatal("OnSynced not called")
	}
	if _, err := s.Create(ctx, "org2", upserted("org2", "e2", "Polo Tecnologico Pordenone", 1)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != (seen{"org2", "Polo Tecnologico Pordenone"}) {
		t.Fatalf("change %+v", g)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch returned %v after cancel, want nil", err)
	}
}

func TestClaims(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx := context.Background()
	c, err := eventkv.OpenClaims(ctx, js, "claims", 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, created, err := c.Claim(ctx, "member-1/req 42", "org-a"); err != nil || !created || v != "org-a" {
		t.Fatalf("first claim = %q %v %v", v, created, err)
	}
	if v, created, err := c.Claim(ctx, "member-1/req 42", "org-b"); err != nil || created || v != "org-a" {
		t.Fatalf("retry claim = %q %v %v, want the first value", v, created, err)
	}
	if _, ok, err := c.Lookup(ctx, "member-1/other"); err != nil || ok {
		t.Fatalf("lookup of an unclaimed key = %v %v", ok, err)
	}
}

// TestRepeatedWriteAnswersTheStoredRevision: a write repeated because its
// first try went unanswered (a stream leader stopped after storing it)
// gets the stored revision back, not a refusal as a duplicate create or a
// stale update; a different write from the old revision is still refused.
func TestRepeatedWriteAnswersTheStoredRevision(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	created := upserted("org1", "e1", "Area Science Park", 1)
	rev, err := s.Create(ctx, "org1", created)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.Create(ctx, "org1", created); err != nil || again != rev {
		t.Fatalf("repeated create = %d, %v; want %d", again, err, rev)
	}
	updated := upserted("org1", "e2", "Area Science Park Trieste", 2)
	rev2, err := s.Update(ctx, "org1", updated, rev)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.Update(ctx, "org1", updated, rev); err != nil || again != rev2 {
		t.Fatalf("repeated update = %d, %v; want %d", again, err, rev2)
	}
	if _, err := s.Update(ctx, "org1", upserted("org1", "e3", "other", 2), rev); !errors.Is(err, grpcerr.ErrConflict) {
		t.Fatalf("another write from the old revision: %v, want ErrConflict", err)
	}
	if ev, got, err := s.Get(ctx, "org1"); err != nil || got != rev2 || ev.(*eventsv1.OrganizationUpserted).GetEventId() != "e2" {
		t.Fatalf("Get = %v at %d (%v), want e2 at %d", ev, got, err, rev2)
	}
}
