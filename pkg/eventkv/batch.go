package eventkv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// BatchInFlight bounds the writes of one WriteMany or ClaimMany published
// and not yet acknowledged by the bucket.
const BatchInFlight = 256

// batchAttempt bounds the wait for the answer to one publish of a batch,
// counted from when the batch starts waiting for it; an unanswered publish
// is then published again, as natsx.Attempts repeats a single write, with
// the same Nats-Msg-Id, so a first try that was stored is not stored twice.
// (A variable for tests.)
var batchAttempt = natsx.RequestAttempt

// Write is one write of WriteMany: a create of Key when LastRev is 0, an
// update of its revision LastRev otherwise.
type Write struct {
	Key     string
	Event   proto.Message
	LastRev uint64
}

// Written is the outcome of one write of WriteMany.
type Written struct {
	Rev uint64 // the new revision
	Err error  // as Create or Update fail
}

// WriteMany stores each write as Create or Update would and returns the
// outcomes in the writes' order. Instead of waiting for each write's
// acknowledgement in turn it publishes up to BatchInFlight writes ahead of
// them: writes to different keys are independent (each expects its own
// key's last revision), so only the caller orders writes of one key, by
// putting them in successive calls. Each write carries its event id as
// Nats-Msg-Id: a write published again after its answer did not come is
// acknowledged with the revision of the first if that one landed.
func (s *Store) WriteMany(ctx context.Context, ws []Write) []Written {
	out := make([]Written, len(ws))
	msgs := make([]*nats.Msg, len(ws))
	for i, w := range ws {
		msgs[i], out[i].Err = s.message(ctx, w.Key, w.Event, w.LastRev, false)
	}
	acks, errs := publishMany(ctx, s.js, msgs, func(i int) (*jetstream.PubAck, bool) {
		return s.landed(ctx, ws[i].Key, msgs[i])
	})
	for i, w := range ws {
		if msgs[i] == nil {
			continue
		}
		if errs[i] != nil {
			out[i].Err = s.writeErr(w.Key, w.LastRev, errs[i])
			if w.LastRev == 0 && errors.Is(out[i].Err, grpcerr.ErrConflict) {
				out[i].Err = fmt.Errorf("%s: %w", w.Key, grpcerr.ErrAlreadyExists)
			}
			continue
		}
		out[i].Rev = acks[i].Sequence
	}
	return out
}

// publishMany publishes every message that is not nil, up to BatchInFlight
// ahead of the stream's acknowledgements, and returns each one's
// acknowledgement or error in order. A publish not answered within
// batchAttempt is published again, one at a time with natsx.Attempts: each
// message must carry a Nats-Msg-Id. When a message published again is
// refused as stale, landed (if not nil) tells whether an earlier try stored
// it, and its acknowledgement.
func publishMany(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg, landed func(i int) (*jetstream.PubAck, bool)) ([]*jetstream.PubAck, []error) {
	acks := make([]*jetstream.PubAck, len(msgs))
	errs := make([]error, len(msgs))
	type pending struct {
		i   int
		fut jetstream.PubAckFuture
	}
	window := make([]pending, 0, min(len(msgs), BatchInFlight))
	var retry []int
	settle := func(p pending) {
		ack, err := awaitAck(ctx, p.fut)
		if (errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, jetstream.ErrNoStreamResponse)) && ctx.Err() == nil {
			retry = append(retry, p.i)
			return
		}
		acks[p.i], errs[p.i] = ack, err
	}
	for i, m := range msgs {
		if m == nil {
			continue
		}
		if len(window) == cap(window) {
			settle(window[0])
			window = append(window[:0], window[1:]...)
		}
		fut, err := js.PublishMsgAsync(m)
		if err != nil {
			retry = append(retry, i) // e.g. too many publishes pending in the process: one at a time
			continue
		}
		window = append(window, pending{i, fut})
	}
	for _, p := range window {
		settle(p)
	}
	if len(retry) == 0 {
		return acks, errs
	}
	// The few left are published one at a time, each attempt bounded.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, i := range retry {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			acks[i], errs[i] = natsx.Attempts(ctx, func(ctx context.Context) (*jetstream.PubAck, error) { return js.PublishMsg(ctx, msgs[i]) })
			if landed != nil && errs[i] != nil && staleRevision(errs[i]) {
				if ack, ok := landed(i); ok {
					acks[i], errs[i] = ack, nil
				}
			}
		})
	}
	wg.Wait()
	return acks, errs
}

// awaitAck waits for the answer to an asynchronous publish, at most
// batchAttempt (then jetstream.ErrAsyncPublishTimeout) or until ctx ends.
func awaitAck(ctx context.Context, fut jetstream.PubAckFuture) (*jetstream.PubAck, error) {
	select { // the common case: answered already, no timer
	case ack := <-fut.Ok():
		return ack, nil
	case err := <-fut.Err():
		return nil, err
	default:
	}
	t := time.NewTimer(batchAttempt)
	defer t.Stop()
	select {
	case ack := <-fut.Ok():
		return ack, nil
	case err := <-fut.Err():
		return nil, err
	case <-t.C:
		return nil, jetstream.ErrAsyncPublishTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
