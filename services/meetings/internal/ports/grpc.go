// Package ports exposes the meetings service over gRPC.
package ports

import (
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// GRPC serves meetingsv1.MeetingsService. Every RPC answers Unimplemented until the
// meetings issue implements it.
type GRPC struct {
	meetingsv1.UnimplementedMeetingsServiceServer
}

// NewGRPC returns the gRPC adapter of the meetings service.
func NewGRPC() *GRPC { return &GRPC{} }
