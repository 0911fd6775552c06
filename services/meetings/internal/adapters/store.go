// Package adapters keeps the meetings service's state in JetStream: the
// aggregates (events, participants, requests, schedules, meetings) as their
// latest domain event in one eventkv bucket, slot occupancy in a bucket of
// create-only keys, the meetings of provisional schedules in a third. The
// app package's Index, fed by watching the first, is the read model.
package adapters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protodelim"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// Bucket and stream names.
const (
	AggregatesBucket  = "meetings"
	ClaimsBucket      = "meetings_claims"
	OccupancyBucket   = "meetings_occupancy"
	ProvisionalBucket = "meetings_provisional"
	Stream            = "TANDEM_MEETINGS"
	StreamSubjects    = "tandem.meetings.v1.>"
)

// chunkSize is how many provisional meetings share one KV value: about
// 200 KB, well under the default 1 MB message limit.
const chunkSize = 1000

// Store is the service's storage.
type Store struct {
	Aggregates *eventkv.Store
	Claims     *eventkv.Claims
	occ        jetstream.KeyValue
	prov       jetstream.KeyValue
}

// Open creates or opens the buckets and the event stream.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	agg, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: AggregatesBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	claims, err := eventkv.OpenClaims(ctx, js, ClaimsBucket, replicas)
	if err != nil {
		return nil, err
	}
	occ, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: OccupancyBucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	prov, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: ProvisionalBucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	return &Store{Aggregates: agg, Claims: claims, occ: occ, prov: prov}, nil
}

func encodeHolds(hs []domain.Hold) []byte {
	var b bytes.Buffer
	for _, h := range hs {
		fmt.Fprintf(&b, "%s %d\n", h.MeetingID, h.At.UnixNano())
	}
	return b.Bytes()
}

func decodeHolds(b []byte) []domain.Hold {
	var out []domain.Hold
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		id, at, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			continue
		}
		ns, err := strconv.ParseInt(string(at), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, domain.Hold{MeetingID: string(id), At: time.Unix(0, ns)})
	}
	return out
}

