// Package adapters connects the competencies service to JetStream: its
// buckets of competencies and cooperation profiles (each value the event that
// produced it, relayed to TANDEM_COMPETENCIES), the request claims, and its
// record of holders fed by the profiles service's events.
package adapters

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
)

// Names of the service's JetStream resources.
const (
	Stream             = "TANDEM_COMPETENCIES"
	StreamSubjects     = "tandem.competencies.v1.>"
	CompetenciesBucket = "competencies_competencies"
	CooperationBucket  = "competencies_cooperation_profiles"
	CollabBucket       = "competencies_collaborations"
	ClaimsBucket       = "competencies_requests"
	HoldersBucket      = "competencies_holders"
	ProfilesDurable    = "competencies_profiles"
)

// Stores are the service's buckets.
type Stores struct {
	Competencies, Cooperations, Collaborations *eventkv.Store
	Claims                                     *eventkv.Claims
	Holders                                    *Holders
}

// Open creates or opens the buckets and the event stream.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Stores, error) {
	comps, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: CompetenciesBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	coops, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: CooperationBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	collabs, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: CollabBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	claims, err := eventkv.OpenClaims(ctx, js, ClaimsBucket, replicas)
	if err != nil {
		return nil, err
	}
	holders, err := OpenHolders(ctx, js, HoldersBucket, replicas)
	if err != nil {
		return nil, err
	}
	return &Stores{Competencies: comps, Cooperations: coops, Collaborations: collabs, Claims: claims, Holders: holders}, nil
}
