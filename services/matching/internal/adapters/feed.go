package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/tandem-cluster/tandem/pkg/natsx"
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
// replica's index current. When Redis loses the projection (no epoch), one
// replica deletes the consumers and recreates them from the start of the
// streams, so the projection is rebuilt from JetStream.
type Feed struct {
	JS         jetstream.JetStream
	Log        *slog.Logger
	Projection *Projection
	Index      *domain.Index
	Sources    []Source
	// GuardEvery is how often the epoch is checked.
	GuardEvery time.Duration
	OnApplied  Applied
}

// Run consumes until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		epoch, err := f.ensureEpoch(ctx)
		if err != nil {
			f.Log.Warn("projection epoch", "err", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, s := range f.Sources {
			wg.Add(1)
			go func() { defer wg.Done(); f.consume(cctx, s) }()
		}
		for ctx.Err() == nil {
			if !sleep(ctx, f.GuardEvery) {
				break
			}
			now, err := f.Projection.Epoch(ctx)
			if err == nil && now != epoch {
				f.Log.Warn("projection epoch changed; restarting consumers", "was", epoch, "now", now)
				break
			}
		}
		cancel()
		wg.Wait()
	}
	return nil
}

// ensureEpoch returns the current epoch, rebuilding when there is none.
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
			f.Log.Info("projection empty; rebuilding from the start of the streams")
			for _, s := range f.Sources {
				err := f.JS.DeleteConsumer(ctx, s.Stream, s.Durable)
				if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
					return "", fmt.Errorf("reset consumer %s: %w", s.Durable, err)
				}
			}
			return owner, f.Projection.SetEpoch(ctx, owner)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return "", ctx.Err()
		}
	}
}

func (f *Feed) consume(ctx context.Context, s Source) {
	cfg := jetstream.ConsumerConfig{
		Durable:       s.Durable,
		FilterSubject: s.Subject,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 256,
		BackOff:       []time.Duration{100 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second},
	}
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		// The stream belongs to another service, which may start later; it
		// is never created here, so its owner's settings stand.
		if _, err := f.JS.Stream(ctx, s.Stream); err != nil {
			if !sleep(ctx, wait) {
				return
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		wait = 100 * time.Millisecond
		err := natsx.Consume(ctx, f.Log, f.JS, s.Stream, cfg, func(mctx context.Context, m jetstream.Msg) error {
			return f.handle(mctx, s.Stream, m)
		})
		if err != nil {
			f.Log.Warn("consumer stopped; restarting", "consumer", s.Durable, "err", err)
			if !sleep(ctx, time.Second) {
				return
			}
		}
	}
}

func (f *Feed) handle(ctx context.Context, stream string, m jetstream.Msg) error {
	ev, err := DecodeEvent(m)
	if err != nil {
		return fmt.Errorf("%w: %w", err, natsx.ErrPermanent)
	}
	if ev == nil {
		return nil
	}
	md, err := m.Metadata()
	if err != nil {
		return err
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
	applied, err := f.Projection.Apply(ctx, stream, seq, c, ev)
	if err != nil {
		return err
	}
	for _, r := range removals {
		if _, err := f.Projection.Apply(ctx, "", 0, r, nil); err != nil {
			return err
		}
	}
	f.Index.Apply(append([]domain.Change{c}, removals...)...)
	if applied && f.OnApplied != nil {
		return f.OnApplied(ctx, c, eventIDOf(ev))
	}
	return nil
}

// DecodeEvent decodes a published domain event by its type header; nil for
// a message of no known type.
func DecodeEvent(m jetstream.Msg) (proto.Message, error) {
	name := m.Headers().Get(natsx.HeaderEventType)
	if name == "" {
		return nil, fmt.Errorf("%s: no %s header", m.Subject(), natsx.HeaderEventType)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, nil
	}
	ev := mt.New().Interface()
	if err := proto.Unmarshal(m.Data(), ev); err != nil {
		return nil, fmt.Errorf("%s: decode %s: %w", m.Subject(), name, err)
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

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
