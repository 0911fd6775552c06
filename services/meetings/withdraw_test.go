package meetings_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestWithdrawParticipant: an organiser withdraws a participant with a
// published meeting and an open request; both are cancelled (events for
// the other parties and calendars), the agenda empties, and new requests
// to it are refused. Another participant may not withdraw it; a
// participant may withdraw itself; bad ids get the right statuses.
func TestWithdrawParticipant(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(0))
	a, b := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB")
	cc, d := e.register(t, ev.GetId(), "ORGC"), e.register(t, ev.GetId(), "ORGD")
	ab := e.accepted(t, ev.GetId(), a, b, false)
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})).GetSchedule()
	must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetId()}))
	_, ms := scheduleNow(t, org, ev.GetId())
	if ms[ab.GetId()] == nil {
		t.Fatal("A and B have no published meeting")
	}
	pending := must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGC")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: cc.GetId(), ToParticipantId: a.GetId(), Priority: meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT,
	})).GetMeetingRequest()

	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			as   string
			req  *meetingsv1.WithdrawParticipantRequest
			code codes.Code
			text string
		}{
			{"another participant", "ORGD", &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}, codes.PermissionDenied, "may only withdraw itself"},
			{"no participant id", "", &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId()}, codes.InvalidArgument, "participant_id"},
			{"unknown participant", "", &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: "01NOSUCHPARTICIPANT"}, codes.NotFound, "no participant"},
			{"unknown event", "", &meetingsv1.WithdrawParticipantRequest{EventId: "01NOSUCHEVENT", ParticipantId: a.GetId()}, codes.NotFound, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cl := org
				if tt.as != "" {
					cl = e.as(member(tt.as))
				}
				_, err := cl.WithdrawParticipant(c, tt.req)
				wantRefusal(t, err, tt.code, tt.text)
			})
		}
		if pa := must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})); len(pa.GetParticipants()) == 0 {
			t.Fatal("no participants listed")
		}
	})

	res := must[*meetingsv1.WithdrawParticipantResponse](t)(org.WithdrawParticipant(c, &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	if res.GetParticipant().GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN || res.GetCancelledRequests() != 2 || res.GetCancelledMeetings() != 1 {
		t.Fatalf("withdraw A = %v, want WITHDRAWN with 2 requests and 1 meeting cancelled", res)
	}
	_, after := scheduleNow(t, org, ev.GetId())
	if m := after[ab.GetId()]; m != nil && m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
		t.Fatalf("A's meeting after the withdrawal = %v", m)
	}
	agenda := must[*meetingsv1.GetAgendaResponse](t)(e.as(member("ORGB")).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: b.GetId()}))
	for _, it := range agenda.GetItems() {
		if it.GetMeeting().GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
			t.Fatalf("B's agenda still has a confirmed meeting: %v", it)
		}
	}
	reqs := must[*meetingsv1.ListMeetingRequestsResponse](t)(org.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()}))
	for _, r := range reqs.GetMeetingRequests() {
		if (r.GetId() == pending.GetId() || r.GetId() == ab.GetId()) && r.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED {
			t.Fatalf("request %s after the withdrawal is %s", r.GetId(), r.GetStatus())
		}
	}
	e.subjects(t, "tandem.meetings.v1.participant.withdrawn", "tandem.meetings.v1.meeting.cancelled", "tandem.meetings.v1.meeting_request.cancelled")
	_, err := e.as(member("ORGD")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: d.GetId(), ToParticipantId: a.GetId(), Priority: meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT,
	})
	wantCode(t, err, codes.FailedPrecondition)

	// Again: nothing left to cancel.
	again := must[*meetingsv1.WithdrawParticipantResponse](t)(org.WithdrawParticipant(c, &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	if again.GetCancelledRequests() != 0 || again.GetCancelledMeetings() != 0 || again.GetParticipant().GetVersion() != res.GetParticipant().GetVersion() {
		t.Fatalf("second withdrawal = %v, want no change", again)
	}
	// A participant withdraws itself.
	self := must[*meetingsv1.WithdrawParticipantResponse](t)(e.as(member("ORGD")).WithdrawParticipant(c, &meetingsv1.WithdrawParticipantRequest{EventId: ev.GetId(), ParticipantId: d.GetId()}))
	if self.GetParticipant().GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN {
		t.Fatalf("D withdrawing itself = %v", self)
	}
}
