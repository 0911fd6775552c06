package eventkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// LeaseBucket holds one lease per relayed bucket, keyed by the bucket's
// name: the replica holding it relays that bucket.
const LeaseBucket = "relay_leases"

// LeaseTTL is how long a lease outlives its last renewal. It is longer than
// RelayAckWait, so when a killed holder's lease lapses the events it had in
// flight are already due again, and the next holder publishes them before
// later ones.
const LeaseTTL = 6 * time.Second

const (
	leaseRenew  = LeaseTTL / 6 // how often the holder renews
	leaseGiveUp = LeaseTTL / 2 // a holder that could not renew for this long stops relaying
	// relayAckTimeout bounds the wait for the event stream's answer to one
	// publish; the event is then left to be redelivered.
	relayAckTimeout = 10 * time.Second
)

// errRelayStalled stops a relay whose publish failed, so it resumes from
// the first event not acknowledged.
var errRelayStalled = errors.New("an earlier publish failed")

// Relay publishes every event stored in the bucket to the event stream until
// ctx ends. Run it in every replica: the one holding the bucket's lease
// relays, the others wait to take over, and a replica restarted under the
// same name (RelayAs) takes back the lease its killed predecessor held at
// once instead of waiting LeaseTTL for it to lapse. Up to Config.RelayInFlight events
// are published ahead of the event stream's acknowledgements, in the order
// they were stored; an event waits for its aggregate's previous event to be
// acknowledged, so each aggregate's events keep their order even when a
// publish fails. A stored event is acknowledged only once the event stream
// holds it: nothing is lost when a replica dies.
func (s *Store) Relay(ctx context.Context, log *slog.Logger, opts ...RelayOption) error {
	var o relayOptions
	for _, opt := range opts {
		opt(&o)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("bucket", s.cfg.Bucket)
	run := nuid.Next() // this call's: another Relay of the store never takes its lease
	for first := true; ctx.Err() == nil; first = false {
		l, err := s.acquireLease(ctx, log, o.replica, run, first)
		if err != nil {
			return nil // ctx ended
		}
		err = l.hold(ctx, log, func(ctx context.Context) error { return s.relayRun(ctx, log) })
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			log.Warn("relay stopped; resuming", "err", err)
			sleep(ctx, time.Second)
		}
	}
	return nil
}

// RelayOption tunes Relay.
type RelayOption func(*relayOptions)

type relayOptions struct{ replica string }

// RelayAs names the replica that relays, a name it keeps across restarts
// and shares with no other live replica (its host name and listen address):
// restarted after kill -9, it takes back at once the lease it held, which
// would otherwise keep every replica from relaying until it lapsed. It
// does so only when it first asks for the lease, so two processes that
// wrongly share a name do not take the lease from each other in turn.
func RelayAs(replica string) RelayOption {
	return func(o *relayOptions) { o.replica = strings.TrimSpace(replica) }
}

// lease is a replica's hold on relaying one bucket.
type lease struct {
	kv         jetstream.KeyValue
	key, value string
	rev        uint64
}

// acquireLease waits until this replica holds the bucket's lease, or ctx
// ends. The lease's value is the store's incarnation and the Relay call's
// run, then the replica's name; on its first acquisition a named replica
// takes over a lease left under its name by an earlier incarnation
// (itself, before a restart).
func (s *Store) acquireLease(ctx context.Context, log *slog.Logger, replica, run string, first bool) (*lease, error) {
	value := s.incarnation + "/" + run
	if replica != "" {
		value += " " + replica
	}
	for {
		rev, err := s.leases.Create(ctx, s.cfg.Bucket, []byte(value))
		if err == nil {
			return &lease{kv: s.leases, key: s.cfg.Bucket, value: value, rev: rev}, nil
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			if rev, ok := s.takeBack(ctx, replica, value, first); ok {
				log.Info("relay lease taken back", "replica", replica)
				return &lease{kv: s.leases, key: s.cfg.Bucket, value: value, rev: rev}, nil
			}
		}
		// Held by another replica, or NATS unreachable: ask again soon.
		if !sleep(ctx, leaseRenew) {
			return nil, ctx.Err()
		}
	}
}

