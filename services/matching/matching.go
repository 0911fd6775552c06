// Package matching is the matching service: explained partner suggestions from a read model of profiles and competencies.
//
// The binary in cmd/matching and `tandem dev` both start it through Options.
package matching

import (
	"context"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "matching"

// EnvPrefix prefixes the service's environment variables (MATCHING\_NATS_URL, ...).
const EnvPrefix = "MATCHING"

// Default ports of the service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7103"
	DefaultDebugAddr = "127.0.0.1:9103"
)

// Config is the service's configuration: the runtime settings every service shares.
type Config struct {
	runtime.Common
}

// DefaultConfig returns the configuration the service starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{Common: runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr)}
}

// Options wires the service into the shared process runtime.
func Options(cfg Config) runtime.Options {
	return runtime.Options{
		Name:   Name,
		Common: cfg.Common,
		Config: &cfg,
		Register: func(_ context.Context, rt *runtime.Runtime) error {
			matchingv1.RegisterMatchingServiceServer(rt.GRPC, ports.NewGRPC())
			return nil
		},
	}
}
