// Package ports exposes the matching service over gRPC.
package ports

import (
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// GRPC serves matchingv1.MatchingService. Every RPC answers Unimplemented until the
// matching issue implements it.
type GRPC struct {
	matchingv1.UnimplementedMatchingServiceServer
}

// NewGRPC returns the gRPC adapter of the matching service.
func NewGRPC() *GRPC { return &GRPC{} }
