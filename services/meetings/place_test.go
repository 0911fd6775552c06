package meetings_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestPlaceRequest: accepted requests the schedule does not hold are
// placed by hand. Under review the placement is checked like a move
// (availability, the participants' other meetings, the table) and against
// the limit of meetings, and becomes a locked provisional meeting, with
// the schedule one version on and its figures recounted; a request with a
// meeting is refused. After publication a placement is a confirmed
// meeting. Only organizers place.
func TestPlaceRequest(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	day := brokerageDay(0)
	day.DefaultMaxMeetings = 2
	ev := e.openEvent(t, day)
	a, b := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB")
	cc, d := e.register(t, ev.GetId(), "ORGC"), e.register(t, ev.GetId(), "ORGD", daySlots[0], daySlots[1]) // leaves at 10:00
	late := e.register(t, ev.GetId(), "ORGE")
	ab := e.accepted(t, ev.GetId(), a, b, false)
	e.accepted(t, ev.GetId(), a, cc, false)
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()}))
	// Accepted after the schedule was made: not in it.
	cd := e.accepted(t, ev.GetId(), cc, d, false)
	ad := e.accepted(t, ev.GetId(), a, d, false)
	sc, ms := scheduleNow(t, org, ev.GetId())
	if len(ms) != 2 || ms[cd.GetId()] != nil {
		t.Fatalf("schedule has %d meetings, want A's two and not C and D's", len(ms))
	}
	placeAt := func(r *meetingsv1.MeetingRequest, slot, table string, version int64) (*meetingsv1.PlaceRequestResponse, error) {
		return org.PlaceRequest(c, &meetingsv1.PlaceRequestRequest{EventId: ev.GetId(), RequestId: r.GetId(), SlotId: slot, TableId: table, ExpectedScheduleVersion: version})
	}
	// A free place for C and D before 10:00, and one taken.
	var free, freeTable, takenSlot, takenTable string
	for _, s := range daySlots[:2] {
		if tb, ok := freeCell(ms, s); ok && !busyAt(ms, nil, cc.GetId(), s) {
			free, freeTable = s, tb
		}
	}
	for _, m := range ms {
		if !busyAt(ms, m, cc.GetId(), m.GetSlotId()) && !slices.Contains(m.GetParticipantIds(), cc.GetId()) {
			takenSlot, takenTable = m.GetSlotId(), m.GetTableId()
		}
	}
	if free == "" || takenSlot == "" {
		t.Fatalf("the test's schedule %v leaves no free or taken place to try", ms)
	}

	t.Run("refusals", func(t *testing.T) {
		_, err := placeAt(cd, daySlots[3], "T1", 0)
		wantRefusal(t, err, codes.FailedPrecondition, "is not available at Tue 6 May 10:30")
		_, err = placeAt(cd, takenSlot, takenTable, 0)
		wantRefusal(t, err, codes.FailedPrecondition, "is taken at")
		_, err = placeAt(ab, free, freeTable, 0)
		wantRefusal(t, err, codes.FailedPrecondition, "already has a meeting")
		// A meets B and C already: its limit of 2 is reached.
		_, err = placeAt(ad, free, freeTable, 0)
		wantRefusal(t, err, codes.FailedPrecondition, "has reached its limit of 2 meetings")
		_, err = placeAt(cd, free, "T9", 0)
		wantCode(t, err, codes.InvalidArgument)
		_, err = placeAt(cd, free, freeTable, sc.GetVersion()+5)
		wantCode(t, err, codes.Aborted)
		_, err = e.as(member("ORGC")).PlaceRequest(c, &meetingsv1.PlaceRequestRequest{EventId: ev.GetId(), RequestId: cd.GetId(), SlotId: free, TableId: freeTable})
		wantCode(t, err, codes.PermissionDenied)
		if now, _ := scheduleNow(t, org, ev.GetId()); now.GetVersion() != sc.GetVersion() {
			t.Fatalf("refused placements changed the schedule to version %d", now.GetVersion())
		}
	})

	res := must[*meetingsv1.PlaceRequestResponse](t)(placeAt(cd, free, freeTable, sc.GetVersion()))
	m := res.GetMeeting()
	if m.GetSlotId() != free || m.GetTableId() != freeTable || !m.GetLocked() || m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL ||
		m.GetOrigin() != meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER || res.GetSchedule().GetVersion() != sc.GetVersion()+1 {
		t.Fatalf("placed %v in schedule %v, want it at %s/%s, locked, provisional, by the organiser, one version on", m, res.GetSchedule(), free, freeTable)
	}
	sc2, now := scheduleNow(t, org, ev.GetId())
	if now[cd.GetId()].GetId() != m.GetId() || sc2.GetStats().GetMeetingsPlaced() != 3 {
		t.Fatalf("after the placement the schedule has %v and %d placed, want C and D's meeting and 3", now[cd.GetId()], sc2.GetStats().GetMeetingsPlaced())
	}
	_, err := placeAt(cd, daySlots[0], "T2", 0)
	wantRefusal(t, err, codes.FailedPrecondition, "already has a meeting")

	// Published: the placement is a confirmed meeting.
	must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc2.GetId(), ExpectedVersion: sc2.GetVersion()}))
	bc := e.accepted(t, ev.GetId(), b, late, false)
	_, published := scheduleNow(t, org, ev.GetId())
	var slot, table string
	for _, s := range daySlots {
		if tb, ok := freeCell(published, s); ok && !busyAt(published, nil, b.GetId(), s) && !busyAt(published, nil, late.GetId(), s) {
			slot, table = s, tb
		}
	}
	if slot == "" {
		t.Fatal("no free place for B and E after publication")
	}
	booked := must[*meetingsv1.PlaceRequestResponse](t)(placeAt(bc, slot, table, 0))
	if bm := booked.GetMeeting(); bm.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED || bm.GetSlotId() != slot || bm.GetRequestId() != bc.GetId() || booked.GetSchedule() != nil {
		t.Fatalf("placed after publication: %v", booked)
	}
	// The published schedule's figures count the placed meeting: one more
	// than the schedule as published, and as a fresh count finds them.
	after, now := scheduleNow(t, org, ev.GetId())
	if after.GetStats().GetMeetingsPlaced() != sc2.GetStats().GetMeetingsPlaced()+1 {
		t.Errorf("after a placement the published schedule has %d meetings placed, want %d", after.GetStats().GetMeetingsPlaced(), sc2.GetStats().GetMeetingsPlaced()+1)
	}
	wantFreshFigures(t, after.GetStats(), now, []string{a.GetId(), b.GetId(), cc.GetId(), d.GetId(), late.GetId()})
}
