// Package ports exposes the matching service over gRPC.
package ports

import (
	"context"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/app"
)

// GRPC serves matchingv1.MatchingService.
type GRPC struct {
	matchingv1.UnimplementedMatchingServiceServer
	svc *app.Service
}

// NewGRPC returns the gRPC adapter of the matching service.
func NewGRPC(svc *app.Service) *GRPC { return &GRPC{svc: svc} }

// SuggestPartners returns a ranked, explained list of candidates.
//
// A kept answer goes out as the encoding made when it was first served: a
// response holding it as its only (unknown) fields is written byte for
// byte, so it is not encoded again on every call.
func (g *GRPC) SuggestPartners(ctx context.Context, r *matchingv1.SuggestPartnersRequest) (*matchingv1.SuggestPartnersResponse, error) {
	res, wire, err := g.svc.SuggestWire(ctx, r)
	if err != nil || wire == nil {
		return res, err
	}
	out := &matchingv1.SuggestPartnersResponse{}
	out.ProtoReflect().SetUnknown(wire)
	return out, nil
}

// ExplainMatch explains one pair in full.
func (g *GRPC) ExplainMatch(ctx context.Context, r *matchingv1.ExplainMatchRequest) (*matchingv1.ExplainMatchResponse, error) {
	return g.svc.Explain(ctx, r)
}

// RecordFeedback records feedback on a candidate.
func (g *GRPC) RecordFeedback(ctx context.Context, r *matchingv1.RecordFeedbackRequest) (*matchingv1.RecordFeedbackResponse, error) {
	return g.svc.RecordFeedback(ctx, r)
}

// ListSavedPartners lists the candidates a seeker saved.
func (g *GRPC) ListSavedPartners(ctx context.Context, r *matchingv1.ListSavedPartnersRequest) (*matchingv1.ListSavedPartnersResponse, error) {
	return g.svc.SavedPartners(ctx, r)
}

// WatchMatches streams saved searches and their new matches. Stream
// handlers get no unary error mapping, so errors are mapped here.
func (g *GRPC) WatchMatches(r *matchingv1.WatchMatchesRequest, stream matchingv1.MatchingService_WatchMatchesServer) error {
	err := g.svc.Watch(stream.Context(), r, stream.Send)
	if err != nil {
		return grpcerr.ToStatus(g.svc.Log, err)
	}
	return nil
}
