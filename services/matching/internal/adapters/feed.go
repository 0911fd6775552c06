package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/retry"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Source is one stream the read model consumes.
type Source struct {
	Stream  string // e.g. TANDEM_PROFILES
	Subject string // the consumer's single filter (NATS 2.9), e.g. tandem.profiles.v1.>
	Durable string
}

// Sources are the streams matching reads: profiles, competencies, and the
// meetings service's brokerage events and participants for in-event
// suggestions. The meetings consumer takes the whole stream, as it needs
// both participant.* (who is registered) and event.* (who organises) and a
// consumer has one filter on NATS 2.9; request and meeting events are
// acknowledged unused.
var Sources = []Source{
	{Stream: "TANDEM_PROFILES", Subject: "tandem.profiles.v1.>", Durable: "matching_profiles"},
	{Stream: "TANDEM_COMPETENCIES", Subject: "tandem.competencies.v1.>", Durable: "matching_competencies"},
	{Stream: "TANDEM_MEETINGS", Subject: "tandem.meetings.v1.>", Durable: "matching_meetings"},
}

// Applied is called after an event changed the read model (Redis and this
// replica's memory), e.g. to find new matches for saved searches.
type Applied func(ctx context.Context, c domain.Change, eventID string) error

// Feed runs the durable consumers that keep the projection and this
// replica's index current. Their names carry the projection's epoch: when
// Redis loses the projection (no epoch), one replica starts a new epoch and
// every replica on that Redis consumes the streams from the start under the
// new names, so the projection is rebuilt from JetStream without deleting
// consumers that replicas on another Redis still use. Consumers of an
// abandoned epoch are removed by the server after ConsumerIdle.
type Feed struct {
	JS         jetstream.JetStream
	Log        *slog.Logger
	Projection *Projection
	Index      *domain.Index
	Sources    []Source
	// GuardEvery is how often the epoch is checked.
	GuardEvery time.Duration
	OnApplied  Applied
	// OnFeedback stores the feedback another service's event implies (a
	// no-show at a brokerage event); nil ignores such events.
	OnFeedback func(ctx context.Context, f *matchingv1.Feedback) error

	ready atomic.Bool
}

// ConsumerIdle is how long a consumer of an abandoned epoch outlives its
// last reader.
const ConsumerIdle = 24 * time.Hour

// Ready reports whether the read model is complete: the projection has an
// epoch and every consumer of it has caught up with its stream once.
func (f *Feed) Ready() bool { return f.ready.Load() }

// Run consumes until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		f.ready.Store(false)
		epoch, err := f.ensureEpoch(ctx)
		if err != nil {
			f.Log.Warn("projection epoch", "err", err)
			if !retry.Sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, s := range f.Sources {
			wg.Add(1)
			go func() { defer wg.Done(); f.consume(cctx, s, epoch) }()
		}
		for ctx.Err() == nil {
			wait := f.GuardEvery
			if !f.ready.Load() {
				wait = min(wait, 200*time.Millisecond)
			}
			if !retry.Sleep(ctx, wait) {
				break
			}
			now, err := f.Projection.Epoch(ctx)
			if err == nil && now != epoch {
				f.Log.Warn("projection epoch changed; restarting consumers", "was", epoch, "now", now)
				break
			}
			if !f.ready.Load() && f.caughtUp(ctx, epoch) {
				f.Log.Info("read model complete", "epoch", epoch)
				f.ready.Store(true)
			}
		}
		cancel()
		wg.Wait()
	}
	return nil
}

// caughtUp reports whether every consumer of epoch has nothing pending; a
// stream that does not exist yet has nothing to read.
func (f *Feed) caughtUp(ctx context.Context, epoch string) bool {
	for _, s := range f.Sources {
		c, err := f.JS.Consumer(ctx, s.Stream, durable(s, epoch))
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		if err != nil || info.NumPending > 0 || info.NumAckPending > 0 {
			return false
		}
	}
	return true
}

func durable(s Source, epoch string) string { return s.Durable + "_" + epoch }