// takeBack replaces the bucket's lease by value if this very run holds it
// still (it stopped relaying when it could not renew the lease while NATS
// was restarting, and nobody took the lease since), or, on the first
// acquisition (first), if an earlier incarnation of replica holds it. The
// update names the revision read, so a lease renewed or taken meanwhile
// stays as it is.
func (s *Store) takeBack(ctx context.Context, replica, value string, first bool) (uint64, bool) {
	e, err := s.leases.Get(ctx, s.cfg.Bucket)
	if err != nil {
		return 0, false
	}
	held := string(e.Value())
	owner, name, _ := strings.Cut(held, " ")
	incarnation, _, _ := strings.Cut(owner, "/")
	ours := held == value
	earlierRun := first && replica != "" && name == replica && incarnation != s.incarnation
	if !ours && !earlierRun {
		return 0, false
	}
	rev, err := s.leases.Update(ctx, s.cfg.Bucket, []byte(value), e.Revision())
	return rev, err == nil
}

// hold runs f while the lease is held: it renews the lease, cancels f's
// context when it cannot (another replica may hold it soon), and releases
// the lease when f returns, so another replica takes over at once.
func (l *lease) hold(ctx context.Context, log *slog.Logger, f func(context.Context) error) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(leaseRenew)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-fctx.Done():
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(fctx, leaseRenew)
			rev, err := l.kv.Update(rctx, l.key, []byte(l.value), l.rev)
			rcancel()
			switch {
			case err == nil:
				l.rev, renewed = rev, time.Now()
			case fctx.Err() != nil:
				return
			case errors.Is(err, jetstream.ErrKeyExists) || time.Since(renewed) > leaseGiveUp:
				log.Warn("relay lease lost; another replica takes over", "err", err)
				cancel()
				return
			}
		}
	})
	err := f(fctx)
	cancel()
	wg.Wait()
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	_ = l.kv.Delete(rctx, l.key, jetstream.LastRevision(l.rev)) // a lost lease is someone else's: the revision check leaves it
	rcancel()
	return err
}

// relayRun relays while ctx lasts; it returns an error when it must start
// over from the first event not acknowledged.
func (s *Store) relayRun(ctx context.Context, log *slog.Logger) error {
	inFlight := s.cfg.RelayInFlight
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.kvStream, jetstream.ConsumerConfig{
		Durable:       "relay_" + s.cfg.Bucket,
		FilterSubject: s.prefix + ">",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		MaxAckPending: inFlight,
		AckWait:       RelayAckWait,
		MaxDeliver:    -1, // an event must never be dropped
	})
	if err != nil {
		return fmt.Errorf("relay consumer: %w", err)
	}
	// Events an earlier holder took and never acknowledged come back once
	// their ack wait is over, ahead of later events: wait for that, so a
	// later event of the same aggregate cannot overtake them.
	// Events a replica that stopped gracefully handed back (handBack) are
	// due already, ahead of later ones: no wait for those.
	if info, err := cons.Info(ctx); err == nil && info.NumAckPending > 0 && !s.allHandedBack(ctx, info) {
		relayAckWaits.WithLabelValues(s.cfg.Bucket).Inc()
		if !sleep(ctx, RelayAckWait+RelayAckWait/2) {
			return nil
		}
	}
	// A pull answered "no responders" while a NATS node restarts is not
	// repeated until two heartbeats are missed: with the client's default
	// (15 s) the relay sat idle for up to 30 s after the cluster healed.
	it, err := cons.Messages(jetstream.PullMaxMessages(inFlight), jetstream.PullHeartbeat(time.Second),
		jetstream.WithMessagesErrOnMissingHeartbeat(false))
	if err != nil {
		return fmt.Errorf("relay consumer: %w", err)
	}
	defer it.Stop()
	p := &pipeline{s: s, log: log, window: make(chan *relayed, inFlight), last: map[string]*relayed{}}
	p.wg.Go(p.complete)
	defer p.close()
	for {
		m, err := it.Next(jetstream.NextContext(ctx)) // what it buffered stays readable, to be handed back
		if err != nil {
			if ctx.Err() != nil {
				s.handBack(ctx, log, cons, it, p, nil)
				return nil
			}
			return fmt.Errorf("relay consumer: %w", err)
		}
		p.see(m)
		if ctx.Err() != nil {
			s.handBack(ctx, log, cons, it, p, m)
			return nil
		}
		if err := p.add(ctx, m); err != nil {
			if ctx.Err() != nil {
				s.handBack(ctx, log, cons, it, p, m) // add published nothing, or at most what a redelivery de-duplicates
				return nil
			}
			return err
		}
	}
}

