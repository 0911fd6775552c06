// Package metrics gives each service its own Prometheus registry (so several
// services in one process, as in `tandem dev`, do not collide) and the debug
// HTTP server that exposes it with pprof, away from the public port.
package metrics

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NewServerMetrics returns gRPC server metrics (request counts by code and a
// handling-time histogram) registered with reg.
func NewServerMetrics(reg prometheus.Registerer) (*grpcprom.ServerMetrics, error) {
	m := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
	))
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("register grpc metrics: %w", err)
	}
	return m, nil
}

// NewDebugServer returns an unstarted server for addr with /metrics from reg
// and, when withPprof is set, /debug/pprof/ (profiles and traces reveal
// memory contents and cost CPU, so they are off unless asked for). It uses
// its own mux so nothing registered on http.DefaultServeMux leaks onto it.
func NewDebugServer(addr string, reg *prometheus.Registry, withPprof bool) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if !withPprof {
		return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}
