package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/domain"
)

// Roster is what the service knows of brokerage events, from the meetings
// service's events: each event's name and organizers, and its
// participants with the profile each stands for.
type Roster struct {
	mu      sync.RWMutex
	events  map[string]*rosterEvent
	version map[string]int64
}

type rosterEvent struct {
	name       string
	organizers []string
	// participant id -> participant (registered or withdrawn)
	participants map[string]*meetingsv1.Participant
}

// NewRoster returns an empty roster.
func NewRoster() *Roster {
	return &Roster{events: map[string]*rosterEvent{}, version: map[string]int64{}}
}

func (r *Roster) event(id string) *rosterEvent {
	e := r.events[id]
	if e == nil {
		e = &rosterEvent{participants: map[string]*meetingsv1.Participant{}}
		r.events[id] = e
	}
	return e
}

// ApplyMeetings applies one meetings event; versions older than the one
// held change nothing.
func (r *Roster) ApplyMeetings(ev proto.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	newer := func(key string, v int64) bool {
		if v != 0 && v <= r.version[key] {
			return false
		}
		r.version[key] = v
		return true
	}
	setEvent := func(agg string, v int64, e *meetingsv1.Event) {
		if e == nil || !newer("event:"+agg, v) {
			return
		}
		re := r.event(e.GetId())
		re.name, re.organizers = e.GetName(), slices.Clone(e.GetOrganizerSubjects())
	}
	setParticipant := func(agg string, v int64, pa *meetingsv1.Participant) {
		if pa == nil || !newer("participant:"+agg, v) {
			return
		}
		r.event(pa.GetEventId()).participants[pa.GetId()] = pa
	}
	switch e := ev.(type) {
	case *eventsv1.BrokerageEventCreated:
		setEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.BrokerageEventUpdated:
		setEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.BrokerageEventStatusChanged:
		setEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.ParticipantRegistered:
		setParticipant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetParticipant())
	case *eventsv1.ParticipantUpdated:
		setParticipant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetParticipant())
	case *eventsv1.ParticipantAvailabilitySet:
		setParticipant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetParticipant())
	case *eventsv1.ParticipantWithdrawn:
		setParticipant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetParticipant())
	}
}

// recipients returns the name of event and the profiles of the
// participants to write to: those named, or every one not withdrawn. ok
// is false when the event is unknown or subject organizes it not (and is
// no administrator).
func (r *Roster) recipients(p auth.Principal, eventID string, ids []string) (name string, out []*profilesv1.ProfileRef, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := r.events[eventID]
	if e == nil || e.name == "" || (!p.Has(auth.RoleAdmin) && !slices.Contains(e.organizers, p.Subject)) {
		// Not telling an event one does not organize from an absent one.
		return "", nil, grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("event %s: not one the caller organizes", eventID),
			grpcerr.Violation{Field: "event_id", Description: "is not an event you organise"})
	}
	seen := map[string]bool{}
	add := func(pa *meetingsv1.Participant) {
		side, ok := domain.SideOf(pa.GetProfile())
		if ok && !seen[side.Key()] {
			seen[side.Key()] = true
			out = append(out, pa.GetProfile())
		}
	}
	if len(ids) == 0 {
		all := make([]string, 0, len(e.participants))
		for id, pa := range e.participants {
			if pa.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
				all = append(all, id)
			}
		}
		slices.Sort(all)
		for _, id := range all {
			add(e.participants[id])
		}
		return e.name, out, nil
	}
	var vs []grpcerr.Violation
	for i, id := range ids {
		pa := e.participants[id]
		if pa == nil || pa.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			vs = append(vs, grpcerr.Violation{Field: fmt.Sprintf("participant_ids[%d]", i), Description: "is not a participant of this event"})
			continue
		}
		add(pa)
	}
	if len(vs) > 0 {
		return "", nil, grpcerr.Invalid(vs...)
	}
	return e.name, out, nil
}

