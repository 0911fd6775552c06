// Package ports exposes the meetings service over gRPC.
package ports

import (
	"context"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/app"
)

// GRPC serves meetingsv1.MeetingsService. Handlers return the use cases'
// errors as they are: the server's interceptor maps them to statuses.
type GRPC struct {
	meetingsv1.UnimplementedMeetingsServiceServer
	app *app.Service
}

// NewGRPC returns the gRPC adapter of the meetings service.
func NewGRPC(a *app.Service) *GRPC { return &GRPC{app: a} }

func (g *GRPC) CreateEvent(ctx context.Context, r *meetingsv1.CreateEventRequest) (*meetingsv1.CreateEventResponse, error) {
	return g.app.CreateEvent(ctx, r)
}

func (g *GRPC) GetEvent(ctx context.Context, r *meetingsv1.GetEventRequest) (*meetingsv1.GetEventResponse, error) {
	return g.app.GetEvent(ctx, r)
}

func (g *GRPC) UpdateEvent(ctx context.Context, r *meetingsv1.UpdateEventRequest) (*meetingsv1.UpdateEventResponse, error) {
	return g.app.UpdateEvent(ctx, r)
}

func (g *GRPC) ListEvents(ctx context.Context, r *meetingsv1.ListEventsRequest) (*meetingsv1.ListEventsResponse, error) {
	return g.app.ListEvents(ctx, r)
}

func (g *GRPC) RegisterParticipant(ctx context.Context, r *meetingsv1.RegisterParticipantRequest) (*meetingsv1.RegisterParticipantResponse, error) {
	return g.app.RegisterParticipant(ctx, r)
}

func (g *GRPC) SetAvailability(ctx context.Context, r *meetingsv1.SetAvailabilityRequest) (*meetingsv1.SetAvailabilityResponse, error) {
	return g.app.SetAvailability(ctx, r)
}

func (g *GRPC) ListParticipants(ctx context.Context, r *meetingsv1.ListParticipantsRequest) (*meetingsv1.ListParticipantsResponse, error) {
	return g.app.ListParticipants(ctx, r)
}

func (g *GRPC) RequestMeeting(ctx context.Context, r *meetingsv1.RequestMeetingRequest) (*meetingsv1.RequestMeetingResponse, error) {
	return g.app.RequestMeeting(ctx, r)
}

func (g *GRPC) UpdateMeetingRequest(ctx context.Context, r *meetingsv1.UpdateMeetingRequestRequest) (*meetingsv1.UpdateMeetingRequestResponse, error) {
	return g.app.UpdateMeetingRequest(ctx, r)
}

func (g *GRPC) RespondToMeetingRequest(ctx context.Context, r *meetingsv1.RespondToMeetingRequestRequest) (*meetingsv1.RespondToMeetingRequestResponse, error) {
	return g.app.RespondToMeetingRequest(ctx, r)
}

func (g *GRPC) ListMeetingRequests(ctx context.Context, r *meetingsv1.ListMeetingRequestsRequest) (*meetingsv1.ListMeetingRequestsResponse, error) {
	return g.app.ListMeetingRequests(ctx, r)
}

func (g *GRPC) BookMeeting(ctx context.Context, r *meetingsv1.BookMeetingRequest) (*meetingsv1.BookMeetingResponse, error) {
	return g.app.BookMeeting(ctx, r)
}

func (g *GRPC) GenerateSchedule(ctx context.Context, r *meetingsv1.GenerateScheduleRequest) (*meetingsv1.GenerateScheduleResponse, error) {
	return g.app.GenerateSchedule(ctx, r)
}

func (g *GRPC) PublishSchedule(ctx context.Context, r *meetingsv1.PublishScheduleRequest) (*meetingsv1.PublishScheduleResponse, error) {
	return g.app.PublishSchedule(ctx, r)
}

