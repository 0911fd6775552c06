package meetings_test

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// TestAuthorization: who may do what with an event.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	ev := must[*meetingsv1.CreateEventResponse](t)(e.as(organizer).CreateEvent(c, &meetingsv1.CreateEventRequest{Event: brokerageDay(0)})).GetEvent()
	if !slices.Contains(ev.GetOrganizerSubjects(), organizer.Subject) || ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_DRAFT || len(ev.GetSlots()) != 4 {
		t.Fatalf("created event = %v", ev)
	}
	if got := ev.GetSlots()[1].GetId(); got != "20250506T0930" {
		t.Fatalf("second slot id = %q, want 20250506T0930", got)
	}
	if got := ev.GetSlots()[0].GetStartTime().AsTime(); !got.Equal(time.Date(2025, 5, 6, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("first slot starts %v, want 07:00 UTC (09:00 in Rome, summer time)", got)
	}

	rename := func(p auth.Principal, version int64) error {
		_, err := e.as(p).UpdateEvent(c, &meetingsv1.UpdateEventRequest{
			Event: &meetingsv1.Event{Id: ev.GetId(), Name: "Renamed"}, ExpectedVersion: version, UpdateMask: mask("name"),
		})
		return err
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"anonymous cannot create", func() error {
			_, err := e.as(auth.Principal{}).CreateEvent(c, &meetingsv1.CreateEventRequest{Event: brokerageDay(0)})
			return err
		}, codes.Unauthenticated},
		{"member cannot create", func() error {
			_, err := e.as(outsider).CreateEvent(c, &meetingsv1.CreateEventRequest{Event: brokerageDay(0)})
			return err
		}, codes.PermissionDenied},
		{"outsider does not see a draft", func() error {
			_, err := e.as(outsider).GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})
			return err
		}, codes.NotFound},
		{"another organizer cannot change it", func() error {
			return rename(auth.Principal{Subject: "org-bruno", Roles: []auth.Role{auth.RoleOrganizer}}, 0)
		}, codes.NotFound},
		{"stale version is aborted", func() error { return rename(organizer, 7) }, codes.Aborted},
		{"organizer renames", func() error { return rename(organizer, 1) }, codes.OK},
		{"admin renames", func() error { return rename(admin, 0) }, codes.OK},
		{"invalid time zone", func() error {
			_, err := e.as(organizer).UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), TimeZone: "Mars/Olympus"}, UpdateMask: mask("time_zone")})
			return err
		}, codes.InvalidArgument},
		{"publishing needs a schedule", func() error {
			_, err := e.as(organizer).UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), Status: meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED}, UpdateMask: mask("status")})
			return err
		}, codes.FailedPrecondition},
	}
	for _, tt := range tests {
		if err := tt.call(); codeOf(err) != tt.want {
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.want)
		}
	}

	// Once open, everyone sees it, but only organizers change it; a
	// participant acts only for itself.
	cur := must[*meetingsv1.GetEventResponse](t)(e.as(organizer).GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent()
	cur = e.setStatus(t, cur, meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN)
	if _, err := e.as(outsider).GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()}); err != nil {
		t.Fatalf("outsider cannot read an open event: %v", err)
	}
	wantCode(t, rename(outsider, 0), codes.PermissionDenied)
	alpha := e.register(t, ev.GetId(), "ORGALPHA")
	beta := e.register(t, ev.GetId(), "ORGBETA")
	_, err := e.as(outsider).RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{
		EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ORGALPHA"}},
	})
	wantCode(t, err, codes.PermissionDenied)
	wantCode(t, rename(member("ORGALPHA"), 0), codes.PermissionDenied)
	_, err = e.as(outsider).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: alpha.GetId(), ToParticipantId: beta.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	rq := must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGALPHA")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: alpha.GetId(), ToParticipantId: beta.GetId(),
	})).GetMeetingRequest()
	// The sender cannot accept its own request; outsiders do not see it.
	_, err = e.as(member("ORGALPHA")).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: rq.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.as(outsider).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: rq.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL})
	wantCode(t, err, codes.NotFound)
	// Both parties see it; only organizers list everything.
	for _, org := range []string{"ORGALPHA", "ORGBETA"} {
		pid := alpha.GetId()
		if org == "ORGBETA" {
			pid = beta.GetId()
		}
		list := must[*meetingsv1.ListMeetingRequestsResponse](t)(e.as(member(org)).ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId(), ParticipantId: pid}))
		if len(list.GetMeetingRequests()) != 1 || list.GetMeetingRequests()[0].GetId() != rq.GetId() {
			t.Fatalf("%s sees %v", org, list.GetMeetingRequests())
		}
	}
	_, err = e.as(member("ORGALPHA")).ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.as(outsider).ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId(), ParticipantId: alpha.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.as(outsider).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: alpha.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	// Participants may lower their limit, not raise it; organizers may.
	_, err = e.as(member("ORGALPHA")).SetAvailability(c, &meetingsv1.SetAvailabilityRequest{EventId: ev.GetId(), ParticipantId: alpha.GetId(), MaxMeetings: 3})
	if err != nil {
		t.Fatalf("lowering the limit: %v", err)
	}
	_, err = e.as(member("ORGALPHA")).SetAvailability(c, &meetingsv1.SetAvailabilityRequest{EventId: ev.GetId(), ParticipantId: alpha.GetId(), MaxMeetings: 5})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.as(organizer).SetAvailability(c, &meetingsv1.SetAvailabilityRequest{EventId: ev.GetId(), ParticipantId: alpha.GetId(), MaxMeetings: 5})
	if err != nil {
		t.Fatalf("organizer raising the limit: %v", err)
	}
	_ = cur
}

