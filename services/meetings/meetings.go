// Package meetings is the meetings service: brokerage events, meeting requests, schedules, agendas and calendar export.
//
// The binary in cmd/meetings and `tandem dev` both start it through Options.
package meetings

import (
	"context"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	"github.com/tandem-cluster/tandem/services/meetings/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "meetings"

// EnvPrefix prefixes the service's environment variables (MEETINGS\_NATS_URL, ...).
const EnvPrefix = "MEETINGS"

// Default ports of the service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7104"
	DefaultDebugAddr = "127.0.0.1:9104"
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
			meetingsv1.RegisterMeetingsServiceServer(rt.GRPC, ports.NewGRPC())
			return nil
		},
	}
}
