package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// CreateEvent creates a draft event; the caller becomes an organizer.
func (s *Service) CreateEvent(ctx context.Context, req *meetingsv1.CreateEventRequest) (*meetingsv1.CreateEventResponse, error) {
	ap, err := auth.Require(ctx, auth.RoleOrganizer, auth.RoleAdmin, auth.RoleClusterManager)
	if err != nil {
		return nil, err
	}
	p, _ := caller(ctx)
	if req.GetEvent() == nil {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "event", Description: "required"})
	}
	ev := domain.Clone(req.GetEvent())
	if !slices.Contains(ev.OrganizerSubjects, ap.Subject) {
		ev.OrganizerSubjects = append(ev.OrganizerSubjects, ap.Subject)
	}
	slots, err := domain.ValidateEvent(ev)
	if err != nil {
		return nil, err
	}
	id, err := s.claimID(ctx, "event", ap.Subject, req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	now := s.ts()
	ev.Id, ev.Slots, ev.Version, ev.CreatedAt, ev.UpdatedAt = id, slots, 1, now, now
	ev.Status = meetingsv1.EventStatus_EVENT_STATUS_DRAFT
	if ev.BookingMode == meetingsv1.BookingMode_BOOKING_MODE_UNSPECIFIED {
		ev.BookingMode = meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES
	}
	h := s.header(p)
	_, err = s.write(ctx, id, &eventsv1.BrokerageEventCreated{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: 1, ActorSubject: h.Actor,
		BrokerageEventId: id, Event: ev,
	}, 0)
	if errors.Is(err, grpcerr.ErrAlreadyExists) {
		// A retry of a create that succeeded: answer as the first time.
		cur, _, err := s.loadEvent(ctx, id)
		if err != nil {
			return nil, err
		}
		return &meetingsv1.CreateEventResponse{Event: cur}, nil
	}
	if err != nil {
		return nil, err
	}
	return &meetingsv1.CreateEventResponse{Event: ev}, nil
}

// GetEvent returns an event the caller may see.
func (s *Service) GetEvent(ctx context.Context, req *meetingsv1.GetEventRequest) (*meetingsv1.GetEventResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetId())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.GetEventResponse{Event: ev}, nil
}

