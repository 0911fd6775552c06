package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
)

// Matches is the feed of matches found on TANDEM_MATCHING: each match on a
// subject of its own.
type Matches struct{ js jetstream.JetStream }

// NewMatches returns the feed.
func NewMatches(js jetstream.JetStream) *Matches { return &Matches{js: js} }

// followPullExpiry bounds each pull of a follow's consumer; heartbeats come
// five times as often, so a consumer gone is noticed within a few seconds.
const followPullExpiry = 10 * time.Second

// Publish publishes ev once for good: a match already on its subject is
// left as it is, beyond the stream's duplicate window, so a redelivered or
// replayed event finds its matches published.
func (f *Matches) Publish(ctx context.Context, ev *eventsv1.MatchFound) error {
	id := ev.GetMatch().GetId()
	_, err := natsx.Publish(ctx, f.js, MatchSubject+"."+id, id, ev, jetstream.WithExpectLastSequencePerSubject(0))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return nil
	}
	return err
}

// Follow delivers the matches found from now on, or from the one after the
// match afterID (grpcerr.ErrNotFound if there is none such), until ctx ends
// or stop is called; matches is closed then. stop (call it once done) ends
// the follow, deletes its consumer and returns why the follow had ended by
// itself, if it had. The consumer is ephemeral, created before Follow
// returns (so no match found after that is missed); an inactivity threshold
// backs up the delete for a process that dies meanwhile.
func (f *Matches) Follow(ctx context.Context, afterID string) (matches <-chan *eventsv1.MatchFound, stop func() error, err error) {
	cfg := jetstream.ConsumerConfig{
		FilterSubjects:    []string{MatchSubject + ".>"},
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: 2 * time.Minute,
		MemoryStorage:     true,
	}
	if afterID != "" {
		st, err := f.js.Stream(ctx, Stream)
		if err != nil {
			return nil, nil, err
		}
		m, err := st.GetLastMsgForSubject(ctx, MatchSubject+"."+afterID)
		if err != nil {
			return nil, nil, fmt.Errorf("resume after match %s: %w", afterID, grpcerr.ErrNotFound)
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, m.Sequence+1
	}
	// Created even if the caller leaves meanwhile, so that its name is
	// known and Stop finds it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	cons, err := f.js.CreateConsumer(cctx, Stream, cfg)
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("watch matches: %w", err)
	}
	remove := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = f.js.DeleteConsumer(dctx, Stream, cons.CachedInfo().Name)
		cancel()
	}
	// The consumer lives in memory on one NATS server: if that server
	// restarts, it is gone without a word. Missing heartbeats end the
	// follow then; without them it would stay open, silent.
	it, err := cons.Messages(jetstream.PullExpiry(followPullExpiry), jetstream.PullHeartbeat(followPullExpiry/5),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		remove()
		return nil, nil, fmt.Errorf("watch matches: %w", err)
	}
	fctx, cancelFollow := context.WithCancel(ctx)
	out := make(chan *eventsv1.MatchFound)
	done := make(chan struct{})
	var ended error // why the iterator ended, read once done is closed
	go func() {
		defer close(done)
		defer close(out)
		for {
			m, err := it.Next()
			if err != nil {
				ended = err
				return
			}
			var ev eventsv1.MatchFound
			if proto.Unmarshal(m.Data(), &ev) != nil {
				continue
			}
			select {
			case out <- &ev:
			case <-fctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	stop = func() error {
		once.Do(func() {
			cancelFollow()
			it.Stop()
			<-done
			remove()
		})
		return ended
	}
	return out, stop, nil
}
