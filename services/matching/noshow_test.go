package matching_test

import (
	"slices"
	"testing"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestNoShowFeedsMatching: an organiser's no-show mark at a brokerage
// event reaches matching as feedback of the party who came: the absent
// candidate is no longer suggested to it, durably (the feedback is stored
// under the mark's id, and a new replica agrees); taking the mark back
// (they met) suggests it again.
func TestNoShowFeedsMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream("TANDEM_MEETINGS", "tandem.meetings.v1.>")
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	org := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	version := int64(1)
	mark := func(noShow bool) string {
		version++
		ev := &eventsv1.MeetingNoShowMarked{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "01MEETING", AggregateVersion: version,
			ActorSubject: "org-anna", BrokerageEventId: "01EVENT", ParticipantId: "01ICGEB", NoShow: noShow, AbsentProfile: org("ICGEB"), PresentProfile: org("ACME")}
		e.publish("01MEETING", ev)
		return ev.GetEventId()
	}
	absent := func(got []string) bool { return !slices.Contains(got, "ICGEB") && slices.Contains(got, "UNITS") }

	id := mark(true)
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "no-show applied", absent)
	if keys, err := e.feedbackKeys(); err != nil || !slices.Contains(keys, id) {
		t.Fatalf("stored feedback %v (%v), want the mark's id %s", keys, err, id)
	}
	e.suggestUntil(e.start(), suggestReq("ACME"), e.as("ACME"), "a new replica knows the no-show", absent)
	e.suggestUntil(c, suggestReq("UNITS"), e.as("UNITS"), "others still see ICGEB", contains("ICGEB"))

	mark(false)
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "the mark taken back", contains("ICGEB"))
}
