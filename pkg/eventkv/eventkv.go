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
// The relay keeps many events in flight but never two of one aggregate, and
// one replica at a time relays a bucket (it holds a lease), so each
// aggregate's events leave in the order they were stored.
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
	"github.com/nats-io/nuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// Headers of a stored event, so the relay forwards its bytes without
// decoding them: a replica that does not know an event type (a newer one
// wrote it during a rolling upgrade) still relays it.
const (
	// HeaderSubject is the subject the event is published on.
	HeaderSubject = "Tandem-Event-Subject"
	// HeaderEventID is the event id, published as Nats-Msg-Id.
	HeaderEventID = "Tandem-Event-Id"
	// headerPrevRev is the revision the write replaced (0 for a create), so
	// the relay can tell when a revision was dropped before it got to it.
	headerPrevRev = "Tandem-Prev-Revision"
	// headerErase marks a write that erases an aggregate: the relay then
	// purges the aggregate's earlier events from the event stream.
	headerErase = "Tandem-Erase"
)

// DefaultHistory is how many revisions of a key the bucket keeps (the most
// JetStream allows), so the relay still finds a revision that was
// overwritten before it got to it. A relay further behind than that on one
// key would miss revisions: it detects that (tandem_relay_gaps_total, the
// TandemRelayGap alert) instead of passing over it silently.
const DefaultHistory = 64

// RelayAckWait bounds how long a killed replica holds the events it was
// relaying before another replica gets them again; a live relay keeps an
// event with in-progress acks however long its publish takes.
const RelayAckWait = 3 * time.Second

// DefaultRelayInFlight is how many events a relay publishes ahead of the
// event stream's acknowledgements.
const DefaultRelayInFlight = 256

// Config names the bucket and the event stream the store relays to.
type Config struct {
	Bucket         string // KV bucket, e.g. "profiles_organizations"
	Stream         string // event stream, e.g. "TANDEM_PROFILES"
	StreamSubjects string // the stream's subjects, e.g. "tandem.profiles.v1.>"
	History        uint8  // revisions kept per key; 0 means DefaultHistory
	Replicas       int    // stream replicas (1 in development, 3 in a cluster)
	// RelayInFlight bounds the events published and not yet acknowledged by
	// the event stream; 0 means DefaultRelayInFlight, 1 publishes one event
	// at a time.
	RelayInFlight int
	// Log hears about stored events a watch skips; nil discards.
	Log *slog.Logger
}

// Store is a bucket of aggregates, each stored as its latest event.
type Store struct {
	cfg    Config
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	events jetstream.Stream
	leases jetstream.KeyValue // who relays which bucket
	// incarnation tells this store's relay lease from one an earlier run of
	// the same replica left behind.
	incarnation string
	kvStream    string // the bucket's own stream: KV_<bucket>
	prefix      string // subject prefix of the bucket's keys: $KV.<bucket>.
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
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RelayInFlight <= 0 {
		cfg.RelayInFlight = DefaultRelayInFlight
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
	leases, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:   LeaseBucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: cfg.Replicas,
		TTL:      LeaseTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("eventkv %s: %w", cfg.Bucket, err)
	}
	return &Store{cfg: cfg, js: js, kv: kv, events: events, leases: leases, incarnation: nuid.Next(), kvStream: "KV_" + cfg.Bucket, prefix: "$KV." + cfg.Bucket + "."}, nil
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
	m, err := s.message(ctx, key, ev, lastRev, erase)
	if err != nil {
		return 0, err
	}
	ack, err := natsx.Attempts(ctx, func(ctx context.Context) (*jetstream.PubAck, error) { return s.js.PublishMsg(ctx, m) })
	if err != nil && staleRevision(err) {
		if ack, ok := s.landed(ctx, key, m); ok {
			return ack.Sequence, nil
		}
	}
	if err != nil {
		return 0, s.writeErr(key, lastRev, err)
	}
	return ack.Sequence, nil
}

// message builds the bucket write of ev under key, expecting the key's
// revision lastRev (0: never written).
func (s *Store) message(ctx context.Context, key string, ev proto.Message, lastRev uint64, erase bool) (*nats.Msg, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("eventkv: invalid key %q", key)
	}
	subject, eventID, err := describe(ev)
	if err != nil {
		return nil, err
	}
	a, err := anypb.New(ev)
	if err != nil {
		return nil, fmt.Errorf("eventkv: wrap %T: %w", ev, err)
	}
	data, err := proto.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("eventkv: marshal %T: %w", ev, err)
	}
	m := nats.NewMsg(s.prefix + key)
	m.Data = data
	// Expected last subject sequence 0 means "never written": a create.
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastRev, 10))
	m.Header.Set(HeaderSubject, subject+"."+key)
	m.Header.Set(HeaderEventID, eventID)
	m.Header.Set(natsx.HeaderEventType, string(ev.ProtoReflect().Descriptor().FullName()))
	m.Header.Set(headerPrevRev, strconv.FormatUint(lastRev, 10))
	if erase {
		m.Header.Set("Nats-Rollup", "sub")
		m.Header.Set(headerErase, "1")
	}
	// A try that a stopped leader never answered is repeated; if it was
	// stored, the event id makes JetStream answer the repeat with the
	// stored revision instead of refusing it as stale.
	m.Header.Set(jetstream.MsgIDHeader, eventID)
	tracing.InjectNATS(ctx, m.Header)
	return m, nil
}

