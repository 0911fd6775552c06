package eventkv_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// futureEntry stores an event of a type this build does not know, as a
// newer replica would during a rolling upgrade.
func futureEntry(t *testing.T, js jetstream.JetStream, bucket, key, eventID string, payload []byte) {
	t.Helper()
	data, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/tandem.events.v9.OrganizationRenamed", Value: payload})
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("$KV." + bucket + "." + key)
	m.Data = data
	m.Header.Set(eventkv.HeaderSubject, "tandem.profiles.v1.organization.renamed."+key)
	m.Header.Set(eventkv.HeaderEventID, eventID)
	m.Header.Set(natsx.HeaderEventType, "tandem.events.v9.OrganizationRenamed")
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func TestRelayForwardsEventsOfUnknownTypes(t *testing.T) {
	s, js := open(t)
	payload := []byte{0x0a, 0x03, 'n', 'e', 'w'}
	futureEntry(t, js, "orgs", "o9", "evt-future", payload)
	if _, err := s.Create(context.Background(), "o1", upserted("o1", "evt-1", "Known", 1)); err != nil {
		t.Fatal(err)
	}
	startRelay(t, s)
	subjects, ids := streamed(t, js, 2)
	if subjects[0] != "tandem.profiles.v1.organization.renamed.o9" || ids[0] != "evt-future" {
		t.Fatalf("first relayed event = %s %s, want the unknown type's subject and id", subjects[0], ids[0])
	}
	st, _ := js.Stream(context.Background(), "TANDEM_PROFILES")
	raw, err := st.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw.Data) != string(payload) || raw.Header.Get(natsx.HeaderEventType) != "tandem.events.v9.OrganizationRenamed" {
		t.Fatalf("relayed %q type %q, want the stored bytes and type", raw.Data, raw.Header.Get(natsx.HeaderEventType))
	}
}

func TestWatchSkipsEventsOfUnknownTypes(t *testing.T) {
	s, js := open(t)
	futureEntry(t, js, "orgs", "o9", "evt-future", []byte{0x0a, 0x01, 'x'})
	if _, err := s.Create(context.Background(), "o1", upserted("o1", "evt-1", "Known", 1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(ctx, func(key string, _ proto.Message, _ uint64) error { got <- key; return nil })
	}()
	select {
	case k := <-got:
		if k != "o1" {
			t.Fatalf("watch applied %s, want o1", k)
		}
	case err := <-done:
		t.Fatalf("watch ended on an unknown event type: %v", err)
	case <-ctx.Done():
		t.Fatal("watch applied nothing")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch: %v", err)
	}
}

// A replica killed while relaying holds the one in-flight event; the next
// replica takes over after RelayAckWait, not after the old 30 s.
func TestRelayTakesOverFromAKilledReplicaAtOnce(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, "o1", upserted("o1", "evt-1", "A", 1)); err != nil {
		t.Fatal(err)
	}
	// Start a relay to create the consumer, stop it, then take the event
	// as a replica that dies without acking.
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Relay(rctx, nil) }()
	var cons jetstream.Consumer
	for cons == nil {
		cons, _ = js.Consumer(ctx, "KV_orgs", "relay_orgs")
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.AckWait > eventkv.RelayAckWait || info.Config.MaxDeliver != -1 {
		t.Fatalf("relay consumer: ack wait %s, max deliver %d; want at most %s and unlimited", info.Config.AckWait, info.Config.MaxDeliver, eventkv.RelayAckWait)
	}
	if _, err := s.Update(ctx, "o1", upserted("o1", "evt-2", "B", 2), 1); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	startRelay(t, s)
	streamed(t, js, 2)
	// Generous against load, still far below the old 30 s ack wait.
	if took := time.Since(started); took > 20*time.Second {
		t.Fatalf("relay resumed after %s", took)
	}
}

