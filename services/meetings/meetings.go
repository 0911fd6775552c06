// Package meetings is the meetings service: brokerage events, meeting requests, schedules, agendas and calendar export.
//
// It follows the profiles service's events (stream TANDEM_PROFILES, which
// it never creates): names of participants come from them, redacted for
// each caller, and an erased profile's participants are withdrawn from
// every event with their requests and meetings cancelled.
//
// The binary in cmd/meetings and `tandem dev` both start it through Options.
package meetings

import (
	"context"
	"fmt"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	"github.com/tandem-cluster/tandem/services/meetings/internal/adapters"
	"github.com/tandem-cluster/tandem/services/meetings/internal/app"
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
	// Replicas of the service's buckets and stream: 1 on a single server, 3 on a cluster.
	Replicas int `conf:"default:1,env:JS_REPLICAS,flag:js-replicas,help:replicas of the service's JetStream buckets and stream"`
}

// DefaultConfig returns the configuration the service starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{Common: runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr), Replicas: 1}
}

// Options wires the service into the shared process runtime.
func Options(cfg Config) runtime.Options {
	return runtime.Options{
		RedisOptional: true, // only the token deny list
		Name:          Name,
		Common:        cfg.Common,
		Config:        &cfg,
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			store, err := adapters.Open(ctx, rt.JS, max(cfg.Replicas, 1))
			if err != nil {
				return err
			}
			// The read index is complete before the first RPC: the watch
			// replays every stored aggregate first.
			index := app.NewIndex()
			synced := make(chan struct{})
			rt.Go("index", func(ctx context.Context) error {
				return store.Aggregates.Watch(ctx, index.Apply, eventkv.OnSynced(func() { close(synced) }))
			})
			rt.Go("relay", func(ctx context.Context) error {
				return store.Aggregates.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
			})
			profiles, err := adapters.OpenProfiles(ctx, rt.JS, max(cfg.Replicas, 1))
			if err != nil {
				return err
			}
			rt.Go("watch profiles", profiles.Watch)
			wait, cancel := context.WithTimeout(ctx, rt.Config.StartupTimeout)
			defer cancel()
			for what, ch := range map[string]<-chan struct{}{"read index": synced, "profiles": profiles.Synced()} {
				select {
				case <-ch:
				case <-wait.Done():
					return fmt.Errorf("%s: %w", what, wait.Err())
				}
			}
			svc := app.New(store.Aggregates, store.Claims, store, index, profiles, rt.Log)
			if svc.Metrics, err = app.NewMetrics(rt.Registry); err != nil {
				return err
			}
			// Erases withdraw participants found in the read index, so the
			// consumer starts once the index is complete.
			rt.Go("profiles events", func(ctx context.Context) error {
				return adapters.ConsumeProfiles(ctx, rt.Log, rt.JS, svc)
			})
			meetingsv1.RegisterMeetingsServiceServer(rt.GRPC, ports.NewGRPC(svc))
			return nil
		},
	}
}