// staleRevision reports whether a write was refused for expecting another
// revision of its key than the last one.
func staleRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// landed reports whether m, a write of key refused as stale, is the key's
// latest event: a single server checks the revision before the event id, so
// a repeat of a try that was stored but not answered is refused as stale
// rather than answered as a duplicate. It then returns the stored revision.
func (s *Store) landed(ctx context.Context, key string, m *nats.Msg) (*jetstream.PubAck, bool) {
	last, err := natsx.LastMsg(ctx, s.js, s.kvStream, s.prefix+key)
	if err != nil || last.Header.Get(HeaderEventID) != m.Header.Get(HeaderEventID) {
		return nil, false
	}
	return &jetstream.PubAck{Stream: s.kvStream, Sequence: last.Sequence, Duplicate: true}, true
}

// writeErr words the failure of a write of key that expected lastRev.
func (s *Store) writeErr(key string, lastRev uint64, err error) error {
	if staleRevision(err) {
		return fmt.Errorf("%s: revision %d is stale: %w", key, lastRev, grpcerr.ErrConflict)
	}
	return fmt.Errorf("eventkv: write %s %s: %w", s.cfg.Bucket, key, err)
}

// Get returns the latest event stored under key and its revision, or
// grpcerr.ErrNotFound itself, unwrapped: callers name what is missing, in
// the same words they use for what the caller may not see.
func (s *Store) Get(ctx context.Context, key string) (proto.Message, uint64, error) {
	if !ValidKey(key) {
		return nil, 0, grpcerr.ErrNotFound
	}
	// From the leader: callers read to decide a write (update with the
	// revision read), and a lagging follower would only make it conflict.
	m, err := natsx.LastMsg(ctx, s.js, s.kvStream, s.prefix+key)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && m.Header.Get("KV-Operation") != "") {
		return nil, 0, grpcerr.ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("eventkv: get %s %s: %w", s.cfg.Bucket, key, err)
	}
	ev, err := decode(m.Data)
	if err != nil {
		return nil, 0, fmt.Errorf("eventkv: get %s %s: %w", s.cfg.Bucket, key, err)
	}
	return ev, m.Sequence, nil
}

// WatchOption tunes Watch.
type WatchOption func(*watchOptions)

type watchOptions struct {
	synced func()
	passed func(rev uint64)
}

// OnSynced is called once every entry present when Watch started has been
// applied, so a read index knows when it is complete.
func OnSynced(f func()) WatchOption { return func(o *watchOptions) { o.synced = f } }

// OnRevision is called with each entry's revision once Watch is done with
// it (applied, or skipped as no event), so that a caller can wait for the
// watch to pass a revision read from LastRevision.
func OnRevision(f func(rev uint64)) WatchOption { return func(o *watchOptions) { o.passed = f } }

// LastRevision returns the bucket's latest revision, asked of its leader: a
// watch that passed it has seen every write acknowledged before the call.
func (s *Store) LastRevision(ctx context.Context) (uint64, error) {
	st, err := s.js.Stream(ctx, s.kvStream)
	if err != nil {
		return 0, fmt.Errorf("eventkv: last revision of %s: %w", s.cfg.Bucket, err)
	}
	return st.CachedInfo().State.LastSeq, nil
}

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
			if err := s.watched(e, apply); err != nil {
				return err
			}
			if o.passed != nil {
				o.passed(e.Revision())
			}
		}
	}
}

// watched hands one entry of a watch to apply, unless it is no event.
func (s *Store) watched(e jetstream.KeyValueEntry, apply func(key string, ev proto.Message, rev uint64) error) error {
	if e.Operation() != jetstream.KeyValuePut {
		return nil
	}
	ev, err := decode(e.Value())
	if err != nil {
		// An event this build cannot read (a newer replica wrote it) is
		// skipped, counted and logged: the read index misses it until this
		// replica is upgraded, but keeps serving.
		watchSkipped.WithLabelValues(s.cfg.Bucket).Inc()
		s.cfg.Log.Warn("stored event skipped", "bucket", s.cfg.Bucket, "key", e.Key(), "revision", e.Revision(), "err", err)
		return nil
	}
	return apply(e.Key(), ev, e.Revision())
}

// outgoing builds the event message from a stored entry: the stored bytes
// of the event, on the subject and with the event id its headers name.
// Entries written before those headers existed are decoded once to learn
// them.
func outgoing(data []byte, h nats.Header, key string) (*nats.Msg, error) {
	var a anypb.Any // the envelope only; the event inside stays bytes
	if err := proto.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("read stored envelope: %w", err)
	}
	subject, eventID, typ := h.Get(HeaderSubject), h.Get(HeaderEventID), h.Get(natsx.HeaderEventType)
	if subject == "" || eventID == "" {
		ev, err := a.UnmarshalNew()
		if err != nil {
			return nil, fmt.Errorf("event without relay headers: %w", err)
		}
		sub, id, err := describe(ev)
		if err != nil {
			return nil, err
		}
		subject, eventID = sub+"."+key, id
	}
	if typ == "" {
		typ = string(a.MessageName())
	}
	out := nats.NewMsg(subject)
	out.Data = a.GetValue()
	for k, v := range h {
		switch {
		case strings.HasPrefix(k, "Nats-"), strings.HasPrefix(k, "KV-"), strings.HasPrefix(k, "Tandem-"):
		default: // trace context
			out.Header[k] = v
		}
	}
	out.Header.Set(jetstream.MsgIDHeader, eventID)
	out.Header.Set(natsx.HeaderEventType, typ)
	return out, nil
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