// ensureEpoch returns the current epoch, starting a new one when there is
// none.
func (f *Feed) ensureEpoch(ctx context.Context) (string, error) {
	for {
		e, err := f.Projection.Epoch(ctx)
		if err != nil || e != "" {
			return e, err
		}
		owner := ulid.Make().String()
		won, err := f.Projection.BeginRebuild(ctx, owner)
		if err != nil {
			return "", err
		}
		if won {
			f.Log.Info("projection empty; rebuilding from the start of the streams", "epoch", owner)
			return owner, f.Projection.SetEpoch(ctx, owner)
		}
		if !retry.Sleep(ctx, 50*time.Millisecond) {
			return "", ctx.Err()
		}
	}
}

func (f *Feed) consume(ctx context.Context, s Source, epoch string) {
	cfg := jetstream.ConsumerConfig{
		Durable:           durable(s, epoch),
		InactiveThreshold: ConsumerIdle,
		FilterSubject:     s.Subject,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		MaxAckPending:     256,
	}
	// The stream belongs to another service, which may start later; it is
	// never created here, so its owner's settings stand: Consume waits.
	err := natsx.Consume(ctx, f.Log, f.JS, s.Stream, cfg, func(mctx context.Context, m jetstream.Msg) error {
		return f.handle(mctx, s.Stream, m)
	})
	if err != nil {
		f.Log.Error("consumer stopped", "consumer", cfg.Durable, "err", err)
	}
}

func (f *Feed) handle(ctx context.Context, stream string, m jetstream.Msg) error {
	ev, err := DecodeEvent(m)
	if err != nil {
		return err
	}
	md, err := m.Metadata()
	if err != nil {
		return err
	}
	if fb, ok := FeedbackOf(ev); ok {
		if fb == nil || f.OnFeedback == nil {
			return nil
		}
		return f.OnFeedback(ctx, fb)
	}
	c, cascade, ok, err := ChangeOf(ev)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", m.Subject(), err, natsx.ErrPermanent)
	}
	if !ok {
		return nil
	}
	return f.ApplyEvent(ctx, stream, md.Sequence.Stream, c, cascade, ev)
}

// ApplyEvent applies one decoded event to Redis and this replica's index,
// with what an erasure takes along.
func (f *Feed) ApplyEvent(ctx context.Context, stream string, seq uint64, c domain.Change, cascade []string, ev proto.Message) error {
	var removals []domain.Change
	if c.Removed {
		kind, id := splitKey(c.Key)
		var refs []domain.Ref
		switch kind {
		case "org":
			refs = append(refs, domain.OrgRef(id))
			for _, pid := range cascade {
				refs = append(refs, domain.PersonRef(pid))
				removals = append(removals, domain.Change{Key: domain.PersonKey(pid), Purge: true})
			}
		case "person":
			refs = append(refs, domain.PersonRef(id))
		}
		for _, r := range refs {
			for _, k := range f.Index.HeldBy(r) {
				removals = append(removals, domain.Change{Key: k, Purge: true})
			}
		}
	}
	if _, err := f.Projection.Apply(ctx, stream, seq, c, ev); err != nil {
		return err
	}
	for _, r := range removals {
		if _, err := f.Projection.Apply(ctx, "", 0, r, nil); err != nil {
			return err
		}
	}
	f.Index.Apply(append([]domain.Change{c}, removals...)...)
	// Also when the projection had the event already: a delivery whose
	// notifications failed comes back, and publishing is idempotent.
	if f.OnApplied != nil {
		return f.OnApplied(ctx, c, eventIDOf(ev))
	}
	return nil
}

// DecodeEvent decodes a published domain event by its type header. A type
// this build does not know fails with natsx.ErrUnknownType (the consumer
// skips it), an undecodable one with natsx.ErrPermanent (parked).
func DecodeEvent(m jetstream.Msg) (proto.Message, error) {
	name := m.Headers().Get(natsx.HeaderEventType)
	if name == "" {
		return nil, fmt.Errorf("%s: no %s header: %w", m.Subject(), natsx.HeaderEventType, natsx.ErrPermanent)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", m.Subject(), name, natsx.ErrUnknownType)
	}
	ev := mt.New().Interface()
	if err := proto.Unmarshal(m.Data(), ev); err != nil {
		return nil, fmt.Errorf("%s: decode %s: %w: %w", m.Subject(), name, err, natsx.ErrPermanent)
	}
	return ev, nil
}

func eventIDOf(ev proto.Message) string {
	fd := ev.ProtoReflect().Descriptor().Fields().ByName("event_id")
	if fd == nil {
		return ""
	}
	return ev.ProtoReflect().Get(fd).String()
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == ':' {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}