// MessageEventParticipants answers MessageEventParticipants: the message
// goes into each recipient's thread with the organizer's organization for
// this event, created accepted the first time so the participant can
// answer. A retry with the same client_request_id adds nothing twice.
func (s *Service) MessageEventParticipants(ctx context.Context, r *messagingv1.MessageEventParticipantsRequest) ([]*messagingv1.Conversation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ParseEventMessage(r); err != nil {
		return nil, err
	}
	if p.Organization == "" {
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, p.Subject+" writes for no organization",
			grpcerr.Violation{Field: "event_id", Description: "organisers write for their organisation, and you have none"})
	}
	from := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: p.Organization}}
	name, tos, err := s.Roster.recipients(p, r.GetEventId(), r.GetParticipantIds())
	if err != nil {
		return nil, err
	}
	fromSide, _ := domain.SideOf(from)
	out := make([]*messagingv1.Conversation, 0, len(tos))
	for _, to := range tos {
		toSide, _ := domain.SideOf(to)
		if toSide == fromSide {
			continue // the organizer's own organization takes part
		}
		c, err := s.postToThread(ctx, p, r, name, from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// postToThread adds the organizer's message to the thread of event
// r.EventId between from and to, creating the thread first.
func (s *Service) postToThread(ctx context.Context, p auth.Principal, r *messagingv1.MessageEventParticipantsRequest, topic string, from, to *profilesv1.ProfileRef) (*messagingv1.Conversation, error) {
	fromSide, _ := domain.SideOf(from)
	toSide, _ := domain.SideOf(to)
	thread := strings.Join([]string{"event-thread", r.GetEventId(), fromSide.Key(), toSide.Key()}, ":")
	convID, _, err := s.Claims.Claim(ctx, thread, ulid.Make().String())
	if err != nil {
		return nil, err
	}
	msgID := ulid.Make().String()
	if crid := r.GetClientRequestId(); crid != "" {
		winner, _, err := s.Claims.Claim(ctx, "event-message:"+p.Subject+":"+thread+":"+crid, msgID)
		if err != nil {
			return nil, err
		}
		msgID = winner
	}
	raced := false
	for {
		now := timestamppb.Now()
		msg := &messagingv1.Message{Id: msgID, Author: from, AuthorSubject: p.Subject, Text: strings.TrimSpace(r.GetText()), SentAt: now}
		c, rev, err := s.get(ctx, convID)
		if errors.Is(err, grpcerr.ErrNotFound) && raced {
			// The thread was erased with a side's profile: a new one
			// follows it.
			if convID, _, err = s.Claims.Claim(ctx, thread+":"+convID, ulid.Make().String()); err != nil {
				return nil, err
			}
			raced = false
			continue
		}
		if errors.Is(err, grpcerr.ErrNotFound) {
			next := &messagingv1.Conversation{Id: convID, From: from, To: to, Topic: topic, Status: messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED,
				Messages: []*messagingv1.Message{msg}, Version: 1, CreatedAt: now, UpdatedAt: now}
			ev := &eventsv1.MessagePosted{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: convID, AggregateVersion: 1, ActorSubject: p.Subject, Conversation: next}
			_, err := s.Conversations.Create(ctx, convID, ev)
			if errors.Is(err, grpcerr.ErrAlreadyExists) {
				raced = true // created meanwhile, or erased: look again
				continue
			}
			if err != nil {
				return nil, err
			}
			s.Apply(convID, ev)
			return next, nil
		}
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(c.GetMessages(), func(m *messagingv1.Message) bool { return m.GetId() == msgID }) {
			return c, nil // a retry of a message stored already
		}
		if len(c.GetMessages()) >= domain.MaxMessages {
			return nil, fmt.Errorf("conversation %s holds the most messages it may (%d): %w", c.GetId(), domain.MaxMessages, grpcerr.ErrPrecondition)
		}
		next := proto.CloneOf(c)
		next.Version, next.UpdatedAt = c.GetVersion()+1, now
		next.Messages = append(next.Messages, msg)
		ev := &eventsv1.MessagePosted{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: convID, AggregateVersion: next.GetVersion(), ActorSubject: p.Subject, Conversation: next}
		_, err = s.Conversations.Update(ctx, convID, ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // the participant wrote at the same moment: append after theirs
		}
		if err != nil {
			return nil, err
		}
		s.Apply(convID, ev)
		return next, nil
	}
}
