package meetings_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestSecondRequestIsRefusedAndTheFirstEdited checks that asking the same
// participant twice keeps the first request (its "must meet" and message)
// and refuses the second with AlreadyExists naming the first, which
// UpdateMeetingRequest then edits, for its sender only.
func TestSecondRequestIsRefusedAndTheFirstEdited(t *testing.T) {
	e := start(t)
	c := ctx(t)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	a, b := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB")
	asA, asB := e.as(member("ORGA")), e.as(member("ORGB"))
	must_ := meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
	want := meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT

	first := must[*meetingsv1.RequestMeetingResponse](t)(asA.RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: a.GetId(), ToParticipantId: b.GetId(), Priority: must_, Message: "Your assay, our samples",
	})).GetMeetingRequest()

	// A second request, with another priority and message, is refused.
	_, err := asA.RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: a.GetId(), ToParticipantId: b.GetId(), Priority: want, Message: "Hello again",
	})
	wantCode(t, err, codes.AlreadyExists)
	if !strings.Contains(err.Error(), first.GetId()) {
		t.Errorf("the refusal %q does not name the first request %s", err, first.GetId())
	}
	// A retry of the first (same client_request_id) is not a second request.
	keyed := &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: b.GetId(), ToParticipantId: a.GetId(), ClientRequestId: "retry-1"}
	c2 := e.register(t, ev.GetId(), "ORGC")
	keyed.ToParticipantId = c2.GetId()
	one := must[*meetingsv1.RequestMeetingResponse](t)(asB.RequestMeeting(c, keyed)).GetMeetingRequest()
	again := must[*meetingsv1.RequestMeetingResponse](t)(asB.RequestMeeting(c, keyed)).GetMeetingRequest()
	if again.GetId() != one.GetId() {
		t.Errorf("a retry with the same key made request %s, want %s", again.GetId(), one.GetId())
	}

	list := must[*meetingsv1.ListMeetingRequestsResponse](t)(asA.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), Direction: meetingsv1.RequestDirection_REQUEST_DIRECTION_OUTGOING,
	})).GetMeetingRequests()
	if len(list) != 1 || list[0].GetPriority() != must_ || list[0].GetMessage() != "Your assay, our samples" || list[0].GetVersion() != 1 {
		t.Fatalf("after the refused second request A's requests are %v, want the first unchanged", list)
	}

	edit := func(as meetingsv1.MeetingsServiceClient, version int64, msg string) (*meetingsv1.MeetingRequest, error) {
		res, err := as.UpdateMeetingRequest(c, &meetingsv1.UpdateMeetingRequestRequest{RequestId: first.GetId(), Priority: want, Message: msg, ExpectedVersion: version})
		return res.GetMeetingRequest(), err
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"the recipient may not edit", func() error { _, err := edit(asB, 1, "x"); return err }, codes.PermissionDenied},
		{"an outsider does not see it", func() error { _, err := edit(e.as(outsider), 1, "x"); return err }, codes.NotFound},
		{"a stale version is aborted", func() error { _, err := edit(asA, 7, "x"); return err }, codes.Aborted},
		{"no request id", func() error {
			_, err := asA.UpdateMeetingRequest(c, &meetingsv1.UpdateMeetingRequestRequest{Message: "x"})
			return err
		}, codes.InvalidArgument},
		{"an unknown priority", func() error {
			_, err := asA.UpdateMeetingRequest(c, &meetingsv1.UpdateMeetingRequestRequest{RequestId: first.GetId(), Priority: 9})
			return err
		}, codes.InvalidArgument},
		{"an item the recipient does not offer", func() error {
			_, err := asA.UpdateMeetingRequest(c, &meetingsv1.UpdateMeetingRequestRequest{RequestId: first.GetId(), CooperationProfileId: "01JNOTANITEM0000000000000A"})
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); codeOf(err) != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
		})
	}

	edited, err := edit(asA, 1, "Your assay, our samples, and a pilot in 2026")
	if err != nil {
		t.Fatal(err)
	}
	if edited.GetId() != first.GetId() || edited.GetVersion() != 2 || edited.GetPriority() != want || edited.GetMessage() != "Your assay, our samples, and a pilot in 2026" {
		t.Fatalf("edited request = %v", edited)
	}
	// An organizer may edit too; the recipient then accepts, after which the
	// request is no longer edited, and asking again is still refused.
	if _, err := e.as(organizer).UpdateMeetingRequest(c, &meetingsv1.UpdateMeetingRequestRequest{RequestId: first.GetId(), Priority: must_, Message: "Set by the organiser", ExpectedVersion: 2}); err != nil {
		t.Fatalf("organizer edit: %v", err)
	}
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(asB.RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: first.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT}))
	_, err = edit(asA, 0, "too late")
	wantCode(t, err, codes.FailedPrecondition)
	_, err = asA.RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: a.GetId(), ToParticipantId: b.GetId()})
	wantCode(t, err, codes.AlreadyExists)
	// Once cancelled, a new request may be sent.
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(asA.RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{RequestId: first.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL}))
	if _, err := asA.RequestMeeting(c, &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: a.GetId(), ToParticipantId: b.GetId()}); err != nil {
		t.Fatalf("a new request after cancelling the first: %v", err)
	}
	// The edits are events others read.
	e.subjects(t, "tandem.meetings.v1.meeting_request.updated")
}
