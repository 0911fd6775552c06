package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-cluster/tandem/pkg/retry"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// ErrPermanent marks a message that can never be handled (undecodable,
// refers to something that cannot exist). Wrap it and Consume parks the
// message in the dead-letter stream (see DeadLetterStream) instead of
// redelivering it; nothing is dropped.
var ErrPermanent = errors.New("permanent failure")

// ErrUnknownType marks an event of a type this build does not know, such
// as one a newer replica published during a rolling upgrade. Wrap it and
// Consume acknowledges the message, counts it and logs it: an older
// consumer skips what it cannot understand instead of stopping.
var ErrUnknownType = errors.New("unknown event type")

// DefaultMaxDeliver is the consumers' redelivery bound: none. A message that
// keeps failing is redelivered, with growing delays (Redelivery), until it
// succeeds; the failures show in tandem_events_handled_total{outcome="retry"}
// and the TandemEventRetries alert.
const DefaultMaxDeliver = -1

// DefaultAckWait is how long the server waits for an ack before it hands a
// message to another replica. It is short so a killed replica's messages are
// redelivered within seconds; a handler that runs longer keeps its message
// with in-progress acks.
const DefaultAckWait = 5 * time.Second

// Redelivery is the delay schedule after a handler error, by delivery count.
var Redelivery = retry.Policy{Initial: 200 * time.Millisecond, Max: 30 * time.Second}

// ConsumeOption tunes Consume.
type ConsumeOption func(*consumeOptions)

type consumeOptions struct {
	checkEvery time.Duration
	redelivery retry.Policy
}

// CheckEvery sets how often Consume checks that its durable consumer still
// exists (default 5 s); a deleted consumer is recreated.
func CheckEvery(d time.Duration) ConsumeOption {
	return func(o *consumeOptions) { o.checkEvery = d }
}

// WithRedelivery replaces the Redelivery schedule.
func WithRedelivery(p retry.Policy) ConsumeOption {
	return func(o *consumeOptions) { o.redelivery = p }
}

// Consume runs the durable pull consumer cfg (Durable is required) on stream
// and calls handle for every message, one at a time, with a ctx carrying the
// message's trace. nil acks; an error wrapping ErrUnknownType acks and
// counts the message as skipped; an error wrapping ErrPermanent parks it in
// the dead-letter stream; any other error naks it with a delay from the
// Redelivery schedule, without limit. A handler that runs long keeps its
// message with in-progress acks.
//
// cfg.AckPolicy is forced to explicit, MaxDeliver defaults to unlimited and
// AckWait to DefaultAckWait. A single subject filter must use FilterSubject:
// FilterSubjects needs NATS 2.10.
//
// The consumer heals itself: while its stream does not exist yet (another
// service owns it and may start later) or the broker is unreachable,
// Consume waits with backoff; a consumer deleted while running is
// recreated. Consume blocks until ctx is done, then stops fetching, waits
// for the in-flight handler and returns nil.
func Consume(ctx context.Context, log *slog.Logger, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, handle func(context.Context, jetstream.Msg) error, opts ...ConsumeOption) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Durable == "" {
		return errors.New("consume: cfg.Durable is required")
	}
	o := consumeOptions{checkEvery: 5 * time.Second, redelivery: Redelivery}
	for _, opt := range opts {
		opt(&o)
	}
	if len(cfg.FilterSubjects) == 1 && cfg.FilterSubject == "" {
		cfg.FilterSubject, cfg.FilterSubjects = cfg.FilterSubjects[0], nil
	}
	cfg.AckPolicy = jetstream.AckExplicitPolicy
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = DefaultAckWait
	}
	log = log.With("stream", stream, "consumer", cfg.Durable)
	c := &consumer{log: log, js: js, stream: stream, cfg: cfg, handle: handle, opts: o,
		tracer: otel.Tracer("github.com/tandem-cluster/tandem/pkg/natsx")}
	for ctx.Err() == nil {
		cons, err := retry.Until(ctx, retry.Default, func() (jetstream.Consumer, error) {
			return js.CreateOrUpdateConsumer(ctx, stream, cfg)
		}, func(err error, next time.Duration) {
			log.Warn("consumer not created yet; retrying", "in", next, "err", err)
		})
		if err != nil {
			return nil // ctx ended
		}
		if err := c.run(ctx, cons); err != nil {
			log.Warn("consumer lost; recreating it", "err", err)
			consumersRecreated.WithLabelValues(stream, cfg.Durable).Inc()
		}
	}
	return nil
}

