// Package adapters connects the profiles service to JetStream: the buckets
// that hold organisations, people and client request claims, and the watch
// that feeds the read index.
package adapters

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/services/profiles/internal/app"
)

// Names of the service's JetStream resources.
const (
	Stream         = "TANDEM_PROFILES"
	StreamSubjects = "tandem.profiles.v1.>"
	OrgBucket      = "profiles_organizations"
	PeopleBucket   = "profiles_people"
	ClaimsBucket   = "profiles_requests"
)

// Stores are the service's buckets.
type Stores struct {
	Orgs, People *eventkv.Store
	Claims       *eventkv.Claims
}

// Open creates or opens the buckets and the event stream.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Stores, error) {
	orgs, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: OrgBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	people, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: PeopleBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	claims, err := eventkv.OpenClaims(ctx, js, ClaimsBucket, replicas)
	if err != nil {
		return nil, err
	}
	return &Stores{Orgs: orgs, People: people, Claims: claims}, nil
}

// Feeds keep index current from the two buckets until their ctx ends;
// orgsSynced and peopleSynced are called once each bucket's existing entries
// are in the index.
func (s *Stores) Feeds(index *app.Index, orgsSynced, peopleSynced func()) (orgs, people func(context.Context) error) {
	apply := func(_ string, ev proto.Message, _ uint64) error {
		index.Apply(ev)
		return nil
	}
	orgs = func(ctx context.Context) error {
		if err := s.Orgs.Watch(ctx, apply, eventkv.OnSynced(orgsSynced)); err != nil {
			return fmt.Errorf("watch organizations: %w", err)
		}
		return nil
	}
	people = func(ctx context.Context) error {
		if err := s.People.Watch(ctx, apply, eventkv.OnSynced(peopleSynced), eventkv.OnRevision(index.PassedPeople)); err != nil {
			return fmt.Errorf("watch people: %w", err)
		}
		return nil
	}
	return orgs, people
}

// Relays publish every stored event to the event stream until ctx ends.
func (s *Stores) Relays(log *slog.Logger, opts ...eventkv.RelayOption) (orgs, people func(context.Context) error) {
	return func(ctx context.Context) error { return s.Orgs.Relay(ctx, log, opts...) },
		func(ctx context.Context) error { return s.People.Relay(ctx, log, opts...) }
}
