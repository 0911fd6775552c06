// Package eventkv keeps a service's state in a JetStream key-value bucket
// where every value is the domain event that produced it, and relays each
// stored event to the service's event stream.
//
// A change and the event that announces it can never diverge: the write to
// the bucket is the only step a request waits for, and the relay, a durable
// consumer of the bucket's own stream, publishes each stored event (with its
// event id as Nats-Msg-Id, so a replay is de-duplicated) and acknowledges only
// after the event stream acknowledged it. A process killed between the two
// steps leaves the event unacknowledged, and the next relay publishes it.
package eventkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// headerErase marks a write that erases an aggregate: the relay then purges
// the aggregate's earlier events from the event stream.
const headerErase = "Tandem-Erase"

// DefaultHistory is how many revisions of a key the bucket keeps, so the relay
// still finds a revision that was overwritten before it got to it.
const DefaultHistory = 64

// Config names the bucket and the event stream the store relays to.
type Config struct {
	Bucket         string // KV bucket, e.g. "profiles_organizations"
	Stream         string // event stream, e.g. "TANDEM_PROFILES"
	StreamSubjects string // the stream's subjects, e.g. "tandem.profiles.v1.>"
	History        uint8  // revisions kept per key; 0 means DefaultHistory
	Replicas       int    // stream replicas (1 in development, 3 in a cluster)
}