// TestScheduleFlow runs an event from registration to calendars: requests
// (must, mutual, declined, no thanks, cancelled), a provisional schedule,
// publication, a change that moves a meeting, fill mode, and the calendar
// export, and checks the events that went out.
func TestScheduleFlow(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(0))
	a := e.register(t, ev.GetId(), "ORGA")
	b := e.register(t, ev.GetId(), "ORGB")
	d := e.register(t, ev.GetId(), "ORGD", "20250506T0900", "20250506T0930") // leaves at 10:00
	x := e.register(t, ev.GetId(), "ORGX")
	l := e.register(t, ev.GetId(), "ORGL", "20250506T1030") // only there late

	ab := e.accepted(t, ev.GetId(), a, b, true)
	ad := e.accepted(t, ev.GetId(), a, d, false)
	bd := e.accepted(t, ev.GetId(), b, d, false)
	la := e.accepted(t, ev.GetId(), l, a, false)
	// Mutual: D asks X, X asks D back, which accepts D's request.
	dx := must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGD")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: d.GetId(), ToParticipantId: x.GetId()})).GetMeetingRequest()
	back := must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGX")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: x.GetId(), ToParticipantId: d.GetId(), Priority: meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST})).GetMeetingRequest()
	if back.GetId() != dx.GetId() || !back.GetMutual() || back.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED {
		t.Fatalf("asking back = %v, want request %s accepted and mutual", back, dx.GetId())
	}
	// No thanks: X may not ask A again.
	xa := must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGX")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: x.GetId(), ToParticipantId: a.GetId()})).GetMeetingRequest()
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(e.as(member("ORGA")).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: xa.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS}))
	_, err := e.as(member("ORGX")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: x.GetId(), ToParticipantId: a.GetId()})
	wantCode(t, err, codes.FailedPrecondition)

	// Scheduling: not before registration closes.
	_, err = org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.FailedPrecondition)
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	_, err = e.as(member("ORGA")).GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	// Policies: weights only with the balanced one, each from 1 to 1000.
	_, err = org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Policy: meetingsv1.SchedulePolicy_SCHEDULE_POLICY_MOST_MEETINGS,
		BalancedWeights: &meetingsv1.BalancedWeights{Must: 4, Mutual: 2, Want: 1}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Policy: meetingsv1.SchedulePolicy_SCHEDULE_POLICY_BALANCED,
		BalancedWeights: &meetingsv1.BalancedWeights{Must: 0, Mutual: 2, Want: 1}})
	wantCode(t, err, codes.InvalidArgument)
	bal := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(),
		Policy: meetingsv1.SchedulePolicy_SCHEDULE_POLICY_BALANCED, BalancedWeights: &meetingsv1.BalancedWeights{Must: 10, Mutual: 3, Want: 1}})).GetSchedule()
	// The must (and mutual) meeting with X is worth 10+2, three others 1 each.
	if bal.GetPolicy() != meetingsv1.SchedulePolicy_SCHEDULE_POLICY_BALANCED || bal.GetBalancedWeights().GetMust() != 10 ||
		bal.GetStats().GetObjective() <= int64(bal.GetStats().GetMeetingsPlaced()) || bal.GetStats().GetObjective() > bal.GetStats().GetObjectiveBound() {
		t.Fatalf("balanced schedule = %v", bal)
	}
	sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), ExpectedEventVersion: ev.GetVersion()})).GetSchedule()
	st := sc.GetStats()
	// D has two slots for three requests: the must (mutual) one with X and
	// one of the others fit, so 4 of 5 can be placed at most.
	if st.GetRequestsConsidered() != 5 || st.GetMeetingsPlaced() != 4 || st.GetUpperBound() != 4 || st.GetMustConsidered() != 2 || st.GetMustPlaced() != 2 || st.GetMutualPlaced() != 1 {
		t.Fatalf("stats = %v", st)
	}
	if sc.GetPolicy() != meetingsv1.SchedulePolicy_SCHEDULE_POLICY_PRIORITIES_FIRST || st.GetObjective() != 4 || st.GetObjectiveBound() != 4 {
		t.Fatalf("default policy schedule = %v", sc)
	}
	got := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()}))
	if len(got.GetMeetings()) != 4 || got.GetSchedule().GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL {
		t.Fatalf("provisional schedule = %v", got)
	}
	checkSchedule(t, ev, got.GetMeetings(), map[string][]string{d.GetId(): {"20250506T0900", "20250506T0930"}, l.GetId(): {"20250506T1030"}})
	// Participants see nothing before publication; organizers may preview.
	if ag := must[*meetingsv1.GetAgendaResponse](t)(e.as(member("ORGA")).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})); len(ag.GetItems()) != 0 {
		t.Fatalf("agenda before publication = %v", ag.GetItems())
	}
	if ag := must[*meetingsv1.GetAgendaResponse](t)(org.GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: x.GetId(), IncludeProvisional: true})); len(ag.GetItems()) != 1 {
		t.Fatalf("provisional agenda = %v", ag.GetItems())
	}
	pub := must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetId(), ExpectedVersion: 1})).GetSchedule()
	if pub.GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED {
		t.Fatalf("published schedule = %v", pub)
	}
	ev = must[*meetingsv1.GetEventResponse](t)(org.GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent()
	if ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED {
		t.Fatalf("event status = %s, want PUBLISHED", ev.GetStatus())
	}
	agenda := must[*meetingsv1.GetAgendaResponse](t)(e.as(member("ORGX")).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: x.GetId()}))
	if len(agenda.GetItems()) != 1 || agenda.GetTimeZone() != "Europe/Rome" {
		t.Fatalf("agenda = %v", agenda)
	}
	for _, it := range agenda.GetItems() {
		if it.GetTableName() == "" || it.GetPartnerParticipantId() == "" || it.GetMeeting().GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
			t.Fatalf("agenda item = %v", it)
		}
	}
	_, err = org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL})
	wantCode(t, err, codes.FailedPrecondition)

	exportBefore := must[*meetingsv1.ExportCalendarResponse](t)(e.as(member("ORGA")).ExportCalendar(c, &meetingsv1.ExportCalendarRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	if exportBefore.GetContentType() != "text/calendar; charset=utf-8" || !strings.HasSuffix(exportBefore.GetFilename(), ".ics") {
		t.Fatalf("export = %s %s", exportBefore.GetContentType(), exportBefore.GetFilename())
	}

	// A change that drops the 10:30 slot breaks the meetings there: refused
	// with their ids, then carried out by moving them.
	published := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()})).GetMeetings()
	shorter := brokerageDay(0).GetDays()
	shorter[0].Sessions[0].EndTime = &meetingsv1.LocalTime{Hours: 10, Minutes: 30}
	var late []string
	for _, m := range published {
		if m.GetSlotId() == "20250506T1030" {
			late = append(late, m.GetId())
		}
	}
	// L can only meet at 10:30, so its meeting with A is there and cannot
	// move: it is cancelled (TestMoveOnTableRemoval covers a move).
	if len(late) == 0 {
		t.Fatal("nothing scheduled at 10:30")
	}
	_, err = org.UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), Days: shorter}, UpdateMask: mask("days")})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(err.Error(), late[0]) {
		t.Fatalf("refusal %q does not name meeting %s", err, late[0])
	}
	upd := must[*meetingsv1.UpdateEventResponse](t)(org.UpdateEvent(c, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Days: shorter}, UpdateMask: mask("days"),
		ConflictPolicy: meetingsv1.ConflictPolicy_CONFLICT_POLICY_MOVE_MEETINGS,
	}))
	if len(upd.GetMovedMeetingIds())+len(upd.GetCancelledMeetingIds()) != len(late) {
		t.Fatalf("moved %v cancelled %v, want %d handled", upd.GetMovedMeetingIds(), upd.GetCancelledMeetingIds(), len(late))
	}
	after := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()})).GetMeetings()
	checkSchedule(t, upd.GetEvent(), after, map[string][]string{d.GetId(): {"20250506T0900", "20250506T0930"}})

	// Calendar: importing both exports leaves one entry per meeting, at its
	// current time, and the cancelled one marked so.
	exportAfter := must[*meetingsv1.ExportCalendarResponse](t)(e.as(member("ORGA")).ExportCalendar(c, &meetingsv1.ExportCalendarRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	entries := map[string]time.Time{}
	seqs := map[string]int{}
	statuses := map[string]string{}
	for _, data := range [][]byte{exportBefore.GetContent(), exportAfter.GetContent()} {
		cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
		if err != nil {
			t.Fatalf("export does not parse: %v\n%s", err, data)
		}
		for _, ve := range cal.Events() {
			uid, _ := ve.Props.Text(goical.PropUID)
			seq, _ := ve.Props.Get(goical.PropSequence).Int()
			startAt, _ := ve.DateTimeStart(time.UTC)
			st, _ := ve.Props.Text(goical.PropStatus)
			if old, ok := seqs[uid]; !ok || seq > old {
				seqs[uid], entries[uid], statuses[uid] = seq, startAt, st
			}
		}
	}
	mine := 0
	for _, m := range after {
		if !slices.Contains(m.GetParticipantIds(), a.GetId()) {
			continue
		}
		mine++
		if at, ok := entries[m.GetIcalUid()]; !ok || !at.Equal(m.GetStartTime().AsTime()) || statuses[m.GetIcalUid()] != "CONFIRMED" {
			t.Errorf("calendar has %s at %v (%s), the meeting is at %v", m.GetIcalUid(), at, statuses[m.GetIcalUid()], m.GetStartTime().AsTime())
		}
	}
	for _, id := range upd.GetCancelledMeetingIds() {
		if statuses[id+"@tandem"] != "CANCELLED" {
			t.Errorf("cancelled meeting %s is %q in the calendar", id, statuses[id+"@tandem"])
		}
	}
	if len(entries) != mine+len(upd.GetCancelledMeetingIds()) {
		t.Errorf("calendar holds %d entries for %d meetings and %d cancelled", len(entries), mine, len(upd.GetCancelledMeetingIds()))
	}

	// Fill mode after a late request: published meetings stay put.
	e.known(t, "ORGY")
	y := must[*meetingsv1.RegisterParticipantResponse](t)(org.RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{
		EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ORGY"}},
	})).GetParticipant()
	e.accepted(t, ev.GetId(), y, x, false)
	fill := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})).GetSchedule()
	if fill.GetMode() != meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS || int(fill.GetStats().GetKeptMeetings()) != len(after) {
		t.Fatalf("fill schedule = %v, want %d kept", fill, len(after))
	}
	must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: fill.GetId()}))
	final := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()})).GetMeetings()
	if len(final) != len(after)+1 {
		t.Fatalf("%d meetings after fill, want %d", len(final), len(after)+1)
	}
	for _, m := range after {
		i := slices.IndexFunc(final, func(f *meetingsv1.Meeting) bool { return f.GetId() == m.GetId() })
		if i < 0 || final[i].GetSlotId() != m.GetSlotId() || final[i].GetTableId() != m.GetTableId() || final[i].GetVersion() != m.GetVersion() {
			t.Fatalf("fill mode touched published meeting %v", m)
		}
	}

	// Cancelling a request cancels its meeting; the calendar gets CANCELLED.
	var abMeeting *meetingsv1.Meeting
	for _, m := range final {
		if m.GetRequestId() == ab.GetId() {
			abMeeting = m
		}
	}
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(e.as(member("ORGB")).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: ab.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL}))
	cal, err := goical.NewDecoder(bytes.NewReader(must[*meetingsv1.ExportCalendarResponse](t)(e.as(member("ORGA")).ExportCalendar(c, &meetingsv1.ExportCalendarRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})).GetContent())).Decode()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ve := range cal.Events() {
		if uid, _ := ve.Props.Text(goical.PropUID); uid == abMeeting.GetIcalUid() {
			found = true
			if st, _ := ve.Props.Text(goical.PropStatus); st != "CANCELLED" {
				t.Fatalf("cancelled meeting exported with STATUS %q", st)
			}
		}
	}
	if !found {
		t.Fatal("cancelled meeting missing from the calendar, so clients would keep it")
	}
	_, _, _ = ad, bd, la

	e.subjects(t,
		"tandem.meetings.v1.event.created", "tandem.meetings.v1.event.status_changed", "tandem.meetings.v1.event.updated",
		"tandem.meetings.v1.participant.registered",
		"tandem.meetings.v1.meeting_request.created", "tandem.meetings.v1.meeting_request.responded", "tandem.meetings.v1.meeting_request.cancelled",
		"tandem.meetings.v1.schedule.generated", "tandem.meetings.v1.schedule.published",
		"tandem.meetings.v1.meeting.confirmed", "tandem.meetings.v1.meeting.cancelled",
	)
}

