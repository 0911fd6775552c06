// Package natsx holds the NATS conventions every service shares: how to
// connect, declare streams and buckets, publish protobuf events and consume
// them with explicit acks and redelivery that never gives up.
package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/retry"
)

// Connect connects to url, retrying with backoff until ctx is done. Once
// connected the client reconnects forever, logging disconnects, so a NATS
// restart never takes a service down.
func Connect(ctx context.Context, url, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "subject", subj, "err", err)
		}),
	}
	nc, err := retry.Until(ctx, retry.Default, func() (*nats.Conn, error) { return nats.Connect(url, opts...) },
		func(err error, next time.Duration) {
			log.Warn("nats not reachable, retrying", "url", url, "in", next, "err", err)
		})
	if err != nil {
		return nil, nil, fmt.Errorf("connect nats %s: %w", url, err)
	}
	// An asynchronous publish never answered (its stream leader stopped;
	// the relay and batch writes send it again) is dropped from the
	// client's pending list after this long instead of holding a place in
	// it for good.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// Drain drains nc (in-flight messages are processed, pending publishes
// flushed) and waits until it is closed or ctx is done.
func Drain(ctx context.Context, nc *nats.Conn) error {
	if nc.IsClosed() {
		return nil
	}
	if err := nc.Drain(); err != nil {
		return fmt.Errorf("drain nats: %w", err)
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("drain nats: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// EnsureStream creates the stream or updates it to cfg; every replica of a
// service may call it at start-up, all at once.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := ensure(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.CreateOrUpdateStream(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// EnsureKV creates the key-value bucket or updates it to cfg, as
// EnsureStream does.
func EnsureKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := ensure(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("ensure kv %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// ensureAttempt bounds one create-or-update call. On a cluster, replicas
// that declare the same replicated stream at once can each wait for an
// answer that never comes while the first proposal is placed, and a stream
// whose leader is not elected yet answers nothing; the next attempt finds
// the stream made.
const ensureAttempt = 5 * time.Second

// ensure runs op, one bounded attempt after another, until it succeeds,
// fails for good, or ctx ends.
func ensure[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	return bounded(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second}, ensureAttempt, op)
}

// bounded runs op, each try bounded by attempt and the pauses between tries
// set by p, while its error is Transient, until it succeeds, fails for good,
// or ctx ends.
func bounded[T any](ctx context.Context, p retry.Policy, attempt time.Duration, op func(context.Context) (T, error)) (T, error) {
	return retry.Until(ctx, p, func() (T, error) {
		actx, cancel := context.WithTimeout(ctx, attempt)
		defer cancel()
		v, err := op(actx)
		if err != nil && ctx.Err() == nil && !Transient(err) {
			return v, retry.Permanent(err)
		}
		return v, err
	}, nil)
}

// Transient reports whether a JetStream API call or publish may succeed when
// repeated: it timed out, nobody answered yet, the cluster is electing, or a
// concurrent create of the same name was in flight.
func Transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// Not every 500: "replicas > 1 not supported in non-clustered mode" is one.
		return apiErr.Code == 408 || apiErr.Code == 503 || apiErr.Code == 504 || apiErr.ErrorCode == jetstream.JSErrCodeStreamNameInUse ||
			apiErr.ErrorCode == jsErrCodeClusterNotAvailable || apiErr.ErrorCode == jsErrCodeClusterNoPeers
	}
	return false
}

// jsErrCodeClusterNotAvailable is "JetStream system temporarily
// unavailable", while a cluster elects its meta leader.
const jsErrCodeClusterNotAvailable jetstream.ErrorCode = 10008

// jsErrCodeClusterNoPeers is "no suitable peers for placement": a replicated
// stream or bucket declared while a node is stopped, or not yet known to the
// meta leader as current (a cluster starting, or one of its nodes late on a
// busy machine). It is placed once the node is back.
const jsErrCodeClusterNoPeers jetstream.ErrorCode = 10005

// RequestAttempt bounds one try of a write or a leader read made on behalf
// of a caller. When a stream's leader stops, a publish or a get already sent
// to it is never answered: without a bound the caller waits out its whole
// deadline (15 s through the gateway) although a new leader answers a
// second try within a few hundred milliseconds.
const RequestAttempt = 2 * time.Second

// Attempts runs op, each try bounded by RequestAttempt, again after a short
// pause while its error is transient (a timeout, no responders, an
// election), until it succeeds, fails for good, or ctx ends. op must be safe
// to repeat: a publish carries a Nats-Msg-Id, so that JetStream answers a
// repeat of a stored message with the first one's sequence.
func Attempts[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	return bounded(ctx, retry.Policy{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}, RequestAttempt, op)
}
