package app_test

import (
	"testing"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/app"
)

func TestIndexPairRequests(t *testing.T) {
	x := app.NewIndex()
	add := func(id, from, to string, status meetingsv1.MeetingRequestStatus, rev uint64) {
		t.Helper()
		r := &meetingsv1.MeetingRequest{Id: id, EventId: "E", FromParticipantId: from, ToParticipantId: to, Status: status}
		if err := x.Apply("", &eventsv1.MeetingRequestCreated{MeetingRequest: r}, rev); err != nil {
			t.Fatal(err)
		}
	}
	add("R2", "A", "B", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, 1)
	add("R1", "A", "B", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED, 2)
	add("R3", "B", "A", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, 3)
	add("R4", "A", "C", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, 4)
	// A later revision of R2 replaces it in place.
	add("R2", "A", "B", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, 5)

	got := x.PairRequests("A", "B")
	if len(got) != 2 || got[0].GetId() != "R1" || got[1].GetId() != "R2" {
		t.Fatalf("A→B = %v, want R1, R2", got)
	}
	if got[1].GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED {
		t.Errorf("R2 status %v, want the latest revision's", got[1].GetStatus())
	}
	if got := x.PairRequests("B", "A"); len(got) != 1 || got[0].GetId() != "R3" {
		t.Errorf("B→A = %v, want R3", got)
	}
	if got := x.PairRequests("C", "A"); len(got) != 0 {
		t.Errorf("C→A = %v, want none", got)
	}
}