// UpdateHolds changes the holds under key with compare-and-set, retrying
// when another writer (on any replica) changed them in between, so
// concurrent bookings of one participant are counted one after another.
// update returns the new holds, or an error that is returned as is.
func (s *Store) UpdateHolds(ctx context.Context, key string, update func([]domain.Hold) ([]domain.Hold, error)) error {
	for {
		var cur []domain.Hold
		var rev uint64
		e, err := s.occ.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("holds %s: %w", key, err)
		default:
			cur, rev = decodeHolds(e.Value()), e.Revision()
		}
		next, err := update(cur)
		if err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.occ.Create(ctx, key, encodeHolds(next))
		} else {
			_, err = s.occ.Update(ctx, key, encodeHolds(next), rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongLast(err) {
			return fmt.Errorf("holds %s: %w", key, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Occupy takes every key for meetingID or none. JetStream's create-only
// write lets exactly one of several concurrent callers have a key, which is
// what keeps anyone and any table from being booked twice. A key already
// held by meetingID counts as taken by this call (retries are idempotent).
// alive reports whether a holder's meeting exists and still holds the key;
// a dead holder's key older than domain.StaleClaimAge is taken over.
func (s *Store) Occupy(ctx context.Context, keys []string, meetingID string, alive func(ctx context.Context, holder, key string) (bool, error)) error {
	var taken []string
	rollback := func() {
		// Best effort: a key left behind is reclaimed as stale later.
		s.Release(context.WithoutCancel(ctx), taken, meetingID)
	}
	for _, k := range keys {
		ok, err := s.occupyOne(ctx, k, meetingID, alive)
		if err != nil {
			rollback()
			return err
		}
		if ok {
			taken = append(taken, k)
		}
	}
	return nil
}

// occupyOne returns true when it created the key now.
func (s *Store) occupyOne(ctx context.Context, key, meetingID string, alive func(ctx context.Context, holder, key string) (bool, error)) (bool, error) {
	for attempt := 0; ; attempt++ {
		_, err := s.occ.Create(ctx, key, []byte(meetingID))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return false, fmt.Errorf("occupy %s: %w", key, err)
		}
		e, err := s.occ.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) && attempt < 3 {
			continue // released in between
		}
		if err != nil {
			return false, fmt.Errorf("occupy %s: %w", key, err)
		}
		holder := string(e.Value())
		if holder == meetingID {
			return false, nil
		}
		if attempt < 3 && time.Since(e.Created()) > domain.StaleClaimAge {
			live, err := alive(ctx, holder, key)
			if err != nil {
				return false, err
			}
			if !live {
				if err := s.occ.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil && !isWrongLast(err) {
					return false, fmt.Errorf("occupy %s: drop stale claim: %w", key, err)
				}
				continue
			}
		}
		return false, fmt.Errorf("%s by meeting %s: %w: %w", key, holder, domain.ErrTaken, grpcerr.ErrConflict)
	}
}

func isWrongLast(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Holder returns the meeting holding key, or "".
func (s *Store) Holder(ctx context.Context, key string) (string, error) {
	e, err := s.occ.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("occupancy %s: %w", key, err)
	}
	return string(e.Value()), nil
}

// Release frees the keys meetingID holds; keys held by others stay.
func (s *Store) Release(ctx context.Context, keys []string, meetingID string) {
	for _, k := range keys {
		e, err := s.occ.Get(ctx, k)
		if err != nil || string(e.Value()) != meetingID {
			continue
		}
		_ = s.occ.Delete(ctx, k, jetstream.LastRevision(e.Revision()))
	}
}

// SaveProvisional stores a provisional schedule's meetings. They are not
// aggregates of their own (tens of thousands per run, replaced by the next
// run); they become aggregates when the schedule is published.
func (s *Store) SaveProvisional(ctx context.Context, scheduleID string, meetings []*meetingsv1.Meeting) error {
	chunks := 0
	for start := 0; start < len(meetings); start += chunkSize {
		var buf bytes.Buffer
		for _, m := range meetings[start:min(start+chunkSize, len(meetings))] {
			if _, err := protodelim.MarshalTo(&buf, m); err != nil {
				return fmt.Errorf("save provisional %s: %w", scheduleID, err)
			}
		}
		if _, err := s.prov.Put(ctx, scheduleID+"."+strconv.Itoa(chunks), buf.Bytes()); err != nil {
			return fmt.Errorf("save provisional %s: %w", scheduleID, err)
		}
		chunks++
	}
	if _, err := s.prov.Put(ctx, scheduleID+".n", []byte(strconv.Itoa(chunks))); err != nil {
		return fmt.Errorf("save provisional %s: %w", scheduleID, err)
	}
	return nil
}

// LoadProvisional reads a provisional schedule's meetings.
func (s *Store) LoadProvisional(ctx context.Context, scheduleID string) ([]*meetingsv1.Meeting, error) {
	e, err := s.prov.Get(ctx, scheduleID+".n")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("meetings of schedule %s: %w", scheduleID, grpcerr.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load provisional %s: %w", scheduleID, err)
	}
	n, err := strconv.Atoi(string(e.Value()))
	if err != nil {
		return nil, fmt.Errorf("load provisional %s: bad chunk count: %w", scheduleID, err)
	}
	var out []*meetingsv1.Meeting
	for i := range n {
		c, err := s.prov.Get(ctx, scheduleID+"."+strconv.Itoa(i))
		if err != nil {
			return nil, fmt.Errorf("load provisional %s chunk %d: %w", scheduleID, i, err)
		}
		r := bytes.NewReader(c.Value())
		for r.Len() > 0 {
			m := &meetingsv1.Meeting{}
			if err := protodelim.UnmarshalFrom(r, m); err != nil {
				return nil, fmt.Errorf("load provisional %s chunk %d: %w", scheduleID, i, err)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// DeleteProvisional drops the stored meetings under key, best effort: a
// version that an edit replaced is never read again.
func (s *Store) DeleteProvisional(ctx context.Context, key string) {
	e, err := s.prov.Get(ctx, key+".n")
	if err != nil {
		return
	}
	n, _ := strconv.Atoi(string(e.Value()))
	for i := range n {
		_ = s.prov.Purge(ctx, key+"."+strconv.Itoa(i))
	}
	_ = s.prov.Purge(ctx, key+".n")
}