// ListEvents lists the events the caller may see, soonest first.
func (s *Service) ListEvents(ctx context.Context, req *meetingsv1.ListEventsRequest) (*meetingsv1.ListEventsResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	profile := domain.ProfileKey(req.GetParticipantProfile())
	var out []*meetingsv1.Event
	for _, ev := range s.index.Events() {
		if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !domain.IsOrganizer(p, ev) {
			continue
		}
		if len(req.GetStatuses()) > 0 && !slices.Contains(req.GetStatuses(), ev.GetStatus()) {
			continue
		}
		if c := req.GetClusterId(); c != "" && !slices.Contains(ev.GetClusterIds(), c) {
			continue
		}
		if profile != "" && !slices.ContainsFunc(s.index.Participants(ev.GetId()), func(pa *meetingsv1.Participant) bool {
			return pa.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED && domain.ProfileKey(pa.GetProfile()) == profile
		}) {
			continue
		}
		out = append(out, ev)
	}
	items, next, err := page(out, req.GetPageSize(), 500, 50, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.ListEventsResponse{Events: items, NextPageToken: next}, nil
}

// writableFields are the update mask paths of UpdateEvent.
var writableFields = []string{
	"name", "description", "venue", "time_zone", "days", "meeting_duration", "break_duration", "tables",
	"registration_opens_at", "registration_closes_at", "booking_mode", "status", "organizer_subjects",
	"default_max_meetings", "cluster_ids", "capacity", "registration_questions",
}

// UpdateEvent changes an event. A change that would break confirmed
// meetings is refused, naming them, unless the caller asks to move them.
func (s *Service) UpdateEvent(ctx context.Context, req *meetingsv1.UpdateEventRequest) (*meetingsv1.UpdateEventResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetEvent() == nil {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "event", Description: "required"})
	}
	id := req.GetEvent().GetId()
	cur, rev, err := s.loadEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !domain.IsOrganizer(p, cur) {
		return nil, fmt.Errorf("event %s: %w", id, grpcerr.ErrNotFound)
	}
	if err := requireOrganizer(p, cur); err != nil {
		return nil, err
	}
	if err := checkVersion("event", id, req.GetExpectedVersion(), cur.GetVersion()); err != nil {
		return nil, err
	}
	if cur.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED {
		return nil, fmt.Errorf("event %s is closed: %w", id, grpcerr.ErrPrecondition)
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		paths = writableFields
	}
	next := domain.Clone(cur)
	src := req.GetEvent().ProtoReflect()
	dst := next.ProtoReflect()
	for _, path := range paths {
		if !slices.Contains(writableFields, path) {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "update_mask", Description: fmt.Sprintf("%q is not a writable field", path)})
		}
		fd := src.Descriptor().Fields().ByName(protoName(path))
		if src.Has(fd) {
			dst.Set(fd, src.Get(fd))
		} else {
			dst.Clear(fd)
		}
	}
	if len(next.GetOrganizerSubjects()) == 0 {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "event.organizer_subjects", Description: "an event needs at least one organizer"})
	}
	if next.BookingMode == meetingsv1.BookingMode_BOOKING_MODE_UNSPECIFIED {
		next.BookingMode = meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES
	}
	slots, err := domain.ValidateEvent(next)
	if err != nil {
		return nil, err
	}
	next.Slots = slots
	if len(slots) == 0 && cur.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_DRAFT {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "event.days", Description: "an event past draft needs days with sessions"})
	}
	newStatus := next.GetStatus()
	next.Status = cur.GetStatus()
	if newStatus == meetingsv1.EventStatus_EVENT_STATUS_UNSPECIFIED {
		newStatus = cur.GetStatus()
	}
	if err := domain.Transition(cur, newStatus, len(slots)); err != nil {
		return nil, err
	}

	// Confirmed meetings the new settings break: their slot or table is gone,
	// or their slot moved in time (a new time zone).
	affected := s.broken(cur.GetId(), next)
	var plan []move
	if len(affected) > 0 {
		if req.GetConflictPolicy() != meetingsv1.ConflictPolicy_CONFLICT_POLICY_MOVE_MEETINGS {
			return nil, brokenError(id, affected)
		}
		plan = s.planMoves(next, affected)
	}

	resp := &meetingsv1.UpdateEventResponse{}
	for _, m := range plan {
		if m.slot != nil {
			resp.MovedMeetingIds = append(resp.MovedMeetingIds, m.meeting.GetId())
		} else {
			resp.CancelledMeetingIds = append(resp.CancelledMeetingIds, m.meeting.GetId())
		}
	}
	if req.GetValidateOnly() {
		next.Status = newStatus
		resp.Event = next
		return resp, nil
	}
	settingsChanged := !proto.Equal(stripMeta(cur), stripMeta(next))
	if settingsChanged {
		next.Version, next.UpdatedAt = cur.GetVersion()+1, s.ts()
		h := s.header(p)
		rev, err = s.write(ctx, id, &eventsv1.BrokerageEventUpdated{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: id, Event: next, MovedMeetingIds: resp.MovedMeetingIds, CancelledMeetingIds: resp.CancelledMeetingIds,
		}, rev)
		if err != nil {
			return nil, err
		}
	}
	if newStatus != cur.GetStatus() {
		if next, err = s.setStatus(ctx, p, next, rev, newStatus); err != nil {
			return nil, err
		}
	}
	// The event is written first: if moving fails half-way, the meetings left
	// on a vanished slot are found again by the next update and by GetSchedule.
	moved, cancelled := s.executeMoves(ctx, p, plan)
	resp.Event, resp.MovedMeetingIds, resp.CancelledMeetingIds = next, moved, cancelled
	return resp, nil
}

func protoName(path string) protoreflect.Name { return protoreflect.Name(path) }

// stripMeta drops the output-only fields that every write changes, so two
// events compare by their settings.
func stripMeta(ev *meetingsv1.Event) *meetingsv1.Event {
	c := domain.Clone(ev)
	c.Version, c.UpdatedAt, c.Status = 0, nil, 0
	return c
}

