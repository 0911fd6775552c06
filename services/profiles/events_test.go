package profiles_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/natsx/embedded"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// received is one event a test consumer got.
type received struct {
	subject string
	msgID   string
	ev      proto.Message
}

// consumer runs a durable consumer of the profiles stream, as another
// service would, and collects what it receives.
type consumer struct {
	mu   sync.Mutex
	got  []received
	news chan struct{}
}

func consume(t *testing.T, natsURL, durable string) *consumer {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{news: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// The stream exists once the service has started.
	go func() {
		done <- natsx.Consume(ctx, nil, js, "TANDEM_PROFILES", jetstream.ConsumerConfig{Durable: durable, FilterSubject: "tandem.profiles.v1.>"},
			func(_ context.Context, m jetstream.Msg) error {
				mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(m.Headers().Get(natsx.HeaderEventType)))
				if err != nil {
					return fmt.Errorf("%w: %v", natsx.ErrPermanent, err)
				}
				ev := mt.New().Interface()
				if err := proto.Unmarshal(m.Data(), ev); err != nil {
					return fmt.Errorf("%w: %v", natsx.ErrPermanent, err)
				}
				c.mu.Lock()
				c.got = append(c.got, received{subject: m.Subject(), msgID: m.Headers().Get(jetstream.MsgIDHeader), ev: ev})
				c.mu.Unlock()
				select {
				case c.news <- struct{}{}:
				default:
				}
				return nil
			})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer: %v", err)
		}
	})
	return c
}

// waitFor polls until cond holds over what was received.
func (c *consumer) waitFor(t *testing.T, what string, cond func([]received) bool) []received {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		got := append([]received(nil), c.got...)
		c.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-c.news:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waiting for %s: got %d events: %v", what, len(got), got)
		}
	}
}

func countFor(got []received, subject string) int {
	n := 0
	for _, r := range got {
		if r.subject == subject {
			n++
		}
	}
	return n
}

func TestCreateIsSeenExactlyOnceByADurableConsumer(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c := consume(t, e.cfg.NATSURL, "test_exactly_once")
	var first *profilesv1.Organization
	for range 3 { // a client retrying its create
		res, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("Burlo Garofolo"), ClientRequestId: "once"})
		if err != nil {
			t.Fatal(err)
		}
		first = res.GetOrganization()
	}
	// A later event on the same stream proves the consumer is past the
	// create; a duplicate of it would have been delivered before.
	marker := mustCreateOrg(t, e.admin, org("Marker"))
	subj := "tandem.profiles.v1.organization.upserted." + first.GetId()
	got := c.waitFor(t, "marker", func(g []received) bool {
		return countFor(g, "tandem.profiles.v1.organization.upserted."+marker.GetId()) == 1
	})
	if n := countFor(got, subj); n != 1 {
		t.Fatalf("create delivered %d times, want 1", n)
	}
	for _, r := range got {
		if r.subject != subj {
			continue
		}
		up, ok := r.ev.(*eventsv1.OrganizationUpserted)
		if !ok || up.GetAggregateVersion() != 1 || up.GetAggregateId() != first.GetId() || !proto.Equal(up.GetOrganization(), first) || r.msgID != up.GetEventId() || up.GetActorSubject() != "admin-1" {
			t.Errorf("event = %v (msg id %q), want the created organization at version 1", r.ev, r.msgID)
		}
	}
}

func TestVersionConflictEmitsNoEvent(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c := consume(t, e.cfg.NATSURL, "test_conflict")
	o := mustCreateOrg(t, e.admin, org("Innova FVG"))
	up := func(v int64) error {
		_, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: &profilesv1.Organization{Id: o.GetId(), City: "Amaro"}, ExpectedVersion: v, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"city"}}})
		return err
	}
	if err := up(1); err != nil {
		t.Fatal(err)
	}
	wantCode(t, up(1), codes.Aborted)
	marker := mustCreateOrg(t, e.admin, org("Marker"))
	got := c.waitFor(t, "marker", func(g []received) bool {
		return countFor(g, "tandem.profiles.v1.organization.upserted."+marker.GetId()) == 1
	})
	var versions []int64
	for _, r := range got {
		if u, ok := r.ev.(*eventsv1.OrganizationUpserted); ok && u.GetAggregateId() == o.GetId() {
			versions = append(versions, u.GetAggregateVersion())
		}
	}
	if fmt.Sprint(versions) != "[1 2]" {
		t.Errorf("versions published = %v, want [1 2]", versions)
	}
}

