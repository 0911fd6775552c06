// Package competencies is the competencies service: the EDAM and MeSH vocabulary, competencies with evidence, cooperation offers and requests.
//
// The binary in cmd/competencies and `tandem dev` both start it through Options.
package competencies

import (
	"context"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "competencies"

// EnvPrefix prefixes the service's environment variables (COMPETENCIES\_NATS_URL, ...).
const EnvPrefix = "COMPETENCIES"

// Default ports of the service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7102"
	DefaultDebugAddr = "127.0.0.1:9102"
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
			competenciesv1.RegisterCompetenciesServiceServer(rt.GRPC, ports.NewGRPC())
			return nil
		},
	}
}
