package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// checkSlots rejects slot ids the event does not have.
func checkSlots(ev *meetingsv1.Event, ids []string) error {
	known := domain.SlotIndex(ev.GetSlots())
	for i, id := range ids {
		if _, ok := known[id]; !ok {
			return grpcerr.Invalid(grpcerr.Violation{Field: fmt.Sprintf("available_slot_ids[%d]", i), Description: fmt.Sprintf("event %s has no slot %q", ev.GetId(), id)})
		}
	}
	return nil
}

// checkLimit enforces who may set which meeting limit: organizers any,
// participants only a lower one than they have.
func checkLimit(organizer bool, ev *meetingsv1.Event, current, want int32) error {
	if organizer || want == current {
		return nil
	}
	ceiling := current
	if ceiling == 0 {
		ceiling = ev.GetDefaultMaxMeetings()
	}
	if ceiling > 0 && (want == 0 || want > ceiling) {
		return fmt.Errorf("participants may only lower their meeting limit (now %d); ask an organizer for more: %w", ceiling, grpcerr.ErrPermission)
	}
	return nil
}

// RegisterParticipant registers a profile for an event, or updates its
// registration. A profile registers once per event: the registration is
// claimed durably by (event, profile), so concurrent registrations agree.
func (s *Service) RegisterParticipant(ctx context.Context, req *meetingsv1.RegisterParticipantRequest) (*meetingsv1.RegisterParticipantResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateRegistration(req); err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	organizer := domain.IsOrganizer(p, ev)
	probe := &meetingsv1.Participant{Profile: req.GetProfile()}
	if !organizer && !domain.ActsFor(p, probe) {
		return nil, fmt.Errorf("%s may only register its own organization or itself: %w", p.Subject, grpcerr.ErrPermission)
	}
	if err := s.knownProfile(ctx, req.GetProfile()); err != nil {
		return nil, err
	}
	switch st := ev.GetStatus(); {
	case st == meetingsv1.EventStatus_EVENT_STATUS_CLOSED, st == meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !organizer:
		return nil, fmt.Errorf("event %s is %s: %w", ev.GetId(), st, grpcerr.ErrPrecondition)
	case st != meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN && !organizer:
		return nil, fmt.Errorf("registration for event %s is not open (%s): %w", ev.GetId(), st, grpcerr.ErrPrecondition)
	}
	if err := checkSlots(ev, req.GetAvailableSlotIds()); err != nil {
		return nil, err
	}
	if now := s.now(); !organizer {
		if o := ev.GetRegistrationOpensAt(); o != nil && now.Before(o.AsTime()) {
			return nil, fmt.Errorf("registration for event %s opens at %s: %w", ev.GetId(), o.AsTime().Format(time.RFC3339), grpcerr.ErrPrecondition)
		}
		if c := ev.GetRegistrationClosesAt(); c != nil && !now.Before(c.AsTime()) {
			return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("registration for event %s closed at %s", ev.GetId(), c.AsTime().Format(time.RFC3339)),
				grpcerr.Violation{Field: "event_id", Description: "registration has closed"})
		}
	}
	profile := domain.ProfileKey(req.GetProfile())
	if err := domain.CheckAnswers(ev, req.GetAnswers(), false); err != nil {
		return nil, err
	}
	id, _, err := s.claims.Claim(ctx, "registration\x00"+ev.GetId()+"\x00"+profile, newID())
	if err != nil {
		return nil, err
	}
	cur, rev, err := s.loadParticipant(ctx, id)
	h := s.header(p)
	switch {
	case isNotFound(err):
		if err := checkLimit(organizer, ev, 0, req.GetMaxMeetings()); err != nil {
			return nil, err
		}
		// Organizers adding someone may not know the answers.
		if err := domain.CheckAnswers(ev, req.GetAnswers(), !organizer); err != nil {
			return nil, err
		}
		if !organizer {
			if err := s.takePlace(ctx, ev, id); err != nil {
				return nil, err
			}
		}
		now := s.ts()
		pa := &meetingsv1.Participant{
			Id: id, EventId: ev.GetId(), Profile: req.GetProfile(), DisplayName: domain.Placeholder(req.GetProfile()),
			AvailableSlotIds: slices.Clone(req.GetAvailableSlotIds()), MaxMeetings: req.GetMaxMeetings(),
			CooperationProfileIds: slices.Clone(req.GetCooperationProfileIds()),
			Status:                meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED, Version: 1, RegisteredAt: now, UpdatedAt: now,
			Answers: cloneAnswers(req.GetAnswers()), CheckInCode: newCheckInCode(),
		}
		_, err := s.write(ctx, id, &eventsv1.ParticipantRegistered{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: 1, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), Participant: pa,
		}, 0)
		if errors.Is(err, grpcerr.ErrAlreadyExists) {
			return s.RegisterParticipant(ctx, req) // lost a race with the same registration: now it updates
		}
		if err != nil {
			return nil, err
		}
		return &meetingsv1.RegisterParticipantResponse{Participant: s.view(p, pa)}, nil
	case err != nil:
		return nil, err
	}
	// Already registered: this updates the registration.
	if err := checkVersion("participant", id, req.GetExpectedVersion(), cur.GetVersion()); err != nil {
		return nil, err
	}
	if err := checkLimit(organizer, ev, cur.GetMaxMeetings(), req.GetMaxMeetings()); err != nil {
		return nil, err
	}
	next := domain.Clone(cur)
	next.CooperationProfileIds = slices.Clone(req.GetCooperationProfileIds())
	next.MaxMeetings = req.GetMaxMeetings()
	if len(req.GetAvailableSlotIds()) > 0 {
		next.AvailableSlotIds = slices.Clone(req.GetAvailableSlotIds())
	}
	if len(req.GetAnswers()) > 0 {
		if err := domain.CheckAnswers(ev, req.GetAnswers(), !organizer); err != nil {
			return nil, err
		}
		next.Answers = cloneAnswers(req.GetAnswers())
	}
	next.Status = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED
	if next.CheckInCode == "" { // registered before agendas carried one
		next.CheckInCode = newCheckInCode()
	}
	if err := s.keepsMeetings(next); err != nil {
		return nil, err
	}
	next.Version++
	next.UpdatedAt = s.ts()
	if _, err := s.write(ctx, id, &eventsv1.ParticipantUpdated{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), Participant: next,
	}, rev); err != nil {
		return nil, err
	}
	return &meetingsv1.RegisterParticipantResponse{Participant: s.view(p, next)}, nil
}

