package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// provisionalKey names the stored meetings of one version of a provisional
// schedule: each hand edit writes a new version beside the old, so an edit
// that loses a race never overwrites the winner's meetings.
func provisionalKey(scheduleID string, version int64) string {
	if version <= 1 {
		return scheduleID
	}
	return scheduleID + "-v" + strconv.FormatInt(version, 10)
}

// asTheyAre replaces the copies of confirmed meetings that a provisional
// schedule kept with those meetings as they are now (moved since, or
// cancelled and left out).
func (s *Service) asTheyAre(ms []*meetingsv1.Meeting) []*meetingsv1.Meeting {
	out := make([]*meetingsv1.Meeting, 0, len(ms))
	for _, m := range ms {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED {
			if cur, ok := s.index.Meeting(m.GetId()); ok {
				if !active(cur.Value) {
					continue
				}
				m = cur.Value
			}
		}
		out = append(out, m)
	}
	return out
}

// lockedMeetings are the locked meetings of the event's schedule under
// review, if it has one.
func (s *Service) lockedMeetings(ctx context.Context, eventID string) ([]*meetingsv1.Meeting, error) {
	sc := s.latestSchedule(eventID)
	if sc == nil || sc.GetStatus() != provisionalSchedule {
		return nil, nil
	}
	ms, err := s.provisional(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []*meetingsv1.Meeting
	for _, m := range ms {
		if m.GetLocked() && m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL {
			out = append(out, m)
		}
	}
	return out, nil
}

// stillLocked keeps the locked meetings that still fit the event as it is
// now: their request accepted, both participants registered and available,
// and nobody (nor the table) taken by a confirmed meeting or an earlier
// locked one. A new run places the others' requests afresh.
func (s *Service) stillLocked(ev *meetingsv1.Event, locked []*meetingsv1.Meeting) []*meetingsv1.Meeting {
	if len(locked) == 0 {
		return nil
	}
	busy := map[string]bool{}
	for _, m := range s.activeMeetings(ev.GetId()) {
		for _, k := range domain.OccupancyKeys(m) {
			busy[k] = true
		}
	}
	var out []*meetingsv1.Meeting
	for _, m := range locked {
		if s.editProblem(ev, m, m.GetSlotId(), m.GetTableId(), busy) != nil {
			s.log.Info("a locked meeting no longer fits and is planned afresh", "meeting", m.GetId())
			continue
		}
		if r, ok := s.index.Request(m.GetRequestId()); m.GetRequestId() != "" && (!ok || r.Value.GetStatus() != accepted) {
			continue
		}
		for _, k := range domain.OccupancyKeys(m) {
			busy[k] = true
		}
		out = append(out, m)
	}
	return out
}

// editProblem says why meeting m cannot be in slotID at tableID, given the
// occupancy keys of every other meeting, or nil when it can. Moving never
// changes how many meetings anyone has, so limits are kept by every move.
func (s *Service) editProblem(ev *meetingsv1.Event, m *meetingsv1.Meeting, slotID, tableID string, busy map[string]bool) error {
	var slot *meetingsv1.Slot
	for _, sl := range ev.GetSlots() {
		if sl.GetId() == slotID {
			slot = sl
		}
	}
	if slot == nil {
		return grpcerr.Invalid(grpcerr.Violation{Field: "slot_id", Description: fmt.Sprintf("event %s has no slot %q", ev.GetId(), slotID)})
	}
	ti := slices.IndexFunc(ev.GetTables(), func(t *meetingsv1.Table) bool { return t.GetId() == tableID })
	if ti < 0 {
		return grpcerr.Invalid(grpcerr.Violation{Field: "table_id", Description: fmt.Sprintf("event %s has no table %q", ev.GetId(), tableID)})
	}
	when := s.slotLabel(ev, slot)
	admin := domain.Principal{Admin: true}
	for _, pid := range m.GetParticipantIds() {
		e, ok := s.index.Participant(pid)
		if !ok || e.Value.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("participant %s has withdrawn from the event", pid),
				grpcerr.Violation{Field: "meeting_id", Description: "a participant withdrew"})
		}
		name := s.nameFor(admin, e.Value)
		if !available(e.Value, slot.GetId()) {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("%s is not available at %s", name, when),
				grpcerr.Violation{Field: "slot_id", Description: name + " is not available then"})
		}
		if busy[domain.ParticipantSlotKey(ev.GetId(), slot.GetId(), pid)] {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("%s already has a meeting at %s", name, when),
				grpcerr.Violation{Field: "slot_id", Description: name + " already meets someone then"})
		}
	}
	if busy[domain.TableSlotKey(ev.GetId(), slot.GetId(), tableID)] {
		t := ev.GetTables()[ti]
		return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("%s is taken at %s: drop the meeting on the other one to swap them", tableName(t, t.GetId()), when),
			grpcerr.Violation{Field: "table_id", Description: "taken in that slot"})
	}
	return nil
}

