package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/types/known/durationpb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

const (
	provisionalSchedule = meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL
	publishedSchedule   = meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED
	supersededSchedule  = meetingsv1.ScheduleStatus_SCHEDULE_STATUS_SUPERSEDED
)

// problem is a scheduling run's input with the ids behind its indices.
type problem struct {
	scheduler.Problem
	participants []*meetingsv1.Participant
	requests     []*meetingsv1.MeetingRequest
	kept         []*meetingsv1.Meeting
}

// buildProblem gathers what the scheduler needs: registered participants
// with availability and limits, accepted requests not met yet, and the
// meetings that stay where they are: the confirmed ones, and those locked
// in the schedule under review that still fit (their request accepted,
// both participants registered, available and free, the table free).
func (s *Service) buildProblem(ev *meetingsv1.Event, locked []*meetingsv1.Meeting) problem {
	var pr problem
	slotIdx := domain.SlotIndex(ev.GetSlots())
	for _, sl := range ev.GetSlots() {
		pr.Slots = append(pr.Slots, scheduler.Slot{Day: int(sl.GetDayIndex())})
	}
	tableIdx := map[string]int{}
	for i, t := range ev.GetTables() {
		tableIdx[t.GetId()] = i
	}
	pr.Tables = len(ev.GetTables())
	partIdx := map[string]int{}
	for _, pa := range s.index.Participants(ev.GetId()) {
		if pa.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			continue
		}
		sp := scheduler.Participant{ID: pa.GetId(), Max: limit(ev, pa)}
		if ids := pa.GetAvailableSlotIds(); len(ids) > 0 {
			sp.Available = []int{}
			for _, id := range ids {
				if i, ok := slotIdx[id]; ok {
					sp.Available = append(sp.Available, i)
				}
			}
		}
		partIdx[pa.GetId()] = len(pr.Participants)
		pr.Participants = append(pr.Participants, sp)
		pr.participants = append(pr.participants, pa)
	}
	pair := func(a, b string) [2]string { return [2]string{min(a, b), max(a, b)} }
	met := map[[2]string]bool{}
	byRequest := map[string]*meetingsv1.Meeting{}
	staying := append(s.activeMeetings(ev.GetId()), s.stillLocked(ev, locked)...)
	for _, m := range staying {
		if len(m.GetParticipantIds()) == 2 {
			met[pair(m.GetParticipantIds()[0], m.GetParticipantIds()[1])] = true
		}
		if m.GetRequestId() != "" {
			byRequest[m.GetRequestId()] = m
		}
	}
	reqIdx := map[string]int{}
	for _, r := range s.index.Requests(ev.GetId()) {
		a, okA := partIdx[r.GetFromParticipantId()]
		b, okB := partIdx[r.GetToParticipantId()]
		if r.GetStatus() != accepted || !okA || !okB {
			continue
		}
		pk := pair(r.GetFromParticipantId(), r.GetToParticipantId())
		if byRequest[r.GetId()] == nil && met[pk] {
			continue // the pair already meets, booked without this request
		}
		// Requests come in id order: of two accepted requests between the
		// same two people (sent at the same instant from both sides), the
		// first stands for the pair, so the pair meets once.
		met[pk] = true
		reqIdx[r.GetId()] = len(pr.Requests)
		pr.Requests = append(pr.Requests, scheduler.Request{ID: r.GetId(), A: a, B: b, Must: domain.Must(r), Mutual: r.GetMutual()})
		pr.requests = append(pr.requests, r)
	}
	for _, m := range staying {
		ids := m.GetParticipantIds()
		if len(ids) != 2 {
			continue
		}
		a, okA := partIdx[ids[0]]
		b, okB := partIdx[ids[1]]
		sl, okS := slotIdx[m.GetSlotId()]
		t, okT := tableIdx[m.GetTableId()]
		if !okA || !okB || !okS || !okT {
			continue // broken by a change that did not move it; UpdateEvent reports those
		}
		r := -1
		if i, ok := reqIdx[m.GetRequestId()]; ok {
			r = i
		}
		pr.Fixed = append(pr.Fixed, scheduler.Fixed{Request: r, A: a, B: b, Slot: sl, Table: t})
		pr.kept = append(pr.kept, m)
	}
	return pr
}

