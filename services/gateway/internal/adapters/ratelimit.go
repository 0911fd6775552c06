// Package adapters connects the gateway to Redis.
package adapters

import (
	"context"
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
	Extra      int           // units taken ahead, as the budget's Extra asked
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
	// Extra asks for up to that many more units once N fit (PrefetchLimiter
	// holds them for later requests); the decision's Extra says how many
	// were taken.
	Extra int
}

// gcra is redis_rate's generic cell rate algorithm for one key (the same
// state, so both read and write the same budgets), with the burst equal to
// the rate and a period of a minute. After redis-gcra by Pavel Pravosud
// (MIT), as redis_rate uses it. ARGV: rate, cost, and optionally extra:
// units to take ahead as well, as many of them as fit (PrefetchLimiter's
// prefetch). A negative cost gives units back, never beyond a full budget.
// Returns allowed (0/1), remaining, the seconds until one more unit fits,
// and the extra units taken.
var gcra = redis.NewScript(`
redis.replicate_commands()
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local extra = tonumber(ARGV[3] or "0")
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
  return {0, 0, tostring(-diff), 0}
end
local granted = 0
if extra > 0 then
  granted = math.min(extra, math.floor(diff / emission))
  new_tat = new_tat + emission * granted
  diff = diff - emission * granted
end
new_tat = math.max(new_tat, now)
local reset_after = new_tat - now
if reset_after > 0 then
  redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
else
  redis.call("DEL", key)
end
return {1, diff / emission, "-1", granted}
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
	ds, err := l.allowEach(ctx, budgets)
	if err != nil {
		return Decision{}, 0, err
	}
	i = decide(ds)
	return ds[i], i, nil
}

// decide returns the index of the first refusing decision, or when all
// allow, the last one's.
func decide(ds []Decision) int {
	for i, d := range ds {
		if !d.Allowed {
			return i
		}
	}
	return len(ds) - 1
}

// allowEach charges every budget in one round trip and returns each one's
// decision.
func (l *RateLimiter) allowEach(ctx context.Context, budgets []Budget) ([]Decision, error) {
	cmds, err := l.pipeline(ctx, budgets, false)
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		cmds, err = l.pipeline(ctx, budgets, true) // the script was not loaded yet: send it
	}
	if err != nil {
		return nil, fmt.Errorf("rate limit %s: %w", budgets[0].Key, err)
	}
	ds := make([]Decision, len(cmds))
	for i, c := range cmds {
		if ds[i], err = decision(c); err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", budgets[i].Key, err)
		}
	}
	return ds, nil
}

func (l *RateLimiter) pipeline(ctx context.Context, budgets []Budget, load bool) ([]*redis.Cmd, error) {
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(budgets))
	for i, b := range budgets {
		keys := []string{"rate:" + l.prefix + ":" + b.Key}
		if load {
			cmds[i] = gcra.Eval(ctx, pipe, keys, b.PerMinute, b.N, b.Extra)
		} else {
			cmds[i] = gcra.EvalSha(ctx, pipe, keys, b.PerMinute, b.N, b.Extra)
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
	if len(vals) != 4 {
		return Decision{}, fmt.Errorf("unexpected answer %v", vals)
	}
	allowed, _ := vals[0].(int64)
	remaining, _ := vals[1].(int64)
	retry, _ := vals[2].(string)
	extra, _ := vals[3].(int64)
	secs, err := strconv.ParseFloat(retry, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("unexpected retry %q", retry)
	}
	d := Decision{Allowed: allowed == 1, Remaining: int(remaining), Extra: int(extra)}
	if !d.Allowed {
		d.RetryAfter = time.Duration(secs * float64(time.Second))
	}
	return d, nil
}
