package adapters

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
)

// Stream and subjects of the matching service's own events.
const (
	Stream         = "TANDEM_MATCHING"
	StreamSubjects = "tandem.matching.v1.>"
	MatchSubject   = "tandem.matching.v1.match.found"
)

// Stores are the matching service's own durable state in JetStream:
// feedback and saved searches (each stored as its latest event) and the
// claims that make retried creates idempotent.
type Stores struct {
	Feedback *eventkv.Store
	Searches *eventkv.Store
	Claims   *eventkv.Claims
}

// OpenStores creates or opens the buckets and the TANDEM_MATCHING stream.
func OpenStores(ctx context.Context, js jetstream.JetStream, replicas int) (*Stores, error) {
	fb, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "matching_feedback", Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	ss, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: "matching_saved_searches", Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	cl, err := eventkv.OpenClaims(ctx, js, "matching_claims", replicas)
	if err != nil {
		return nil, err
	}
	return &Stores{Feedback: fb, Searches: ss, Claims: cl}, nil
}

// Relays returns the relays of both stores, to run with rt.Go.
func (s *Stores) Relays(log *slog.Logger, opts ...eventkv.RelayOption) []func(context.Context) error {
	return []func(context.Context) error{
		func(ctx context.Context) error { return s.Feedback.Relay(ctx, log, opts...) },
		func(ctx context.Context) error { return s.Searches.Relay(ctx, log, opts...) },
	}
}

// Watch feeds apply with every stored entry of st and then every change.
func Watch(st *eventkv.Store, apply func(ev proto.Message), synced func()) func(context.Context) error {
	return func(ctx context.Context) error {
		err := st.Watch(ctx, func(_ string, ev proto.Message, _ uint64) error {
			apply(ev)
			return nil
		}, eventkv.OnSynced(synced))
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		return nil
	}
}

// RefKey returns the key of the opaque references to anonymous
// candidates, the same for every replica, kept in the matching_keys bucket.
func RefKey(ctx context.Context, js jetstream.JetStream, replicas int) ([]byte, error) {
	return anonref.Key(ctx, js, "matching_keys", replicas)
}
