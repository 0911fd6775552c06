// Package ports exposes the competencies service over gRPC.
package ports

import (
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
)

// GRPC serves competenciesv1.CompetenciesService. Every RPC answers Unimplemented until the
// competencies issue implements it.
type GRPC struct {
	competenciesv1.UnimplementedCompetenciesServiceServer
}

// NewGRPC returns the gRPC adapter of the competencies service.
func NewGRPC() *GRPC { return &GRPC{} }
