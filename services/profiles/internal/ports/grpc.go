// Package ports exposes the profiles service over gRPC.
package ports

import (
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// GRPC serves profilesv1.ProfilesService. Every RPC answers Unimplemented until the
// profiles issue implements it.
type GRPC struct {
	profilesv1.UnimplementedProfilesServiceServer
}

// NewGRPC returns the gRPC adapter of the profiles service.
func NewGRPC() *GRPC { return &GRPC{} }
