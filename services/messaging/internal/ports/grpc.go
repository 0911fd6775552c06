// Package ports exposes the messaging service over gRPC.
package ports

import (
	"context"

	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/app"
)

// GRPC serves messagingv1.MessagingService; errors are mapped to statuses
// by the server's grpcerr interceptor.
type GRPC struct {
	messagingv1.UnimplementedMessagingServiceServer
	svc *app.Service
}

// NewGRPC returns the gRPC adapter of the messaging service.
func NewGRPC(svc *app.Service) *GRPC { return &GRPC{svc: svc} }

func (g *GRPC) SendContactRequest(ctx context.Context, r *messagingv1.SendContactRequestRequest) (*messagingv1.SendContactRequestResponse, error) {
	c, err := g.svc.Send(ctx, r)
	if err != nil {
		return nil, err
	}
	return &messagingv1.SendContactRequestResponse{Conversation: c}, nil
}

func (g *GRPC) RespondToContactRequest(ctx context.Context, r *messagingv1.RespondToContactRequestRequest) (*messagingv1.RespondToContactRequestResponse, error) {
	c, err := g.svc.Respond(ctx, r)
	if err != nil {
		return nil, err
	}
	return &messagingv1.RespondToContactRequestResponse{Conversation: c}, nil
}

func (g *GRPC) PostMessage(ctx context.Context, r *messagingv1.PostMessageRequest) (*messagingv1.PostMessageResponse, error) {
	c, err := g.svc.Post(ctx, r)
	if err != nil {
		return nil, err
	}
	return &messagingv1.PostMessageResponse{Conversation: c}, nil
}

func (g *GRPC) GetConversation(ctx context.Context, r *messagingv1.GetConversationRequest) (*messagingv1.GetConversationResponse, error) {
	c, err := g.svc.Get(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return &messagingv1.GetConversationResponse{Conversation: c}, nil
}

func (g *GRPC) ListConversations(ctx context.Context, r *messagingv1.ListConversationsRequest) (*messagingv1.ListConversationsResponse, error) {
	return g.svc.List(ctx, r)
}

func (g *GRPC) GetNotificationSettings(ctx context.Context, _ *messagingv1.GetNotificationSettingsRequest) (*messagingv1.GetNotificationSettingsResponse, error) {
	s, err := g.svc.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	return &messagingv1.GetNotificationSettingsResponse{Settings: s}, nil
}

func (g *GRPC) UpdateNotificationSettings(ctx context.Context, r *messagingv1.UpdateNotificationSettingsRequest) (*messagingv1.UpdateNotificationSettingsResponse, error) {
	s, err := g.svc.UpdateSettings(ctx, r)
	if err != nil {
		return nil, err
	}
	return &messagingv1.UpdateNotificationSettingsResponse{Settings: s}, nil
}

func (g *GRPC) MessageEventParticipants(ctx context.Context, r *messagingv1.MessageEventParticipantsRequest) (*messagingv1.MessageEventParticipantsResponse, error) {
	cs, err := g.svc.MessageEventParticipants(ctx, r)
	if err != nil {
		return nil, err
	}
	return &messagingv1.MessageEventParticipantsResponse{Conversations: cs}, nil
}