func (g *GRPC) GetSchedule(ctx context.Context, r *meetingsv1.GetScheduleRequest) (*meetingsv1.GetScheduleResponse, error) {
	return g.app.GetSchedule(ctx, r)
}

func (g *GRPC) GetAgenda(ctx context.Context, r *meetingsv1.GetAgendaRequest) (*meetingsv1.GetAgendaResponse, error) {
	return g.app.GetAgenda(ctx, r)
}

func (g *GRPC) ExportCalendar(ctx context.Context, r *meetingsv1.ExportCalendarRequest) (*meetingsv1.ExportCalendarResponse, error) {
	return g.app.ExportCalendar(ctx, r)
}

func (g *GRPC) BatchRegisterParticipants(ctx context.Context, r *meetingsv1.BatchRegisterParticipantsRequest) (*meetingsv1.BatchRegisterParticipantsResponse, error) {
	return g.app.BatchRegisterParticipants(ctx, r)
}

func (g *GRPC) BatchRequestMeetings(ctx context.Context, r *meetingsv1.BatchRequestMeetingsRequest) (*meetingsv1.BatchRequestMeetingsResponse, error) {
	return g.app.BatchRequestMeetings(ctx, r)
}

func (g *GRPC) BatchRespondToMeetingRequests(ctx context.Context, r *meetingsv1.BatchRespondToMeetingRequestsRequest) (*meetingsv1.BatchRespondToMeetingRequestsResponse, error) {
	return g.app.BatchRespondToMeetingRequests(ctx, r)
}

func (g *GRPC) MoveMeeting(ctx context.Context, r *meetingsv1.MoveMeetingRequest) (*meetingsv1.MoveMeetingResponse, error) {
	return g.app.MoveMeeting(ctx, r)
}

func (g *GRPC) SwapMeetings(ctx context.Context, r *meetingsv1.SwapMeetingsRequest) (*meetingsv1.SwapMeetingsResponse, error) {
	return g.app.SwapMeetings(ctx, r)
}

func (g *GRPC) SetMeetingLock(ctx context.Context, r *meetingsv1.SetMeetingLockRequest) (*meetingsv1.SetMeetingLockResponse, error) {
	return g.app.SetMeetingLock(ctx, r)
}

func (g *GRPC) PlaceRequest(ctx context.Context, r *meetingsv1.PlaceRequestRequest) (*meetingsv1.PlaceRequestResponse, error) {
	return g.app.PlaceRequest(ctx, r)
}

func (g *GRPC) WithdrawParticipant(ctx context.Context, r *meetingsv1.WithdrawParticipantRequest) (*meetingsv1.WithdrawParticipantResponse, error) {
	return g.app.WithdrawParticipant(ctx, r)
}

func (g *GRPC) CheckInParticipant(ctx context.Context, r *meetingsv1.CheckInParticipantRequest) (*meetingsv1.CheckInParticipantResponse, error) {
	return g.app.CheckInParticipant(ctx, r)
}

func (g *GRPC) IssueCheckInCode(ctx context.Context, r *meetingsv1.IssueCheckInCodeRequest) (*meetingsv1.IssueCheckInCodeResponse, error) {
	return g.app.IssueCheckInCode(ctx, r)
}

func (g *GRPC) MarkNoShow(ctx context.Context, r *meetingsv1.MarkNoShowRequest) (*meetingsv1.MarkNoShowResponse, error) {
	return g.app.MarkNoShow(ctx, r)
}

func (g *GRPC) SetCalendarFeed(ctx context.Context, r *meetingsv1.SetCalendarFeedRequest) (*meetingsv1.SetCalendarFeedResponse, error) {
	return g.app.SetCalendarFeed(ctx, r)
}

func (g *GRPC) GetCalendarFeed(ctx context.Context, r *meetingsv1.GetCalendarFeedRequest) (*meetingsv1.GetCalendarFeedResponse, error) {
	return g.app.GetCalendarFeed(ctx, r)
}