// GenerateSchedule computes a provisional schedule. Confirmed meetings
// always stay where they are; FULL replans everything else and is only
// allowed before publication, FILL_FREE_SLOTS adds meetings around the
// published ones.
func (s *Service) GenerateSchedule(ctx context.Context, req *meetingsv1.GenerateScheduleRequest) (*meetingsv1.GenerateScheduleResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	policy, weights, err := domain.ValidateGenerate(req)
	if err != nil {
		return nil, err
	}
	ev, _, err := s.loadEvent(ctx, req.GetEventId())
	if err != nil {
		return nil, err
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !domain.IsOrganizer(p, ev) {
		return nil, fmt.Errorf("event %s: %w", ev.GetId(), grpcerr.ErrNotFound)
	}
	if err := requireOrganizer(p, ev); err != nil {
		return nil, err
	}
	if err := checkVersion("event", ev.GetId(), req.GetExpectedEventVersion(), ev.GetVersion()); err != nil {
		return nil, err
	}
	published := ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED
	if !published && ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING {
		return nil, fmt.Errorf("event %s is %s; close registration (status SCHEDULING) before generating a schedule: %w", ev.GetId(), ev.GetStatus(), grpcerr.ErrPrecondition)
	}
	mode := req.GetMode()
	switch {
	case mode == meetingsv1.ScheduleMode_SCHEDULE_MODE_UNSPECIFIED && published:
		mode = meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS
	case mode == meetingsv1.ScheduleMode_SCHEDULE_MODE_UNSPECIFIED:
		mode = meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL
	case mode == meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL && published:
		return nil, fmt.Errorf("event %s has a published schedule: use mode FILL_FREE_SLOTS, which never moves a published meeting: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}
	if len(ev.GetTables()) == 0 {
		return nil, fmt.Errorf("event %s has no tables: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}
	id, err := s.claimID(ctx, "schedule", p.Subject, req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	if sc, _, err := s.loadSchedule(ctx, id); err == nil {
		return &meetingsv1.GenerateScheduleResponse{Schedule: sc}, nil // a retry
	}

	locked, err := s.lockedMeetings(ctx, ev.GetId())
	if err != nil {
		return nil, err
	}
	pr := s.buildProblem(ev, locked)
	pr.Policy, pr.Weights = policy, weights
	res := scheduler.Solve(pr.Problem)
	st := res.Stats
	s.Metrics.scheduled(strings.ToLower(strings.TrimPrefix(mode.String(), "SCHEDULE_MODE_")), st.SolveTime)
	stats := &meetingsv1.ScheduleStats{
		RequestsConsidered: int32(st.RequestsConsidered), MeetingsPlaced: int32(st.Placed), UpperBound: int32(st.UpperBound),
		MustPlaced: int32(st.MustPlaced), MustConsidered: int32(st.MustConsidered), MutualPlaced: int32(st.MutualPlaced),
		MinMeetingsPerParticipant: int32(st.MinMeetings), MeanMeetingsPerParticipant: st.MeanMeetings,
		ParticipantsWithoutMeetings: int32(st.WithoutAny), IdleGaps: int32(st.IdleGaps), KeptMeetings: int32(st.Kept),
		SolveDuration: durationpb.New(st.SolveTime), Objective: st.Objective, ObjectiveBound: st.ObjectiveBound,
	}
	for _, v := range st.Fewest {
		stats.FewestMeetingsParticipantIds = append(stats.FewestMeetingsParticipantIds, pr.participants[v].GetId())
	}
	now := s.ts()
	meetings := slices.Clone(pr.kept)
	for _, a := range res.Placed {
		r := pr.requests[a.Request]
		sl := ev.GetSlots()[a.Slot]
		mid := newID()
		meetings = append(meetings, &meetingsv1.Meeting{
			Id: mid, EventId: ev.GetId(), SlotId: sl.GetId(), StartTime: sl.GetStartTime(), EndTime: sl.GetEndTime(),
			TableId: ev.GetTables()[a.Table].GetId(), ParticipantIds: []string{r.GetFromParticipantId(), r.GetToParticipantId()},
			RequestId: r.GetId(), Status: meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL, Origin: meetingsv1.MeetingOrigin_MEETING_ORIGIN_SCHEDULER,
			IcalUid: ICalUID(mid), Version: 1, CreatedAt: now, UpdatedAt: now,
		})
	}
	sortMeetings(ev, meetings)
	if err := s.store.SaveProvisional(ctx, provisionalKey(id, 1), meetings); err != nil {
		return nil, err
	}
	s.cacheProvisional(provisionalKey(id, 1), meetings)
	sc := &meetingsv1.Schedule{
		Id: id, EventId: ev.GetId(), Mode: mode, Status: provisionalSchedule, Stats: stats,
		EventVersion: ev.GetVersion(), Version: 1, GeneratedAt: now, Policy: domain.PolicyProto(policy),
	}
	if policy == scheduler.Balanced {
		sc.BalancedWeights = &meetingsv1.BalancedWeights{Must: int32(weights.Must), Mutual: int32(weights.Mutual), Want: int32(weights.Want)}
	}
	h := s.header(p)
	if _, err := s.write(ctx, id, &eventsv1.ScheduleGenerated{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: 1, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), Schedule: sc,
	}, 0); err != nil {
		return nil, err
	}
	return &meetingsv1.GenerateScheduleResponse{Schedule: sc}, nil
}

// sortMeetings orders meetings by slot then table, as the event lists them.
func sortMeetings(ev *meetingsv1.Event, ms []*meetingsv1.Meeting) {
	slotIdx := domain.SlotIndex(ev.GetSlots())
	tableIdx := map[string]int{}
	for i, t := range ev.GetTables() {
		tableIdx[t.GetId()] = i
	}
	slices.SortFunc(ms, func(a, b *meetingsv1.Meeting) int {
		return cmp.Or(
			cmp.Compare(slotIdx[a.GetSlotId()], slotIdx[b.GetSlotId()]),
			a.GetStartTime().AsTime().Compare(b.GetStartTime().AsTime()),
			cmp.Compare(tableIdx[a.GetTableId()], tableIdx[b.GetTableId()]),
			cmp.Compare(a.GetId(), b.GetId()))
	})
}

func (s *Service) cacheProvisional(id string, ms []*meetingsv1.Meeting) {
	s.provMu.Lock()
	defer s.provMu.Unlock()
	if _, ok := s.prov[id]; !ok {
		s.provQ = append(s.provQ, id)
	}
	s.prov[id] = ms
	for len(s.provQ) > 4 {
		delete(s.prov, s.provQ[0])
		s.provQ = s.provQ[1:]
	}
}

// provisional returns the meetings of a provisional schedule as its
// version has them (each hand edit makes a version). The slice and its
// meetings are shared: callers clone what they change.
func (s *Service) provisional(ctx context.Context, sc *meetingsv1.Schedule) ([]*meetingsv1.Meeting, error) {
	key := provisionalKey(sc.GetId(), sc.GetVersion())
	s.provMu.Lock()
	ms, ok := s.prov[key]
	s.provMu.Unlock()
	if ok {
		return ms, nil
	}
	ms, err := s.store.LoadProvisional(ctx, key)
	if isNotFound(err) && sc.GetVersion() > 1 {
		ms, err = s.redoEdit(ctx, sc)
	}
	if err != nil {
		return nil, err
	}
	s.cacheProvisional(key, ms)
	return ms, nil
}

// withoutWithdrawn drops provisional meetings of participants who withdrew
// since the schedule was generated (an erased profile, say): publishing
// would leave them out anyway, so they are not shown either.
func (s *Service) withoutWithdrawn(ms []*meetingsv1.Meeting) []*meetingsv1.Meeting {
	out := make([]*meetingsv1.Meeting, 0, len(ms))
	for _, m := range ms {
		if !slices.ContainsFunc(m.GetParticipantIds(), func(id string) bool {
			pa, ok := s.index.Participant(id)
			return ok && pa.Value.GetStatus() == withdrawn
		}) {
			out = append(out, m)
		}
	}
	return out
}

// latestSchedule is the event's newest schedule, or nil.
func (s *Service) latestSchedule(eventID string) *meetingsv1.Schedule {
	all := s.index.Schedules(eventID)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// shown reports a provisional schedule that a newer one replaced as
// SUPERSEDED: nothing is written for it, the newer one says it all.
func (s *Service) shown(sc *meetingsv1.Schedule) *meetingsv1.Schedule {
	if sc.GetStatus() != provisionalSchedule {
		return sc
	}
	if latest := s.latestSchedule(sc.GetEventId()); latest != nil && latest.GetId() != sc.GetId() {
		c := domain.Clone(sc)
		c.Status = supersededSchedule
		return c
	}
	return sc
}

// bookedWithoutSchedule tells whether an event without any schedule still
// has meetings to show: booked ones, or bookings to come at a self-booking
// event whose registration has opened.
func (s *Service) bookedWithoutSchedule(ev *meetingsv1.Event) bool {
	if ev.GetBookingMode() == meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING && ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_DRAFT {
		return true
	}
	return len(s.activeMeetings(ev.GetId())) > 0
}

// PublishSchedule confirms the meetings of the latest provisional schedule
// and publishes the event. It is safe to retry: meetings already confirmed
// are skipped.
func (s *Service) PublishSchedule(ctx context.Context, req *meetingsv1.PublishScheduleRequest) (*meetingsv1.PublishScheduleResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sc, srev, err := s.loadSchedule(ctx, req.GetScheduleId())
	if err != nil {
		return nil, err
	}
	if sc.GetEventId() != req.GetEventId() {
		return nil, fmt.Errorf("schedule %s of event %s: %w", req.GetScheduleId(), req.GetEventId(), grpcerr.ErrNotFound)
	}
	ev, erev, err := s.loadEvent(ctx, sc.GetEventId())
	if err != nil {
		return nil, err
	}
	if err := requireOrganizer(p, ev); err != nil {
		return nil, err
	}
	if err := checkVersion("schedule", sc.GetId(), req.GetExpectedVersion(), sc.GetVersion()); err != nil {
		return nil, err
	}
	if sc.GetStatus() == publishedSchedule {
		return &meetingsv1.PublishScheduleResponse{Schedule: sc}, nil
	}
	if s.shown(sc).GetStatus() == supersededSchedule {
		return nil, fmt.Errorf("schedule %s was replaced by a newer one: publish the latest: %w", sc.GetId(), grpcerr.ErrPrecondition)
	}
	if ev.GetVersion() != sc.GetEventVersion() {
		return nil, fmt.Errorf("event %s changed since schedule %s was generated (version %d, now %d): generate it again: %w",
			ev.GetId(), sc.GetId(), sc.GetEventVersion(), ev.GetVersion(), grpcerr.ErrPrecondition)
	}
	switch ev.GetStatus() {
	case meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING, meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED:
	default:
		return nil, fmt.Errorf("event %s is %s: %w", ev.GetId(), ev.GetStatus(), grpcerr.ErrPrecondition)
	}
	ms, err := s.provisional(ctx, sc)
	if err != nil {
		return nil, err
	}
	skipped, err := s.confirmAll(ctx, p, ms)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		s.log.WarnContext(ctx, "meetings left out at publication: their request, participants or slot changed since generation", "schedule", sc.GetId(), "skipped", skipped)
	}
	next := domain.Clone(sc)
	next.Status, next.Version, next.PublishedAt = publishedSchedule, sc.GetVersion()+1, s.ts()
	next.Stats.MeetingsPlaced -= int32(skipped)
	h := s.header(p)
	if _, err := s.write(ctx, sc.GetId(), &eventsv1.SchedulePublished{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: sc.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), Schedule: next,
	}, srev); err != nil {
		return nil, err
	}
	if ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED {
		if _, err := s.setStatus(ctx, p, ev, erev, meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED); err != nil {
			return nil, err
		}
	}
	return &meetingsv1.PublishScheduleResponse{Schedule: next}, nil
}

// confirmAll confirms the provisional meetings, several at a time. A meeting
// whose request was cancelled, whose participant is gone or unavailable, or
// whose slot someone booked meanwhile is left out and counted.
func (s *Service) confirmAll(ctx context.Context, p domain.Principal, ms []*meetingsv1.Meeting) (int, error) {
	var (
		mu       sync.Mutex
		skipped  int
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan *meetingsv1.Meeting)
	for range max(1, s.Workers) {
		wg.Go(func() {
			for m := range work {
				ok, err := s.confirmOne(ctx, p, m)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if !ok && err == nil {
					skipped++
				}
				mu.Unlock()
			}
		})
	}
	for _, m := range ms {
		if m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL {
			continue
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		work <- m
	}
	close(work)
	wg.Wait()
	return skipped, firstErr
}

func (s *Service) confirmOne(ctx context.Context, p domain.Principal, pm *meetingsv1.Meeting) (bool, error) {
	if cur, ok := s.index.Meeting(pm.GetId()); ok {
		return active(cur.Value), nil // confirmed by an earlier attempt
	}
	if r, ok := s.index.Request(pm.GetRequestId()); ok && r.Value.GetStatus() != accepted {
		return false, nil
	}
	for _, pid := range pm.GetParticipantIds() {
		pa, ok := s.index.Participant(pid)
		if !ok || pa.Value.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED || !available(pa.Value, pm.GetSlotId()) {
			return false, nil
		}
	}
	m := domain.Clone(pm)
	m.Status = meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED
	m.UpdatedAt = s.ts()
	if err := s.store.Occupy(ctx, domain.OccupancyKeys(m), m.GetId(), s.alive); err != nil {
		if errors.Is(err, domain.ErrTaken) {
			return false, nil
		}
		return false, err
	}
	err := s.confirm(ctx, p, m)
	if errors.Is(err, grpcerr.ErrAlreadyExists) {
		return true, nil
	}
	if err != nil {
		s.store.Release(context.WithoutCancel(ctx), domain.OccupancyKeys(m), m.GetId())
		return false, err
	}
	return true, nil
}

// GetSchedule returns a schedule and a page of its meetings. A published
// schedule shows the event's confirmed meetings as they are now (moves and
// bookings included). An event that never had a schedule but whose
// participants book their own meetings, or that has meetings booked,
// answers those meetings in a published schedule without an id.
func (s *Service) GetSchedule(ctx context.Context, req *meetingsv1.GetScheduleRequest) (*meetingsv1.GetScheduleResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	if err := requireOverseer(p, ev); err != nil {
		return nil, err
	}
	var sc *meetingsv1.Schedule
	if id := req.GetScheduleId(); id != "" {
		e, ok := s.index.Schedule(id)
		if !ok {
			loaded, _, err := s.loadSchedule(ctx, id)
			if err != nil {
				return nil, err
			}
			e.Value = loaded
		}
		sc = e.Value
		if sc.GetEventId() != ev.GetId() {
			return nil, fmt.Errorf("schedule %s of event %s: %w", id, ev.GetId(), grpcerr.ErrNotFound)
		}
	} else {
		all := s.index.Schedules(ev.GetId())
		if len(all) == 0 {
			if !s.bookedWithoutSchedule(ev) {
				return nil, fmt.Errorf("event %s has no schedule yet: %w", ev.GetId(), grpcerr.ErrNotFound)
			}
			// Its meetings, booked one by one, are its schedule: shown
			// as a published one's are, under no schedule id.
			all = []*meetingsv1.Schedule{{EventId: ev.GetId(), Status: publishedSchedule}}
		}
		sc = all[len(all)-1]
		if sc.GetStatus() != provisionalSchedule {
			for i := len(all) - 1; i >= 0; i-- {
				if all[i].GetStatus() == publishedSchedule {
					sc = all[i]
					break
				}
			}
		}
	}
	var ms []*meetingsv1.Meeting
	if sc.GetStatus() == publishedSchedule {
		ms = s.activeMeetings(ev.GetId())
		sortMeetings(ev, ms)
	} else if ms, err = s.provisional(ctx, sc); err != nil {
		return nil, err
	} else {
		ms = s.withoutWithdrawn(s.asTheyAre(ms))
	}
	items, next, err := page(ms, req.GetPageSize(), 5000, 500, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	shown := s.shown(sc)
	if sc.GetStatus() == publishedSchedule {
		// A published schedule's meetings change one by one (moved or
		// placed by hand, booked, cancelled): its figures are those of the
		// meetings as they are, counted as after an edit under review.
		shown = domain.Clone(sc)
		shown.Stats = s.restat(ev, sc.GetStats(), s.withoutWithdrawn(ms))
	}
	return &meetingsv1.GetScheduleResponse{Schedule: shown, Meetings: items, NextPageToken: next}, nil
}