// slotLabel is a slot's local day and time, as the organizer reads it.
func (s *Service) slotLabel(ev *meetingsv1.Event, sl *meetingsv1.Slot) string {
	loc, err := time.LoadLocation(ev.GetTimeZone())
	if err != nil {
		loc = time.UTC
	}
	return sl.GetStartTime().AsTime().In(loc).Format("Mon 2 Jan 15:04")
}

// place sets a meeting's slot and table.
func place(ev *meetingsv1.Event, m *meetingsv1.Meeting, slotID, tableID string) {
	for _, sl := range ev.GetSlots() {
		if sl.GetId() == slotID {
			m.SlotId, m.StartTime, m.EndTime = sl.GetId(), sl.GetStartTime(), sl.GetEndTime()
		}
	}
	m.TableId = tableID
}

// review is the event's schedule under review, read for an edit.
type review struct {
	ev       *meetingsv1.Event
	sc       *meetingsv1.Schedule
	rev      uint64
	meetings []*meetingsv1.Meeting // as they are now; shared, clone to change
}

// startEdit checks the caller and the request (invalid is the request's
// validation) and loads the event for a hand edit: p must organize it, and
// it must be being scheduled or published, not closed.
func (s *Service) startEdit(ctx context.Context, eventID string, invalid error) (domain.Principal, *meetingsv1.Event, error) {
	p, err := caller(ctx)
	if err != nil {
		return p, nil, err
	}
	if invalid != nil {
		return p, nil, invalid
	}
	ev, err := s.visibleEvent(ctx, p, eventID)
	if err != nil {
		return p, nil, err
	}
	if err := requireOrganizer(p, ev); err != nil {
		return p, nil, err
	}
	switch ev.GetStatus() {
	case meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING, meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED:
		return p, ev, nil
	}
	return p, nil, fmt.Errorf("event %s is %s: schedules are edited while scheduling or after publication: %w", ev.GetId(), ev.GetStatus(), grpcerr.ErrPrecondition)
}

// underReview returns the event's provisional schedule, or nil when its
// latest schedule is published (or it has none).
func (s *Service) underReview(ctx context.Context, ev *meetingsv1.Event) (*review, error) {
	latest := s.latestSchedule(ev.GetId())
	if latest == nil || latest.GetStatus() != provisionalSchedule {
		return nil, nil
	}
	sc, rev, err := s.loadSchedule(ctx, latest.GetId())
	if err != nil {
		return nil, err
	}
	if sc.GetStatus() != provisionalSchedule {
		return nil, nil // published a moment ago
	}
	ms, err := s.provisional(ctx, sc)
	if err != nil {
		return nil, err
	}
	return &review{ev: ev, sc: sc, rev: rev, meetings: s.withoutWithdrawn(s.asTheyAre(ms))}, nil
}

