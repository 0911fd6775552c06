// Package profiles is the profiles service: organisations and people, their cluster memberships, visibility and consent.
//
// The binary in cmd/profiles and `tandem dev` both start it through Options.
package profiles

import (
	"context"
	"fmt"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/adapters"
	"github.com/tandem-cluster/tandem/services/profiles/internal/app"
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

// Config is the service's configuration: the runtime settings every service
// shares and where its JetStream data lives.
type Config struct {
	runtime.Common
	// Replicas of the buckets and the event stream: 1 on a single server, 3 on a cluster.
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
			return register(ctx, rt, cfg)
		},
	}
}

func register(ctx context.Context, rt *runtime.Runtime, cfg Config) error {
	openCtx, cancel := context.WithTimeout(ctx, rt.Config.StartupTimeout)
	defer cancel()
	stores, err := adapters.Open(openCtx, rt.JS, max(cfg.Replicas, 1))
	if err != nil {
		return err
	}
	secret, err := adapters.PageTokenSecret(openCtx, rt.JS, max(cfg.Replicas, 1))
	if err != nil {
		return err
	}
	tokens, err := app.NewPageTokens(secret)
	if err != nil {
		return err
	}
	index := app.NewIndex()

	// Lists answer from the index, so the server starts serving only once
	// the index holds everything already stored.
	var synced sync.WaitGroup
	synced.Add(2)
	orgsSynced, peopleSynced := sync.OnceFunc(synced.Done), sync.OnceFunc(synced.Done)
	watchOrgs, watchPeople := stores.Feeds(index, orgsSynced, peopleSynced)
	rt.Go("watch organizations", watchOrgs)
	rt.Go("watch people", watchPeople)
	done := make(chan struct{})
	go func() { synced.Wait(); close(done) }()
	select {
	case <-done:
	case <-openCtx.Done():
		// Unblock the waiter; the watches stop with the runtime.
		orgsSynced()
		peopleSynced()
		return fmt.Errorf("profiles: read index not loaded within %s", rt.Config.StartupTimeout)
	}
	nOrgs, nPeople := index.Counts()
	rt.Log.Info("read index loaded", "organizations", nOrgs, "people", nPeople)

	relayOrgs, relayPeople := stores.Relays(rt.Log, eventkv.RelayAs(rt.Replica))
	rt.Go("relay organization events", relayOrgs)
	rt.Go("relay person events", relayPeople)

	svc := app.New(stores.Orgs, stores.People, stores.Claims, index, tokens, rt.Log)
	profilesv1.RegisterProfilesServiceServer(rt.GRPC, ports.NewGRPC(svc))
	return nil
}