// F1: a replica killed (kill -9) while it holds a bucket's relay lease and
// restarted under the same name relays again at once; every other replica
// would wait for the lease to lapse. Here the lease it left behind is kept
// from lapsing, so that only taking it back explains the relay resuming, and
// a replica of another name started meanwhile does not take it.
func TestRelayRestartedReplicaTakesBackItsLease(t *testing.T) {
	url, _, js := testenv.JetStream(t)
	ctx := context.Background()
	const name = "profiles-0.example/[::]:50051"
	cfg := eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"}
	openOn := func(js jetstream.JetStream) *eventkv.Store {
		s, err := eventkv.Open(ctx, js, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// The first run relays one event, then dies with its connection:
	// nothing is released.
	nc1, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js1, err := jetstream.New(nc1)
	if err != nil {
		t.Fatal(err)
	}
	first := openOn(js1)
	if _, err := first.Create(ctx, "o1", upserted("o1", "evt-1", "A", 1)); err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- first.Relay(rctx, nil, eventkv.RelayAs(name)) }()
	streamed(t, js, 1)
	nc1.Close()
	stop()
	<-done

	leases, err := js.KeyValue(ctx, eventkv.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	left, err := leases.Get(ctx, "orgs")
	if err != nil {
		t.Fatalf("the killed replica's lease: %v", err)
	}
	// Renew it as the killed replica would have, until someone takes it.
	renewCtx, stopRenewing := context.WithCancel(ctx)
	defer stopRenewing()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		rev := left.Revision()
		for renewCtx.Err() == nil {
			next, err := leases.Update(renewCtx, "orgs", left.Value(), rev)
			if errors.Is(err, jetstream.ErrKeyExists) {
				return // taken
			}
			if err == nil {
				rev = next
			}
			select {
			case <-renewCtx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	startRelay(t, openOn(js), eventkv.RelayAs("profiles-1.example/[::]:50051"))
	restarted := openOn(js)
	if _, err := restarted.Update(ctx, "o1", upserted("o1", "evt-2", "B", 2), 1); err != nil {
		t.Fatal(err)
	}
	startRelay(t, restarted, eventkv.RelayAs(name))
	_, ids := streamed(t, js, 2)
	if !slices.Equal(ids, []string{"evt-1", "evt-2"}) {
		t.Fatalf("event stream holds %v, want evt-1 then evt-2", ids)
	}
	<-renewed
	held, err := leases.Get(ctx, "orgs")
	if err != nil {
		t.Fatal(err)
	}
	if v := string(held.Value()); !strings.HasSuffix(v, " "+name) || v == string(left.Value()) {
		t.Fatalf("lease held by %q, want the restarted %s", v, name)
	}
}

// A read that decides a write (update with the revision read) asks the
// bucket's leader: with direct gets (AllowDirect, every KV bucket's default)
// a lagging follower in an R3 cluster may answer with an older revision.
func TestGetReadsFromTheLeader(t *testing.T) {
	_, nc, js := testenv.JetStream(t)
	ctx := context.Background()
	s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "o1", upserted("o1", "evt-1", "A", 1)); err != nil {
		t.Fatal(err)
	}
	direct, err := nc.SubscribeSync("$JS.API.DIRECT.GET.>")
	if err != nil {
		t.Fatal(err)
	}
	leader, err := nc.SubscribeSync("$JS.API.STREAM.MSG.GET.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "o1"); err != nil {
		t.Fatal(err)
	}
	// Requests this connection sent reach its own subscriptions before
	// the answer to a later flush.
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if m, err := direct.NextMsg(time.Millisecond); err == nil {
		t.Fatalf("Get read with a direct get (%s), which any replica may answer", m.Subject)
	}
	if _, err := leader.NextMsg(time.Second); err != nil {
		t.Fatalf("Get did not ask the leader: %v", err)
	}
}

func TestRelayReportsRevisionsDroppedBeforeItPublishedThem(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx := context.Background()
	s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "gappy", Stream: "TANDEM_GAPPY", StreamSubjects: "tandem.profiles.v1.>", History: 2})
	if err != nil {
		t.Fatal(err)
	}
	before := testutil.ToFloat64(gaps("gappy"))
	rev, err := s.Create(ctx, "o1", upserted("o1", "e1", "v1", 1))
	if err != nil {
		t.Fatal(err)
	}
	// Four revisions while no relay runs: the bucket keeps two.
	for v := int64(2); v <= 4; v++ {
		if rev, err = s.Update(ctx, "o1", upserted("o1", "e"+strconv.FormatInt(v, 10), "v", v), rev); err != nil {
			t.Fatal(err)
		}
	}
	startRelay(t, s)
	deadline := time.Now().Add(15 * time.Second)
	for testutil.ToFloat64(gaps("gappy")) == before {
		if time.Now().After(deadline) {
			t.Fatal("no gap reported although two revisions were dropped unpublished")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func gaps(bucket string) prometheus.Collector { return eventkv.RelayGaps.WithLabelValues(bucket) }

func TestClaimsExpire(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx := context.Background()
	if _, err := eventkv.OpenClaims(ctx, js, "claims", 1); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "claims")
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != eventkv.ClaimTTL {
		t.Fatalf("claims TTL %s, want %s", st.TTL(), eventkv.ClaimTTL)
	}
}

// Two replicas relay one bucket while writes go on and the first replica
// stops half-way: every event reaches the event stream once, and each
// aggregate's events in the order they were stored, although many are in
// flight at once.
func TestRelayKeepsEachAggregatesOrderAcrossReplicas(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	const keys, versions = 40, 12
	first, stopFirst := context.WithCancel(ctx)
	defer stopFirst()
	firstDone := make(chan error, 1)
	go func() { firstDone <- s.Relay(first, nil) }()
	startRelay(t, s)
	revs := make([]uint64, keys)
	for v := int64(1); v <= versions; v++ {
		if v == versions/2 {
			stopFirst()
			if err := <-firstDone; err != nil {
				t.Fatal(err)
			}
		}
		writeVersion(t, s, revs, v)
	}
	subjects, ids := streamed(t, js, keys*versions)
	inOrderOnce(t, subjects, ids, keys*versions)
}

// writeVersion stores version v of aggregates o0, o1, … (one per entry of
// revs, which holds their revisions), with event ids <key>-<v>.
func writeVersion(t *testing.T, s *eventkv.Store, revs []uint64, v int64) {
	t.Helper()
	ctx := context.Background()
	for k := range revs {
		id := fmt.Sprintf("o%d", k)
		ev := upserted(id, fmt.Sprintf("%s-%d", id, v), "v", v)
		var err error
		if v == 1 {
			revs[k], err = s.Create(ctx, id, ev)
		} else {
			revs[k], err = s.Update(ctx, id, ev, revs[k])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// inOrderOnce fails unless the event stream holds want events with ids
// <key>-<version>, each on its key's subject, every key's versions from 1
// on in order: none lost, none twice.
func inOrderOnce(t *testing.T, subjects, ids []string, want int) {
	t.Helper()
	if len(ids) != want {
		t.Fatalf("%d events on the stream, want %d", len(ids), want)
	}
	next := map[string]int{}
	for i, id := range ids {
		key, v, _ := strings.Cut(id, "-")
		if !strings.HasSuffix(subjects[i], "."+key) {
			t.Fatalf("event %s on %s", id, subjects[i])
		}
		next[key]++
		if want := strconv.Itoa(next[key]); v != want {
			t.Fatalf("event %d is %s: version %s of %s, want version %s", i, id, v, key, want)
		}
	}
}

// BenchmarkRelay measures how fast a relay drains a backlog of stored
// events to the event stream: publishing one at a time (the relay before it
// pipelined) and with the default window, alternately in each iteration so
// both see the same load. It reports the medians of each and of their ratio.
//
//	go test -run '^$' -bench Relay -benchtime 5x ./eventkv
func BenchmarkRelay(b *testing.B) {
	const events = 5000
	drain := func(inFlight int) float64 {
		_, _, js := testenv.JetStream(b)
		ctx := context.Background()
		s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>", RelayInFlight: inFlight})
		if err != nil {
			b.Fatal(err)
		}
		for i := range events { // 500 aggregates, 10 versions each
			id := fmt.Sprintf("o%d", i%500)
			if i < 500 {
				_, err = s.Create(ctx, id, upserted(id, fmt.Sprint("e", i), "v", 1))
			} else {
				_, err = s.Update(ctx, id, upserted(id, fmt.Sprint("e", i), "v", int64(i/500+1)), uint64(i-499))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		st, err := js.Stream(ctx, "TANDEM_PROFILES")
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.Relay(rctx, nil) }()
		for {
			info, err := st.Info(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if info.State.Msgs >= events {
				break
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		cancel()
		<-done
		return events / took.Seconds()
	}
	var one, window, ratio []float64
	for range b.N {
		o, w := drain(1), drain(eventkv.DefaultRelayInFlight)
		one, window, ratio = append(one, o), append(window, w), append(ratio, w/o)
	}
	b.ReportMetric(median(one), "in_flight_1_events/s")
	b.ReportMetric(median(window), "in_flight_256_events/s")
	b.ReportMetric(median(ratio), "ratio")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// A replica stopped gracefully (SIGTERM) while it relays a backlog hands
// back the events it fetched and had not published: the replica taking over
// relays at once instead of waiting for their ack wait, every event reaches
// the event stream once and each aggregate's events in the order stored.
func TestRelayStoppedReplicaHandsBackItsEvents(t *testing.T) {
	s, js := open(t)
	ctx := context.Background()
	const keys, versions = 50, 60
	revs := make([]uint64, keys)
	for v := int64(1); v <= versions; v++ {
		writeVersion(t, s, revs, v)
	}
	handedBack, waits := eventkv.RelayHandedBack.WithLabelValues("orgs"), eventkv.RelayAckWaits.WithLabelValues("orgs")
	handedBefore, waitsBefore := testutil.ToFloat64(handedBack), testutil.ToFloat64(waits)

	// The first replica relays until the first events are on the stream,
	// then stops with the rest of the backlog in hand.
	first, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Relay(first, nil) }()
	st, err := js.Stream(ctx, "TANDEM_PROFILES")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first replica relayed nothing")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(handedBack) - handedBefore; n == 0 {
		t.Fatal("the stopped replica held no events: the backlog was relayed before it stopped")
	}

	next, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"})
	if err != nil {
		t.Fatal(err)
	}
	startRelay(t, next)
	subjects, ids := streamed(t, js, keys*versions)
	if n := testutil.ToFloat64(waits) - waitsBefore; n != 0 {
		t.Fatalf("the replica taking over waited %v times for events left pending", n)
	}
	inOrderOnce(t, subjects, ids, keys*versions)
}

// TestRelayTakesBackTheLeaseItGaveUp: a relay that stopped because it could
// not renew its lease (NATS restarting) takes the lease back as soon as it
// can, if nobody took it meanwhile, instead of waiting for it to lapse; it
// never takes another replica's lease or another Relay's of the same
// store, and an earlier run's only on its first acquisition.
func TestRelayTakesBackTheLeaseItGaveUp(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx := context.Background()
	s, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "orgs", Stream: "TANDEM_PROFILES", StreamSubjects: "tandem.profiles.v1.>"})
	if err != nil {
		t.Fatal(err)
	}
	leases, err := js.KeyValue(ctx, eventkv.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	const name = "profiles-0.example/[::]:50051"
	hold := func(value string) {
		t.Helper()
		if _, err := leases.Put(ctx, "orgs", []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		what, held  string
		first, want bool
	}{
		{"its own lease, later", eventkv.Incarnation(s) + "/r1 " + name, false, true},
		{"another Relay run of the same store", eventkv.Incarnation(s) + "/r2 " + name, false, false},
		{"another Relay run of the same store, first", eventkv.Incarnation(s) + "/r2 " + name, true, false},
		{"another replica's", "other-run profiles-1.example/[::]:50051", false, false},
		{"another replica's, first", "other-run profiles-1.example/[::]:50051", true, false},
		{"an earlier run's, later", "earlier-run " + name, false, false},
		{"an earlier run's, first", "earlier-run " + name, true, true},
	} {
		hold(c.held)
		value, ok := eventkv.TakeBack(s, name, "r1", c.first)
		e, err := leases.Get(ctx, "orgs")
		if err != nil {
			t.Fatal(err)
		}
		if ok != c.want || (ok && string(e.Value()) != value) || (!ok && string(e.Value()) != c.held) {
			t.Errorf("%s: taken %v, lease %q; want taken %v", c.what, ok, e.Value(), c.want)
		}
	}
}