func TestEraseReachesConsumers(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c := consume(t, e.cfg.NATSURL, "test_erase")
	o := mustCreateOrg(t, e.admin, org("Fondazione Italiana Fegato"))
	var people []string
	for _, n := range []string{"Ada Demo", "Bruno Demo"} {
		res, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: o.GetId(), Name: n}})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, res.GetPerson().GetId())
	}
	res, err := e.admin.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: o.GetId(), Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.GetErasedPersonIds()) != fmt.Sprint(people) {
		t.Errorf("erased people = %v, want %v", res.GetErasedPersonIds(), people)
	}
	// People and organisations are relayed from separate buckets, so their
	// erase events may arrive in either order.
	got := c.waitFor(t, "erase events", func(g []received) bool {
		n := countFor(g, "tandem.profiles.v1.organization.erased."+o.GetId())
		for _, pid := range people {
			n += countFor(g, "tandem.profiles.v1.person.erased."+pid)
		}
		return n == 1+len(people)
	})
	for _, pid := range people {
		if countFor(got, "tandem.profiles.v1.person.erased."+pid) != 1 {
			t.Errorf("no PersonErased for %s", pid)
		}
		_, err := e.admin.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: pid})
		wantCode(t, err, codes.NotFound)
	}
	for _, r := range got {
		if er, ok := r.ev.(*eventsv1.OrganizationErased); ok {
			if fmt.Sprint(er.GetErasedPersonIds()) != fmt.Sprint(people) || er.GetAggregateVersion() != 2 {
				t.Errorf("OrganizationErased = %v", er)
			}
		}
	}
	// The personal data in earlier events is gone from the stream too; the
	// relay purges after it published the erase, so poll for it.
	nc, err := nats.Connect(e.cfg.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, "TANDEM_PROFILES")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter("tandem.profiles.v1.*.upserted.>"))
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for subj, n := range info.State.Subjects {
			for _, id := range append([]string{o.GetId()}, people...) {
				if subj == "tandem.profiles.v1.organization.upserted."+id || subj == "tandem.profiles.v1.person.upserted."+id {
					left += int(n)
				}
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d upserted events of erased profiles still in the stream", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartLosesNothingAcknowledged stops NATS under a running service
// (the way a crash would), then the service, restarts both on the same data
// and checks every acknowledged create is there and announced exactly once.
func TestRestartLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ns, err := embedded.Start(embedded.Options{Port: -1, StoreDir: dir, ServerName: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.NATSURL = ns.ClientURL()
	cfg.ShutdownTimeout = 2 * time.Second

	runCtx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	o := profiles.Options(cfg)
	o.Ready = func(a, _ string) { ready <- a }
	go func() { done <- runtime.Run(runCtx, o) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	e := clientAt(t, addr)
	ctx := ctxT(t)
	var acked []string
	for i := range 20 {
		res, err := e.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org(fmt.Sprintf("Org %02d", i))})
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, res.GetOrganization().GetId())
	}
	// Crash: NATS goes away first, then the service.
	ns.Shutdown()
	stop()
	<-done

	ns2, err := embedded.Start(embedded.Options{Port: -1, StoreDir: dir, ServerName: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns2.Shutdown)
	cfg.NATSURL = ns2.ClientURL()
	e2 := startWith(t, cfg)
	for _, id := range acked {
		if _, err := e2.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: id}); err != nil {
			t.Errorf("after restart %s: %v", id, err)
		}
	}
	list, err := e2.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{})
	if err != nil || len(list.GetOrganizations()) != len(acked) {
		t.Fatalf("list after restart: %d organizations, %v; want %d", len(list.GetOrganizations()), err, len(acked))
	}
	c := consume(t, cfg.NATSURL, "test_restart")
	got := c.waitFor(t, "every create", func(g []received) bool {
		for _, id := range acked {
			if countFor(g, "tandem.profiles.v1.organization.upserted."+id) == 0 {
				return false
			}
		}
		return true
	})
	for _, id := range acked {
		if n := countFor(got, "tandem.profiles.v1.organization.upserted."+id); n != 1 {
			t.Errorf("%s announced %d times, want 1", id, n)
		}
	}
}
