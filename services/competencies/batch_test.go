package competencies_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
)

// TestBatchPublishKeepsEachKeysOrderAndIsIdempotent: a batch that changes
// three competencies of one holder four times each, interleaved, applies
// each competency's items in the items' order (versions 1 to 4, the last
// item's text kept) and announces them in that order on the event stream;
// a bad item is refused alone; the same batch sent again changes nothing.
func TestBatchPublishKeepsEachKeysOrderAndIsIdempotent(t *testing.T) {
	t.Parallel()
	e := start(t)
	org := ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	c := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	waitHolder(t, c, orgRef(org)) // one competency in EDAM:topic_0622
	terms := []string{"EDAM:topic_3170", "EDAM:topic_0121", "MESH:D013058"}
	req := &competenciesv1.BatchPublishCompetenciesRequest{}
	for i := range 12 {
		req.Items = append(req.Items, &competenciesv1.PublishCompetencyRequest{
			Competency:      &competenciesv1.Competency{Holder: orgRef(org), TermId: terms[i%3], Description: fmt.Sprintf("step %d", i/3)},
			ClientRequestId: fmt.Sprintf("batch-%d", i),
		})
	}
	req.Items = append(req.Items, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:no_such_term"}})
	first, err := c.BatchPublishCompetencies(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	res := first.GetResults()
	if len(res) != 13 {
		t.Fatalf("%d results for 13 items", len(res))
	}
	for i, r := range res[:12] {
		comp := r.GetCompetency()
		if r.GetError() != nil || !r.GetChanged() || comp.GetVersion() != int64(i/3+1) || comp.GetDescription() != fmt.Sprintf("step %d", i/3) {
			t.Fatalf("item %d (%s): %v; want version %d", i, terms[i%3], r, i/3+1)
		}
	}
	if e := res[12].GetError(); e.GetCode() != "INVALID_ARGUMENT" || len(e.GetFieldViolations()) == 0 || e.GetFieldViolations()[0].GetField() != "competency.term_id" {
		t.Fatalf("bad item: %v", res[12])
	}

	// The stream has each competency's events in version order.
	want := 1 + 12
	var published []*eventsv1.CompetencyPublished
	eventually(t, "13 events relayed", func() error {
		published = readPublished(t, e.js)
		if len(published) != want {
			return fmt.Errorf("%d events, want %d", len(published), want)
		}
		return nil
	})
	last := map[string]int64{}
	for _, ev := range published {
		comp := ev.GetCompetency()
		if comp.GetVersion() != last[comp.GetId()]+1 || ev.GetAggregateVersion() != comp.GetVersion() {
			t.Fatalf("competency %s: version %d after %d", comp.GetId(), comp.GetVersion(), last[comp.GetId()])
		}
		last[comp.GetId()] = comp.GetVersion()
	}

	again, err := c.BatchPublishCompetencies(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again.GetResults()[:12] {
		if r.GetError() != nil || r.GetCompetency().GetId() != res[i].GetCompetency().GetId() {
			t.Fatalf("retried item %d: %v, first %v", i, r, res[i])
		}
	}
	// A later publish proves the relay is past anything the retry wrote.
	if _, err := c.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_3168"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the marker relayed", func() error {
		if n := len(readPublished(t, e.js)); n != want+1 {
			return fmt.Errorf("%d events, want %d: the retried batch wrote again, or the marker is not there yet", n, want+1)
		}
		return nil
	})
}

// TestBatchPublishRefusesWholeBatches: anonymous callers and batches of the
// wrong size are refused as a whole.
func TestBatchPublishRefusesWholeBatches(t *testing.T) {
	t.Parallel()
	e := start(t)
	anon := e.client(auth.Principal{})
	_, err := anon.BatchPublishCompetencies(ctx(t), &competenciesv1.BatchPublishCompetenciesRequest{Items: []*competenciesv1.PublishCompetencyRequest{{}}})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("anonymous: %v", err)
	}
	c := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	if _, err := c.BatchPublishCompetencies(ctx(t), &competenciesv1.BatchPublishCompetenciesRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("empty batch: %v", err)
	}
}

// readPublished reads every competency.published event on the stream, in
// stream order.
func readPublished(t testing.TB, js jetstream.JetStream) []*eventsv1.CompetencyPublished {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(c, "TANDEM_COMPETENCIES", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"tandem.competencies.v1.competency.published.>"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(c)
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.CompetencyPublished
	for n := info.NumPending; n > 0; {
		batch, err := cons.Fetch(int(n), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			ev := &eventsv1.CompetencyPublished{}
			if err := proto.Unmarshal(m.Data(), ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
			n--
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
	}
	return out
}

// TestPublishAcrossReplicasWithVersions: two replicas take turns updating
// one competency, each naming the version it was last told; each replica
// reads the competency from its own index, which may not have the other's
// write yet, and still neither refuses a right version nor loses a write.
func TestPublishAcrossReplicasWithVersions(t *testing.T) {
	t.Parallel()
	var common runtime.Common
	e := start(t, func(c *competencies.Config) { common = c.Common })
	cfg := competencies.DefaultConfig()
	cfg.Common = common
	cfg.GRPCAddr, cfg.DebugAddr = "127.0.0.1:0", ""
	other := &env{t: t, js: e.js, addr: runtimetest.Start(t, competencies.Options(cfg)).Target(), auth: e.auth}
	org := ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	root := auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	clients := []competenciesv1.CompetenciesServiceClient{e.client(root), other.client(root)}
	for _, c := range clients {
		waitHolder(t, c, orgRef(org))
	}
	version := waitHolder(t, clients[0], orgRef(org)).GetVersion()
	for i := range 20 {
		res, err := clients[i%2].PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{
			Competency:      &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0622", Description: fmt.Sprintf("turn %d", i)},
			ExpectedVersion: version,
		})
		if err != nil || res.GetCompetency().GetVersion() != version+1 {
			t.Fatalf("turn %d on replica %d at version %d: %v, %v", i, i%2, version, res.GetCompetency(), err)
		}
		version++
	}
	// A stale version is still refused.
	_, err := clients[1].PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{
		Competency: &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0622", Description: "stale"}, ExpectedVersion: version - 1,
	})
	if status.Code(err) != codes.Aborted {
		t.Fatalf("stale version: %v, want Aborted", err)
	}
}
