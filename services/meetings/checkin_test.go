package meetings_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// fieldsOf lists the fields err's violations name.
func fieldsOf(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// wantField fails unless err has code and names field among its violations.
func wantField(t *testing.T, err error, code codes.Code, field string) {
	t.Helper()
	fields := fieldsOf(err)
	if status.Code(err) != code || !slices.Contains(fields, field) {
		t.Fatalf("error = %v (fields %v), want %s naming %s", err, fields, code, field)
	}
}

// firstEvent reads the first event published on a subject starting with
// prefix into msg, waiting for it.
func (e *env) firstEvent(t *testing.T, prefix string, msg proto.Message) {
	t.Helper()
	c := ctx(t)
	cons, err := e.jetStream(t).OrderedConsumer(c, "TANDEM_MEETINGS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{prefix + ">"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
	if err != nil {
		t.Fatalf("no event on %s>: %v", prefix, err)
	}
	if err := proto.Unmarshal(m.Data(), msg); err != nil {
		t.Fatal(err)
	}
}

// futureDay is brokerageDay on a date still to come.
func futureDay() *meetingsv1.Event {
	ev := brokerageDay(0)
	ev.Days[0].Date = &meetingsv1.Date{Year: 2099, Month: 5, Day: 6}
	return ev
}

// TestCheckInParticipant: a participant checks itself in with the code of
// its agenda, which only it and the organisers see; an organiser checks
// anyone in; checking in again changes nothing; a wrong code, another
// participant, a withdrawn participant and an event still to come are
// refused with the field at fault; each check-in is an event.
func TestCheckInParticipant(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(0)) // 6 May 2025: the day has come
	a, b, w := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB"), e.register(t, ev.GetId(), "ORGW")
	if a.GetCheckInCode() == "" || len(a.GetCheckInCode()) < 26 || a.GetCheckInCode() == b.GetCheckInCode() {
		t.Fatalf("check-in codes %q and %q: want distinct unguessable codes", a.GetCheckInCode(), b.GetCheckInCode())
	}
	list := func(as meetingsv1.MeetingsServiceClient) map[string]*meetingsv1.Participant {
		out := map[string]*meetingsv1.Participant{}
		for _, p := range must[*meetingsv1.ListParticipantsResponse](t)(as.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})).GetParticipants() {
			out[p.GetId()] = p
		}
		return out
	}
	if got := list(e.as(member("ORGB")))[a.GetId()].GetCheckInCode(); got != "" {
		t.Fatalf("another participant sees A's check-in code %q", got)
	}
	if got := list(org)[a.GetId()].GetCheckInCode(); got != a.GetCheckInCode() {
		t.Fatalf("the organiser sees A's code as %q, want %q", got, a.GetCheckInCode())
	}
	must[*meetingsv1.WithdrawParticipantResponse](t)(org.WithdrawParticipant(c, &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: w.GetId()}))
	later := e.openEvent(t, futureDay())
	la := e.register(t, later.GetId(), "ORGA")

	for _, tt := range []struct {
		name  string
		as    meetingsv1.MeetingsServiceClient
		req   *meetingsv1.CheckInParticipantRequest
		code  codes.Code
		field string
	}{
		{"wrong code", e.as(member("ORGA")), &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), CheckInCode: b.GetCheckInCode()}, codes.PermissionDenied, "check_in_code"},
		{"no code", e.as(member("ORGA")), &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}, codes.PermissionDenied, "check_in_code"},
		{"withdrawn", org, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: w.GetId()}, codes.FailedPrecondition, "participant_id"},
		{"before the first day", org, &meetingsv1.CheckInParticipantRequest{EventId: later.GetId(), ParticipantId: la.GetId()}, codes.FailedPrecondition, "event_id"},
		{"another event's participant", org, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: la.GetId()}, codes.NotFound, "participant_id"},
		{"no participant", org, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId()}, codes.InvalidArgument, "participant_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.as.CheckInParticipant(c, tt.req)
			wantField(t, err, tt.code, tt.field)
		})
	}
	_, err := e.as(member("ORGB")).CheckInParticipant(c, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), CheckInCode: a.GetCheckInCode()})
	wantCode(t, err, codes.PermissionDenied)
	if got := list(org)[a.GetId()]; got.GetCheckedInAt() != nil {
		t.Fatalf("A checked in by refused calls: %v", got)
	}

	self := must[*meetingsv1.CheckInParticipantResponse](t)(e.as(member("ORGA")).CheckInParticipant(c, &meetingsv1.CheckInParticipantRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), CheckInCode: a.GetCheckInCode()}))
	if !self.GetCheckedInNow() || self.GetParticipant().GetCheckedInAt() == nil || self.GetParticipant().GetVersion() != a.GetVersion()+1 {
		t.Fatalf("A's check-in = %v, want checked in now at version %d", self, a.GetVersion()+1)
	}
	again := must[*meetingsv1.CheckInParticipantResponse](t)(org.CheckInParticipant(c, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	if again.GetCheckedInNow() || again.GetParticipant().GetVersion() != self.GetParticipant().GetVersion() ||
		!again.GetParticipant().GetCheckedInAt().AsTime().Equal(self.GetParticipant().GetCheckedInAt().AsTime()) {
		t.Fatalf("checking A in again = %v, want it unchanged from %v", again, self)
	}
	must[*meetingsv1.CheckInParticipantResponse](t)(org.CheckInParticipant(c, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: b.GetId()}))
	now := list(org)
	if now[a.GetId()].GetCheckedInAt() == nil || now[b.GetId()].GetCheckedInAt() == nil || now[w.GetId()].GetCheckedInAt() != nil {
		t.Fatalf("after check-in: A %v, B %v, W %v", now[a.GetId()].GetCheckedInAt(), now[b.GetId()].GetCheckedInAt(), now[w.GetId()].GetCheckedInAt())
	}
	e.subjects(t, "tandem.meetings.v1.participant.checked_in")
}

