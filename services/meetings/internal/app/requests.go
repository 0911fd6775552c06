package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"google.golang.org/protobuf/proto"
	"slices"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// Request statuses, shorter.
const (
	pending   = meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING
	accepted  = meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED
	noThanks  = meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS
	cancelled = meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED
)

// registered returns a registered participant of the event.
func (s *Service) registered(ctx context.Context, eventID, id, field string) (*meetingsv1.Participant, error) {
	pa, err := s.readParticipant(ctx, id)
	if isNotFound(err) || (err == nil && pa.GetEventId() != eventID) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: field, Description: fmt.Sprintf("no participant %q in event %s", id, eventID)})
	}
	if err != nil {
		return nil, err
	}
	if pa.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
		return nil, fmt.Errorf("participant %s has withdrawn: %w", id, grpcerr.ErrPrecondition)
	}
	return pa, nil
}

// pairRequests are the requests of an event from one participant to another.
func (s *Service) pairRequests(eventID, from, to string) []*meetingsv1.MeetingRequest {
	return slices.DeleteFunc(s.index.PairRequests(from, to), func(r *meetingsv1.MeetingRequest) bool {
		return r.GetEventId() != eventID
	})
}

func open(r *meetingsv1.MeetingRequest) bool {
	return r.GetStatus() == pending || r.GetStatus() == accepted
}

// takesRequests refuses requests, and edits of them, outside the event's
// request phases.
func takesRequests(ev *meetingsv1.Event) error {
	switch ev.GetStatus() {
	case meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING, meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED:
		return nil
	}
	return fmt.Errorf("event %s takes no meeting requests while %s: %w", ev.GetId(), ev.GetStatus(), grpcerr.ErrPrecondition)
}

// RequestMeeting sends a request or, when the other side already asked,
// accepts that one as mutual. A second request to the same participant is
// refused: the first is edited with UpdateMeetingRequest.
func (s *Service) RequestMeeting(ctx context.Context, req *meetingsv1.RequestMeetingRequest) (*meetingsv1.RequestMeetingResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateRequestMeeting(req); err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	if err := takesRequests(ev); err != nil {
		return nil, err
	}
	from, err := s.registered(ctx, ev.GetId(), req.GetFromParticipantId(), "from_participant_id")
	if err != nil {
		return nil, err
	}
	to, err := s.registered(ctx, ev.GetId(), req.GetToParticipantId(), "to_participant_id")
	if err != nil {
		return nil, err
	}
	if !domain.IsOrganizer(p, ev) && !domain.ActsFor(p, from) {
		return nil, fmt.Errorf("%s may not send requests for participant %s: %w", p.Subject, from.GetId(), grpcerr.ErrPermission)
	}
	if c := req.GetCooperationProfileId(); c != "" && !slices.Contains(to.GetCooperationProfileIds(), c) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "cooperation_profile_id", Description: fmt.Sprintf("%q is not among participant %s's marketplace items", c, to.GetId())})
	}
	priority := req.GetPriority()
	if priority == meetingsv1.MeetingPriority_MEETING_PRIORITY_UNSPECIFIED {
		priority = meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT
	}
	h := s.header(p)
	// A retry (same client_request_id) returns what the first call made,
	// even while that call is still writing it.
	id, err := s.claimID(ctx, "request", p.Subject, req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	if req.GetClientRequestId() != "" {
		if cur, _, err := s.loadRequest(ctx, id); err == nil {
			return &meetingsv1.RequestMeetingResponse{MeetingRequest: cur}, nil
		}
	}

	for _, r := range s.pairRequests(ev.GetId(), from.GetId(), to.GetId()) {
		if r.GetId() == id {
			return &meetingsv1.RequestMeetingResponse{MeetingRequest: r}, nil
		}
		switch r.GetStatus() {
		case noThanks:
			return nil, fmt.Errorf("participant %s said no thanks to an earlier request (%s) and is not to be asked again: %w", to.GetId(), r.GetId(), grpcerr.ErrPrecondition)
		case pending, accepted:
			// A second request would lose the first's priority and message:
			// the sender edits the first instead.
			return nil, fmt.Errorf("meeting request %s to participant %s is already %s; edit it with UpdateMeetingRequest: %w", r.GetId(), to.GetId(), r.GetStatus(), grpcerr.ErrAlreadyExists)
		}
	}
	// The other side asked first: asking back is accepting, and the meeting
	// is mutual.
	for _, r := range s.pairRequests(ev.GetId(), to.GetId(), from.GetId()) {
		if !open(r) {
			continue
		}
		cur, rev, err := s.loadRequest(ctx, r.GetId())
		if err != nil {
			return nil, err
		}
		if cur.GetStatus() == accepted {
			return &meetingsv1.RequestMeetingResponse{MeetingRequest: cur}, nil
		}
		next := domain.Clone(cur)
		next.Status, next.Mutual = accepted, true
		next.ResponsePriority, next.ResponseMessage = priority, req.GetMessage()
		next.Version++
		next.UpdatedAt, next.RespondedAt = s.ts(), s.ts()
		if _, err := s.write(ctx, cur.GetId(), &eventsv1.MeetingRequestResponded{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), MeetingRequest: next,
		}, rev); err != nil {
			return nil, err
		}
		return &meetingsv1.RequestMeetingResponse{MeetingRequest: next}, nil
	}

	now := s.ts()
	r := &meetingsv1.MeetingRequest{
		Id: id, EventId: ev.GetId(), FromParticipantId: from.GetId(), ToParticipantId: to.GetId(),
		Priority: priority, Message: req.GetMessage(), CooperationProfileId: req.GetCooperationProfileId(),
		Status: pending, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	_, err = s.write(ctx, id, &eventsv1.MeetingRequestCreated{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: 1, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), MeetingRequest: r,
	}, 0)
	if errors.Is(err, grpcerr.ErrAlreadyExists) {
		cur, _, err := s.loadRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		return &meetingsv1.RequestMeetingResponse{MeetingRequest: cur}, nil
	}
	if err != nil {
		return nil, err
	}
	return &meetingsv1.RequestMeetingResponse{MeetingRequest: r}, nil
}