// keepsMeetings refuses availability that would leave a confirmed meeting
// in a slot the participant no longer has, naming the meetings.
func (s *Service) keepsMeetings(pa *meetingsv1.Participant) error {
	if len(pa.GetAvailableSlotIds()) == 0 {
		return nil
	}
	var hit []string
	for _, m := range s.activeMeetings(pa.GetEventId()) {
		if slices.Contains(m.GetParticipantIds(), pa.GetId()) && !slices.Contains(pa.GetAvailableSlotIds(), m.GetSlotId()) {
			hit = append(hit, fmt.Sprintf("%s (slot %s)", m.GetId(), m.GetSlotId()))
		}
	}
	if len(hit) > 0 {
		return fmt.Errorf("participant %s has confirmed meetings in slots it would no longer be available in: %s; cancel them first: %w",
			pa.GetId(), strings.Join(hit, ", "), grpcerr.ErrPrecondition)
	}
	return nil
}

// SetAvailability replaces a participant's available slots and limit.
func (s *Service) SetAvailability(ctx context.Context, req *meetingsv1.SetAvailabilityRequest) (*meetingsv1.SetAvailabilityResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateAvailability(req); err != nil {
		return nil, err
	}
	cur, rev, err := s.loadParticipant(ctx, req.GetParticipantId())
	if err != nil {
		return nil, err
	}
	if cur.GetEventId() != req.GetEventId() {
		return nil, fmt.Errorf("participant %s of event %s: %w", req.GetParticipantId(), req.GetEventId(), grpcerr.ErrNotFound)
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	organizer := domain.IsOrganizer(p, ev)
	if !organizer && !domain.ActsFor(p, cur) {
		return nil, fmt.Errorf("%s may not change participant %s: %w", p.Subject, cur.GetId(), grpcerr.ErrPermission)
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED || cur.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
		return nil, fmt.Errorf("participant %s can no longer change (event %s, participant %s): %w", cur.GetId(), ev.GetStatus(), cur.GetStatus(), grpcerr.ErrPrecondition)
	}
	if err := checkVersion("participant", cur.GetId(), req.GetExpectedVersion(), cur.GetVersion()); err != nil {
		return nil, err
	}
	if err := checkSlots(ev, req.GetAvailableSlotIds()); err != nil {
		return nil, err
	}
	if err := checkLimit(organizer, ev, cur.GetMaxMeetings(), req.GetMaxMeetings()); err != nil {
		return nil, err
	}
	next := domain.Clone(cur)
	next.AvailableSlotIds, next.MaxMeetings = slices.Clone(req.GetAvailableSlotIds()), req.GetMaxMeetings()
	if err := s.keepsMeetings(next); err != nil {
		return nil, err
	}
	next.Version++
	next.UpdatedAt = s.ts()
	h := s.header(p)
	if _, err := s.write(ctx, cur.GetId(), &eventsv1.ParticipantAvailabilitySet{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), Participant: next,
	}, rev); err != nil {
		return nil, err
	}
	return &meetingsv1.SetAvailabilityResponse{Participant: s.view(p, next)}, nil
}

