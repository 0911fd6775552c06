// Package retry is the one backoff policy of Tandem: every loop that waits
// for a broker, a store or a stream to come back, and every redelivery delay
// of a failed event, takes its waits from here (cenkalti/backoff), so they
// grow the same way, are jittered the same way and stop with their context.
package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy is an exponential schedule from Initial, doubling (with ±20%
// jitter) up to Max.
type Policy struct {
	Initial time.Duration
	Max     time.Duration
}

// Default suits waiting for a dependency: 100 ms at first, then at most 5 s.
var Default = Policy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}

func (p Policy) backOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.Initial
	b.MaxInterval = p.Max
	b.Multiplier = 2
	b.RandomizationFactor = 0.2
	if b.InitialInterval <= 0 {
		b.InitialInterval = Default.Initial
	}
	if b.MaxInterval < b.InitialInterval {
		b.MaxInterval = b.InitialInterval
	}
	return b
}

// Delay is the wait before attempt n (1 is the first retry), e.g. for
// NakWithDelay on the n-th delivery of a message.
func (p Policy) Delay(n int) time.Duration {
	b := p.backOff()
	d := b.NextBackOff()
	for i := 1; i < min(n, 64); i++ {
		d = b.NextBackOff()
	}
	return d
}

// Until calls op until it succeeds, returns an error wrapped by Permanent,
// or ctx ends; notify (may be nil) hears about every failure and the wait
// before the next attempt. It never gives up on its own.
func Until[T any](ctx context.Context, p Policy, op func() (T, error), notify func(err error, next time.Duration)) (T, error) {
	opts := []backoff.RetryOption{backoff.WithBackOff(p.backOff()), backoff.WithMaxElapsedTime(0)}
	if notify != nil {
		opts = append(opts, backoff.WithNotify(backoff.Notify(notify)))
	}
	return backoff.Retry(ctx, backoff.Operation[T](op), opts...)
}

// Permanent stops Until at once with err.
func Permanent(err error) error { return backoff.Permanent(err) }

// Sleep waits d or until ctx ends; it reports whether the wait completed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
