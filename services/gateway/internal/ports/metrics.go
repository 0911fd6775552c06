package ports

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
)

// Metrics are the gateway's HTTP metrics. The zero value (nil) records
// nothing.
type Metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	rejection *prometheus.CounterVec
}

// NewMetrics registers the gateway's HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_http_requests_total",
			Help: "HTTP requests answered by the gateway, by area (api, ui, openapi, health), method and status code.",
		}, []string{"area", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tandem_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request (for a stream, until it ends), by area and method.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"area", "method"}),
		rejection: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_http_rate_limited_total",
			Help: "Requests refused with 429 by a rate limit, by budget: ip, principal or items.",
		}, []string{"budget"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.rejection} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// area names the part of the site a path belongs to, a label of few values.
func area(path string) string {
	switch {
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		return "api"
	case path == "/openapi.json":
		return "openapi"
	case path == "/healthz" || path == "/readyz":
		return "health"
	}
	return "ui"
}

// method keeps the label to the methods the gateway serves.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// instrument counts and times every request.
func (m *Metrics) instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		code := rec.status
		if code == 0 {
			code = http.StatusOK
		}
		a, meth := area(r.URL.Path), method(r.Method)
		m.requests.WithLabelValues(a, meth, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(a, meth).Observe(time.Since(start).Seconds())
	})
}

func (m *Metrics) rateLimited(budget string) {
	if m != nil {
		m.rejection.WithLabelValues(budget).Inc()
	}
}

// meteredLimiter counts the refusals of a Limiter by the refusing budget,
// named by the prefix of its key ("ip:", "sub:", "items:").
type meteredLimiter struct {
	Limiter
	m *Metrics
}

func (l meteredLimiter) AllowAll(ctx context.Context, budgets []adapters.Budget) (adapters.Decision, int, error) {
	d, i, err := l.Limiter.AllowAll(ctx, budgets)
	if err == nil && !d.Allowed && i >= 0 && i < len(budgets) {
		budget, _, _ := strings.Cut(budgets[i].Key, ":")
		if budget == "sub" {
			budget = "principal"
		}
		l.m.rateLimited(budget)
	}
	return d, i, err
}