// busyWithout is the occupancy of every meeting of the review and every
// confirmed meeting, leaving out the meetings in skip.
func (s *Service) busyWithout(ev *meetingsv1.Event, rv *review, skip ...string) map[string]bool {
	busy := map[string]bool{}
	add := func(m *meetingsv1.Meeting) {
		if !slices.Contains(skip, m.GetId()) {
			for _, k := range domain.OccupancyKeys(m) {
				busy[k] = true
			}
		}
	}
	for _, m := range s.activeMeetings(ev.GetId()) {
		add(m)
	}
	if rv != nil {
		for _, m := range rv.meetings {
			add(m)
		}
	}
	return busy
}

// find returns the review's meeting with id, or an error saying where it is.
func (rv *review) find(id, field string) (*meetingsv1.Meeting, error) {
	if rv != nil {
		for _, m := range rv.meetings {
			if m.GetId() == id {
				return m, nil
			}
		}
	}
	return nil, grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("meeting %s is not in the schedule under review", id),
		grpcerr.Violation{Field: field, Description: "not a meeting of the schedule under review"})
}

// commit records changed meetings as the next version of the review's
// schedule, with its figures recounted: the event first (a conflicting edit loses here), then the
// meetings under the new version's key. Should the second write not
// happen, redoEdit makes it from the event.
func (s *Service) commit(ctx context.Context, p domain.Principal, rv *review, changed ...*meetingsv1.Meeting) (*meetingsv1.Schedule, error) {
	base, err := s.provisional(ctx, rv.sc)
	if err != nil {
		return nil, err
	}
	ms := withEdits(base, changed)
	sortMeetings(rv.ev, ms)
	next := domain.Clone(rv.sc)
	next.Version++
	// The figures follow the edit, counted over the meetings the organiser
	// sees (a withdrawn participant's are gone from the review).
	next.Stats = s.restat(rv.ev, rv.sc.GetStats(), s.withoutWithdrawn(s.asTheyAre(ms)))
	h := s.header(p)
	if _, err := s.write(ctx, next.GetId(), &eventsv1.ScheduleEdited{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: next.GetId(), AggregateVersion: next.GetVersion(), ActorSubject: h.Actor,
		BrokerageEventId: rv.ev.GetId(), Schedule: next, Meetings: changed,
	}, rv.rev); err != nil {
		return nil, err
	}
	key := provisionalKey(next.GetId(), next.GetVersion())
	if err := s.store.SaveProvisional(ctx, key, ms); err != nil {
		return nil, err
	}
	s.cacheProvisional(key, ms)
	s.store.DeleteProvisional(context.WithoutCancel(ctx), provisionalKey(rv.sc.GetId(), rv.sc.GetVersion()))
	return next, nil
}

// withEdits is ms with the changed meetings in place of their old selves,
// and those new to it (placed by hand) added.
func withEdits(ms, changed []*meetingsv1.Meeting) []*meetingsv1.Meeting {
	out := slices.Clone(ms)
	for _, c := range changed {
		if i := slices.IndexFunc(out, func(m *meetingsv1.Meeting) bool { return m.GetId() == c.GetId() }); i >= 0 {
			out[i] = c
		} else {
			out = append(out, c)
		}
	}
	return out
}