func (s *Service) setStatus(ctx context.Context, p domain.Principal, ev *meetingsv1.Event, rev uint64, to meetingsv1.EventStatus) (*meetingsv1.Event, error) {
	next := domain.Clone(ev)
	prev := next.Status
	next.Status, next.Version, next.UpdatedAt = to, ev.GetVersion()+1, s.ts()
	h := s.header(p)
	_, err := s.write(ctx, ev.GetId(), &eventsv1.BrokerageEventStatusChanged{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: ev.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), PreviousStatus: prev, Event: next,
	}, rev)
	if err != nil {
		return nil, err
	}
	return next, nil
}

// broken lists the confirmed meetings of the event that next's slots or
// tables no longer hold as they are.
func (s *Service) broken(eventID string, next *meetingsv1.Event) []*meetingsv1.Meeting {
	slots := map[string]*meetingsv1.Slot{}
	for _, sl := range next.GetSlots() {
		slots[sl.GetId()] = sl
	}
	tables := map[string]bool{}
	for _, t := range next.GetTables() {
		tables[t.GetId()] = true
	}
	var out []*meetingsv1.Meeting
	for _, m := range s.activeMeetings(eventID) {
		sl, ok := slots[m.GetSlotId()]
		if !ok || !tables[m.GetTableId()] || !sl.GetStartTime().AsTime().Equal(m.GetStartTime().AsTime()) || !sl.GetEndTime().AsTime().Equal(m.GetEndTime().AsTime()) {
			out = append(out, m)
		}
	}
	return out
}

