// Package ports exposes the gateway over HTTP.
package ports

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Check is one dependency readiness depends on: a backend service, NATS, Redis.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// readiness is the body of /readyz: the overall status and each check's result.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Health serves /healthz (the process is up) and /readyz (every dependency
// answers), for load balancers and orchestrators.
func Health(log *slog.Logger, timeout time.Duration, checks []Check) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		res := readiness{Status: "ok", Checks: make(map[string]string, len(checks))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				msg := "ok"
				if err := c.Probe(ctx); err != nil {
					msg = err.Error()
					log.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err)
				}
				mu.Lock()
				res.Checks[c.Name] = msg
				if msg != "ok" {
					res.Status = "unavailable"
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		code := http.StatusOK
		if res.Status != "ok" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, res)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