// redoEdit rebuilds the meetings of an edited schedule version whose
// writer stopped between recording the edit and storing the meetings.
func (s *Service) redoEdit(ctx context.Context, sc *meetingsv1.Schedule) ([]*meetingsv1.Meeting, error) {
	raw, _, err := s.events.Get(ctx, sc.GetId())
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", sc.GetId(), err)
	}
	ed, ok := raw.(*eventsv1.ScheduleEdited)
	if !ok || ed.GetSchedule().GetVersion() != sc.GetVersion() {
		return nil, fmt.Errorf("meetings of schedule %s version %d: %w", sc.GetId(), sc.GetVersion(), grpcerr.ErrNotFound)
	}
	prev := domain.Clone(sc)
	prev.Version--
	base, err := s.provisional(ctx, prev)
	if err != nil {
		return nil, err
	}
	ms := withEdits(base, ed.GetMeetings())
	if ev, ok := s.index.Event(sc.GetEventId()); ok {
		sortMeetings(ev.Value, ms)
	}
	if err := s.store.SaveProvisional(ctx, provisionalKey(sc.GetId(), sc.GetVersion()), ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// edited is a meeting of the review after a hand edit: placed, locked,
// one version on.
func (s *Service) edited(m *meetingsv1.Meeting, locked bool) *meetingsv1.Meeting {
	c := domain.Clone(m)
	c.Locked = locked
	c.Version++
	c.UpdatedAt = s.ts()
	return c
}

// MoveMeeting moves a meeting by hand: one of the schedule under review
// within that schedule (and locks it there), or a confirmed one for real.
func (s *Service) MoveMeeting(ctx context.Context, req *meetingsv1.MoveMeetingRequest) (*meetingsv1.MoveMeetingResponse, error) {
	p, ev, err := s.startEdit(ctx, req.GetEventId(), domain.ValidateMove(req))
	if err != nil {
		return nil, err
	}
	rv, err := s.underReview(ctx, ev)
	if err != nil {
		return nil, err
	}
	if cur, ok := s.index.Meeting(req.GetMeetingId()); ok && cur.Value.GetEventId() == ev.GetId() {
		return s.moveConfirmed(ctx, p, ev, rv, cur.Value, req)
	}
	m, err := rv.find(req.GetMeetingId(), "meeting_id")
	if err != nil {
		return nil, err
	}
	if err := checkVersion("schedule", rv.sc.GetId(), req.GetExpectedScheduleVersion(), rv.sc.GetVersion()); err != nil {
		return nil, err
	}
	if err := s.editProblem(ev, m, req.GetSlotId(), req.GetTableId(), s.busyWithout(ev, rv, m.GetId())); err != nil {
		return nil, err
	}
	moved := s.edited(m, true)
	place(ev, moved, req.GetSlotId(), req.GetTableId())
	sc, err := s.commit(ctx, p, rv, moved)
	if err != nil {
		return nil, err
	}
	return &meetingsv1.MoveMeetingResponse{Meeting: moved, Schedule: sc}, nil
}

// moveConfirmed moves a confirmed meeting, checked against the other
// confirmed meetings and those of a schedule under review (which would
// otherwise lose their place at publication).
func (s *Service) moveConfirmed(ctx context.Context, p domain.Principal, ev *meetingsv1.Event, rv *review, m *meetingsv1.Meeting, req *meetingsv1.MoveMeetingRequest) (*meetingsv1.MoveMeetingResponse, error) {
	if !active(m) {
		return nil, fmt.Errorf("meeting %s is %s: %w", m.GetId(), m.GetStatus(), grpcerr.ErrPrecondition)
	}
	if m.GetSlotId() == req.GetSlotId() && m.GetTableId() == req.GetTableId() {
		return &meetingsv1.MoveMeetingResponse{Meeting: m}, nil
	}
	if err := s.editProblem(ev, m, req.GetSlotId(), req.GetTableId(), s.busyWithout(ev, rv, m.GetId())); err != nil {
		return nil, err
	}
	var slot *meetingsv1.Slot
	for _, sl := range ev.GetSlots() {
		if sl.GetId() == req.GetSlotId() {
			slot = sl
		}
	}
	err := s.moveMeeting(ctx, p, m.GetId(), slot, req.GetTableId())
	if errors.Is(err, domain.ErrTaken) {
		// Booked on another replica a moment ago.
		return nil, grpcerr.Refused(grpcerr.ErrConflict, fmt.Sprintf("the place was taken a moment ago: %v", err),
			grpcerr.Violation{Field: "slot_id", Description: "taken a moment ago"})
	}
	if err != nil {
		return nil, err
	}
	cur, _, err := s.loadMeeting(ctx, m.GetId())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.MoveMeetingResponse{Meeting: cur}, nil
}

// SwapMeetings exchanges the places of two meetings of the schedule under
// review, each checked as a move with the other out of the way.
func (s *Service) SwapMeetings(ctx context.Context, req *meetingsv1.SwapMeetingsRequest) (*meetingsv1.SwapMeetingsResponse, error) {
	p, ev, err := s.startEdit(ctx, req.GetEventId(), domain.ValidateSwap(req))
	if err != nil {
		return nil, err
	}
	rv, err := s.underReview(ctx, ev)
	if err != nil {
		return nil, err
	}
	for _, id := range []string{req.GetMeetingId(), req.GetOtherMeetingId()} {
		if m, ok := s.index.Meeting(id); ok && active(m.Value) {
			return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("meeting %s is published: move it to a free place instead; only meetings under review swap", id),
				grpcerr.Violation{Field: "meeting_id", Description: "a published meeting"})
		}
	}
	a, err := rv.find(req.GetMeetingId(), "meeting_id")
	if err != nil {
		return nil, err
	}
	b, err := rv.find(req.GetOtherMeetingId(), "other_meeting_id")
	if err != nil {
		return nil, err
	}
	if a.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL || b.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL {
		return nil, fmt.Errorf("only meetings under review swap: %w", grpcerr.ErrPrecondition)
	}
	if err := checkVersion("schedule", rv.sc.GetId(), req.GetExpectedScheduleVersion(), rv.sc.GetVersion()); err != nil {
		return nil, err
	}
	na, nb := s.edited(a, true), s.edited(b, true)
	place(ev, na, b.GetSlotId(), b.GetTableId())
	place(ev, nb, a.GetSlotId(), a.GetTableId())
	busy := s.busyWithout(ev, rv, a.GetId(), b.GetId())
	if err := s.editProblem(ev, na, na.GetSlotId(), na.GetTableId(), busy); err != nil {
		return nil, err
	}
	for _, k := range domain.OccupancyKeys(na) {
		busy[k] = true
	}
	if err := s.editProblem(ev, nb, nb.GetSlotId(), nb.GetTableId(), busy); err != nil {
		return nil, err
	}
	sc, err := s.commit(ctx, p, rv, na, nb)
	if err != nil {
		return nil, err
	}
	return &meetingsv1.SwapMeetingsResponse{Meetings: []*meetingsv1.Meeting{na, nb}, Schedule: sc}, nil
}

