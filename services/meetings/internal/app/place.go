package app

import (
	"context"
	"fmt"
	"slices"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// PlaceRequest places an accepted request without a meeting by hand: in
// a schedule under review as a locked provisional meeting, after
// publication as a confirmed booking. Either way it is checked like a
// move (the participants registered and available, neither meeting
// anyone else then, the table free) and against each participant's limit
// of meetings, which a move never changes but a placement does.
func (s *Service) PlaceRequest(ctx context.Context, req *meetingsv1.PlaceRequestRequest) (*meetingsv1.PlaceRequestResponse, error) {
	p, ev, err := s.startEdit(ctx, req.GetEventId(), domain.ValidatePlace(req))
	if err != nil {
		return nil, err
	}
	e, ok := s.index.Request(req.GetRequestId())
	if !ok || e.Value.GetEventId() != ev.GetId() {
		return nil, grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("event %s has no request %s", ev.GetId(), req.GetRequestId()),
			grpcerr.Violation{Field: "request_id", Description: "not a request of this event"})
	}
	rq := e.Value
	if rq.GetStatus() != accepted {
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("meeting request %s is %s, not accepted", rq.GetId(), rq.GetStatus()),
			grpcerr.Violation{Field: "request_id", Description: "not accepted"})
	}
	rv, err := s.underReview(ctx, ev)
	if err != nil {
		return nil, err
	}
	pair := []string{rq.GetFromParticipantId(), rq.GetToParticipantId()}
	var all []*meetingsv1.Meeting // every meeting that stands: confirmed, and those under review
	all = append(all, s.activeMeetings(ev.GetId())...)
	if rv != nil {
		all = append(all, rv.meetings...)
	}
	seen := map[string]bool{}
	count := map[string]int{}
	for _, m := range all {
		if seen[m.GetId()] || m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		seen[m.GetId()] = true
		ids := m.GetParticipantIds()
		if m.GetRequestId() == rq.GetId() || (slices.Contains(ids, pair[0]) && slices.Contains(ids, pair[1])) {
			return nil, grpcerr.Refused(grpcerr.ErrPrecondition, "this request already has a meeting: move it instead",
				grpcerr.Violation{Field: "request_id", Description: "already has a meeting"})
		}
		for _, id := range ids {
			count[id]++
		}
	}
	m := &meetingsv1.Meeting{Id: newID(), EventId: ev.GetId(), ParticipantIds: pair, RequestId: rq.GetId(),
		Status: meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL, Origin: meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER, Locked: true}
	m.IcalUid = ICalUID(m.GetId())
	admin := domain.Principal{Admin: true}
	for _, id := range pair {
		pa, ok := s.index.Participant(id)
		if !ok {
			continue // editProblem says it withdrew
		}
		if l := limit(ev, pa.Value); l > 0 && count[id] >= l {
			name := s.nameFor(admin, pa.Value)
			return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("%s has reached its limit of %d meetings", name, l),
				grpcerr.Violation{Field: "request_id", Description: fmt.Sprintf("%s has reached its limit of %d meetings", name, l)})
		}
	}
	if err := s.editProblem(ev, m, req.GetSlotId(), req.GetTableId(), s.busyWithout(ev, rv)); err != nil {
		return nil, err
	}
	if rv == nil {
		// Published: a confirmed booking, which holds the places against
		// bookings on other replicas.
		res, err := s.BookMeeting(ctx, &meetingsv1.BookMeetingRequest{EventId: ev.GetId(), ParticipantId: pair[0], RequestId: rq.GetId(),
			SlotId: req.GetSlotId(), TableId: req.GetTableId()})
		if err != nil {
			return nil, err
		}
		return &meetingsv1.PlaceRequestResponse{Meeting: res.GetMeeting()}, nil
	}
	if err := checkVersion("schedule", rv.sc.GetId(), req.GetExpectedScheduleVersion(), rv.sc.GetVersion()); err != nil {
		return nil, err
	}
	now := s.ts()
	m.Version, m.CreatedAt, m.UpdatedAt = 1, now, now
	place(ev, m, req.GetSlotId(), req.GetTableId())
	sc, err := s.commit(ctx, p, rv, m)
	if err != nil {
		return nil, err
	}
	return &meetingsv1.PlaceRequestResponse{Meeting: m, Schedule: sc}, nil
}
