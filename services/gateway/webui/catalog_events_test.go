package webui

import (
	"testing"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

func TestEventMessagesAreTheirOwn(t *testing.T) {
	for k := range eventMessages {
		if _, dup := messages[k]; dup {
			t.Errorf("%q is in both catalogues; one would hide the other", k)
		}
		if catalogEN[k] != eventMessages[k][0] || catalogIT[k] != eventMessages[k][1] {
			t.Errorf("%q is not in the language catalogues", k)
		}
	}
}

func TestAskedPartners(t *testing.T) {
	req := func(id, to string, st meetingsv1.MeetingRequestStatus) *meetingsv1.MeetingRequest {
		return &meetingsv1.MeetingRequest{Id: id, ToParticipantId: to, Status: st}
	}
	got := askedPartners([]*meetingsv1.MeetingRequest{
		req("r1", "pending", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING),
		req("r2", "accepted", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED),
		req("r3", "nothanks", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS),
		req("r4", "declined", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED),
		req("r5", "cancelled", meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED),
	})
	want := map[string]string{"pending": "r1", "accepted": "r2", "nothanks": "r3"}
	if len(got) != len(want) {
		t.Fatalf("asked = %v, want %v", got, want)
	}
	for to, id := range want {
		if got[to].GetId() != id {
			t.Errorf("asked[%s] = %v, want request %s", to, got[to], id)
		}
	}
}
