package adapters

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/tandem-cluster/tandem/pkg/retry"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Projection is the read model in Redis: per aggregate its version and latest
// event, a checkpoint per consumed stream, a change log every replica tails
// into its in-memory index, and an epoch that tells a flushed Redis from a
// kept one. Everything in it can be rebuilt from JetStream.
type Projection struct {
	rdb        *redis.Client
	versions   string // hash: aggregate key -> version (removed aggregates too)
	aggregates string // hash: aggregate key -> event (anypb), absent when removed
	changes    string // stream of changed aggregate keys
	epoch      string
	lock       string
	checkpoint func(stream string) string
	gaps       atomic.Int64
}

// NewProjection keeps the projection under the key prefix that key builds
// (runtime.Runtime.Key).
func NewProjection(rdb *redis.Client, key func(parts ...string) string) *Projection {
	return &Projection{
		rdb:        rdb,
		versions:   key("matching", "versions"),
		aggregates: key("matching", "aggregates"),
		changes:    key("matching", "changes"),
		epoch:      key("matching", "epoch"),
		lock:       key("matching", "rebuild-lock"),
		checkpoint: func(stream string) string { return key("matching", "checkpoint", stream) },
	}
}

// changeLogLen bounds the change log; a replica further behind reloads.
const changeLogLen = 100000

// applyScript writes one event if it is newer than the version held, logs
// the change and advances the stream's checkpoint, atomically: a replay
// changes nothing, and a crash never leaves a checkpoint ahead of its data.
var applyScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local applied = 0
if ARGV[5] == 'purge' or tonumber(ARGV[2]) > cur then
  if ARGV[5] ~= 'purge' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
  if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'k', ARGV[1])
  applied = 1
end
if KEYS[3] ~= KEYS[1] then
  local ck = tonumber(redis.call('GET', KEYS[3]) or '0')
  if tonumber(ARGV[4]) > ck then redis.call('SET', KEYS[3], ARGV[4]) end