// checkSchedule fails on double booking, a table used twice in a slot, a
// meeting outside the event's slots, or one outside a participant's
// availability (only given for some).
func checkSchedule(t *testing.T, ev *meetingsv1.Event, ms []*meetingsv1.Meeting, availability map[string][]string) {
	t.Helper()
	slots := map[string]bool{}
	for _, s := range ev.GetSlots() {
		slots[s.GetId()] = true
	}
	seen := map[string]string{}
	for _, m := range ms {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		if !slots[m.GetSlotId()] {
			t.Fatalf("meeting %s in slot %s, which the event does not have", m.GetId(), m.GetSlotId())
		}
		keys := []string{"table " + m.GetTableId()}
		for _, p := range m.GetParticipantIds() {
			keys = append(keys, "participant "+p)
			if av, ok := availability[p]; ok && !slices.Contains(av, m.GetSlotId()) {
				t.Fatalf("meeting %s in slot %s where %s is not available", m.GetId(), m.GetSlotId(), p)
			}
		}
		for _, k := range keys {
			k += " in " + m.GetSlotId()
			if other, dup := seen[k]; dup {
				t.Fatalf("%s twice: meetings %s and %s", k, other, m.GetId())
			}
			seen[k] = m.GetId()
		}
	}
}

// TestConcurrentBookings: many participants book at once, through the real
// service and store. Nobody and no table is ever booked twice, and every
// slot that could be booked is.
func TestConcurrentBookings(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	ev := e.openEvent(t, selfBookingDay())
	const n = 12
	var ps []*meetingsv1.Participant
	for i := range n {
		ps = append(ps, e.register(t, ev.GetId(), "ORGC"+string(rune('A'+i))))
	}
	// Everyone accepted a meeting with everyone (66 pairs).
	type pair struct {
		a, b *meetingsv1.Participant
		req  string
	}
	var pairs []pair
	for i := range n {
		for j := i + 1; j < n; j++ {
			rq := e.accepted(t, ev.GetId(), ps[i], ps[j], false)
			pairs = append(pairs, pair{ps[i], ps[j], rq.GetId()})
		}
	}
	// Every pair tries to book the same slot at once, half of them naming
	// table T1, the rest letting the server pick.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		booked []*meetingsv1.Meeting
		errs   = map[codes.Code]int{}
	)
	for i, pr := range pairs {
		table := ""
		if i%2 == 0 {
			table = "T1"
		}
		wg.Go(func() {
			res, err := e.as(member(pr.a.GetProfile().GetOrganizationId())).BookMeeting(c, &meetingsv1.BookMeetingRequest{
				EventId: ev.GetId(), ParticipantId: pr.a.GetId(), RequestId: pr.req, SlotId: "20990506T0930", TableId: table,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[codeOf(err)]++
				return
			}
			booked = append(booked, res.GetMeeting())
		})
	}
	wg.Wait()
	for code := range errs {
		if code != codes.Aborted && code != codes.FailedPrecondition {
			t.Fatalf("bookings failed with %v", errs)
		}
	}
	checkSchedule(t, ev, booked, nil)
	if len(booked) == 0 || len(booked) > 2 {
		t.Fatalf("%d meetings booked in one slot with two tables", len(booked))
	}
	// What the store holds agrees with what the callers were told.
	stored := must[*meetingsv1.GetAgendaResponse](t)
	total := 0
	for _, p := range ps {
		total += len(stored(e.as(organizer).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: p.GetId()})).GetItems())
	}
	if total != 2*len(booked) {
		t.Fatalf("agendas hold %d entries for %d meetings", total, len(booked))
	}

	// A second round over every slot: each pair tries each slot in turn,
	// all pairs at once.
	round := []string{"20990506T0900", "20990506T1000", "20990506T1030"}
	for _, pr := range pairs {
		wg.Go(func() {
			for _, slot := range round {
				res, err := e.as(member(pr.b.GetProfile().GetOrganizationId())).BookMeeting(c, &meetingsv1.BookMeetingRequest{
					EventId: ev.GetId(), ParticipantId: pr.b.GetId(), PartnerParticipantId: pr.a.GetId(), SlotId: slot,
				})
				if err == nil {
					mu.Lock()
					booked = append(booked, res.GetMeeting())
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	checkSchedule(t, ev, booked, nil)
	if len(booked) < 5 {
		t.Fatalf("only %d meetings booked over four slots", len(booked))
	}
	if len(booked) > 8 {
		t.Fatalf("%d meetings in four slots with two tables", len(booked))
	}
}

// TestConcurrentBookingsAcrossReplicas: bookings for one pair, and for one
// participant at its meeting limit, arrive at once through two replicas of
// the service on one JetStream. Each replica's own index lags behind the
// other's writes, yet the pair meets once and the limit holds.
func TestConcurrentBookingsAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.replica(t)
	c := ctx(t)
	ev := e.openEvent(t, selfBookingDay())
	slots := []string{"20990506T0900", "20990506T0930", "20990506T1000", "20990506T1030"}
	replicas := []*env{e, r}

	a := e.register(t, ev.GetId(), "ORGPA")
	b := e.register(t, ev.GetId(), "ORGPB")
	rq := e.accepted(t, ev.GetId(), a, b, false)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		booked []*meetingsv1.Meeting
	)
	book := func(via *env, who string, req *meetingsv1.BookMeetingRequest) {
		res, err := via.as(member(who)).BookMeeting(c, req)
		if err != nil {
			if code := codeOf(err); code != codes.Aborted && code != codes.FailedPrecondition {
				t.Errorf("booking failed with %v", err)
			}
			return
		}
		mu.Lock()
		booked = append(booked, res.GetMeeting())
		mu.Unlock()
	}
	// Both parties try every slot through both replicas: 16 attempts.
	for i := range 16 {
		p, who := a, "ORGPA"
		if i%2 == 1 {
			p, who = b, "ORGPB"
		}
		wg.Go(func() {
			book(replicas[i/2%2], who, &meetingsv1.BookMeetingRequest{EventId: ev.GetId(), ParticipantId: p.GetId(), RequestId: rq.GetId(), SlotId: slots[i/4]})
		})
	}
	wg.Wait()
	if len(booked) != 1 {
		t.Fatalf("one pair got %d meetings: %v", len(booked), booked)
	}

	// L takes at most 2 meetings; four partners book with L at once, each in
	// its own slot, through alternating replicas.
	e.known(t, "ORGPL")
	res, err := e.as(member("ORGPL")).RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{
		EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ORGPL"}}, MaxMeetings: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	l := res.GetParticipant()
	booked = nil
	for i, slot := range slots {
		org := fmt.Sprintf("ORGPQ%d", i)
		q := e.register(t, ev.GetId(), org)
		qr := e.accepted(t, ev.GetId(), q, l, false)
		wg.Go(func() {
			book(replicas[i%2], org, &meetingsv1.BookMeetingRequest{EventId: ev.GetId(), ParticipantId: q.GetId(), RequestId: qr.GetId(), SlotId: slot})
		})
	}
	wg.Wait()
	if len(booked) != 2 {
		t.Fatalf("participant with a limit of 2 got %d meetings", len(booked))
	}
	// The replicas agree once their indexes caught up: L's agenda holds two.
	deadline := time.Now().Add(20 * time.Second)
	for _, via := range replicas {
		for {
			items := must[*meetingsv1.GetAgendaResponse](t)(via.as(organizer).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: l.GetId()})).GetItems()
			if len(items) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("agenda of L holds %d meetings, want 2", len(items))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestMoveOnTableRemoval: removing a table that holds a confirmed meeting
// is refused by default and moves the meeting on request, with a higher
// calendar sequence and a meeting.moved event.
func TestMoveOnTableRemoval(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(0))
	a := e.register(t, ev.GetId(), "ORGA")
	b := e.register(t, ev.GetId(), "ORGB")
	rq := e.accepted(t, ev.GetId(), a, b, false)
	m := must[*meetingsv1.BookMeetingResponse](t)(org.BookMeeting(c, &meetingsv1.BookMeetingRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: rq.GetId(), SlotId: "20250506T1000", TableId: "T2",
	})).GetMeeting()
	if m.GetOrigin() != meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER || m.GetIcalUid() != m.GetId()+"@tandem" {
		t.Fatalf("booked = %v", m)
	}
	// Participants do not book in an organizer-scheduled event.
	_, err := e.as(member("ORGA")).BookMeeting(c, &meetingsv1.BookMeetingRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: rq.GetId(), SlotId: "20250506T0900"})
	wantCode(t, err, codes.FailedPrecondition)

	ev = must[*meetingsv1.GetEventResponse](t)(org.GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent()
	oneTable := []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}}
	_, err = org.UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), Tables: oneTable}, UpdateMask: mask("tables"), ExpectedVersion: ev.GetVersion()})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(err.Error(), m.GetId()) {
		t.Fatalf("refusal %q does not name meeting %s", err, m.GetId())
	}
	// validate_only says what would move, and changes nothing.
	dry := must[*meetingsv1.UpdateEventResponse](t)(org.UpdateEvent(c, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Tables: oneTable}, UpdateMask: mask("tables"), ExpectedVersion: ev.GetVersion(),
		ConflictPolicy: meetingsv1.ConflictPolicy_CONFLICT_POLICY_MOVE_MEETINGS, ValidateOnly: true,
	}))
	if !slices.Equal(dry.GetMovedMeetingIds(), []string{m.GetId()}) || len(dry.GetEvent().GetTables()) != 1 || dry.GetEvent().GetVersion() != ev.GetVersion() {
		t.Fatalf("validate_only = %v, want meeting %s to move, the event with one table, unchanged version", dry, m.GetId())
	}
	if now := must[*meetingsv1.GetEventResponse](t)(org.GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent(); now.GetVersion() != ev.GetVersion() || len(now.GetTables()) != 2 {
		t.Fatalf("validate_only changed the event: %v", now)
	}
	upd := must[*meetingsv1.UpdateEventResponse](t)(org.UpdateEvent(c, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Tables: oneTable}, UpdateMask: mask("tables"), ExpectedVersion: ev.GetVersion(),
		ConflictPolicy: meetingsv1.ConflictPolicy_CONFLICT_POLICY_MOVE_MEETINGS,
	}))
	if !slices.Equal(upd.GetMovedMeetingIds(), []string{m.GetId()}) {
		t.Fatalf("moved %v, want [%s]", upd.GetMovedMeetingIds(), m.GetId())
	}
	ag := must[*meetingsv1.GetAgendaResponse](t)(e.as(member("ORGB")).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: b.GetId()}))
	if len(ag.GetItems()) != 1 {
		t.Fatalf("agenda = %v", ag.GetItems())
	}
	moved := ag.GetItems()[0].GetMeeting()
	if moved.GetId() != m.GetId() || moved.GetTableId() != "T1" || moved.GetSlotId() != "20250506T1000" || moved.GetIcalSequence() != 1 {
		t.Fatalf("moved meeting = %v, want same id and slot at T1 with sequence 1", moved)
	}
	e.subjects(t, "tandem.meetings.v1.meeting.moved", "tandem.meetings.v1.event.updated")
}

