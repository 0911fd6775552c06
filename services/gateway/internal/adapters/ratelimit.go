// Package adapters connects the gateway to Redis.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Decision is the outcome of one rate-limit check.
type Decision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration // when not allowed: how long until one more request fits
}

// RateLimiter counts requests per key in Redis with the generic cell rate
// algorithm (as redis_rate does), so every gateway replica shares one budget per
// client and a burst cannot exceed the limit across replicas. Its state is a
// timestamp per key that expires on its own: losing it only resets budgets.
type RateLimiter struct {
	rdb    *redis.Client
	prefix string
}

// NewRateLimiter keeps its keys under "rate:" + prefix, where redis_rate
// kept them.
func NewRateLimiter(rdb *redis.Client, prefix string) *RateLimiter {
	return &RateLimiter{rdb: rdb, prefix: prefix}
}

// Allow takes one request from key's budget of perMinute requests a minute,
// which may all come at once.
func (l *RateLimiter) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	return l.AllowN(ctx, key, perMinute, 1)
}

// AllowN takes n units (the items of a batch call) from key's budget of
// perMinute a minute, all or none.
func (l *RateLimiter) AllowN(ctx context.Context, key string, perMinute, n int) (Decision, error) {
	d, _, err := l.AllowAll(ctx, []Budget{{Key: key, PerMinute: perMinute, N: n}})
	return d, err
}

// Budget is one key's budget for AllowAll: take N units from PerMinute a
// minute.
type Budget struct {
	Key       string
	PerMinute int
	N         int
}

// gcra is redis_rate's generic cell rate algorithm for one key (the same
// state, so both read and write the same budgets), with the burst equal to
// the rate and a period of a minute. After redis-gcra by Pavel Pravosud
// (MIT), as redis_rate uses it. Returns allowed (0/1), remaining, and the
// seconds until one more unit fits.
var gcra = redis.NewScript(`
redis.replicate_commands()
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local emission = 60 / rate
local burst_offset = emission * rate
local now = redis.call("TIME")
now = (now[1] - 1483228800) + (now[2] / 1000000)
local tat = redis.call("GET", key)
if not tat then tat = now else tat = tonumber(tat) end
tat = math.max(tat, now)
local new_tat = tat + emission * cost
local diff = now - (new_tat - burst_offset)
if diff < 0 then
  return {0, 0, tostring(-diff)}
end
local reset_after = new_tat - now
if reset_after > 0 then
  redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
end
return {1, diff / emission, "-1"}
`)

// AllowAll takes from every budget in one round trip to Redis (a pipeline
// of one script call per key, so it works on a Redis Cluster too). Each
// budget is charged on its own, as separate checks would be. The decision
// is the first refusing budget's, or when all allow, the last one's; i is
// its index.
func (l *RateLimiter) AllowAll(ctx context.Context, budgets []Budget) (d Decision, i int, err error) {
	if len(budgets) == 0 {
		return Decision{Allowed: true}, -1, nil
	}
	cmds, err := l.pipeline(ctx, budgets, false)
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		cmds, err = l.pipeline(ctx, budgets, true) // the script was not loaded yet: send it
	}
	if err != nil {
		return Decision{}, 0, fmt.Errorf("rate limit %s: %w", budgets[0].Key, err)
	}
	for i, c := range cmds {
		d, err := decision(c)
		if err != nil {
			return Decision{}, 0, fmt.Errorf("rate limit %s: %w", budgets[i].Key, err)
		}
		if !d.Allowed || i == len(cmds)-1 {
			return d, i, nil
		}
	}
	return Decision{}, 0, errors.New("rate limit: no answer") // not reached
}

func (l *RateLimiter) pipeline(ctx context.Context, budgets []Budget, load bool) ([]*redis.Cmd, error) {
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(budgets))
	for i, b := range budgets {
		keys := []string{"rate:" + l.prefix + ":" + b.Key}
		if load {
			cmds[i] = gcra.Eval(ctx, pipe, keys, b.PerMinute, b.N)
		} else {
			cmds[i] = gcra.EvalSha(ctx, pipe, keys, b.PerMinute, b.N)
		}
	}
	_, err := pipe.Exec(ctx)
	return cmds, err
}

func decision(c *redis.Cmd) (Decision, error) {
	vals, err := c.Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(vals) != 3 {
		return Decision{}, fmt.Errorf("unexpected answer %v", vals)
	}
	allowed, _ := vals[0].(int64)
	remaining, _ := vals[1].(int64)
	retry, _ := vals[2].(string)
	secs, err := strconv.ParseFloat(retry, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("unexpected retry %q", retry)
	}
	d := Decision{Allowed: allowed == 1, Remaining: int(remaining)}
	if !d.Allowed {
		d.RetryAfter = time.Duration(secs * float64(time.Second))
	}
	return d, nil
}
