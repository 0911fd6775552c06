package ports

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
)

// Limiter takes one request from a key's budget of perMinute a minute.
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (adapters.Decision, error)
}

// RateLimits are requests a minute per client address and per
// authenticated principal; 0 turns that limit off. Addresses get the larger
// budget because many people can share one (an office behind NAT).
type RateLimits struct {
	PerIP        int
	PerPrincipal int
}

// limitByIP applies the per-address budget before anything else, so even
// floods of bad tokens are cut off.
func limitByIP(log *slog.Logger, l Limiter, perMinute int, clientIP func(*http.Request) string, next http.Handler) http.Handler {
	if l == nil || perMinute <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, log, l, "ip:"+clientIP(r), perMinute) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitByPrincipal applies the per-principal budget to authenticated calls.
func limitByPrincipal(log *slog.Logger, l Limiter, perMinute int, next http.Handler) http.Handler {
	if l == nil || perMinute <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok && !allow(w, r, log, l, "sub:"+p.Subject, perMinute) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allow answers 429 with Retry-After when key is over budget. When Redis
// fails the request goes through: rate limits protect the services, and
// refusing everyone while Redis is away would be the outage they prevent.
func allow(w http.ResponseWriter, r *http.Request, log *slog.Logger, l Limiter, key string, perMinute int) bool {
	d, err := l.Allow(r.Context(), key, perMinute)
	if err != nil {
		log.WarnContext(r.Context(), "rate limit unavailable; request let through", "request_id", RequestIDFrom(r.Context()), "err", err)
		return true
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(perMinute))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	if d.Allowed {
		return true
	}
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, r, http.StatusTooManyRequests, codes.ResourceExhausted,
		"too many requests: the limit is %d a minute; retry in %s", perMinute, time.Duration(secs)*time.Second)
	return false
}
