package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// sweptKey marks, in the matching_keys bucket, a stream whose match events
// all carry references only.
const sweptKey = "match-events-references-only"

// SweepNamedMatches deletes the match events that still carry more than a
// reference and a score: those published before matches were resolved at
// read time held the candidate's name, place and explanations, which an
// erasure or hiding could not reach. It runs once per deployment (a marker
// in the matching_keys bucket records it) and returns how many it deleted.
// A client resuming after a deleted match is told it is not found and
// starts again from new matches.
func SweepNamedMatches(ctx context.Context, js jetstream.JetStream, replicas int) (int, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: "matching_keys", History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return 0, err
	}
	if _, err := kv.Get(ctx, sweptKey); err == nil {
		return 0, nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, fmt.Errorf("sweep match events: %w", err)
	}
	st, err := js.Stream(ctx, Stream)
	if err != nil {
		return 0, fmt.Errorf("sweep match events: %w", err)
	}
	// A consumer of this call only, deleted with it (so none lingers
	// beside the watches' consumers).
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{FilterSubjects: []string{MatchSubject + ".>"}, DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute, MemoryStorage: true})
	if err != nil {
		return 0, fmt.Errorf("sweep match events: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = st.DeleteConsumer(dctx, cons.CachedInfo().Name)
		cancel()
	}()
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep match events: %w", err)
	}
	deleted := 0
	for pending := info.NumPending; pending > 0; {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return deleted, fmt.Errorf("sweep match events: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return deleted, fmt.Errorf("sweep match events: %w", err)
			}
			pending = md.NumPending
			if !named(m.Data()) {
				continue
			}
			// Another replica sweeping at once may have deleted it.
			var apiErr *jetstream.APIError
			if err := st.DeleteMsg(ctx, md.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) &&
				(!errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeMessageNotFound) {
				return deleted, fmt.Errorf("sweep match events: %w", err)
			}
			deleted++
		}
		if err := batch.Error(); err != nil {
			return deleted, fmt.Errorf("sweep match events: %w", err)
		}
		if n == 0 {
			return deleted, fmt.Errorf("sweep match events: %d pending, none delivered", pending)
		}
	}
	if _, err := kv.Put(ctx, sweptKey, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return deleted, fmt.Errorf("sweep match events: %w", err)
	}
	return deleted, nil
}

// named reports whether a match event holds more of its candidate than a
// reference and a score (one that cannot be read is kept: it is not ours
// to judge).
func named(data []byte) bool {
	var ev eventsv1.MatchFound
	if err := proto.Unmarshal(data, &ev); err != nil {
		return false
	}
	sg := ev.GetMatch().GetSuggestion()
	ref := &matchingv1.Suggestion{Candidate: &matchingv1.CandidateSummary{Ref: sg.GetCandidate().GetRef()}, Score: sg.GetScore()}
	return sg != nil && !proto.Equal(sg, ref)
}
