package meetings_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

var daySlots = []string{"20250506T0900", "20250506T0930", "20250506T1000", "20250506T1030"}

// scheduleNow is the event's latest schedule with its meetings by request.
func scheduleNow(t *testing.T, org meetingsv1.MeetingsServiceClient, eventID string) (*meetingsv1.Schedule, map[string]*meetingsv1.Meeting) {
	t.Helper()
	res := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(ctx(t), &meetingsv1.GetScheduleRequest{EventId: eventID}))
	by := map[string]*meetingsv1.Meeting{}
	for _, m := range res.GetMeetings() {
		by[m.GetRequestId()] = m
	}
	return res.GetSchedule(), by
}

// freeCell is a place in slot where nobody meets yet.
func freeCell(ms map[string]*meetingsv1.Meeting, slot string) (string, bool) {
	for _, table := range []string{"T1", "T2"} {
		if !slices.ContainsFunc(slices.Collect(mapValues(ms)), func(m *meetingsv1.Meeting) bool { return m.GetSlotId() == slot && m.GetTableId() == table }) {
			return table, true
		}
	}
	return "", false
}

func mapValues(m map[string]*meetingsv1.Meeting) func(func(*meetingsv1.Meeting) bool) {
	return func(yield func(*meetingsv1.Meeting) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func busyAt(ms map[string]*meetingsv1.Meeting, skip *meetingsv1.Meeting, pid, slot string) bool {
	for _, m := range ms {
		if m.GetId() != skip.GetId() && m.GetSlotId() == slot && slices.Contains(m.GetParticipantIds(), pid) {
			return true
		}
	}
	return false
}

// idleGapsOf counts the free slots between each participant's first and
// last meeting of the day (the test's event has one day).
func idleGapsOf(ms map[string]*meetingsv1.Meeting) int32 {
	at := map[string][]int{}
	for _, m := range ms {
		for _, p := range m.GetParticipantIds() {
			at[p] = append(at[p], slices.Index(daySlots, m.GetSlotId()))
		}
	}
	var n int32
	for _, is := range at {
		n += int32(slices.Max(is) - slices.Min(is) + 1 - len(is))
	}
	return n
}

// wantFreshFigures checks a schedule's figures against a count made here
// from its meetings as they are: meetings placed, and over the participants
// involved (those of an accepted request or a meeting) the fewest and mean
// meetings, those without any and the idle gaps of the day.
func wantFreshFigures(t *testing.T, st *meetingsv1.ScheduleStats, ms map[string]*meetingsv1.Meeting, involved []string) {
	t.Helper()
	n := map[string]int32{}
	for _, m := range ms {
		for _, p := range m.GetParticipantIds() {
			n[p]++
		}
	}
	least, without, total := int32(len(ms)), int32(0), int32(0)
	for _, p := range involved {
		least, total = min(least, n[p]), total+n[p]
		if n[p] == 0 {
			without++
		}
	}
	mean := float64(total) / float64(len(involved))
	if st.GetMeetingsPlaced() != int32(len(ms)) || st.GetMinMeetingsPerParticipant() != least || st.GetMeanMeetingsPerParticipant() != mean ||
		st.GetParticipantsWithoutMeetings() != without || st.GetIdleGaps() != idleGapsOf(ms) {
		t.Errorf("figures %v, counted afresh: %d placed, fewest %d, mean %v, %d without, %d idle gaps", st, len(ms), least, mean, without, idleGapsOf(ms))
	}
}

func wantRefusal(t *testing.T, err error, code codes.Code, text string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), text) {
		t.Fatalf("error = %v, want %s saying %q", err, code, text)
	}
}

