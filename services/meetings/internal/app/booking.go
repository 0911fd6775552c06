package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// ICalUID is a meeting's calendar UID: stable across moves, so calendars
// replace the entry.
func ICalUID(meetingID string) string { return meetingID + "@tandem" }

func available(pa *meetingsv1.Participant, slotID string) bool {
	return len(pa.GetAvailableSlotIds()) == 0 || slices.Contains(pa.GetAvailableSlotIds(), slotID)
}

// limit is a participant's effective meeting limit; 0 means none.
func limit(ev *meetingsv1.Event, pa *meetingsv1.Participant) int {
	if pa.GetMaxMeetings() > 0 {
		return int(pa.GetMaxMeetings())
	}
	return int(ev.GetDefaultMaxMeetings())
}

// BookMeeting books a slot directly. Participants book with a partner who
// accepted their request (or whose request they accepted) in self-booking
// events, in slots that have not begun; organizers book anyone in any event
// that is under way, at any time.
// Nobody and no table is ever booked twice: the meeting first takes its
// occupancy keys with create-only writes, and only one writer gets each.
func (s *Service) BookMeeting(ctx context.Context, req *meetingsv1.BookMeetingRequest) (*meetingsv1.BookMeetingResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateBooking(req); err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	organizer := domain.IsOrganizer(p, ev)
	booker, err := s.registered(ctx, ev.GetId(), req.GetParticipantId(), "participant_id")
	if err != nil {
		return nil, err
	}
	if !organizer && !domain.ActsFor(p, booker) {
		return nil, fmt.Errorf("%s may not book for participant %s: %w", p.Subject, booker.GetId(), grpcerr.ErrPermission)
	}
	switch st := ev.GetStatus(); {
	case st == meetingsv1.EventStatus_EVENT_STATUS_DRAFT || st == meetingsv1.EventStatus_EVENT_STATUS_CLOSED:
		return nil, fmt.Errorf("event %s is %s: %w", ev.GetId(), st, grpcerr.ErrPrecondition)
	case !organizer && ev.GetBookingMode() != meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING:
		return nil, fmt.Errorf("event %s is scheduled by its organizers; participants do not book slots: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}

	// The request behind the booking, and so the partner.
	partnerID := req.GetPartnerParticipantId()
	var rq *meetingsv1.MeetingRequest
	if id := req.GetRequestId(); id != "" {
		r, _, err := s.loadRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		ids := []string{r.GetFromParticipantId(), r.GetToParticipantId()}
		if r.GetEventId() != ev.GetId() || !slices.Contains(ids, booker.GetId()) {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "request_id", Description: "not a request of this participant in this event"})
		}
		other := ids[0]
		if other == booker.GetId() {
			other = ids[1]
		}
		if partnerID != "" && partnerID != other {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "partner_participant_id", Description: "not the other party of request_id"})
		}
		partnerID, rq = other, r
	} else {
		both := append(s.pairRequests(ev.GetId(), booker.GetId(), partnerID), s.pairRequests(ev.GetId(), partnerID, booker.GetId())...)
		slices.SortFunc(both, func(a, b *meetingsv1.MeetingRequest) int { return cmp.Compare(a.GetId(), b.GetId()) })
		for _, r := range both {
			if r.GetStatus() == accepted {
				rq = r
				break
			}
		}
	}
	if rq != nil && rq.GetStatus() != accepted {
		return nil, fmt.Errorf("meeting request %s is %s, not accepted: %w", rq.GetId(), rq.GetStatus(), grpcerr.ErrPrecondition)
	}
	if rq == nil && !organizer {
		return nil, fmt.Errorf("participant %s has no accepted request with %s: ask for the meeting first: %w", booker.GetId(), partnerID, grpcerr.ErrPrecondition)
	}
	partner, err := s.registered(ctx, ev.GetId(), partnerID, "partner_participant_id")
	if err != nil {
		return nil, err
	}

	var slot *meetingsv1.Slot
	for _, sl := range ev.GetSlots() {
		if sl.GetId() == req.GetSlotId() {
			slot = sl
		}
	}
	if slot == nil {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "slot_id", Description: fmt.Sprintf("event %s has no slot %q", ev.GetId(), req.GetSlotId())})
	}
	if !organizer && !slot.GetStartTime().AsTime().After(s.now()) {
		return nil, fmt.Errorf("slot %s of event %s has begun: participants book slots still to come: %w", slot.GetId(), ev.GetId(), grpcerr.ErrPrecondition)
	}
	tables := ev.GetTables()
	if t := req.GetTableId(); t != "" {
		i := slices.IndexFunc(tables, func(x *meetingsv1.Table) bool { return x.GetId() == t })
		if i < 0 {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "table_id", Description: fmt.Sprintf("event %s has no table %q", ev.GetId(), t)})
		}
		tables = tables[i : i+1]
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("event %s has no tables: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}

	id, err := s.claimID(ctx, "booking", p.Subject, req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	if m, _, err := s.loadMeeting(ctx, id); err == nil {
		return &meetingsv1.BookMeetingResponse{Meeting: m}, nil // a retry
	}

	for _, pa := range []*meetingsv1.Participant{booker, partner} {
		if !available(pa, slot.GetId()) {
			return nil, fmt.Errorf("participant %s is not available in slot %s: %w", pa.GetId(), slot.GetId(), grpcerr.ErrPrecondition)
		}
	}
	meetings := s.activeMeetings(ev.GetId())
	for _, pa := range []*meetingsv1.Participant{booker, partner} {
		n := 0
		for _, m := range meetings {
			if slices.Contains(m.GetParticipantIds(), pa.GetId()) {
				n++
				if slices.Contains(m.GetParticipantIds(), booker.GetId()) && slices.Contains(m.GetParticipantIds(), partner.GetId()) {
					return nil, fmt.Errorf("participants %s and %s already meet (meeting %s): %w", booker.GetId(), partner.GetId(), m.GetId(), grpcerr.ErrPrecondition)
				}
			}
		}
		if l := limit(ev, pa); l > 0 && n >= l && !organizer {
			return nil, fmt.Errorf("participant %s has reached its limit of %d meetings: %w", pa.GetId(), l, grpcerr.ErrPrecondition)
		}
	}

	origin := meetingsv1.MeetingOrigin_MEETING_ORIGIN_SELF_BOOKED
	if organizer && !domain.ActsFor(p, booker) {
		origin = meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER
	}
	now := s.ts()
	m := &meetingsv1.Meeting{
		Id: id, EventId: ev.GetId(), SlotId: slot.GetId(), StartTime: slot.GetStartTime(), EndTime: slot.GetEndTime(),
		ParticipantIds: []string{booker.GetId(), partner.GetId()}, RequestId: rq.GetId(),
		Status: meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED, Origin: origin, IcalUid: ICalUID(id),
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if rq != nil {
		m.ParticipantIds = []string{rq.GetFromParticipantId(), rq.GetToParticipantId()}
	}
	// Tables this replica already knows taken are not worth a write each.
	taken := map[string]bool{}
	for _, o := range meetings {
		if o.GetSlotId() == slot.GetId() {
			taken[o.GetTableId()] = true
		}
	}
	if free := slices.DeleteFunc(slices.Clone(tables), func(t *meetingsv1.Table) bool { return taken[t.GetId()] }); len(free) > 0 {
		tables = free
	}
	var counted []string
	uncount := func() {
		for _, k := range counted {
			s.uncount(context.WithoutCancel(ctx), k, id)
		}
	}
	if !organizer {
		for _, pa := range []*meetingsv1.Participant{booker, partner} {
			if l := limit(ev, pa); l > 0 {
				key := domain.CountKey(ev.GetId(), pa.GetId())
				if err := s.count(ctx, key, ev.GetId(), pa.GetId(), id, l); err != nil {
					uncount()
					return nil, err
				}
				counted = append(counted, key)
			}
		}
	}
	if err := s.occupy(ctx, m, tables); err != nil {
		uncount()
		return nil, err
	}
	if err := s.confirm(ctx, p, m); err != nil {
		s.store.Release(context.WithoutCancel(ctx), domain.OccupancyKeys(m), id)
		uncount()
		return nil, err
	}
	return &meetingsv1.BookMeetingResponse{Meeting: m}, nil
}

// count adds meetingID to the meetings counted against participant pid's
// limit, or refuses when the limit is reached. The holds are changed by
// compare-and-set, so bookings of one participant on different replicas
// are counted one after another: each sees the others' meetings, even
// before its own index has them.
func (s *Service) count(ctx context.Context, key, eventID, pid, meetingID string, limit int) error {
	return s.store.UpdateHolds(ctx, key, func(cur []domain.Hold) ([]domain.Hold, error) {
		ids := map[string]bool{}
		for _, m := range s.activeMeetings(eventID) {
			if slices.Contains(m.GetParticipantIds(), pid) {
				ids[m.GetId()] = true
			}
		}
		var live []domain.Hold
		for _, h := range cur {
			if h.MeetingID == meetingID {
				return cur, nil // a retry: counted already
			}
			m, known := s.index.Meeting(h.MeetingID)
			// A meeting not in the index yet is being written (here or on
			// another replica) unless its hold is older than any write.
			if (known && active(m.Value)) || (!known && time.Since(h.At) < domain.StaleClaimAge) {
				live = append(live, h)
				ids[h.MeetingID] = true
			}
		}
		if len(ids) >= limit {
			return nil, fmt.Errorf("participant %s has reached its limit of %d meetings: %w", pid, limit, grpcerr.ErrPrecondition)
		}
		return append(live, domain.Hold{MeetingID: meetingID, At: time.Now()}), nil
	})
}

// uncount drops meetingID's hold after a booking failed; best effort, as a
// hold whose meeting never appears stops counting after StaleClaimAge.
func (s *Service) uncount(ctx context.Context, key, meetingID string) {
	_ = s.store.UpdateHolds(ctx, key, func(cur []domain.Hold) ([]domain.Hold, error) {
		return slices.DeleteFunc(cur, func(h domain.Hold) bool { return h.MeetingID == meetingID }), nil
	})
}

// occupy takes the slot for both participants and the pair, then the first of tables that
// is free, and sets m.TableId. On failure it holds nothing.
func (s *Service) occupy(ctx context.Context, m *meetingsv1.Meeting, tables []*meetingsv1.Table) error {
	// Both participants in the slot, and the pair: one meeting per pair.
	var people []string
	for _, pid := range m.GetParticipantIds() {
		people = append(people, domain.ParticipantSlotKey(m.GetEventId(), m.GetSlotId(), pid))
	}
	if ids := m.GetParticipantIds(); len(ids) == 2 {
		people = append(people, domain.PairKey(m.GetEventId(), ids[0], ids[1]))
	}
	if err := s.store.Occupy(ctx, people, m.GetId(), s.alive); err != nil {
		return fmt.Errorf("slot %s: %w", m.GetSlotId(), err)
	}
	var last error
	for _, t := range tables {
		if err := s.store.Occupy(ctx, []string{domain.TableSlotKey(m.GetEventId(), m.GetSlotId(), t.GetId())}, m.GetId(), s.alive); err != nil {
			if !errors.Is(err, domain.ErrTaken) {
				s.store.Release(context.WithoutCancel(ctx), people, m.GetId())
				return err
			}
			last = err
			continue
		}
		m.TableId = t.GetId()
		return nil
	}
	s.store.Release(context.WithoutCancel(ctx), people, m.GetId())
	return fmt.Errorf("no free table in slot %s: %w", m.GetSlotId(), last)
}

// confirm stores a confirmed meeting.
func (s *Service) confirm(ctx context.Context, p domain.Principal, m *meetingsv1.Meeting) error {
	h := s.header(p)
	_, err := s.write(ctx, m.GetId(), &eventsv1.MeetingConfirmed{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: m.GetId(), AggregateVersion: m.GetVersion(), ActorSubject: h.Actor,
		BrokerageEventId: m.GetEventId(), Meeting: m,
	}, 0)
	return err
}
