package adapters

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// StreamLeases bounds the live streams each user holds open across every
// gateway replica sharing Redis. An open stream holds a lease: a member of
// the user's sorted set, scored with its expiry, renewed while the stream
// lasts and removed when it ends. A replica that dies leaves leases that
// expire within the lease time, so a crash frees its places on its own.
type StreamLeases struct {
	rdb    redis.UniversalClient
	prefix string
	opens  *RateLimiter
	ttl    time.Duration
}

// DefaultLeaseTTL is how long a lease outlives its last renewal.
const DefaultLeaseTTL = 45 * time.Second

// NewStreamLeases keeps its keys under prefix.
func NewStreamLeases(rdb *redis.Client, prefix string) *StreamLeases {
	return &StreamLeases{rdb: rdb, prefix: prefix, opens: NewRateLimiter(rdb, prefix+":opens"), ttl: DefaultLeaseTTL}
}

// enterScript drops expired leases and adds one if fewer than max remain.
// KEYS[1] the user's set; ARGV now, expiry (unix ms), max, lease id, ttl ms.
var enterScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// Enter admits one more stream of subject when it has fewer than max open
// on every replica together and has opened fewer than perMinute a minute;
// otherwise it says how long to wait. release ends the lease; it must be
// called once the stream ends.
func (l *StreamLeases) Enter(ctx context.Context, subject string, max, perMinute int) (release func(), retryAfter time.Duration, ok bool, err error) {
	key := l.prefix + ":leases:" + subject
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now()
	n, err := enterScript.Run(ctx, l.rdb, []string{key}, now.UnixMilli(), now.Add(l.ttl).UnixMilli(), max, id, l.ttl.Milliseconds()).Int()
	if err != nil {
		return nil, 0, false, fmt.Errorf("stream lease: %w", err)
	}
	if n == 0 {
		// A place frees when a stream ends, which cannot be known: a few
		// seconds is as long as a browser should wait to retry.
		return nil, 5 * time.Second, false, nil
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = l.rdb.ZRem(dctx, key, id).Err()
	}
	d, err := l.opens.Allow(ctx, subject, perMinute)
	if err != nil || !d.Allowed {
		drop()
		return nil, d.RetryAfter, false, err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
				exp := float64(time.Now().Add(l.ttl).UnixMilli())
				_, _ = l.rdb.TxPipelined(rctx, func(p redis.Pipeliner) error {
					p.ZAddXX(rctx, key, redis.Z{Score: exp, Member: id})
					p.PExpire(rctx, key, l.ttl)
					return nil
				})
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			drop()
		})
	}, 0, true, nil
}
