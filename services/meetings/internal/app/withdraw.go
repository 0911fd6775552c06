package app

import (
	"context"
	"fmt"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// WithdrawParticipant takes a participant out of an event, at its own
// wish or an organizer's: the participant first, so that no new request
// or booking reaches it meanwhile, then its open requests and confirmed
// meetings, each cancelled with its own event so the other parties are
// told and calendars drop the meetings. Withdrawing again finishes what
// an interrupted call began and otherwise changes nothing.
func (s *Service) WithdrawParticipant(ctx context.Context, req *meetingsv1.WithdrawParticipantRequest) (*meetingsv1.WithdrawParticipantResponse, error) {
	p, ev, pa, err := s.selfOrOrganizer(ctx, req.GetEventId(), req.GetParticipantId(), "withdraw")
	if err != nil {
		return nil, err
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED {
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("event %s is closed", ev.GetId()),
			grpcerr.Violation{Field: "event_id", Description: "a closed event keeps its participants"})
	}
	if err := retryConflict(func() error { return s.withdraw(ctx, p, pa.GetId()) }); err != nil {
		return nil, err
	}
	nreq, nmeet, err := s.cancelActivity(ctx, p, ev.GetId(), pa.GetId(), func(id string) error { return s.cancelRequest(ctx, p, id, false) })
	if err != nil {
		return nil, err
	}
	out, err := s.readParticipant(ctx, pa.GetId())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.WithdrawParticipantResponse{Participant: s.view(p, out), CancelledRequests: nreq, CancelledMeetings: nmeet}, nil
}

// withdraw marks a participant withdrawn, keeping what it told the event.
func (s *Service) withdraw(ctx context.Context, p domain.Principal, id string) error {
	cur, rev, err := s.loadParticipant(ctx, id)
	if err != nil {
		return err
	}
	if cur.GetStatus() == withdrawn {
		return nil
	}
	next := domain.Clone(cur)
	next.Status = withdrawn
	next.Version++
	next.UpdatedAt = s.ts()
	h := s.header(p)
	_, err = s.write(ctx, id, &eventsv1.ParticipantWithdrawn{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: cur.GetEventId(), Participant: next,
	}, rev)
	return err
}

// cancelRequest cancels an open request of a withdrawn participant. An
// erased participant's drops its messages, which either side may have
// written about it, and its history with them.
func (s *Service) cancelRequest(ctx context.Context, p domain.Principal, id string, erased bool) error {
	cur, rev, err := s.loadRequest(ctx, id)
	if err != nil {
		return err
	}
	if !open(cur) {
		return nil
	}
	next := domain.Clone(cur)
	next.Status = cancelled
	next.Version++
	next.UpdatedAt = s.ts()
	h := s.header(p)
	ev := &eventsv1.MeetingRequestCancelled{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: cur.GetEventId(), MeetingRequest: next,
	}
	if erased {
		next.Message, next.ResponseMessage = "", ""
		return s.erase(ctx, id, ev, rev)
	}
	_, err = s.write(ctx, id, ev, rev)
	return err
}