// TestScheduleEditing walks an organiser's hand edits of a schedule:
// moves, swaps, locks and unlocks, each checked against availability,
// the other meetings and the tables, and locked meetings kept where they
// are by a full re-run and by filling free slots.
func TestScheduleEditing(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(0))
	a, b := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB")
	cc, d := e.register(t, ev.GetId(), "ORGC"), e.register(t, ev.GetId(), "ORGD", daySlots[0], daySlots[1]) // leaves at 10:00
	f, g := e.register(t, ev.GetId(), "ORGF"), e.register(t, ev.GetId(), "ORGG")
	ab := e.accepted(t, ev.GetId(), a, b, false)
	cd := e.accepted(t, ev.GetId(), cc, d, false)
	ac := e.accepted(t, ev.GetId(), a, cc, false)
	fg := e.accepted(t, ev.GetId(), f, g, false)
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()}))
	sc, ms := scheduleNow(t, org, ev.GetId())
	if len(ms) != 4 || sc.GetVersion() != 1 {
		t.Fatalf("schedule %v with %d meetings, want version 1 with 4", sc, len(ms))
	}
	move := func(m *meetingsv1.Meeting, slot, table string, version int64) (*meetingsv1.MoveMeetingResponse, error) {
		return org.MoveMeeting(c, &meetingsv1.MoveMeetingRequest{EventId: ev.GetId(), MeetingId: m.GetId(), SlotId: slot, TableId: table, ExpectedScheduleVersion: version})
	}

	t.Run("refusals", func(t *testing.T) {
		m := ms[cd.GetId()]
		_, err := move(m, "20250506T1200", "T1", 0)
		wantCode(t, err, codes.InvalidArgument)
		_, err = move(m, m.GetSlotId(), "T9", 0)
		wantCode(t, err, codes.InvalidArgument)
		_, err = org.MoveMeeting(c, &meetingsv1.MoveMeetingRequest{EventId: ev.GetId(), SlotId: daySlots[0], TableId: "T1"})
		wantCode(t, err, codes.InvalidArgument)
		_, err = move(&meetingsv1.Meeting{Id: "01JNOTAMEETING000000000000"}, daySlots[0], "T1", 0)
		wantCode(t, err, codes.NotFound)
		// Availability: D leaves at 10:00.
		_, err = move(m, daySlots[3], "T1", 0)
		wantRefusal(t, err, codes.FailedPrecondition, "is not available at Tue 6 May 10:30")
		// A person in two places: A already meets C or B in each of their slots.
		mab, mac := ms[ab.GetId()], ms[ac.GetId()]
		_, err = move(mab, mac.GetSlotId(), "T1", 0)
		wantRefusal(t, err, codes.FailedPrecondition, "already has a meeting at")
		// A table taken: two meetings of different people, the one moved
		// into the other's place.
		var tried bool
		for _, x := range ms {
			for _, y := range ms {
				if x == y || slices.ContainsFunc(x.GetParticipantIds(), func(p string) bool {
					return slices.Contains(y.GetParticipantIds(), p) || busyAt(ms, x, p, y.GetSlotId())
				}) ||
					slices.Contains(x.GetParticipantIds(), d.GetId()) {
					continue
				}
				_, err = move(x, y.GetSlotId(), y.GetTableId(), 0)
				wantRefusal(t, err, codes.FailedPrecondition, "is taken at")
				tried = true
			}
		}
		if !tried {
			t.Fatal("no two meetings to test a taken table with")
		}
		// Only organizers edit, and only the version they read.
		_, err = e.as(member("ORGA")).MoveMeeting(c, &meetingsv1.MoveMeetingRequest{EventId: ev.GetId(), MeetingId: mab.GetId(), SlotId: mab.GetSlotId(), TableId: mab.GetTableId()})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.as(member("ORGA")).SetMeetingLock(c, &meetingsv1.SetMeetingLockRequest{EventId: ev.GetId(), MeetingId: mab.GetId(), Locked: true})
		wantCode(t, err, codes.PermissionDenied)
		_, err = move(mab, mab.GetSlotId(), mab.GetTableId(), 7)
		wantCode(t, err, codes.Aborted)
		_, err = org.SwapMeetings(c, &meetingsv1.SwapMeetingsRequest{EventId: ev.GetId(), MeetingId: mab.GetId(), OtherMeetingId: mab.GetId()})
		wantCode(t, err, codes.InvalidArgument)
		// Nothing changed.
		if now, _ := scheduleNow(t, org, ev.GetId()); now.GetVersion() != 1 {
			t.Fatalf("refused edits changed the schedule to version %d", now.GetVersion())
		}
	})

	// A move to a free place: the meeting is there, locked, and the
	// schedule one version on.
	mfg := ms[fg.GetId()]
	var to, table string
	for _, s := range daySlots {
		if tb, ok := freeCell(ms, s); ok && !busyAt(ms, mfg, f.GetId(), s) && !busyAt(ms, mfg, g.GetId(), s) && s != mfg.GetSlotId() {
			to, table = s, tb
		}
	}
	if to == "" {
		t.Fatal("no free place to move F and G's meeting to")
	}
	res := must[*meetingsv1.MoveMeetingResponse](t)(move(mfg, to, table, 1))
	if got := res.GetMeeting(); got.GetId() != mfg.GetId() || got.GetSlotId() != to || got.GetTableId() != table || !got.GetLocked() || res.GetSchedule().GetVersion() != 2 {
		t.Fatalf("moved meeting %v in schedule %v, want %s at %s/%s, locked, version 2", got, res.GetSchedule(), mfg.GetId(), to, table)
	}
	sc2, now := scheduleNow(t, org, ev.GetId())
	if now[fg.GetId()].GetSlotId() != to || now[fg.GetId()].GetTableId() != table {
		t.Fatalf("after the move the schedule has %v", now[fg.GetId()])
	}
	// The figures follow the move: recounted like the scheduler counts them.
	if st := sc2.GetStats(); st.GetIdleGaps() != idleGapsOf(now) || st.GetMeetingsPlaced() != 4 || st.GetMeanMeetingsPerParticipant() != 8.0/6 ||
		st.GetSolveDuration().AsDuration() != sc.GetStats().GetSolveDuration().AsDuration() {
		t.Errorf("figures after the move %v, want %d idle gaps, 4 placed, 8/6 a participant, the solve time kept", st, idleGapsOf(now))
	}

	// A swap exchanges two places, checked as two moves: F and G's meeting
	// with the one of A and B when both pairs are free in the other's slot.
	_, ms = scheduleNow(t, org, ev.GetId())
	mab, mfg := ms[ab.GetId()], ms[fg.GetId()]
	if !busyAt(ms, mab, a.GetId(), mfg.GetSlotId()) && !busyAt(ms, mab, b.GetId(), mfg.GetSlotId()) {
		sw := must[*meetingsv1.SwapMeetingsResponse](t)(org.SwapMeetings(c, &meetingsv1.SwapMeetingsRequest{EventId: ev.GetId(), MeetingId: mab.GetId(), OtherMeetingId: mfg.GetId(), ExpectedScheduleVersion: 2}))
		if x, y := sw.GetMeetings()[0], sw.GetMeetings()[1]; x.GetSlotId() != mfg.GetSlotId() || x.GetTableId() != mfg.GetTableId() || y.GetSlotId() != mab.GetSlotId() || !x.GetLocked() || !y.GetLocked() || sw.GetSchedule().GetVersion() != 3 {
			t.Fatalf("swap = %v", sw)
		}
	} else {
		t.Fatal("the test's schedule gives no swap to make")
	}
	// A swap that would put D after 10:00 is refused and changes nothing.
	_, ms = scheduleNow(t, org, ev.GetId())
	for _, m := range ms {
		if m.GetSlotId() == daySlots[3] {
			_, err := org.SwapMeetings(c, &meetingsv1.SwapMeetingsRequest{EventId: ev.GetId(), MeetingId: ms[cd.GetId()].GetId(), OtherMeetingId: m.GetId()})
			wantRefusal(t, err, codes.FailedPrecondition, "is not available")
		}
	}

	// Lock C and D's meeting, unlock A and B's (locked by the swap), and run
	// the scheduler again: the locked ones stay, with their ids; A and B's
	// request is planned afresh.
	_, ms = scheduleNow(t, org, ev.GetId())
	lock := func(m *meetingsv1.Meeting, on bool) *meetingsv1.SetMeetingLockResponse {
		return must[*meetingsv1.SetMeetingLockResponse](t)(org.SetMeetingLock(c, &meetingsv1.SetMeetingLockRequest{EventId: ev.GetId(), MeetingId: m.GetId(), Locked: on}))
	}
	if l := lock(ms[cd.GetId()], true); !l.GetMeeting().GetLocked() {
		t.Fatalf("lock = %v", l)
	}
	if l := lock(ms[ab.GetId()], false); l.GetMeeting().GetLocked() {
		t.Fatalf("unlock = %v", l)
	}
	before := ms
	ev = must[*meetingsv1.GetEventResponse](t)(org.GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent()
	again := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL})).GetSchedule()
	if again.GetStats().GetKeptMeetings() != 2 {
		t.Fatalf("re-run kept %d meetings, want the 2 locked", again.GetStats().GetKeptMeetings())
	}
	_, ms = scheduleNow(t, org, ev.GetId())
	for _, r := range []string{cd.GetId(), fg.GetId()} {
		if m, old := ms[r], before[r]; m.GetId() != old.GetId() || m.GetSlotId() != old.GetSlotId() || m.GetTableId() != old.GetTableId() || !m.GetLocked() {
			t.Errorf("locked meeting %v after a re-run is %v", old, m)
		}
	}
	if m := ms[ab.GetId()]; m == nil || m.GetId() == before[ab.GetId()].GetId() || m.GetLocked() {
		t.Errorf("the unlocked meeting of A and B after a re-run is %v, want it planned afresh", m)
	}
	checkSchedule(t, ev, slices.Collect(mapValues(ms)), map[string][]string{d.GetId(): daySlots[:2]})
	// A lock moves nothing: the figures recounted after it are the
	// scheduler's own.
	lock(ms[fg.GetId()], true)
	if locked, _ := scheduleNow(t, org, ev.GetId()); !proto.Equal(locked.GetStats(), again.GetStats()) {
		t.Errorf("recounted after a lock the figures are %v, the scheduler's %v", locked.GetStats(), again.GetStats())
	}

	// Filling free slots keeps them too.
	fill := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS})).GetSchedule()
	if fill.GetStats().GetKeptMeetings() != 2 {
		t.Fatalf("filling free slots kept %d meetings, want the 2 locked", fill.GetStats().GetKeptMeetings())
	}
	_, filled := scheduleNow(t, org, ev.GetId())
	for _, r := range []string{cd.GetId(), fg.GetId()} {
		if m, old := filled[r], before[r]; m.GetId() != old.GetId() || m.GetSlotId() != old.GetSlotId() || m.GetTableId() != old.GetTableId() {
			t.Errorf("locked meeting %v after filling free slots is %v", old, m)
		}
	}
	// A locked meeting that no longer fits (its request was cancelled) is
	// not kept.
	lock(filled[ac.GetId()], true)
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(e.as(member("ORGA")).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{
		RequestId: ac.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL,
	}))
	fill = must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS})).GetSchedule()
	if _, now := scheduleNow(t, org, ev.GetId()); now[ac.GetId()] != nil || fill.GetStats().GetKeptMeetings() != 2 {
		t.Fatalf("after its request was cancelled the locked meeting is %v (kept %d)", now[ac.GetId()], fill.GetStats().GetKeptMeetings())
	}

	// Publish; published meetings need no lock and do not swap, but move
	// for real, with a higher iCalendar SEQUENCE.
	sc, ms = scheduleNow(t, org, ev.GetId())
	must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetId(), ExpectedVersion: sc.GetVersion()}))
	_, err := org.SetMeetingLock(c, &meetingsv1.SetMeetingLockRequest{EventId: ev.GetId(), MeetingId: ms[ab.GetId()].GetId(), Locked: true})
	wantRefusal(t, err, codes.FailedPrecondition, "published")
	_, err = org.SwapMeetings(c, &meetingsv1.SwapMeetingsRequest{EventId: ev.GetId(), MeetingId: ms[ab.GetId()].GetId(), OtherMeetingId: ms[fg.GetId()].GetId()})
	wantRefusal(t, err, codes.FailedPrecondition, "published")
	_, err = move(ms[cd.GetId()], daySlots[3], "T1", 0)
	wantRefusal(t, err, codes.FailedPrecondition, "is not available")
	mfg = ms[fg.GetId()]
	to = ""
	for _, s := range daySlots {
		if tb, ok := freeCell(ms, s); ok && s != mfg.GetSlotId() && !busyAt(ms, mfg, f.GetId(), s) && !busyAt(ms, mfg, g.GetId(), s) {
			to, table = s, tb
		}
	}
	if to == "" {
		t.Fatal("no free place for the published meeting")
	}
	moved := must[*meetingsv1.MoveMeetingResponse](t)(move(mfg, to, table, 0)).GetMeeting()
	if moved.GetSlotId() != to || moved.GetIcalSequence() != mfg.GetIcalSequence()+1 || moved.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
		t.Fatalf("published meeting moved to %v", moved)
	}
	// The published schedule's figures follow the move.
	published, now := scheduleNow(t, org, ev.GetId())
	wantFreshFigures(t, published.GetStats(), now, []string{a.GetId(), b.GetId(), cc.GetId(), d.GetId(), f.GetId(), g.GetId()})
	agenda := must[*meetingsv1.GetAgendaResponse](t)(e.as(member("ORGF")).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: f.GetId()}))
	if len(agenda.GetItems()) != 1 || agenda.GetItems()[0].GetMeeting().GetSlotId() != to {
		t.Fatalf("F's agenda after the move = %v", agenda.GetItems())
	}

	// A closed event is not edited.
	ev = must[*meetingsv1.GetEventResponse](t)(org.GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent()
	e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_CLOSED)
	_, err = move(moved, moved.GetSlotId(), moved.GetTableId(), 0)
	wantCode(t, err, codes.FailedPrecondition)
}
