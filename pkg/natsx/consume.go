package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// ErrPermanent marks a message that can never be handled (undecodable,
// refers to something that cannot exist). Wrap it and Consume terminates the
// message instead of redelivering it.
var ErrPermanent = errors.New("permanent failure")

// DefaultMaxDeliver bounds redelivery so a poison message cannot loop forever.
const DefaultMaxDeliver = 10

// defaultNakDelays is the redelivery schedule after a handler error when the
// consumer config has no BackOff: quick first retry, then calmer ones.
var defaultNakDelays = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

// Consume runs the durable pull consumer cfg (Durable is required) on stream
// and calls handle for every message, one at a time, with a ctx carrying the
// message's trace. nil acks; an error wrapping ErrPermanent terminates the
// message; any other error naks it with a delay from cfg.BackOff (or a
// default schedule) chosen by the delivery count. cfg.AckPolicy is forced to
// explicit and MaxDeliver defaults to DefaultMaxDeliver. A single subject
// filter must use FilterSubject: FilterSubjects needs NATS 2.10.
//
// Consume blocks until ctx is done, then stops fetching, waits for the
// in-flight handler and returns nil.
func Consume(ctx context.Context, log *slog.Logger, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, handle func(context.Context, jetstream.Msg) error) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Durable == "" {
		return errors.New("consume: cfg.Durable is required")
	}
	if len(cfg.FilterSubjects) == 1 && cfg.FilterSubject == "" {
		cfg.FilterSubject, cfg.FilterSubjects = cfg.FilterSubjects[0], nil
	}
	cfg.AckPolicy = jetstream.AckExplicitPolicy
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	delays := cfg.BackOff
	if len(delays) == 0 {
		delays = defaultNakDelays
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, cfg)
	if err != nil {
		return fmt.Errorf("consumer %s on %s: %w", cfg.Durable, stream, err)
	}
	log = log.With("stream", stream, "consumer", cfg.Durable)
	tracer := otel.Tracer("github.com/tandem-cluster/tandem/pkg/natsx")

	var inflight sync.WaitGroup
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		inflight.Add(1)
		defer inflight.Done()
		handleOne(ctx, log, tracer, msg, cfg.MaxDeliver, delays, handle)
	}, jetstream.PullMaxMessages(64), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			log.Warn("consume", "err", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("consume %s on %s: %w", cfg.Durable, stream, err)
	}
	<-ctx.Done()
	// Stop drops buffered, unacked messages; the server redelivers them after
	// AckWait, which is cheaper than running handlers with a dead context.
	cc.Stop()
	<-cc.Closed()
	inflight.Wait()
	return nil
}

func handleOne(ctx context.Context, log *slog.Logger, tracer trace.Tracer, msg jetstream.Msg, maxDeliver int, delays []time.Duration, handle func(context.Context, jetstream.Msg) error) {
	mctx := tracing.ExtractNATS(ctx, msg.Headers())
	mctx, span := tracer.Start(mctx, "consume "+msg.Subject(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", msg.Subject())))
	defer span.End()

	var delivered uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	err := safeHandle(mctx, msg, handle)
	switch {
	case err == nil:
		if aerr := msg.Ack(); aerr != nil {
			log.WarnContext(mctx, "ack failed; message will be redelivered", "subject", msg.Subject(), "err", aerr)
		}
	case errors.Is(err, ErrPermanent):
		span.RecordError(err)
		log.ErrorContext(mctx, "message terminated", "subject", msg.Subject(), "delivered", delivered, "err", err)
		if terr := msg.Term(); terr != nil {
			log.WarnContext(mctx, "term failed", "subject", msg.Subject(), "err", terr)
		}
	default:
		span.RecordError(err)
		delay := delays[min(int(delivered)-1, len(delays)-1)]
		if maxDeliver > 0 && delivered >= uint64(maxDeliver) {
			log.ErrorContext(mctx, "message failed its last delivery; giving up", "subject", msg.Subject(), "delivered", delivered, "err", err)
		} else {
			log.WarnContext(mctx, "message failed; will retry", "subject", msg.Subject(), "delivered", delivered, "retry_in", delay, "err", err)
		}
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.WarnContext(mctx, "nak failed", "subject", msg.Subject(), "err", nerr)
		}
	}
}

// safeHandle turns a handler panic into an error so one bad message cannot
// kill the consumer goroutine; it is retried like any failure.
func safeHandle(ctx context.Context, msg jetstream.Msg, handle func(context.Context, jetstream.Msg) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return handle(ctx, msg)
}
