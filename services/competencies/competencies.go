// Package competencies is the competencies service: the EDAM and MeSH vocabulary, competencies with evidence, cooperation offers and requests, and collaboration history.
//
// The binary in cmd/competencies and `tandem dev` both start it through Options.
package competencies

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/adapters"
	"github.com/tandem-cluster/tandem/services/competencies/internal/app"
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

// Config is the service's configuration: the runtime settings every service
// shares, plus where its data lives and how often offers are expired.
type Config struct {
	runtime.Common
	Replicas       int           `conf:"default:1,env:JS_REPLICAS,flag:js-replicas,help:replicas of the service's JetStream buckets and stream"`
	LocalTerms     string        `conf:"env:LOCAL_TERMS,flag:local-terms,help:TSV file of extra local terms (the layout of pkg/vocab/data/local_terms.tsv); empty uses the shipped ones only"`
	ExpiryInterval time.Duration `conf:"default:1m,env:EXPIRY_INTERVAL,flag:expiry-interval,help:how often published cooperation profiles past their deadline are expired"`
}

// DefaultConfig returns the configuration the service starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{Common: runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr), Replicas: 1, ExpiryInterval: time.Minute}
}

// Options wires the service into the shared process runtime.
func Options(cfg Config) runtime.Options {
	return runtime.Options{
		RedisOptional: true, // only the token deny list
		Name:          Name,
		Common:        cfg.Common,
		Config:        &cfg,
		Public:        ports.PublicMethods,
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			voc, err := loadVocabulary(cfg.LocalTerms)
			if err != nil {
				return err
			}
			stores, err := adapters.Open(ctx, rt.JS, max(cfg.Replicas, 1))
			if err != nil {
				return err
			}
			index := app.NewIndex()
			synced := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(3)
			go func() { wg.Wait(); close(synced) }()
			svc := &app.Service{
				Vocab: voc, Competencies: stores.Competencies, Cooperations: stores.Cooperations, Collaborations: stores.Collaborations, Claims: stores.Claims,
				Holders: stores.Holders, Index: index, Log: rt.Log, Synced: synced,
			}
			// Anonymous holders are shown under opaque references made
			// with one key that every replica shares.
			refKey, err := anonref.Key(ctx, rt.JS, "competencies_keys", max(cfg.Replicas, 1))
			if err != nil {
				return err
			}
			if err := svc.SetRefKey(refKey); err != nil {
				return err
			}
			competenciesv1.RegisterCompetenciesServiceServer(rt.GRPC, ports.NewGRPC(svc))

			rt.Go("relay competencies", func(ctx context.Context) error {
				return stores.Competencies.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
			})
			rt.Go("relay cooperation profiles", func(ctx context.Context) error {
				return stores.Cooperations.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
			})
			rt.Go("watch competencies", func(ctx context.Context) error {
				return stores.Competencies.Watch(ctx, func(key string, ev proto.Message, rev uint64) error {
					index.ApplyCompetency(key, ev, rev)
					return nil
				}, onceSynced(&wg))
			})
			rt.Go("watch cooperation profiles", func(ctx context.Context) error {
				return stores.Cooperations.Watch(ctx, func(key string, ev proto.Message, rev uint64) error {
					index.ApplyCooperation(key, ev, rev)
					return nil
				}, onceSynced(&wg))
			})
			rt.Go("relay collaborations", func(ctx context.Context) error {
				return stores.Collaborations.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
			})
			rt.Go("watch collaborations", func(ctx context.Context) error {
				return stores.Collaborations.Watch(ctx, func(key string, ev proto.Message, rev uint64) error {
					index.ApplyCollaboration(key, ev, rev)
					return nil
				}, onceSynced(&wg))
			})
			rt.Go("watch holders", stores.Holders.Watch)
			rt.Go("consume profiles events", func(ctx context.Context) error {
				return adapters.ConsumeProfiles(ctx, rt.Log, rt.JS, adapters.ProfilesDurable, svc)
			})
			rt.Go("expire cooperation profiles", func(ctx context.Context) error {
				return expireLoop(ctx, rt, svc, synced, cfg.ExpiryInterval)
			})
			return nil
		},
	}
}

func onceSynced(wg *sync.WaitGroup) eventkv.WatchOption {
	var once sync.Once
	return eventkv.OnSynced(func() { once.Do(wg.Done) })
}

func loadVocabulary(localTerms string) (*vocab.Vocabulary, error) {
	if localTerms == "" {
		return vocab.Load()
	}
	f, err := os.Open(localTerms)
	if err != nil {
		return nil, fmt.Errorf("local terms: %w", err)
	}
	defer func() { _ = f.Close() }()
	return vocab.LoadWithLocal(localTerms, f)
}

// expireLoop expires past-deadline offers now and then; a failed round is
// logged and retried at the next tick, since the next round redoes it.
func expireLoop(ctx context.Context, rt *runtime.Runtime, svc *app.Service, synced <-chan struct{}, every time.Duration) error {
	if every <= 0 {
		every = time.Minute
	}
	select {
	case <-synced:
	case <-ctx.Done():
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := svc.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			rt.Log.Warn("expire cooperation profiles", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
