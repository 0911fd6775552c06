package meetings_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestClusterManagerReadsTheClusterEvents: a manager of a cluster hosting
// an event reads all its requests and its schedule, for the cluster's
// dashboard, and changes nothing; a manager of another cluster reads
// neither.
func TestClusterManagerReadsTheClusterEvents(t *testing.T) {
	e := start(t)
	c := ctx(t)
	day := brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES)
	day.ClusterIds = []string{"CLHOST"}
	ev := e.openEvent(t, day)
	a, b := e.register(t, ev.GetId(), "ORGA"), e.register(t, ev.GetId(), "ORGB")
	must[*meetingsv1.RequestMeetingResponse](t)(e.as(member("ORGA")).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: a.GetId(), ToParticipantId: b.GetId(), Message: "Our assay for your cohort?"}))
	manager := func(cluster string) meetingsv1.MeetingsServiceClient {
		return e.as(auth.Principal{Subject: "mgr-" + cluster, Organization: cluster, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}})
	}
	mine, other := manager("CLHOST"), manager("CLOTHER")

	reqs := must[*meetingsv1.ListMeetingRequestsResponse](t)(mine.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()})).GetMeetingRequests()
	if len(reqs) != 1 {
		t.Fatalf("the hosting cluster's manager lists %d requests, want 1", len(reqs))
	}
	// What the participants wrote each other is not the manager's to read;
	// the organiser reads it.
	if m := reqs[0].GetMessage(); m != "" {
		t.Errorf("the manager reads the request's message %q", m)
	}
	byOrganizer := must[*meetingsv1.ListMeetingRequestsResponse](t)(e.as(organizer).ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()})).GetMeetingRequests()
	if len(byOrganizer) != 1 || byOrganizer[0].GetMessage() != "Our assay for your cohort?" {
		t.Errorf("the organiser lists %v, want the request with its message", byOrganizer)
	}
	e.setStatus(t, must[*meetingsv1.GetEventResponse](t)(e.as(organizer).GetEvent(c, &meetingsv1.GetEventRequest{Id: ev.GetId()})).GetEvent(), meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	must[*meetingsv1.GenerateScheduleResponse](t)(e.as(organizer).GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()}))
	must[*meetingsv1.GetScheduleResponse](t)(mine.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()}))
	_, err := mine.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.PermissionDenied)

	_, err = other.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = other.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.PermissionDenied)
}