// requestFor loads a request and its event, which the caller must see;
// whether they may act on the request is for the use case to decide.
func (s *Service) requestFor(ctx context.Context, p domain.Principal, id string) (*meetingsv1.MeetingRequest, uint64, *meetingsv1.Event, error) {
	cur, rev, err := s.loadRequest(ctx, id)
	if err != nil {
		return nil, 0, nil, err
	}
	ev, err := s.visibleEvent(ctx, p, cur.GetEventId())
	if err != nil {
		return nil, 0, nil, err
	}
	return cur, rev, ev, nil
}

// UpdateMeetingRequest edits a pending request's priority, message and
// marketplace item, for its sender or an organizer.
func (s *Service) UpdateMeetingRequest(ctx context.Context, req *meetingsv1.UpdateMeetingRequestRequest) (*meetingsv1.UpdateMeetingRequestResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateUpdateMeetingRequest(req); err != nil {
		return nil, err
	}
	cur, rev, ev, err := s.requestFor(ctx, p, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	from, err := s.readParticipant(ctx, cur.GetFromParticipantId())
	if err != nil {
		return nil, err
	}
	to, err := s.readParticipant(ctx, cur.GetToParticipantId())
	if err != nil {
		return nil, err
	}
	switch {
	case domain.IsOrganizer(p, ev) || domain.ActsFor(p, from):
	case domain.ActsFor(p, to):
		return nil, fmt.Errorf("only the sender edits meeting request %s; the recipient answers it: %w", cur.GetId(), grpcerr.ErrPermission)
	default:
		return nil, fmt.Errorf("meeting request %s: %w", cur.GetId(), grpcerr.ErrNotFound)
	}
	if err := takesRequests(ev); err != nil {
		return nil, err
	}
	if cur.GetStatus() != pending {
		return nil, fmt.Errorf("meeting request %s is %s; only a pending request is edited: %w", cur.GetId(), cur.GetStatus(), grpcerr.ErrPrecondition)
	}
	if err := checkVersion("meeting request", cur.GetId(), req.GetExpectedVersion(), cur.GetVersion()); err != nil {
		return nil, err
	}
	if c := req.GetCooperationProfileId(); c != "" && !slices.Contains(to.GetCooperationProfileIds(), c) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "cooperation_profile_id", Description: fmt.Sprintf("%q is not among participant %s's marketplace items", c, to.GetId())})
	}
	next := domain.Clone(cur)
	next.Priority = cmp.Or(req.GetPriority(), meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT)
	next.Message, next.CooperationProfileId = req.GetMessage(), req.GetCooperationProfileId()
	next.Version++
	next.UpdatedAt = s.ts()
	h := s.header(p)
	if _, err := s.write(ctx, cur.GetId(), &eventsv1.MeetingRequestUpdated{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), MeetingRequest: next,
	}, rev); err != nil {
		return nil, err
	}
	return &meetingsv1.UpdateMeetingRequestResponse{MeetingRequest: next}, nil
}

