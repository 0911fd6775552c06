package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// batchWorkers bounds the items of one batch handled at once: enough to
// overlap JetStream round trips (an item waits on several; through the
// gateway 32 set an event up a third faster than 8), few enough to leave
// room for other calls.
const batchWorkers = 32

// eachItem runs do for every item, a few at once, and returns each item's
// error (nil for success) in the items' order.
func eachItem[I any](ctx context.Context, items []I, do func(ctx context.Context, i int, item I) error) []error {
	errs := make([]error, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(items)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = do(ctx, i, items[i])
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// itemError is an item's error as the single call's status would carry it.
func (s *Service) itemError(err error) *meetingsv1.ItemError {
	if err == nil {
		return nil
	}
	st, _ := status.FromError(grpcerr.ToStatus(s.log, err))
	out := &meetingsv1.ItemError{Code: code.Code(st.Code()).String(), Message: st.Message()}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out.FieldViolations = append(out.FieldViolations, &meetingsv1.ItemFieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return out
}

// sameEvent checks that an item names the batch's event, or none.
func sameEvent(eventID, itemEvent string, i int) error {
	if itemEvent != "" && itemEvent != eventID {
		return grpcerr.Invalid(grpcerr.Violation{Field: "event_id", Description: fmt.Sprintf("item %d is for event %s, the batch for %s", i, itemEvent, eventID)})
	}
	return nil
}

// BatchRegisterParticipants registers many profiles for one event.
func (s *Service) BatchRegisterParticipants(ctx context.Context, req *meetingsv1.BatchRegisterParticipantsRequest) (*meetingsv1.BatchRegisterParticipantsResponse, error) {
	if err := domain.CheckBatch(len(req.GetItems())); err != nil {
		return nil, err
	}
	res := make([]*meetingsv1.BatchRegisterParticipantsResult, len(req.GetItems()))
	errs := eachItem(ctx, req.GetItems(), func(ctx context.Context, i int, it *meetingsv1.RegisterParticipantRequest) error {
		if err := sameEvent(req.GetEventId(), it.GetEventId(), i); err != nil {
			return err
		}
		one := domain.Clone(it)
		one.EventId = req.GetEventId()
		r, err := s.RegisterParticipant(ctx, one)
		res[i] = &meetingsv1.BatchRegisterParticipantsResult{Participant: r.GetParticipant()}
		return err
	})
	for i, err := range errs {
		if err != nil {
			res[i] = &meetingsv1.BatchRegisterParticipantsResult{Error: s.itemError(err)}
		}
	}
	return &meetingsv1.BatchRegisterParticipantsResponse{Results: res}, nil
}

// BatchRequestMeetings sends many meeting requests in one event.
func (s *Service) BatchRequestMeetings(ctx context.Context, req *meetingsv1.BatchRequestMeetingsRequest) (*meetingsv1.BatchRequestMeetingsResponse, error) {
	if err := domain.CheckBatch(len(req.GetItems())); err != nil {
		return nil, err
	}
	res := make([]*meetingsv1.MeetingRequestResult, len(req.GetItems()))
	errs := eachItem(ctx, req.GetItems(), func(ctx context.Context, i int, it *meetingsv1.RequestMeetingRequest) error {
		if err := sameEvent(req.GetEventId(), it.GetEventId(), i); err != nil {
			return err
		}
		one := domain.Clone(it)
		one.EventId = req.GetEventId()
		if one.GetClientRequestId() == "" && req.GetClientRequestId() != "" {
			one.ClientRequestId = req.GetClientRequestId() + ":" + strconv.Itoa(i)
		}
		r, err := s.RequestMeeting(ctx, one)
		res[i] = &meetingsv1.MeetingRequestResult{MeetingRequest: r.GetMeetingRequest()}
		return err
	})
	for i, err := range errs {
		if err != nil {
			res[i] = &meetingsv1.MeetingRequestResult{Error: s.itemError(err)}
		}
	}
	return &meetingsv1.BatchRequestMeetingsResponse{Results: res}, nil
}

// BatchRespondToMeetingRequests answers many requests. An answer the
// request already has is a success: that is what a retried batch finds.
func (s *Service) BatchRespondToMeetingRequests(ctx context.Context, req *meetingsv1.BatchRespondToMeetingRequestsRequest) (*meetingsv1.BatchRespondToMeetingRequestsResponse, error) {
	if err := domain.CheckBatch(len(req.GetItems())); err != nil {
		return nil, err
	}
	res := make([]*meetingsv1.MeetingRequestResult, len(req.GetItems()))
	errs := eachItem(ctx, req.GetItems(), func(ctx context.Context, i int, it *meetingsv1.RespondToMeetingRequestRequest) error {
		r, err := s.RespondToMeetingRequest(ctx, it)
		// Answered already, or just now by a concurrent copy of this batch:
		// the call got past the permission checks to the status or the
		// version check, so the caller may see the request.
		if errors.Is(err, grpcerr.ErrPrecondition) || errors.Is(err, grpcerr.ErrConflict) {
			if cur, _, lerr := s.loadRequest(ctx, it.GetRequestId()); lerr == nil && answered(cur, it) {
				res[i] = &meetingsv1.MeetingRequestResult{MeetingRequest: cur}
				return nil
			}
		}
		res[i] = &meetingsv1.MeetingRequestResult{MeetingRequest: r.GetMeetingRequest()}
		return err
	})
	for i, err := range errs {
		if err != nil {
			res[i] = &meetingsv1.MeetingRequestResult{Error: s.itemError(err)}
		}
	}
	return &meetingsv1.BatchRespondToMeetingRequestsResponse{Results: res}, nil
}

// answered reports whether r already carries the answer it asks for.
func answered(r *meetingsv1.MeetingRequest, it *meetingsv1.RespondToMeetingRequestRequest) bool {
	want := map[meetingsv1.MeetingRequestAction]meetingsv1.MeetingRequestStatus{
		meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT:    accepted,
		meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE:   meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED,
		meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS: noThanks,
		meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL:    cancelled,
	}[it.GetAction()]
	return want != 0 && r.GetStatus() == want && (!it.GetAcceptAsMutual() || r.GetMutual())
}
