package adapters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func competency(id, term string, version int64) *eventsv1.CompetencyPublished {
	return &eventsv1.CompetencyPublished{EventId: ulid.Make().String(), AggregateId: id, AggregateVersion: version,
		Competency: &competenciesv1.Competency{Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "O1"}}, TermId: term}}
}

// TestProjectionReplayIsIdempotent applies events twice and out of order:
// only newer versions change the projection, and the checkpoint only moves
// forward.
func TestProjectionReplayIsIdempotent(t *testing.T) {
	ctx := context.Background()
	rc, prefix := testenv.Redis(t)
	p := adapters.NewProjection(rc, func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") })
	apply := func(seq uint64, ev *eventsv1.CompetencyPublished) bool {
		t.Helper()
		c, _, ok, err := adapters.ChangeOf(ev)
		if err != nil || !ok {
			t.Fatalf("change of %v: %v", ev, err)
		}
		applied, err := p.Apply(ctx, "S", seq, c, ev)
		if err != nil {
			t.Fatal(err)
		}
		return applied
	}
	if !apply(1, competency("C1", "EDAM:topic_3170", 1)) {
		t.Fatal("first event not applied")
	}
	if apply(1, competency("C1", "EDAM:topic_3170", 1)) {
		t.Error("redelivered event applied again")
	}
	if !apply(3, competency("C1", "EDAM:topic_0121", 2)) {
		t.Error("newer version not applied")
	}
	if apply(2, competency("C1", "EDAM:topic_3170", 1)) {
		t.Error("older version applied after a newer one")
	}
	if ck, err := p.Checkpoint(ctx, "S"); err != nil || ck != 3 {
		t.Errorf("checkpoint = %d, %v; want 3", ck, err)
	}
	gone := domain.Change{Key: domain.CompKey("C2"), Version: 1}
	if _, err := p.Apply(ctx, "S", 4, gone, competency("C2", "EDAM:topic_3170", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx, "", 0, domain.Change{Key: domain.CompKey("C2"), Purge: true}, nil); err != nil {
		t.Fatal(err)
	}
	changes, last, err := p.Load(ctx)
	if err != nil || last == "0-0" {
		t.Fatalf("load: %v (change log at %s)", err, last)
	}
	got := map[string]domain.Change{}
	for _, c := range changes {
		got[c.Key] = c
	}
	if c := got["comp:C1"]; c.Version != 2 || c.Comp == nil || c.Comp.TermID != "EDAM:topic_0121" {
		t.Errorf("C1 loaded as %+v", c)
	}
	if c := got["comp:C2"]; !c.Removed || c.Version != 1 {
		t.Errorf("purged C2 loaded as %+v; want removed, keeping version 1", c)
	}
	if e, err := p.Epoch(ctx); err != nil || e != "" {
		t.Errorf("epoch of a fresh projection = %q, %v", e, err)
	}
}

// TestMeetingsEventsRoundTrip: registrations and brokerage events survive
// the projection, a withdrawal removes the registration and keeps its
// version, and events matching does not use are skipped.
func TestMeetingsEventsRoundTrip(t *testing.T) {
	ctx := context.Background()
	rc, prefix := testenv.Redis(t)
	p := adapters.NewProjection(rc, func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") })
	acme := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ACME"}}
	evs := []proto.Message{
		&eventsv1.BrokerageEventCreated{EventId: ulid.Make().String(), AggregateId: "EV1", AggregateVersion: 1, BrokerageEventId: "EV1",
			Event: &meetingsv1.Event{Id: "EV1", OrganizerSubjects: []string{"anna"}}},
		&eventsv1.ParticipantRegistered{EventId: ulid.Make().String(), AggregateId: "PA", AggregateVersion: 1, BrokerageEventId: "EV1",
			Participant: &meetingsv1.Participant{Id: "PA", EventId: "EV1", Profile: acme, Status: meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED}},
		&eventsv1.ParticipantRegistered{EventId: ulid.Make().String(), AggregateId: "PB", AggregateVersion: 1, BrokerageEventId: "EV1",
			Participant: &meetingsv1.Participant{Id: "PB", EventId: "EV1", Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: "BOB"}}, Status: meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED}},
		&eventsv1.ParticipantWithdrawn{EventId: ulid.Make().String(), AggregateId: "PB", AggregateVersion: 2, BrokerageEventId: "EV1", ProfileErased: true,
			Participant: &meetingsv1.Participant{Id: "PB", EventId: "EV1", Status: meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN}},
	}
	for i, ev := range evs {
		c, _, ok, err := adapters.ChangeOf(ev)
		if err != nil || !ok {
			t.Fatalf("change of %T: ok=%v %v", ev, ok, err)
		}
		if _, err := p.Apply(ctx, "TANDEM_MEETINGS", uint64(i+1), c, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok, err := adapters.ChangeOf(&eventsv1.MeetingRequestCreated{AggregateId: "R1", AggregateVersion: 1}); ok || err != nil {
		t.Errorf("a meeting request was taken into the read model: ok=%v err=%v", ok, err)
	}
	if _, _, _, err := adapters.ChangeOf(&eventsv1.ParticipantRegistered{AggregateId: "PC", AggregateVersion: 1, BrokerageEventId: "EV1"}); err == nil {
		t.Error("a registration without a profile was accepted")
	}
	changes, _, err := p.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := domain.NewIndex(nil)
	x.Apply(changes...)
	if got := x.Attendees("EV1"); len(got) != 1 || got[0] != domain.OrgRef("ACME") {
		t.Errorf("attendees after reload = %v, want ACME only", got)
	}
	if v := x.Version(domain.ParticipantKey("PB")); v != 2 {
		t.Errorf("withdrawn participant's version = %d, want 2", v)
	}
	if err := x.EventAccess("EV1", domain.Seeker{Kind: domain.SeekOrg, ID: "SISSA"}, "anna", false); err != nil {
		t.Errorf("organizer lost after reload: %v", err)
	}
	if ck, err := p.Checkpoint(ctx, "TANDEM_MEETINGS"); err != nil || ck != 4 {
		t.Errorf("checkpoint = %d, %v; want 4", ck, err)
	}
}