// RespondToMeetingRequest answers or cancels a request; cancelling also
// cancels a meeting already confirmed for it.
func (s *Service) RespondToMeetingRequest(ctx context.Context, req *meetingsv1.RespondToMeetingRequestRequest) (*meetingsv1.RespondToMeetingRequestResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ValidateRespond(req); err != nil {
		return nil, err
	}
	cur, rev, ev, err := s.requestFor(ctx, p, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	organizer := domain.IsOrganizer(p, ev)
	actsFor := func(id string) bool {
		pa, err := s.readParticipant(ctx, id)
		return err == nil && domain.ActsFor(p, pa)
	}
	isSender, isRecipient := actsFor(cur.GetFromParticipantId()), actsFor(cur.GetToParticipantId())
	if !organizer && !isSender && !isRecipient {
		return nil, fmt.Errorf("meeting request %s: %w", cur.GetId(), grpcerr.ErrNotFound)
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED {
		return nil, fmt.Errorf("event %s is closed: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}
	if err := checkVersion("meeting request", cur.GetId(), req.GetExpectedVersion(), cur.GetVersion()); err != nil {
		return nil, err
	}
	status, err := domain.Respond(cur, req.GetAction(), isRecipient, isSender, organizer)
	if err != nil {
		return nil, err
	}
	next := domain.Clone(cur)
	next.Status = status
	next.Version++
	next.UpdatedAt, next.RespondedAt = s.ts(), s.ts()
	h := s.header(p)
	if status == cancelled {
		if _, err := s.write(ctx, cur.GetId(), &eventsv1.MeetingRequestCancelled{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), MeetingRequest: next,
		}, rev); err != nil {
			return nil, err
		}
		for _, m := range s.activeMeetings(ev.GetId()) {
			if m.GetRequestId() == cur.GetId() {
				if err := s.cancelMeeting(ctx, p, m.GetId(), "the meeting request was cancelled"); err != nil {
					return nil, err
				}
			}
		}
		return &meetingsv1.RespondToMeetingRequestResponse{MeetingRequest: next}, nil
	}
	next.ResponseMessage = req.GetMessage()
	if status == accepted {
		next.ResponsePriority = cmp.Or(req.GetResponsePriority(), meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT)
		next.Mutual = next.GetMutual() || req.GetAcceptAsMutual()
	}
	if _, err := s.write(ctx, cur.GetId(), &eventsv1.MeetingRequestResponded{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: ev.GetId(), MeetingRequest: next,
	}, rev); err != nil {
		return nil, err
	}
	return &meetingsv1.RespondToMeetingRequestResponse{MeetingRequest: next}, nil
}

// actsForParticipant reports whether p acts for participant pid of ev.
func (s *Service) actsForParticipant(ctx context.Context, p domain.Principal, ev *meetingsv1.Event, pid string) bool {
	if pid == "" {
		return false
	}
	pa, err := s.readParticipant(ctx, pid)
	return err == nil && pa.GetEventId() == ev.GetId() && domain.ActsFor(p, pa)
}

// ListMeetingRequests lists requests, newest first: one participant's for
// that participant and organizers, all of them for organizers only.
func (s *Service) ListMeetingRequests(ctx context.Context, req *meetingsv1.ListMeetingRequestsRequest) (*meetingsv1.ListMeetingRequestsResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	organizer := domain.Oversees(p, ev) // reads only
	pid := req.GetParticipantId()
	if pid == "" && !organizer {
		return nil, fmt.Errorf("only organizers list every request of event %s; name a participant: %w", ev.GetId(), grpcerr.ErrPermission)
	}
	if pid != "" && !organizer && !s.actsForParticipant(ctx, p, ev, pid) {
		return nil, fmt.Errorf("%s may not read participant %s's requests: %w", p.Subject, pid, grpcerr.ErrPermission)
	}
	dir := req.GetDirection()
	var out []*meetingsv1.MeetingRequest
	for _, r := range s.index.Requests(ev.GetId()) {
		if pid != "" {
			in, outgoing := r.GetToParticipantId() == pid, r.GetFromParticipantId() == pid
			switch dir {
			case meetingsv1.RequestDirection_REQUEST_DIRECTION_INCOMING:
				if !in {
					continue
				}
			case meetingsv1.RequestDirection_REQUEST_DIRECTION_OUTGOING:
				if !outgoing {
					continue
				}
			default:
				if !in && !outgoing {
					continue
				}
			}
		}
		if len(req.GetStatuses()) > 0 && !slices.Contains(req.GetStatuses(), r.GetStatus()) {
			continue
		}
		out = append(out, r)
	}
	slices.Reverse(out) // ids are ULIDs: newest first
	items, next, err := page(out, req.GetPageSize(), 1000, 50, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	if organizer && !domain.IsOrganizer(p, ev) && !s.actsForParticipant(ctx, p, ev, pid) {
		// A hosting cluster's manager reads the requests for their figures:
		// what the two sides wrote each other stays between them and the
		// event's organisers.
		for i, r := range items {
			if r.GetMessage() != "" || r.GetResponseMessage() != "" {
				r = proto.CloneOf(r)
				r.Message, r.ResponseMessage = "", ""
				items[i] = r
			}
		}
	}
	return &meetingsv1.ListMeetingRequestsResponse{MeetingRequests: items, NextPageToken: next}, nil
}