// handBack gives back, when the relay stops gracefully (its replica
// stops), the events it holds, so the next holder finds them due at once
// instead of waiting for their ack wait. It lets the publishes in flight be
// answered (each within relayAckTimeout) and acknowledged, takes what the
// consumer still delivers until it has the acks and delivers no more, and
// returns the events fetched and not published in the order they were
// stored. Whenever that cannot be made sure (a publish failed, an event is
// unaccounted for), it returns nothing and leaves them to their ack wait,
// which keeps each aggregate's order.
func (s *Store) handBack(ctx context.Context, log *slog.Logger, cons jetstream.Consumer, it jetstream.MessagesContext, p *pipeline, held jetstream.Msg) {
	defer it.Stop()
	p.close()
	if p.failed.Load() {
		return
	}
	var back []jetstream.Msg
	if held != nil {
		back = append(back, held)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	settled := func() (*jetstream.ConsumerInfo, bool) {
		info, err := cons.Info(wctx)
		return info, err == nil && info.Delivered.Consumer == p.seen && info.NumAckPending == len(back)
	}
	for {
		for {
			m, err := it.Next(jetstream.NextMaxWait(10 * time.Millisecond))
			if err != nil {
				break
			}
			p.see(m)
			back = append(back, m)
		}
		if _, ok := settled(); ok {
			break
		}
		if wctx.Err() != nil {
			log.Info("relay stopped with events unaccounted for; the next holder waits for them")
			return
		}
	}
	it.Stop()
	// Once the consumer no longer waits to deliver here, a nak'd event
	// stays due until the next holder asks.
	for {
		if info, ok := settled(); ok && info.NumWaiting == 0 {
			break
		}
		if !sleep(wctx, 10*time.Millisecond) {
			log.Info("relay stopped with events pending; the next holder waits for them")
			return
		}
	}
	if len(back) == 0 {
		return
	}
	for _, m := range back[:len(back)-1] {
		_ = m.Nak()
	}
	// The consumer takes acks in turn: once it answers the last nak, it has
	// them all, the events are due again, ahead of any later one.
	if _, err := s.js.Conn().RequestWithContext(wctx, back[len(back)-1].Reply(), []byte("-NAK")); err != nil {
		log.Info("relay stopped with events pending; the next holder waits for them", "err", err)
		return
	}
	relayHandedBack.WithLabelValues(s.cfg.Bucket).Add(float64(len(back)))
	// Tell the next holder that what is pending was handed back.
	info, ok := settled()
	if ok && info.NumWaiting == 0 {
		_, err := s.leases.Put(wctx, s.cfg.Bucket+handBackSuffix, []byte(handBackMark(info)))
		ok = err == nil
	}
	if !ok {
		log.Info("relay stopped with events pending; the next holder waits for them", "handed_back", len(back))
	}
}

// handBackSuffix names, after the bucket's name in LeaseBucket, the record
// of the events a stopping relay handed back.
const handBackSuffix = ".handed_back"

// handBackMark describes the consumer as a stopping relay left it: what it
// delivered, what is pending, and on which server, whose redelivery queue
// holds the events handed back.
func handBackMark(info *jetstream.ConsumerInfo) string {
	leader := ""
	if info.Cluster != nil {
		leader = info.Cluster.Leader
	}
	return fmt.Sprintf("%d %d %s", info.Delivered.Consumer, info.NumAckPending, leader)
}

// allHandedBack reports whether the events pending on the relay consumer
// are those a stopping relay handed back: nothing was delivered since and
// the same server leads the consumer, so they come back at once, in order.
func (s *Store) allHandedBack(ctx context.Context, info *jetstream.ConsumerInfo) bool {
	e, err := s.leases.Get(ctx, s.cfg.Bucket+handBackSuffix)
	return err == nil && string(e.Value()) == handBackMark(info)
}

// relayed is one event on its way to the event stream.
type relayed struct {
	msg   jetstream.Msg
	out   *nats.Msg              // what is published
	rev   uint64                 // the stored event's revision
	fut   jetstream.PubAckFuture // nil when published synchronously
	seq   uint64                 // the event's sequence in the event stream
	purge string                 // for an erasure: the subjects of the aggregate's earlier events
	done  chan struct{}          // closed once acknowledged or failed
	err   error
}

// pipeline publishes events in stored order and acknowledges each, in the
// same order, once the event stream holds it.
type pipeline struct {
	s      *Store
	log    *slog.Logger
	window chan *relayed
	last   map[string]*relayed // each key's latest event, published by add
	failed atomic.Bool
	wg     sync.WaitGroup
	closed sync.Once
	seen   uint64 // the last delivery taken from the consumer
}

// see notes m's delivery, so handBack can tell when none is on the way.
func (p *pipeline) see(m jetstream.Msg) {
	if md, err := m.Metadata(); err == nil {
		p.seen = max(p.seen, md.Sequence.Consumer)
	}
}

func (p *pipeline) add(ctx context.Context, m jetstream.Msg) error {
	if p.failed.Load() {
		return errRelayStalled
	}
	s := p.s
	h := m.Headers()
	if h.Get("KV-Operation") != "" {
		return m.Ack() // deletes and purges carry no event
	}
	key := strings.TrimPrefix(m.Subject(), s.prefix)
	out, err := outgoing(m.Data(), h, key)
	if err != nil {
		// A replica that cannot read an old-format event leaves it to one
		// that can, or to itself once upgraded.
		return fmt.Errorf("relay %s %s: %w", s.cfg.Bucket, key, err)
	}
	md, err := m.Metadata()
	if err != nil {
		return fmt.Errorf("relay %s %s: %w", s.cfg.Bucket, key, err)
	}
	prev := p.last[key]
	if prev == nil || strconv.FormatUint(prev.rev, 10) != h.Get(headerPrevRev) {
		s.checkGap(ctx, p.log, key, h, md) // the replaced revision was not the last one relayed here
	}
	r := &relayed{msg: m, out: out, rev: md.Sequence.Stream, done: make(chan struct{})}
	if h.Get(headerErase) != "" {
		// Every earlier event of this aggregate: tandem.<svc>.v1.<entity>.*.<key>.
		subject := strings.TrimSuffix(out.Subject, "."+key)
		r.purge = subject[:strings.LastIndexByte(subject, '.')] + ".*." + key
	}
	if prev != nil {
		select {
		case <-prev.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if prev.err != nil {
			return errRelayStalled
		}
	}
	if md.NumDelivered > 1 {
		// Rare: check the stream first, synchronously, so a late
		// redelivery is not published twice.
		if r.seq, err = s.publishOnce(ctx, out, true); err != nil {
			return fmt.Errorf("relay %s %s: %w", s.cfg.Bucket, key, err)
		}
	} else if r.fut, err = s.js.PublishMsgAsync(out); err != nil {
		return fmt.Errorf("relay %s %s: %w", s.cfg.Bucket, key, err)
	}
	p.last[key] = r
	if len(p.last) > 4*cap(p.window)+1024 {
		for k, e := range p.last {
			select {
			case <-e.done:
				delete(p.last, k)
			default:
			}
		}
	}
	p.window <- r // never blocks long: MaxAckPending bounds what is in flight
	return nil
}

// complete waits for each publish in turn, purges an erased aggregate's
// earlier events, and acknowledges the stored event.
func (p *pipeline) complete() {
	for r := range p.window {
		r.err = p.await(r)
		if r.err == nil && r.purge != "" {
			ctx, cancel := context.WithTimeout(context.Background(), relayAckTimeout)
			err := p.s.events.Purge(ctx, jetstream.WithPurgeSubject(r.purge), jetstream.WithPurgeSequence(r.seq))
			cancel()
			if err != nil {
				r.err = fmt.Errorf("purge erased aggregate: %w", err)
			}
		}
		if r.err != nil {
			// Not acknowledged: redelivered after RelayAckWait, and the
			// relay starts over from it.
			if !p.failed.Swap(true) {
				p.log.Warn("relay publish failed; will retry", "subject", r.msg.Subject(), "err", r.err)
			}
		} else if err := r.msg.Ack(); err != nil {
			p.log.Warn("relay ack failed; the event will be published again and de-duplicated", "subject", r.msg.Subject(), "err", err)
		}
		close(r.done)
	}
}

// await waits for the event stream's answer to r's publish, telling the
// bucket's stream meanwhile that r is still being worked on. A publish left
// unanswered for natsx.RequestAttempt (its stream leader stopped), or
// refused for a reason that passes (no responders during an election), is
// sent again: its Nats-Msg-Id makes the stream store it once, and no later
// event of the same aggregate is in flight meanwhile (add waits for it).
func (p *pipeline) await(r *relayed) error {
	if r.fut == nil {
		return nil
	}
	select { // the common case: answered already, no timers
	case ack := <-r.fut.Ok():
		r.seq = ack.Sequence
		return nil
	case err := <-r.fut.Err():
		if !natsx.Transient(err) {
			return err
		}
	default:
	}
	timeout := time.NewTimer(relayAckTimeout)
	defer timeout.Stop()
	progress := time.NewTicker(RelayAckWait / 3)
	defer progress.Stop()
	resend := time.NewTicker(natsx.RequestAttempt)
	defer resend.Stop()
	fut := r.fut
	for {
		select {
		case ack := <-fut.Ok():
			r.seq = ack.Sequence
			return nil
		case err := <-fut.Err():
			if !natsx.Transient(err) {
				return err
			}
			fut = pending // sent again at the next tick
		case <-resend.C:
			if next, err := p.s.js.PublishMsgAsync(r.out); err == nil {
				relayResent.WithLabelValues(p.s.cfg.Bucket).Inc()
				fut = next
			}
		case <-progress.C:
			_ = r.msg.InProgress()
		case <-timeout.C:
			return jetstream.ErrAsyncPublishTimeout
		}
	}
}

// pending is a publish that is never answered.
var pending jetstream.PubAckFuture = pendingFuture{}

type pendingFuture struct{}

func (pendingFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (pendingFuture) Err() <-chan error            { return nil }
func (pendingFuture) Msg() *nats.Msg               { return nil }

// close waits for the events in flight to be answered.
func (p *pipeline) close() {
	p.closed.Do(func() { close(p.window) })
	p.wg.Wait()
}

// publishOnce publishes out unless a redelivered event is already the last
// one on its subject: the stream's duplicate window is short, a relay's
// redelivery may come later, and consumers should see each event once.
func (s *Store) publishOnce(ctx context.Context, out *nats.Msg, redelivered bool) (uint64, error) {
	if redelivered {
		last, err := natsx.LastMsg(ctx, s.js, s.cfg.Stream, out.Subject)
		if err == nil && last.Header.Get(jetstream.MsgIDHeader) == out.Header.Get(jetstream.MsgIDHeader) {
			return last.Sequence, nil
		}
	}
	ack, err := s.js.PublishMsg(ctx, out)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// checkGap reports a revision of key that was dropped (the bucket keeps
// History revisions per key) before the relay published it. Every stored
// event names the revision it replaced; if that one is gone while the relay
// is at least History events behind, the relay may have missed it. Only
// then is the bucket asked, so a relay that keeps up pays nothing.
func (s *Store) checkGap(ctx context.Context, log *slog.Logger, key string, h nats.Header, md *jetstream.MsgMetadata) {
	prev, _ := strconv.ParseUint(h.Get(headerPrevRev), 10, 64)
	if prev == 0 || h.Get(headerErase) != "" || md.NumPending+1 < uint64(s.cfg.History) {
		return
	}
	if _, err := natsx.MsgAt(ctx, s.js, s.kvStream, prev); errors.Is(err, jetstream.ErrMsgNotFound) {
		relayGaps.WithLabelValues(s.cfg.Bucket).Inc()
		log.Error("relay fell behind the bucket's history: an earlier revision of this key may never have been published",
			"bucket", s.cfg.Bucket, "key", key, "revision", md.Sequence.Stream, "replaced_revision", prev, "pending", md.NumPending, "history", s.cfg.History)
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