end
return applied
`)

// Apply stores ev (the event that produced c) unless Redis holds a version
// as new, and records seq as the checkpoint of stream. It reports whether
// the event was new.
func (p *Projection) Apply(ctx context.Context, stream string, seq uint64, c domain.Change, ev proto.Message) (bool, error) {
	var payload []byte
	if !c.Removed && ev != nil {
		a, err := anypb.New(ev)
		if err != nil {
			return false, fmt.Errorf("projection: wrap %s: %w", c.Key, err)
		}
		if payload, err = proto.Marshal(a); err != nil {
			return false, fmt.Errorf("projection: marshal %s: %w", c.Key, err)
		}
	}
	mode := "apply"
	if c.Purge {
		mode = "purge"
	}
	ck := p.versions
	if stream != "" {
		ck = p.checkpoint(stream)
	}
	n, err := applyScript.Run(ctx, p.rdb, []string{p.versions, p.aggregates, ck, p.changes},
		c.Key, c.Version, payload, seq, mode, changeLogLen).Int()
	if err != nil {
		return false, fmt.Errorf("projection: apply %s: %w", c.Key, err)
	}
	return n == 1, nil
}

// Checkpoint returns the last stream sequence applied from stream (0 when
// none).
func (p *Projection) Checkpoint(ctx context.Context, stream string) (uint64, error) {
	s, err := p.rdb.Get(ctx, p.checkpoint(stream)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projection: checkpoint: %w", err)
	}
	return strconv.ParseUint(s, 10, 64)
}

// Epoch returns the projection's epoch, "" when Redis has lost it.
func (p *Projection) Epoch(ctx context.Context) (string, error) {
	s, err := p.rdb.Get(ctx, p.epoch).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("projection: epoch: %w", err)
	}
	return s, nil
}

// BeginRebuild takes the rebuild lock for one replica; the winner resets
// the consumers and then publishes a new epoch with SetEpoch.
func (p *Projection) BeginRebuild(ctx context.Context, owner string) (bool, error) {
	ok, err := p.rdb.SetNX(ctx, p.lock, owner, 30*time.Second).Result()
	if err != nil {
		return false, fmt.Errorf("projection: rebuild lock: %w", err)
	}
	return ok, nil
}

// SetEpoch publishes a new epoch and releases the rebuild lock.
func (p *Projection) SetEpoch(ctx context.Context, epoch string) error {
	if err := p.rdb.Set(ctx, p.epoch, epoch, 0).Err(); err != nil {
		return fmt.Errorf("projection: set epoch: %w", err)
	}
	return p.rdb.Del(ctx, p.lock).Err()
}

// Load reads the whole projection as changes for an empty index, and the
// change-log position to tail from afterwards.
func (p *Projection) Load(ctx context.Context) ([]domain.Change, string, error) {
	last := "0-0"
	xs, err := p.rdb.XRevRangeN(ctx, p.changes, "+", "-", 1).Result()
	if err != nil {
		return nil, "", fmt.Errorf("projection: change log: %w", err)
	}
	if len(xs) == 1 {
		last = xs[0].ID
	}
	versions := map[string]int64{}
	var cursor uint64
	for {
		kv, next, err := p.rdb.HScan(ctx, p.versions, cursor, "*", 5000).Result()
		if err != nil {
			return nil, "", fmt.Errorf("projection: load versions: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v, _ := strconv.ParseInt(kv[i+1], 10, 64)
			versions[kv[i]] = v
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	var out []domain.Change
	seen := map[string]bool{}
	for {
		kv, next, err := p.rdb.HScan(ctx, p.aggregates, cursor, "*", 2000).Result()
		if err != nil {
			return nil, "", fmt.Errorf("projection: load aggregates: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if seen[kv[i]] {
				continue // HSCAN may return a field twice
			}
			seen[kv[i]] = true
			c, err := decodeStored(kv[i], []byte(kv[i+1]))
			if err != nil {
				return nil, "", err
			}
			out = append(out, c)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	// Removed aggregates keep their version, so a late older event stays ignored.
	for k, v := range versions {
		if !seen[k] {
			out = append(out, domain.Change{Key: k, Version: v, Removed: true})
		}
	}
	return out, last, nil
}

// Get reads one aggregate's current state as a change.
func (p *Projection) Get(ctx context.Context, key string) (domain.Change, error) {
	pipe := p.rdb.Pipeline()
	vc := pipe.HGet(ctx, p.versions, key)
	ac := pipe.HGet(ctx, p.aggregates, key)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return domain.Change{}, fmt.Errorf("projection: get %s: %w", key, err)
	}
	v, _ := strconv.ParseInt(vc.Val(), 10, 64)
	if errors.Is(ac.Err(), redis.Nil) {
		// Gone from Redis: removed, whatever version memory holds.
		return domain.Change{Key: key, Version: v, Purge: true}, nil
	}
	return decodeStored(key, []byte(ac.Val()))
}

func decodeStored(key string, data []byte) (domain.Change, error) {
	var a anypb.Any
	if err := proto.Unmarshal(data, &a); err != nil {
		return domain.Change{}, fmt.Errorf("projection: decode %s: %w", key, err)
	}
	ev, err := a.UnmarshalNew()
	if err != nil {
		return domain.Change{}, fmt.Errorf("projection: decode %s: %w", key, err)
	}
	c, _, ok, err := ChangeOf(ev)
	if err != nil || !ok {
		return domain.Change{}, fmt.Errorf("projection: %s holds an unusable event %s: %v", key, a.GetTypeUrl(), err)
	}
	return c, nil
}

// Tail applies every logged change after from to index until ctx ends.
// Each replica runs one, so all replicas converge on the same read model
// whichever replica's consumer handled an event. When the log was trimmed
// past from (a replica far behind) or lost (Redis flushed), the changes in
// between are gone: Tail then reloads the whole projection into index, which
// applies whatever is newer than what index holds.
func (p *Projection) Tail(ctx context.Context, from string, index *domain.Index) error {
	for {
		if gap, err := p.gap(ctx, from); err == nil && gap {
			p.gaps.Add(1)
			changes, last, err := p.Load(ctx)
			if err == nil {
				index.Apply(changes...)
				from = last
			}
		}
		res, err := p.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{p.changes, from}, Count: 500, Block: 2 * time.Second}).Result()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if !retry.Sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		for _, s := range res {
			var changes []domain.Change
			keys := map[string]bool{}
			for _, m := range s.Messages {
				from = m.ID
				k, _ := m.Values["k"].(string)
				if k == "" || keys[k] {
					continue
				}
				keys[k] = true
				c, err := p.Get(ctx, k)
				if err != nil {
					return err
				}
				changes = append(changes, c)
			}
			index.Apply(changes...)
		}
	}
}

// Gaps counts the times Tail found changes gone before it read them.
func (p *Projection) Gaps() int64 { return p.gaps.Load() }

// gap reports whether entries after from may have left the change log
// unread. The log is trimmed from its oldest end, so while the entry at
// from is still there nothing after it is gone; once it is gone (trimmed,
// or the log lost with Redis) what followed it may be too.
func (p *Projection) gap(ctx context.Context, from string) (bool, error) {
	if from == "0-0" {
		return false, nil
	}
	xs, err := p.rdb.XRangeN(ctx, p.changes, from, "+", 1).Result()
	if err != nil {
		return false, err
	}
	return len(xs) == 0 || xs[0].ID != from, nil
}
