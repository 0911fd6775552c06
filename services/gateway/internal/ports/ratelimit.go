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

// Limiter takes from several budgets in one round trip, deciding as the
// first refusing budget, else the last; i is that budget's index.
type Limiter interface {
	AllowAll(ctx context.Context, budgets []adapters.Budget) (d adapters.Decision, i int, err error)
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
	return strings.HasSuffix(p, ":batchRegister") || strings.HasSuffix(p, ":batchCreate") || strings.HasSuffix(p, ":batchRespond") ||
		strings.HasSuffix(p, ":batchPublish")
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

// ipDeferred marks a request whose address budget limitByIP left to
// limitRequests, to be charged with its principal's budgets.
type ipDeferred struct{}

// limitByIP applies the per-address budget before anything else, so even
// floods of bad tokens are cut off before each costs a signature check.
// A request with a token verified before (known, nil for never) is let
// through uncharged and charged by limitRequests together with its
// principal's budgets, in one round trip to Redis.
func limitByIP(log *slog.Logger, l Limiter, perMinute int, clientIP func(*http.Request) string, known func(token string) bool, next http.Handler) http.Handler {
	if l == nil || perMinute <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if known != nil && r.URL.Path != loginPath {
			if token, err := auth.ParseBearer(r.Header.Get("Authorization")); err == nil && known(token) {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ipDeferred{}, true)))
				return
			}
		}
		if !allow(w, r, log, l, []adapters.Budget{{Key: "ip:" + clientIP(r), PerMinute: perMinute, N: 1}}) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitRequests charges, in one round trip, the address budget limitByIP
// deferred, the principal's request budget and, for batch calls, its item
// budget (each batch also counts once as a request).
func limitRequests(log *slog.Logger, l Limiter, limits RateLimits, clientIP func(*http.Request) string, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var budgets []adapters.Budget
		if limits.PerIP > 0 && r.Context().Value(ipDeferred{}) != nil {
			budgets = append(budgets, adapters.Budget{Key: "ip:" + clientIP(r), PerMinute: limits.PerIP, N: 1})
		}
		if p, ok := auth.FromContext(r.Context()); ok {
			if limits.PerPrincipal > 0 {
				budgets = append(budgets, adapters.Budget{Key: "sub:" + p.Subject, PerMinute: limits.PerPrincipal, N: 1})
			}
			if limits.ItemsPerPrincipal > 0 && isBatch(r) {
				budgets = append(budgets, adapters.Budget{Key: "items:" + p.Subject, PerMinute: limits.ItemsPerPrincipal, N: batchItems(r)})
			}
		}
		if len(budgets) > 0 && !allow(w, r, log, l, budgets) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allow answers 429 with Retry-After when a budget is spent. When Redis
// fails the request goes through: rate limits protect the services, and
// refusing everyone while Redis is away would be the outage they prevent.
func allow(w http.ResponseWriter, r *http.Request, log *slog.Logger, l Limiter, budgets []adapters.Budget) bool {
	d, i, err := l.AllowAll(r.Context(), budgets)
	if err != nil {
		log.WarnContext(r.Context(), "rate limit unavailable; request let through", "request_id", RequestIDFrom(r.Context()), "err", err)
		return true
	}
	perMinute := budgets[i].PerMinute
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
