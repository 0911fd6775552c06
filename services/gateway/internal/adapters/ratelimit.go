// Package adapters connects the gateway to Redis.
package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Decision is the outcome of one rate-limit check.
type Decision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration // when not allowed: how long until one more request fits
}

// RateLimiter counts requests per key in Redis with the generic cell rate
// algorithm (redis_rate), so every gateway replica shares one budget per
// client and a burst cannot exceed the limit across replicas. Its state is a
// timestamp per key that expires on its own: losing it only resets budgets.
type RateLimiter struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRateLimiter keeps its keys under prefix (redis_rate adds its own "rate:"
// in front of it).
func NewRateLimiter(rdb *redis.Client, prefix string) *RateLimiter {
	return &RateLimiter{limiter: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow takes one request from key's budget of perMinute requests a minute,
// which may all come at once.
func (l *RateLimiter) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	return l.AllowN(ctx, key, perMinute, 1)
}

// AllowN takes n units (the items of a batch call) from key's budget of
// perMinute a minute, all or none.
func (l *RateLimiter) AllowN(ctx context.Context, key string, perMinute, n int) (Decision, error) {
	res, err := l.limiter.AllowN(ctx, l.prefix+":"+key, redis_rate.PerMinute(perMinute), n)
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining, RetryAfter: res.RetryAfter}, nil
}