// TestMarkNoShow: once a confirmed meeting's slot has started, an
// organiser marks a party as absent and can take it back; the mark is an
// event carrying both parties' profiles, for matching; marking twice
// changes nothing; participants, meetings still to come, cancelled
// meetings and strangers to the meeting are refused with the field at fault.
func TestMarkNoShow(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	published := func(ev *meetingsv1.Event) (*meetingsv1.Participant, *meetingsv1.Participant, *meetingsv1.Participant, *meetingsv1.Meeting) {
		a, b, x := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB"), e.register(t, ev.GetId(), "ORGX")
		ab := e.accepted(t, ev.GetId(), a, b, false)
		e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
		sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})).GetSchedule()
		must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetId()}))
		_, ms := scheduleNow(t, org, ev.GetId())
		if ms[ab.GetId()] == nil {
			t.Fatal("A and B have no published meeting")
		}
		return a, b, x, ms[ab.GetId()]
	}
	ev := e.openEvent(t, brokerageDay(0))
	a, b, x, m := published(ev)
	later := e.openEvent(t, futureDay())
	_, lb, _, lm := published(later)

	for _, tt := range []struct {
		name  string
		as    meetingsv1.MeetingsServiceClient
		req   *meetingsv1.MarkNoShowRequest
		code  codes.Code
		field string
	}{
		{"not a party", org, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: x.GetId(), NoShow: true}, codes.InvalidArgument, "participant_id"},
		{"not started", org, &meetingsv1.MarkNoShowRequest{EventId: later.GetId(), MeetingId: lm.GetId(), ParticipantId: lb.GetId(), NoShow: true}, codes.FailedPrecondition, "meeting_id"},
		{"another event's meeting", org, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: lm.GetId(), ParticipantId: lb.GetId(), NoShow: true}, codes.NotFound, "meeting_id"},
		{"no meeting", org, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), ParticipantId: b.GetId(), NoShow: true}, codes.InvalidArgument, "meeting_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.as.MarkNoShow(c, tt.req)
			wantField(t, err, tt.code, tt.field)
		})
	}
	_, err := e.as(member("ORGA")).MarkNoShow(c, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: b.GetId(), NoShow: true})
	wantCode(t, err, codes.PermissionDenied)

	marked := must[*meetingsv1.MarkNoShowResponse](t)(org.MarkNoShow(c, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: b.GetId(), NoShow: true})).GetMeeting()
	if !slices.Equal(marked.GetNoShowParticipantIds(), []string{b.GetId()}) || marked.GetVersion() != m.GetVersion()+1 || marked.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
		t.Fatalf("B marked absent: %v", marked)
	}
	twice := must[*meetingsv1.MarkNoShowResponse](t)(org.MarkNoShow(c, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: b.GetId(), NoShow: true})).GetMeeting()
	if twice.GetVersion() != marked.GetVersion() {
		t.Fatalf("marking B twice moved the meeting from version %d to %d", marked.GetVersion(), twice.GetVersion())
	}
	if _, ms := scheduleNow(t, org, ev.GetId()); !slices.Equal(ms[m.GetRequestId()].GetNoShowParticipantIds(), []string{b.GetId()}) {
		t.Fatalf("the schedule's meeting after the mark: %v", ms[m.GetRequestId()])
	}
	back := must[*meetingsv1.MarkNoShowResponse](t)(org.MarkNoShow(c, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: b.GetId()})).GetMeeting()
	if len(back.GetNoShowParticipantIds()) != 0 || back.GetVersion() != marked.GetVersion()+1 {
		t.Fatalf("taking B's mark back: %v", back)
	}
	var ns eventsv1.MeetingNoShowMarked
	e.firstEvent(t, "tandem.meetings.v1.meeting.no_show_marked.", &ns)
	if !ns.GetNoShow() || ns.GetParticipantId() != b.GetId() || ns.GetAbsentProfile().GetOrganizationId() != "ORGB" || ns.GetPresentProfile().GetOrganizationId() != "ORGA" {
		t.Fatalf("the no-show event = %v, want B (ORGB) absent and A (ORGA) present", &ns)
	}

	must[*meetingsv1.WithdrawParticipantResponse](t)(org.WithdrawParticipant(c, &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	_, err = org.MarkNoShow(c, &meetingsv1.MarkNoShowRequest{EventId: ev.GetId(), MeetingId: m.GetId(), ParticipantId: b.GetId(), NoShow: true})
	wantField(t, err, codes.FailedPrecondition, "meeting_id")
}