func brokenError(eventID string, ms []*meetingsv1.Meeting) error {
	var b strings.Builder
	for i, m := range ms {
		if i == 20 {
			fmt.Fprintf(&b, " and %d more", len(ms)-20)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (slot %s, table %s)", m.GetId(), m.GetSlotId(), m.GetTableId())
	}
	return fmt.Errorf("the change to event %s would break %d confirmed meetings: %s; send conflict_policy MOVE_MEETINGS to move them (or cancel those that cannot move): %w",
		eventID, len(ms), b.String(), grpcerr.ErrPrecondition)
}

// move is the plan for one broken meeting: a new slot and table, or nil to
// cancel.
type move struct {
	meeting *meetingsv1.Meeting
	slot    *meetingsv1.Slot
	table   string
}

// planMoves finds each broken meeting the slot nearest its old time where
// both parties are available and free and a table is free; the same table
// when it still exists.
func (s *Service) planMoves(ev *meetingsv1.Event, broken []*meetingsv1.Meeting) []move {
	brokenIDs := map[string]bool{}
	for _, m := range broken {
		brokenIDs[m.GetId()] = true
	}
	busy := map[string]bool{} // participant or table key in a slot
	for _, m := range s.activeMeetings(ev.GetId()) {
		if !brokenIDs[m.GetId()] {
			for _, k := range domain.OccupancyKeys(m) {
				busy[k] = true
			}
		}
	}
	avail := func(pid, slotID string) bool {
		pa, ok := s.index.Participant(pid)
		if !ok {
			return false
		}
		ids := pa.Value.GetAvailableSlotIds()
		return len(ids) == 0 || slices.Contains(ids, slotID)
	}
	var plan []move
	for _, m := range broken {
		old := m.GetStartTime().AsTime()
		cands := slices.Clone(ev.GetSlots())
		slices.SortStableFunc(cands, func(a, b *meetingsv1.Slot) int {
			return cmp.Compare(absDur(a.GetStartTime().AsTime().Sub(old)), absDur(b.GetStartTime().AsTime().Sub(old)))
		})
		mv := move{meeting: m}
		for _, sl := range cands {
			ok := true
			for _, pid := range m.GetParticipantIds() {
				if busy[domain.ParticipantSlotKey(ev.GetId(), sl.GetId(), pid)] || !avail(pid, sl.GetId()) {
					ok = false
				}
			}
			if !ok {
				continue
			}
			tables := ev.GetTables()
			if i := slices.IndexFunc(tables, func(t *meetingsv1.Table) bool { return t.GetId() == m.GetTableId() }); i > 0 {
				tables = append([]*meetingsv1.Table{tables[i]}, slices.Delete(slices.Clone(tables), i, i+1)...)
			}
			for _, t := range tables {
				if !busy[domain.TableSlotKey(ev.GetId(), sl.GetId(), t.GetId())] {
					mv.slot, mv.table = sl, t.GetId()
					break
				}
			}
			if mv.slot != nil {
				break
			}
		}
		if mv.slot != nil {
			busy[domain.TableSlotKey(ev.GetId(), mv.slot.GetId(), mv.table)] = true
			for _, pid := range m.GetParticipantIds() {
				busy[domain.ParticipantSlotKey(ev.GetId(), mv.slot.GetId(), pid)] = true
			}
		}
		plan = append(plan, mv)
	}
	return plan
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// executeMoves carries out a plan; a move that fails (someone booked the
// target meanwhile) becomes a cancellation, never a silent drop.
func (s *Service) executeMoves(ctx context.Context, p domain.Principal, plan []move) (moved, cancelled []string) {
	for _, mv := range plan {
		if mv.slot != nil {
			err := s.moveMeeting(ctx, p, mv.meeting.GetId(), mv.slot, mv.table)
			if err == nil {
				moved = append(moved, mv.meeting.GetId())
				continue
			}
			s.log.WarnContext(ctx, "moving a meeting failed; cancelling it", "meeting", mv.meeting.GetId(), "err", err)
		}
		if err := s.cancelMeeting(ctx, p, mv.meeting.GetId(), "the event's schedule changed and no free slot was left for this meeting"); err != nil {
			s.log.ErrorContext(ctx, "cancelling a broken meeting failed", "meeting", mv.meeting.GetId(), "err", err)
			continue
		}
		cancelled = append(cancelled, mv.meeting.GetId())
	}
	return moved, cancelled
}

// moveMeeting moves a confirmed meeting: it takes the new slot and table
// first, then records the move (a higher SEQUENCE, so calendars replace the
// entry), then frees the old ones.
func (s *Service) moveMeeting(ctx context.Context, p domain.Principal, id string, sl *meetingsv1.Slot, table string) error {
	m, rev, err := s.loadMeeting(ctx, id)
	if err != nil {
		return err
	}
	if !active(m) {
		return fmt.Errorf("meeting %s is %s: %w", id, m.GetStatus(), grpcerr.ErrPrecondition)
	}
	next := domain.Clone(m)
	next.SlotId, next.TableId, next.StartTime, next.EndTime = sl.GetId(), table, sl.GetStartTime(), sl.GetEndTime()
	next.IcalSequence++
	next.Version++
	next.UpdatedAt = s.ts()
	newKeys := domain.OccupancyKeys(next)
	if err := s.store.Occupy(ctx, newKeys, id, s.alive); err != nil {
		return err
	}
	h := s.header(p)
	if _, err := s.write(ctx, id, &eventsv1.MeetingMoved{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: m.GetEventId(), Meeting: next,
		PreviousSlotId: m.GetSlotId(), PreviousTableId: m.GetTableId(), PreviousStartTime: m.GetStartTime(),
	}, rev); err != nil {
		s.store.Release(context.WithoutCancel(ctx), without(newKeys, domain.OccupancyKeys(m)), id)
		return err
	}
	s.store.Release(ctx, without(domain.OccupancyKeys(m), newKeys), id)
	return nil
}

// cancelMeeting cancels a confirmed meeting and frees its slot and table.
func (s *Service) cancelMeeting(ctx context.Context, p domain.Principal, id, reason string) error {
	m, rev, err := s.loadMeeting(ctx, id)
	if err != nil {
		return err
	}
	if !active(m) {
		return nil
	}
	next := domain.Clone(m)
	next.Status, next.CancelReason = meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED, reason
	next.IcalSequence++
	next.Version++
	next.UpdatedAt = s.ts()
	h := s.header(p)
	if _, err := s.write(ctx, id, &eventsv1.MeetingCancelled{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: m.GetEventId(), Meeting: next,
	}, rev); err != nil {
		return err
	}
	s.store.Release(ctx, domain.OccupancyKeys(m), id)
	return nil
}

func without(keys, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(drop, k) })
}