// Store is a bucket of aggregates, each stored as its latest event.
type Store struct {
	cfg    Config
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	events jetstream.Stream
	prefix string // subject prefix of the bucket's keys: $KV.<bucket>.
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_=:-]+$`)

// ValidKey reports whether key can be stored: one NATS subject token, because
// it ends the subjects of the aggregate's events.
func ValidKey(key string) bool { return len(key) <= 255 && keyPattern.MatchString(key) }

// Open creates (or updates) the bucket and the event stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Bucket == "" || cfg.Stream == "" || cfg.StreamSubjects == "" {
		return nil, errors.New("eventkv: bucket, stream and stream subjects are required")
	}
	if cfg.History == 0 {
		cfg.History = DefaultHistory
	}
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:   cfg.Bucket,
		History:  cfg.History,
		Storage:  jetstream.FileStorage,
		Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("eventkv %s: %w", cfg.Bucket, err)
	}
	events, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:       cfg.Stream,
		Subjects:   []string{cfg.StreamSubjects},
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("eventkv %s: %w", cfg.Bucket, err)
	}
	return &Store{cfg: cfg, js: js, kv: kv, events: events, prefix: "$KV." + cfg.Bucket + "."}, nil
}

// Create stores ev under key if the key has never been written; otherwise it
// fails with grpcerr.ErrAlreadyExists. It returns the new revision.
func (s *Store) Create(ctx context.Context, key string, ev proto.Message) (uint64, error) {
	rev, err := s.write(ctx, key, ev, 0, false)
	if errors.Is(err, grpcerr.ErrConflict) {
		return 0, fmt.Errorf("%s: %w", key, grpcerr.ErrAlreadyExists)
	}
	return rev, err
}

// Update stores ev under key if the key's revision is still lastRev;
// otherwise it fails with grpcerr.ErrConflict and changes nothing.
func (s *Store) Update(ctx context.Context, key string, ev proto.Message, lastRev uint64) (uint64, error) {
	if lastRev == 0 {
		return 0, fmt.Errorf("%s %s: update needs the last revision", s.cfg.Bucket, key)
	}
	return s.write(ctx, key, ev, lastRev, false)
}

// Erase replaces the whole history of key by erasedEv (a roll-up, so earlier
// revisions and the personal data in them are gone from the bucket) if the
// key's revision is still lastRev. The relay publishes erasedEv and then
// purges the aggregate's earlier events from the event stream.
func (s *Store) Erase(ctx context.Context, key string, erasedEv proto.Message, lastRev uint64) (uint64, error) {
	if lastRev == 0 {
		return 0, fmt.Errorf("%s %s: erase needs the last revision", s.cfg.Bucket, key)
	}
	return s.write(ctx, key, erasedEv, lastRev, true)
}

func (s *Store) write(ctx context.Context, key string, ev proto.Message, lastRev uint64, erase bool) (uint64, error) {
	if !ValidKey(key) {
		return 0, fmt.Errorf("eventkv: invalid key %q", key)
	}
	if _, _, err := describe(ev); err != nil {
		return 0, err
	}
	a, err := anypb.New(ev)
	if err != nil {
		return 0, fmt.Errorf("eventkv: wrap %T: %w", ev, err)
	}
	data, err := proto.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("eventkv: marshal %T: %w", ev, err)
	}
	m := nats.NewMsg(s.prefix + key)
	m.Data = data
	// Expected last subject sequence 0 means "never written": a create.
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastRev, 10))
	if erase {
		m.Header.Set("Nats-Rollup", "sub")
		m.Header.Set(headerErase, "1")
	}
	tracing.InjectNATS(ctx, m.Header)
	ack, err := s.js.PublishMsg(ctx, m)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return 0, fmt.Errorf("%s: revision %d is stale: %w", key, lastRev, grpcerr.ErrConflict)
		}
		return 0, fmt.Errorf("eventkv: write %s %s: %w", s.cfg.Bucket, key, err)
	}
	return ack.Sequence, nil
}

// Get returns the latest event stored under key and its revision, or
// grpcerr.ErrNotFound itself, unwrapped: callers name what is missing, in
// the same words they use for what the caller may not see.
func (s *Store) Get(ctx context.Context, key string) (proto.Message, uint64, error) {
	if !ValidKey(key) {
		return nil, 0, grpcerr.ErrNotFound
	}
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, grpcerr.ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("eventkv: get %s %s: %w", s.cfg.Bucket, key, err)
	}
	ev, err := decode(e.Value())
	if err != nil {
		return nil, 0, fmt.Errorf("eventkv: get %s %s: %w", s.cfg.Bucket, key, err)
	}
	return ev, e.Revision(), nil
}

// WatchOption tunes Watch.
type WatchOption func(*watchOptions)

type watchOptions struct{ synced func() }

// OnSynced is called once every entry present when Watch started has been
// applied, so a read index knows when it is complete.
func OnSynced(f func()) WatchOption { return func(o *watchOptions) { o.synced = f } }

// Watch calls apply for every current entry and then for every change, in
// revision order per key, until ctx ends (it then returns nil). An error from
// apply stops the watch and is returned.
func (s *Store) Watch(ctx context.Context, apply func(key string, ev proto.Message, rev uint64) error, opts ...WatchOption) error {
	var o watchOptions
	for _, opt := range opts {
		opt(&o)
	}
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("eventkv: watch %s: %w", s.cfg.Bucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("eventkv: watch %s ended", s.cfg.Bucket)
			}
			if e == nil { // the end of the entries present at start
				if o.synced != nil {
					o.synced()
				}
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			ev, err := decode(e.Value())
			if err != nil {
				return fmt.Errorf("eventkv: watch %s %s: %w", s.cfg.Bucket, e.Key(), err)
			}
			if err := apply(e.Key(), ev, e.Revision()); err != nil {
				return err
			}
		}
	}
}

// Relay publishes every event stored in the bucket to the event stream until
// ctx ends. Run it in every replica: they share one durable consumer that
// hands out one message at a time, so events leave in the order they were
// stored.
func (s *Store) Relay(ctx context.Context, log *slog.Logger) error {
	cfg := jetstream.ConsumerConfig{
		Durable:       "relay_" + s.cfg.Bucket,
		FilterSubject: s.prefix + ">",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		MaxAckPending: 1,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1, // an event must never be dropped; a broken one is terminated explicitly
	}
	return natsx.Consume(ctx, log, s.js, "KV_"+s.cfg.Bucket, cfg, s.relay)
}

func (s *Store) relay(ctx context.Context, m jetstream.Msg) error {
	if op := m.Headers().Get("KV-Operation"); op != "" {
		return nil // deletes and purges carry no event
	}
	key := strings.TrimPrefix(m.Subject(), s.prefix)
	ev, err := decode(m.Data())
	if err != nil {
		return fmt.Errorf("relay %s %s: %w: %w", s.cfg.Bucket, key, err, natsx.ErrPermanent)
	}
	subject, eventID, err := describe(ev)
	if err != nil {
		return fmt.Errorf("relay %s %s: %w: %w", s.cfg.Bucket, key, err, natsx.ErrPermanent)
	}
	ack, err := natsx.Publish(ctx, s.js, subject+"."+key, eventID, ev)
	if err != nil {
		return fmt.Errorf("relay %s %s: %w", s.cfg.Bucket, key, err)
	}
	if m.Headers().Get(headerErase) != "" {
		// Every earlier event of this aggregate: tandem.<svc>.v1.<entity>.*.<key>.
		entity := subject[:strings.LastIndexByte(subject, '.')]
		err := s.events.Purge(ctx, jetstream.WithPurgeSubject(entity+".*."+key), jetstream.WithPurgeSequence(ack.Sequence))
		if err != nil {
			return fmt.Errorf("relay %s %s: purge erased aggregate: %w", s.cfg.Bucket, key, err)
		}
	}
	return nil
}

// Subject returns the subject an event is published on: its declared
// subject followed by the aggregate key.
func Subject(ev proto.Message, key string) (string, error) {
	subject, _, err := describe(ev)
	if err != nil {
		return "", err
	}
	return subject + "." + key, nil
}

// describe reads the declared subject and the event id of a domain event.
func describe(ev proto.Message) (subject, eventID string, err error) {
	md := ev.ProtoReflect().Descriptor()
	subject, _ = proto.GetExtension(md.Options(), eventsv1.E_Subject).(string)
	if subject == "" {
		return "", "", fmt.Errorf("eventkv: %s declares no subject", md.FullName())
	}
	fd := md.Fields().ByName(protoreflect.Name("event_id"))
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return "", "", fmt.Errorf("eventkv: %s has no event_id", md.FullName())
	}
	eventID = ev.ProtoReflect().Get(fd).String()
	if eventID == "" {
		return "", "", fmt.Errorf("eventkv: %s without event_id", md.FullName())
	}
	return subject, eventID, nil
}

func decode(data []byte) (proto.Message, error) {
	var a anypb.Any
	if err := proto.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("decode stored event: %w", err)
	}
	ev, err := a.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("decode stored event %s: %w", a.GetTypeUrl(), err)
	}
	return ev, nil
}