// ListParticipants lists an event's participants by name.
func (s *Service) ListParticipants(ctx context.Context, req *meetingsv1.ListParticipantsRequest) (*meetingsv1.ListParticipantsResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	statuses := req.GetStatuses()
	if len(statuses) == 0 {
		statuses = []meetingsv1.ParticipantStatus{meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED}
	}
	q := strings.ToLower(strings.TrimSpace(req.GetQuery()))
	organizer := domain.IsOrganizer(p, ev)
	var out []*meetingsv1.Participant
	for _, pa := range s.index.Participants(ev.GetId()) {
		if !slices.Contains(statuses, pa.GetStatus()) {
			continue
		}
		// Hidden and anonymous participants are listed to the event's
		// organizers only: to others even an unnamed entry carries the
		// profile id that leads to more.
		name, identified := domain.Disclose(p, pa.GetProfile(), s.lookup)
		if !identified && !organizer {
			continue
		}
		// Search only the name the caller may see, so a hidden name cannot be found by guessing.
		v := domain.Clone(pa)
		v.DisplayName = name
		if !organizer && !domain.ActsFor(p, pa) {
			v.Answers = nil // a registration form is for the organizers
			v.CheckInCode = ""
		}
		hideFeed(p, v)
		if q != "" && !strings.Contains(strings.ToLower(name), q) {
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *meetingsv1.Participant) int {
		return cmp.Or(cmp.Compare(a.GetDisplayName(), b.GetDisplayName()), cmp.Compare(a.GetId(), b.GetId()))
	})
	items, next, err := page(out, req.GetPageSize(), 1000, 50, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.ListParticipantsResponse{Participants: items, NextPageToken: next}, nil
}

// takePlace holds one of the event's places (Event.capacity) for
// participant id. Places are create-only claims, one key each, so
// registrations on any number of replicas never take more places than
// there are. A retry of the same registration finds its own place.
func (s *Service) takePlace(ctx context.Context, ev *meetingsv1.Event, id string) error {
	capacity := int(ev.GetCapacity())
	if capacity <= 0 {
		return nil
	}
	// The places below the number registered are most likely taken: start
	// there, and wrap round.
	from := 0
	for _, pa := range s.index.Participants(ev.GetId()) {
		if pa.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			from++
		}
	}
	for i := range capacity {
		n := (from + i) % capacity
		winner, _, err := s.claims.Claim(ctx, "place\x00"+ev.GetId()+"\x00"+strconv.Itoa(n), id)
		if err != nil {
			return err
		}
		if winner == id {
			return nil
		}
	}
	return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("event %s is full: all %d places are taken", ev.GetId(), capacity),
		grpcerr.Violation{Field: "event_id", Description: "the event is full"})
}

func cloneAnswers(as []*meetingsv1.RegistrationAnswer) []*meetingsv1.RegistrationAnswer {
	out := make([]*meetingsv1.RegistrationAnswer, 0, len(as))
	for _, a := range as {
		out = append(out, domain.Clone(a))
	}
	return out
}
