package webui

import (
	"slices"
	"time"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// bookChoice is one accepted request of the participant still without a
// meeting, in an event where participants book free slots themselves, and
// the slots it can be booked in.
type bookChoice struct {
	Request *meetingsv1.MeetingRequest
	Partner string
	Slots   []slotChoice
}

type slotChoice struct {
	ID, Label string
}

// bookable lists what participant me can book itself: once registration
// has closed (the event is being scheduled or is published) and until a
// slot starts, its accepted requests without a meeting, each with the
// slots to come where both parties are available and me has no meeting
// yet. The meetings service checks the booking again (tables, limits,
// the partner's other meetings) and refuses it with the reason.
func bookable(l *Lang, ev *meetingsv1.Event, me *meetingsv1.Participant, parts []*meetingsv1.Participant, reqs []*meetingsv1.MeetingRequest, agenda *meetingsv1.GetAgendaResponse, now time.Time) []bookChoice {
	if ev.GetBookingMode() != meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING || me == nil {
		return nil
	}
	if st := ev.GetStatus(); st != meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING && st != meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED {
		return nil
	}
	busy := map[string]bool{}
	met := map[string]bool{}
	for _, it := range agenda.GetItems() {
		busy[it.GetMeeting().GetSlotId()] = true
		met[it.GetPartnerParticipantId()] = true
	}
	byID := map[string]*meetingsv1.Participant{}
	for _, p := range parts {
		byID[p.GetId()] = p
	}
	var out []bookChoice
	for _, r := range reqs {
		if r.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED {
			continue
		}
		other := r.GetToParticipantId()
		if other == me.GetId() {
			other = r.GetFromParticipantId()
		}
		partner := byID[other]
		if partner == nil || met[other] || partner.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN {
			continue
		}
		ch := bookChoice{Request: r, Partner: partner.GetDisplayName()}
		for _, s := range ev.GetSlots() {
			if busy[s.GetId()] || !s.GetStartTime().AsTime().After(now) || !availableIn(me, s.GetId()) || !availableIn(partner, s.GetId()) {
				continue
			}
			ch.Slots = append(ch.Slots, slotChoice{ID: s.GetId(), Label: l.Day(s.GetStartTime(), ev.GetTimeZone()) + " " + l.Clock(s.GetStartTime(), ev.GetTimeZone())})
		}
		out = append(out, ch)
	}
	return out
}

func availableIn(p *meetingsv1.Participant, slotID string) bool {
	return len(p.GetAvailableSlotIds()) == 0 || slices.Contains(p.GetAvailableSlotIds(), slotID)
}

// eventBook is a participant booking a free slot for an accepted request.
func (u *UI) eventBook(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	pid := text(c.r.PostForm, "participant", 40, errs)
	rid := text(c.r.PostForm, "request", 40, errs)
	slot := text(c.r.PostForm, "slot", 80, errs)
	if pid == "" || rid == "" || slot == "" || len(errs) > 0 {
		return c.redirect("/events/"+id, "pick_slot")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Meetings.BookMeeting(ctx, &meetingsv1.BookMeetingRequest{
		EventId: id, ParticipantId: pid, RequestId: rid, SlotId: slot,
		ClientRequestId: requestKey(c.user.Subject, c.r.PostForm) + id,
	})
	return c.backToEvent(id, err, "booked")
}
