package ports

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
)

// Limiter takes one request (Allow) or n items (AllowN) from a key's budget
// of perMinute a minute.
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (adapters.Decision, error)
	AllowN(ctx context.Context, key string, perMinute, n int) (adapters.Decision, error)
}

// RateLimits are requests a minute per client address and per
// authenticated principal; 0 turns that limit off. Addresses get the larger
// budget because many people can share one (an office behind NAT).
type RateLimits struct {
	PerIP        int
	PerPrincipal int
	// ItemsPerPrincipal is the items a minute a principal may send in batch
	// calls (each batch also counts once against PerPrincipal): an
	// organiser sets up thousands of participants and requests in a
	// minute, item by item it would take hours.
	ItemsPerPrincipal int
}

// isBatch reports the batch calls, whose items count against the item budget.
func isBatch(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	p := r.URL.Path
	return strings.HasSuffix(p, ":batchRegister") || strings.HasSuffix(p, ":batchCreate") || strings.HasSuffix(p, ":batchRespond")
}

// batchItems counts the items of a batch call's JSON body and puts the body
// back for the handler. A body it cannot read counts as one item: the
// handler reports what is wrong with it.
func batchItems(r *http.Request) int {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	if err != nil {
		return 1
	}
	var body struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(b, &body) != nil {
		return 1
	}
	return max(1, len(body.Items))
}

// limitItems applies the per-principal item budget to batch calls.
func limitItems(log *slog.Logger, l Limiter, perMinute int, next http.Handler) http.Handler {
	if l == nil || perMinute <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok && isBatch(r) {
			n := batchItems(r)
			if !allowN(w, r, log, l, "items:"+p.Subject, perMinute, n) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
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
	return allowN(w, r, log, l, key, perMinute, 1)
}

func allowN(w http.ResponseWriter, r *http.Request, log *slog.Logger, l Limiter, key string, perMinute, n int) bool {
	var d adapters.Decision
	var err error
	if n == 1 {
		d, err = l.Allow(r.Context(), key, perMinute)
	} else {
		d, err = l.AllowN(r.Context(), key, perMinute, n)
	}
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
