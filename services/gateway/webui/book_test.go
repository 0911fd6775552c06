package webui

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestBookable: a participant books for itself only in a self-booking
// event once registration has closed, only its accepted requests without
// a meeting, and only slots to come when both parties are available and
// it has no meeting yet.
func TestBookable(t *testing.T) {
	now := time.Date(2026, 12, 14, 9, 10, 0, 0, time.UTC)
	slot := func(id string, start time.Time) *meetingsv1.Slot {
		return &meetingsv1.Slot{Id: id, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(25 * time.Minute))}
	}
	ev := &meetingsv1.Event{
		TimeZone: "UTC", BookingMode: meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING, Status: meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED,
		Slots: []*meetingsv1.Slot{slot("S0900", now.Add(-10*time.Minute)), slot("S0930", now.Add(20*time.Minute)), slot("S1000", now.Add(50*time.Minute)), slot("S1030", now.Add(80*time.Minute))},
	}
	me := &meetingsv1.Participant{Id: "A", DisplayName: "A"}
	parts := []*meetingsv1.Participant{me,
		{Id: "B", DisplayName: "B", AvailableSlotIds: []string{"S0900", "S0930", "S1000"}},
		{Id: "C", DisplayName: "C"},
		{Id: "D", DisplayName: "D"},
		{Id: "W", DisplayName: "W", Status: meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN},
	}
	accepted, pending := meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING
	reqs := []*meetingsv1.MeetingRequest{
		{Id: "RB", FromParticipantId: "A", ToParticipantId: "B", Status: accepted},
		{Id: "RC", FromParticipantId: "C", ToParticipantId: "A", Status: accepted},
		{Id: "RD", FromParticipantId: "A", ToParticipantId: "D", Status: pending},
		{Id: "RW", FromParticipantId: "W", ToParticipantId: "A", Status: accepted},
	}
	// A already meets someone else at ten.
	agenda := &meetingsv1.GetAgendaResponse{Items: []*meetingsv1.AgendaItem{{Meeting: &meetingsv1.Meeting{SlotId: "S1000"}, PartnerParticipantId: "E"}}}
	l := langFor("en")

	got := bookable(l, ev, me, parts, reqs, agenda, now)
	if len(got) != 2 || got[0].Request.GetId() != "RB" || got[1].Request.GetId() != "RC" {
		t.Fatalf("bookable requests = %+v, want RB and RC", got)
	}
	ids := func(c bookChoice) (out []string) {
		for _, s := range c.Slots {
			out = append(out, s.ID)
		}
		return out
	}
	// Nine has begun, ten is taken, B is away at half past ten.
	if s := ids(got[0]); len(s) != 1 || s[0] != "S0930" {
		t.Errorf("slots with B = %v, want S0930", s)
	}
	if s := ids(got[1]); len(s) != 2 || s[0] != "S0930" || s[1] != "S1030" {
		t.Errorf("slots with C = %v, want S0930 and S1030", s)
	}
	if got[0].Slots[0].Label == "" || got[0].Partner != "B" {
		t.Errorf("choice = %+v, want a slot label and the partner's name", got[0])
	}

	// Met already: nothing left to book with C.
	agenda.Items = append(agenda.Items, &meetingsv1.AgendaItem{Meeting: &meetingsv1.Meeting{SlotId: "S1030"}, PartnerParticipantId: "C"})
	if got := bookable(l, ev, me, parts, reqs, agenda, now); len(got) != 1 || got[0].Request.GetId() != "RB" {
		t.Errorf("after meeting C, bookable = %+v, want RB only", got)
	}

	for name, change := range map[string]func(*meetingsv1.Event){
		"registration open":      func(e *meetingsv1.Event) { e.Status = meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN },
		"closed":                 func(e *meetingsv1.Event) { e.Status = meetingsv1.EventStatus_EVENT_STATUS_CLOSED },
		"scheduled by organiser": func(e *meetingsv1.Event) { e.BookingMode = meetingsv1.BookingMode_BOOKING_MODE_UNSPECIFIED },
	} {
		e := &meetingsv1.Event{Status: ev.GetStatus(), BookingMode: ev.GetBookingMode(), Slots: ev.GetSlots(), TimeZone: "UTC"}
		change(e)
		if got := bookable(l, e, me, parts, reqs, agenda, now); got != nil {
			t.Errorf("%s: bookable = %+v, want nothing", name, got)
		}
	}
}