type consumer struct {
	log    *slog.Logger
	js     jetstream.JetStream
	stream string
	cfg    jetstream.ConsumerConfig
	handle func(context.Context, jetstream.Msg) error
	opts   consumeOptions
	tracer trace.Tracer
}

// consumeHeartbeat is how often an idle consumer's leader says it is there.
// A pull that reached a stream while its consumer had no leader (a NATS node
// restarting) is answered "no responders" and never repeated by itself: two
// missed heartbeats make the client pull again. The client's default, half
// the 30 s pull expiry, left such a consumer idle for up to 30 s after the
// cluster had healed.
const consumeHeartbeat = time.Second

// errConsumerGone ends run so Consume recreates the consumer.
var errConsumerGone = errors.New("consumer gone")

// run consumes until ctx ends (nil) or the consumer is gone (an error).
func (c *consumer) run(ctx context.Context, cons jetstream.Consumer) error {
	gone := make(chan error, 1)
	signal := func(err error) {
		select {
		case gone <- err:
		default:
		}
	}
	var inflight sync.WaitGroup
	// A small batch: a buffered message's ack wait runs while it waits its
	// turn, and a killed replica's buffer is redelivered only after it.
	batch := 8
	if c.cfg.MaxAckPending > 0 && c.cfg.MaxAckPending < batch {
		batch = c.cfg.MaxAckPending
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		inflight.Add(1)
		defer inflight.Done()
		c.handleOne(ctx, msg)
	}, jetstream.PullMaxMessages(batch), jetstream.PullHeartbeat(consumeHeartbeat), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			signal(fmt.Errorf("%w: %w", errConsumerGone, err))
			return
		}
		c.log.Warn("consume", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consume %s on %s: %w", c.cfg.Durable, c.stream, err)
	}
	defer func() {
		// Stop drops buffered, unacked messages; the server redelivers them
		// after AckWait, which is cheaper than running handlers with a dead
		// context.
		cc.Stop()
		<-cc.Closed()
		inflight.Wait()
	}()
	t := time.NewTicker(c.opts.checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-gone:
			return err
		case <-t.C:
			// Heartbeat errors do not always say the consumer is gone (the
			// server may just be down), so ask.
			if _, err := cons.Info(ctx); errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
				return fmt.Errorf("%w: %w", errConsumerGone, err)
			}
		}
	}
}

func (c *consumer) handleOne(ctx context.Context, msg jetstream.Msg) {
	mctx := tracing.ExtractNATS(ctx, msg.Headers())
	mctx, span := c.tracer.Start(mctx, "consume "+msg.Subject(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", msg.Subject())))
	defer span.End()
	log, stream, durable := c.log, c.stream, c.cfg.Durable

	var delivered uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
		pending.WithLabelValues(stream, durable).Set(float64(md.NumPending))
		eventAge.WithLabelValues(stream, durable).Set(time.Since(md.Timestamp).Seconds())
		if delivered > 1 {
			redelivered.WithLabelValues(stream, durable).Inc()
		}
	}
	// The message is kept in progress until it is settled, parking included:
	// a dead letter written after the ack wait ran out would come back and be
	// parked twice.
	stop := keepInProgress(msg, c.ackWait(delivered))
	err := safeHandle(mctx, msg, c.handle)
	var perr error
	if err != nil && !errors.Is(err, ErrUnknownType) && errors.Is(err, ErrPermanent) {
		span.RecordError(err)
		perr = c.park(mctx, msg, err)
	}
	stop()
	switch {
	case err == nil:
		handled.WithLabelValues(stream, durable, "ack").Inc()
		if aerr := msg.Ack(); aerr != nil {
			log.WarnContext(mctx, "ack failed; message will be redelivered", "subject", msg.Subject(), "err", aerr)
		}
	case errors.Is(err, ErrUnknownType):
		handled.WithLabelValues(stream, durable, "skipped").Inc()
		log.WarnContext(mctx, "event of an unknown type skipped", "subject", msg.Subject(), "err", err)
		if aerr := msg.Ack(); aerr != nil {
			log.WarnContext(mctx, "ack failed; message will be redelivered", "subject", msg.Subject(), "err", aerr)
		}
	case errors.Is(err, ErrPermanent):
		if perr != nil {
			// Not parked: keep it, and try again later.
			handled.WithLabelValues(stream, durable, "retry").Inc()
			log.ErrorContext(mctx, "message could not be parked; will retry", "subject", msg.Subject(), "err", err, "park_err", perr)
			_ = msg.NakWithDelay(c.opts.redelivery.Delay(int(delivered)))
			return
		}
		handled.WithLabelValues(stream, durable, "dead_letter").Inc()
		log.ErrorContext(mctx, "message parked in the dead-letter stream", "subject", msg.Subject(), "delivered", delivered, "err", err)
		if terr := msg.Term(); terr != nil {
			log.WarnContext(mctx, "term failed", "subject", msg.Subject(), "err", terr)
		}
	default:
		span.RecordError(err)
		handled.WithLabelValues(stream, durable, "retry").Inc()
		delay := c.opts.redelivery.Delay(int(delivered))
		level := slog.LevelWarn
		if delivered >= 10 {
			level = slog.LevelError
		}
		log.Log(mctx, level, "message failed; will retry", "subject", msg.Subject(), "delivered", delivered, "retry_in", delay, "err", err)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.WarnContext(mctx, "nak failed", "subject", msg.Subject(), "err", nerr)
		}
	}
}

