// Package profiles is the profiles service: organisations and people, their cluster memberships, visibility and consent.
//
// The binary in cmd/profiles and `tandem dev` both start it through Options.
package profiles

import (
	"context"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "profiles"

// EnvPrefix prefixes the service's environment variables (PROFILES\_NATS_URL, ...).
const EnvPrefix = "PROFILES"

// Default ports of the service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7101"
	DefaultDebugAddr = "127.0.0.1:9101"
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
			profilesv1.RegisterProfilesServiceServer(rt.GRPC, ports.NewGRPC())
			return nil
		},
	}
}
