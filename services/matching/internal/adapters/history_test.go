package adapters_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func collabEvent(id string, version int64, orgs ...string) *eventsv1.CollaborationUpserted {
	c := &competenciesv1.Collaboration{Id: id, Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: "Project " + id,
		Programme: "FP7", Call: "FP7-HEALTH-2012", Year: 2012, TermIds: []string{"EDAM:topic_3170"}, Version: version}
	for i, o := range orgs {
		role := competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT
		if i == 0 {
			role = competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR
		}
		c.Participants = append(c.Participants, &competenciesv1.CollaborationParticipant{OrganizationId: o, Role: role})
	}
	return &eventsv1.CollaborationUpserted{EventId: ulid.Make().String(), AggregateId: id, AggregateVersion: version, Collaboration: c}
}

// TestFeedKeepsCollaborationHistory consumes the competencies service's
// collaboration events from a real JetStream into a real Redis: the index
// gets each collaboration with its members and roles, a participant removed
// by an erasure leaves it, an erased collaboration is gone, and a lost
// projection is rebuilt from the stream to the same state.
func TestFeedKeepsCollaborationHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, js := testenv.JetStream(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "TANDEM_COMPETENCIES", Subjects: []string{"tandem.competencies.v1.>"}}); err != nil {
		t.Fatal(err)
	}
	publish := func(ev proto.Message, id string) {
		t.Helper()
		subject := "tandem.competencies.v1.collaboration.upserted." + id
		eid := ev.ProtoReflect().Get(ev.ProtoReflect().Descriptor().Fields().ByName("event_id")).String()
		if _, ok := ev.(*eventsv1.CollaborationErased); ok {
			subject = "tandem.competencies.v1.collaboration.erased." + id
		}
		if _, err := natsx.Publish(ctx, js, subject, eid, ev); err != nil {
			t.Fatal(err)
		}
	}
	rc, prefix := testenv.Redis(t)
	key := func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") }
	index := domain.NewIndex(nil)
	feed := &adapters.Feed{JS: js, Log: slog.New(slog.DiscardHandler), Projection: adapters.NewProjection(rc, key), Index: index,
		Sources: []adapters.Source{{Stream: "TANDEM_COMPETENCIES", Subject: "tandem.competencies.v1.>", Durable: "matching_competencies"}}, GuardEvery: 50 * time.Millisecond}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = feed.Run(fctx) }()
	t.Cleanup(func() { stop(); <-done })

	publish(collabEvent("cordis-1", 1, "UNITS", "ACME", "GONE"), "cordis-1")
	publish(collabEvent("cordis-2", 1, "GONE"), "cordis-2")
	waitFor(t, "collaborations in the index", func() error {
		c, ok := index.Collaboration("cordis-1")
		if !ok || len(c.Members) != 3 || c.Members[0] != (domain.CollabMember{OrgID: "UNITS", Role: domain.RoleCoordinator}) ||
			c.Kind != domain.CollabProject || c.Year != 2012 || c.Programme != "FP7" || !slices.Equal(c.TermIDs, []string{"EDAM:topic_3170"}) {
			return fmt.Errorf("cordis-1 = %+v", c)
		}
		if got := index.CollaborationsOf("GONE"); len(got) != 2 {
			return fmt.Errorf("GONE in %v", got)
		}
		return nil
	})
	// The competencies service erases GONE: one collaboration loses it, the
	// other (GONE alone) is erased.
	erased := &eventsv1.CollaborationErased{EventId: ulid.Make().String(), AggregateId: "cordis-2", AggregateVersion: 2, Reason: eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED}
	publish(collabEvent("cordis-1", 2, "UNITS", "ACME"), "cordis-1")
	publish(erased, "cordis-2")
	// A replayed older event changes nothing.
	publish(collabEvent("cordis-1", 1, "UNITS", "ACME", "GONE"), "cordis-1")
	settled := func(x *domain.Index) error {
		if got := x.CollaborationsOf("GONE"); len(got) != 0 {
			return fmt.Errorf("GONE still in %v", got)
		}
		if _, ok := x.Collaboration("cordis-2"); ok {
			return fmt.Errorf("erased cordis-2 still there")
		}
		if c, ok := x.Collaboration("cordis-1"); !ok || len(c.Members) != 2 || c.Version != 2 {
			return fmt.Errorf("cordis-1 = %+v", c)
		}
		return nil
	}
	waitFor(t, "erasure applied", func() error { return settled(index) })

	// Redis loses the projection: the feed rebuilds it from the stream.
	keys, err := rc.Keys(ctx, prefix+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "projection rebuilt", func() error {
		changes, _, err := adapters.NewProjection(rc, key).Load(ctx)
		if err != nil {
			return err
		}
		if len(changes) < 2 {
			return fmt.Errorf("%d aggregates in the projection", len(changes))
		}
		x := domain.NewIndex(nil)
		x.Apply(changes...)
		return settled(x)
	})
}

func waitFor(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