// ackWait is how long the server waits for the ack of a message's
// delivered-th delivery: the consumer's BackOff, when it has one, replaces
// AckWait.
func (c *consumer) ackWait(delivered uint64) time.Duration {
	b := c.cfg.BackOff
	if len(b) == 0 {
		return c.cfg.AckWait
	}
	i := min(int(max(delivered, 1))-1, len(b)-1)
	return b[i]
}

// keepInProgress tells the server every third of ackWait that msg is still
// being worked on, until the returned stop is called.
func keepInProgress(msg jetstream.Msg, ackWait time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(ackWait/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
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

// Dead letters: a message no handler can ever take is kept, with where it
// came from and why it failed, in one stream that `tandem admin dlq` lists
// and replays.
const (
	DeadLetterStream = "TANDEM_DLQ"
	// DeadLetterSubjects are tandem.dlq.<stream>.<consumer>.
	DeadLetterSubjects = "tandem.dlq.>"

	HeaderDLQStream   = "Tandem-Dlq-Stream"
	HeaderDLQConsumer = "Tandem-Dlq-Consumer"
	HeaderDLQSubject  = "Tandem-Dlq-Subject"
	HeaderDLQSequence = "Tandem-Dlq-Sequence"
	HeaderDLQError    = "Tandem-Dlq-Error"
)

func (c *consumer) park(ctx context.Context, msg jetstream.Msg, cause error) error {
	md, err := msg.Metadata()
	if err != nil {
		return err
	}
	replicas := 1
	if st, err := c.js.Stream(ctx, c.stream); err == nil {
		replicas = max(st.CachedInfo().Config.Replicas, 1)
	}
	if _, err := c.js.Stream(ctx, DeadLetterStream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = c.js.CreateStream(ctx, jetstream.StreamConfig{Name: DeadLetterStream, Subjects: []string{DeadLetterSubjects},
			Storage: jetstream.FileStorage, Replicas: replicas, Duplicates: 2 * time.Minute})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create dead-letter stream: %w", err)
		}
	} else if err != nil {
		return err
	}
	m := nats.NewMsg("tandem.dlq." + c.stream + "." + c.cfg.Durable)
	m.Data = msg.Data()
	for k, v := range msg.Headers() {
		if !strings.HasPrefix(k, "Nats-") { // no rollup, expectation or id of the original
			m.Header[k] = v
		}
	}
	m.Header.Set(HeaderDLQStream, c.stream)
	m.Header.Set(HeaderDLQConsumer, c.cfg.Durable)
	m.Header.Set(HeaderDLQSubject, msg.Subject())
	m.Header.Set(HeaderDLQSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	m.Header.Set(HeaderDLQError, cause.Error())
	// One dead letter per stream message and consumer, however often parked.
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s:%s:%d", c.stream, c.cfg.Durable, md.Sequence.Stream))
	_, err = c.js.PublishMsg(ctx, m)
	return err
}
