// Package matching is the matching service: explained partner suggestions from a read model of profiles, competencies and brokerage-event registrations.
//
// The binary in cmd/matching and `tandem dev` both start it through Options.
package matching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/app"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
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

// Config is the service's configuration: the runtime settings every service
// shares, its JetStream replicas and how often it checks that Redis still
// holds its projection.
type Config struct {
	runtime.Common
	// Replicas of the service's buckets and stream: 1 on a single server, 3 on a cluster.
	Replicas int `conf:"default:1,env:JS_REPLICAS,flag:js-replicas,help:replicas of the service's JetStream buckets and stream"`
	// ProjectionCheck is how often a replica checks the projection's epoch
	// in Redis; a lost projection is rebuilt from JetStream.
	ProjectionCheck time.Duration `conf:"default:5s,env:PROJECTION_CHECK,flag:projection-check,help:how often to check that Redis still holds the read model"`
}

// DefaultConfig returns the configuration the service starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{Common: runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr), Replicas: 1, ProjectionCheck: 5 * time.Second}
}

// Options wires the service into the shared process runtime.
func Options(cfg Config) runtime.Options {
	return runtime.Options{
		Name:   Name,
		Common: cfg.Common,
		Config: &cfg,
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			return register(ctx, rt, cfg)
		},
	}
}

func register(ctx context.Context, rt *runtime.Runtime, cfg Config) error {
	openCtx, cancel := context.WithTimeout(ctx, rt.Config.StartupTimeout)
	defer cancel()
	v, err := vocab.Load()
	if err != nil {
		return fmt.Errorf("vocabulary: %w", err)
	}
	ont := adapters.NewOntology(v)
	stores, err := adapters.OpenStores(openCtx, rt.JS, max(cfg.Replicas, 1))
	if err != nil {
		return err
	}

	// The replica's index starts from the projection in Redis and then
	// follows its change log; the consumers keep the projection current.
	index := domain.NewIndex(ont)
	proj := adapters.NewProjection(rt.Redis, rt.Key)
	changes, from, err := proj.Load(openCtx)
	if err != nil {
		return err
	}
	index.Apply(changes...)
	orgs, people, comps, coops := index.Counts()
	rt.Log.Info("read model loaded from redis", "organizations", orgs, "people", people, "competencies", comps, "cooperation_profiles", coops)
	rt.Go("tail projection", func(ctx context.Context) error { return proj.Tail(ctx, from, index) })
	if err := registerIndexMetrics(rt.Registry, index); err != nil {
		return err
	}
	rt.Go("fit ranking weights", func(ctx context.Context) error { return fitWeights(ctx, index, rt.Log) })

	svc := app.New(index, ont, app.Stores{Feedback: stores.Feedback, Searches: stores.Searches, Claims: stores.Claims,
		Matches: adapters.NewMatches(rt.JS)}, rt.Log, rt.Stopping())
	refKey, err := adapters.RefKey(openCtx, rt.JS, max(cfg.Replicas, 1))
	if err != nil {
		return err
	}
	if err := svc.SetRefKey(refKey); err != nil {
		return err
	}
	// Answers to questions without a need are computed again after each
	// change to the index, the most recently asked first.
	rt.Go("refresh kept answers", svc.Kept.Run)
	// Match events from before they carried references only hold names;
	// they go once, at the first start that finds them. A failure leaves
	// them for the next start.
	if n, err := adapters.SweepNamedMatches(openCtx, rt.JS, max(cfg.Replicas, 1)); err != nil {
		rt.Log.Error("match events with names not swept", "err", err)
	} else if n > 0 {
		rt.Log.Info("match events with names deleted", "events", n)
	}
	var synced sync.WaitGroup
	synced.Add(2)
	fbSynced, ssSynced := sync.OnceFunc(synced.Done), sync.OnceFunc(synced.Done)
	rt.Go("watch feedback", adapters.Watch(stores.Feedback, svc.ApplyStored, fbSynced))
	rt.Go("watch saved searches", adapters.Watch(stores.Searches, svc.ApplyStored, ssSynced))
	done := make(chan struct{})
	go func() { synced.Wait(); close(done) }()
	select {
	case <-done:
	case <-openCtx.Done():
		fbSynced()
		ssSynced()
		return fmt.Errorf("matching: feedback and saved searches not loaded within %s", rt.Config.StartupTimeout)
	}
	for i, relay := range stores.Relays(rt.Log, eventkv.RelayAs(rt.Replica)) {
		rt.Go(fmt.Sprintf("relay %d", i), relay)
	}

	feed := &adapters.Feed{JS: rt.JS, Log: rt.Log, Projection: proj, Index: index, Sources: adapters.Sources,
		GuardEvery: max(cfg.ProjectionCheck, 10*time.Millisecond), OnApplied: svc.OnApplied, OnFeedback: svc.RecordEventFeedback}
	rt.Go("consume profiles and competencies", feed.Run)
	// Suggestions from a half-built read model would be wrong: not ready
	// until the projection is complete.
	rt.Ready("read model", func(context.Context) error {
		if !feed.Ready() {
			return errors.New("rebuilding from the event streams")
		}
		return nil
	})

	matchingv1.RegisterMatchingServiceServer(rt.GRPC, ports.NewGRPC(svc))
	return nil
}

// fitWeights fits the ranking weights to the collaboration history once
// the read model is loaded, and again whenever the history has grown or
// shrunk by a twentieth, checked every few minutes. Fitting reads a
// snapshot: queries go on meanwhile.
func fitWeights(ctx context.Context, index *domain.Index, log *slog.Logger) error {
	fitted := -1
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if n := index.CollabCount(); n > 0 && (fitted < 0 || 20*abs(n-fitted) >= fitted) {
			rep := index.Fit()
			fitted = n
			log.Info("ranking weights fitted", "collaborations", rep.Collaborations, "questions", rep.Questions, "pairs", rep.Pairs, "fallback", rep.Fallback)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func abs(n int) int { return max(n, -n) }

// registerIndexMetrics reports the size of the replica's in-memory index.
// The projection's age is the consumers' lag, tandem_consumer_pending_messages
// and tandem_consumer_last_event_age_seconds of the matching_* consumers.
func registerIndexMetrics(reg prometheus.Registerer, index *domain.Index) error {
	for i, kind := range []string{"organizations", "people", "competencies", "cooperation_profiles"} {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "tandem_matching_index_entries",
			Help:        "Entries in the replica's in-memory read model, by kind.",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 {
			o, p, c, cp := index.Counts()
			return float64([]int{o, p, c, cp}[i])
		})
		if err := reg.Register(g); err != nil {
			return err
		}
	}
	return nil
}