// TestParticipantsBookSlotsToCome: in a self-booking event a participant
// cannot book a slot that has begun, and is told why; an organiser still
// can (on the day, for a pair that meets anyway).
func TestParticipantsBookSlotsToCome(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING)) // 6 May 2025: over
	a := e.register(t, ev.GetId(), "ORGSA")
	b := e.register(t, ev.GetId(), "ORGSB")
	rq := e.accepted(t, ev.GetId(), a, b, false)
	book := &meetingsv1.BookMeetingRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: rq.GetId(), SlotId: "20250506T0900"}
	_, err := e.as(member("ORGSA")).BookMeeting(c, book)
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(err.Error(), "has begun") {
		t.Errorf("the refusal %q does not say the slot has begun", err)
	}
	m := must[*meetingsv1.BookMeetingResponse](t)(e.as(organizer).BookMeeting(c, book)).GetMeeting()
	if m.GetSlotId() != "20250506T0900" || m.GetOrigin() != meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER {
		t.Errorf("the organiser's booking = %v", m)
	}
}

// TestBookedMeetingsWithoutSchedule: at a self-booking event whose
// organiser never makes a schedule, the organiser reads the meetings
// participants booked, as a published schedule without an id, with the
// figures counted from them; before any booking the (empty) schedule is
// there to watch. An event scheduled by its organisers has no schedule
// until one is made, or until an organiser books a meeting.
func TestBookedMeetingsWithoutSchedule(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, selfBookingDay())
	a := e.register(t, ev.GetId(), "ORGBA")
	b := e.register(t, ev.GetId(), "ORGBB")
	d := e.register(t, ev.GetId(), "ORGBD")
	ab := e.accepted(t, ev.GetId(), a, b, false)
	e.accepted(t, ev.GetId(), a, d, false)

	empty := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()}))
	if sc := empty.GetSchedule(); sc.GetId() != "" || sc.GetEventId() != ev.GetId() || sc.GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED ||
		len(empty.GetMeetings()) != 0 || sc.GetStats().GetMeetingsPlaced() != 0 || sc.GetStats().GetParticipantsWithoutMeetings() != 3 {
		t.Fatalf("before any booking the organiser reads %v with %d meetings, want an empty published schedule without an id, 3 participants without meetings", sc, len(empty.GetMeetings()))
	}

	booked := must[*meetingsv1.BookMeetingResponse](t)(e.as(member("ORGBA")).BookMeeting(c, &meetingsv1.BookMeetingRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: ab.GetId(), SlotId: "20990506T0900",
	})).GetMeeting()
	eventually(t, func() string {
		res := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()}))
		sc, ms := res.GetSchedule(), res.GetMeetings()
		if len(ms) != 1 || ms[0].GetId() != booked.GetId() || ms[0].GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
			return fmt.Sprintf("the organiser reads meetings %v, want the booked %s, confirmed", ms, booked.GetId())
		}
		st := sc.GetStats()
		if sc.GetId() != "" || sc.GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED || st.GetMeetingsPlaced() != 1 ||
			st.GetParticipantsWithoutMeetings() != 1 || st.GetMinMeetingsPerParticipant() != 0 || math.Abs(st.GetMeanMeetingsPerParticipant()-2.0/3) > 1e-9 {
			return fmt.Sprintf("the organiser reads schedule %v, want published without an id, 1 placed, 1 of 3 without meetings", sc)
		}
		return ""
	})

	// Organisers schedule this one: nothing to read until they book.
	other := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	_, err := org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: other.GetId()})
	wantCode(t, err, codes.NotFound)
	x := e.register(t, other.GetId(), "ORGBX")
	y := e.register(t, other.GetId(), "ORGBY")
	xy := e.accepted(t, other.GetId(), x, y, false)
	placed := must[*meetingsv1.BookMeetingResponse](t)(org.BookMeeting(c, &meetingsv1.BookMeetingRequest{
		EventId: other.GetId(), ParticipantId: x.GetId(), RequestId: xy.GetId(), SlotId: "20250506T0930",
	})).GetMeeting()
	eventually(t, func() string {
		res, err := org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: other.GetId()})
		if err != nil || len(res.GetMeetings()) != 1 || res.GetMeetings()[0].GetId() != placed.GetId() || res.GetSchedule().GetStats().GetMeetingsPlaced() != 1 {
			return fmt.Sprintf("after the organiser's booking GetSchedule = %v, %v; want the booked %s", res, err, placed.GetId())
		}
		return ""
	})
}
