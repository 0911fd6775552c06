package matching_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching"
)

// matchesPublished counts MatchFound messages per match id on the stream.
func (e *env) matchesPublished() map[string]int {
	e.t.Helper()
	st, err := e.js.Stream(e.ctx, "TANDEM_MATCHING")
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(e.ctx, jetstream.WithSubjectFilter("tandem.matching.v1.match.found.>"))
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for subj, n := range info.State.Subjects {
		out[subj[strings.LastIndexByte(subj, '.')+1:]] = int(n)
	}
	return out
}

// F2: after Redis loses the projection, the rebuild replays every event;
// no match is published again, and the live watcher receives none twice.
func TestRebuildSendsNoNotificationAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	stream, err := c.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{SavedSearch: &matchingv1.SavedSearch{
		Name: "RNA-Seq", Seeker: suggestReq("ACME").GetSeeker(), Need: &matchingv1.Need{TermIds: []string{rnaSeq}}, MinScore: 0.2}}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the saved search
		t.Fatal(err)
	}
	e.comp("C4", "SISSA", rnaSeq, 1)
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	// A rebuild may come long after the stream's duplicate window: make
	// that window tiny, so only the service's own checks can hold.
	st, err := e.js.Stream(e.ctx, "TANDEM_MATCHING")
	if err != nil {
		t.Fatal(err)
	}
	scfg := st.CachedInfo().Config
	scfg.Duplicates = 100 * time.Millisecond
	if _, err := e.js.UpdateStream(e.ctx, scfg); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // past the window
	rc, _ := testenv.Redis(t)
	if err := testenv.DeletePrefix(context.Background(), rc, e.cfg.RedisPrefix); err != nil {
		t.Fatal(err)
	}
	e.eventually("projection rebuilt", func() (bool, string) {
		n, err := rc.HLen(e.ctx, e.cfg.RedisPrefix+":matching:aggregates").Result()
		return err == nil && n >= 9, "aggregates in redis"
	})
	// A change after the rebuild: its match is the next message the
	// watcher gets, with nothing repeated before it.
	e.comp("C6", "UNITS", rnaSeq, 1)
	next, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if next.GetMatch().GetId() == first.GetMatch().GetId() || next.GetMatch().GetSuggestion().GetCandidate().GetRef().GetOrganizationId() != "UNITS" {
		t.Fatalf("after the rebuild the watcher got %v, want the new UNITS match", next.GetMatch())
	}
	for id, n := range e.matchesPublished() {
		if n != 1 {
			t.Errorf("match %s published %d times", id, n)
		}
	}
}

// F3: a replica on an empty Redis (another Redis, or a flushed one)
// rebuilds under consumers of its own and leaves the running replica's
// consumers alone.
func TestReplicaOnEmptyRedisKeepsOthersConsumers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	e.seedCluster()
	e.suggestUntil(a, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	consumers := func() []string {
		var names []string
		st, err := e.js.Stream(e.ctx, "TANDEM_COMPETENCIES")
		if err != nil {
			t.Fatal(err)
		}
		for n := range st.ConsumerNames(e.ctx).Name() {
			names = append(names, n)
		}
		return names
	}
	before := consumers()
	if len(before) != 1 {
		t.Fatalf("consumers of TANDEM_COMPETENCIES: %v, want one", before)
	}
	other := e.cfg
	_, other.RedisPrefix = testenv.Redis(t)
	e2 := *e
	e2.cfg = other
	b := e2.start()
	e.suggestUntil(b, suggestReq("ACME"), e.as("ACME"), "second replica rebuilt", contains("ICGEB"))
	after := consumers()
	if len(after) != 2 || !contains(before[0])(after) {
		t.Fatalf("consumers after the second replica rebuilt: %v, want %s kept and one more", after, before[0])
	}
	// The first replica still follows its consumers.
	e.comp("C4", "SISSA", rnaSeq, 1)
	e.suggestUntil(a, suggestReq("ACME"), e.as("ACME"), "first replica still current", contains("SISSA"))
}

// F5: a replica on an empty Redis reports NOT_SERVING until its read model
// is complete; once it says SERVING, every stored event answers.
func TestNotServingUntilTheReadModelIsComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedCluster()
	e.comp("C4", "SISSA", rnaSeq, 1)
	conn := runtimetest.Start(t, matching.Options(e.cfg))
	c := matchingv1.NewMatchingServiceClient(conn)
	for runtimetest.HealthStatus(t, conn, "") != healthpb.HealthCheckResponse_SERVING {
		select {
		case <-e.ctx.Done():
			t.Fatal("never SERVING")
		case <-time.After(5 * time.Millisecond):
		}
	}
	res, err := c.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ACME"))
	if err != nil {
		t.Fatalf("suggest as soon as SERVING: %v", err)
	}
	if got := ids(res); !contains("SISSA")(got) || !contains("ICGEB")(got) {
		t.Fatalf("suggestions as soon as SERVING: %v, want every stored organisation", got)
	}
}

// A watch whose consumer goes away under it (deleted, or lost with the NATS
// server that held it in memory) ends with Unavailable, so that the client
// resumes after its last match on a new one; it neither ends as if
// complete nor stays open and silent.
func TestWatchEndsUnavailableWhenItsConsumerIsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	stream, err := c.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{SavedSearch: &matchingv1.SavedSearch{
		Name: "RNA-Seq partners", Seeker: suggestReq("ACME").GetSeeker(), Need: &matchingv1.Need{TermIds: []string{rnaSeq}}}}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	st, err := e.js.Stream(ctx, "TANDEM_MATCHING")
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for ci := range st.ListConsumers(ctx).Info() {
		if ci.Config.Durable == "" {
			if err := st.DeleteConsumer(ctx, ci.Name); err != nil {
				t.Fatal(err)
			}
			deleted++
		}
	}
	if deleted != 1 {
		t.Fatalf("%d watch consumers, want 1", deleted)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("the watch after its consumer went away: %v, want Unavailable", err)
	}
}