// SetMeetingLock locks or unlocks a meeting of the schedule under review.
func (s *Service) SetMeetingLock(ctx context.Context, req *meetingsv1.SetMeetingLockRequest) (*meetingsv1.SetMeetingLockResponse, error) {
	p, ev, err := s.startEdit(ctx, req.GetEventId(), domain.ValidateLock(req))
	if err != nil {
		return nil, err
	}
	if m, ok := s.index.Meeting(req.GetMeetingId()); ok && active(m.Value) {
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("meeting %s is published: a new run never moves it, so it needs no lock", req.GetMeetingId()),
			grpcerr.Violation{Field: "meeting_id", Description: "a published meeting"})
	}
	rv, err := s.underReview(ctx, ev)
	if err != nil {
		return nil, err
	}
	m, err := rv.find(req.GetMeetingId(), "meeting_id")
	if err != nil {
		return nil, err
	}
	if err := checkVersion("schedule", rv.sc.GetId(), req.GetExpectedScheduleVersion(), rv.sc.GetVersion()); err != nil {
		return nil, err
	}
	if m.GetLocked() == req.GetLocked() {
		return &meetingsv1.SetMeetingLockResponse{Meeting: m, Schedule: rv.sc}, nil
	}
	next := s.edited(m, req.GetLocked())
	sc, err := s.commit(ctx, p, rv, next)
	if err != nil {
		return nil, err
	}
	return &meetingsv1.SetMeetingLockResponse{Meeting: next, Schedule: sc}, nil
}
