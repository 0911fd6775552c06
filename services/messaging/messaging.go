// Package messaging is the messaging service: contact requests between
// members, the message threads that follow an accepted request, organizers'
// messages to the participants of their events, and e-mail
// notifications through SMTP with each user's digest and opt-out settings.
//
// The binary in cmd/messaging and `tandem dev` both start it through Options.
package messaging

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/adapters"
	"github.com/tandem-cluster/tandem/services/messaging/internal/app"
	"github.com/tandem-cluster/tandem/services/messaging/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "messaging"

// EnvPrefix prefixes the service's environment variables (MESSAGING_SMTP_ADDR, ...).
const EnvPrefix = "MESSAGING"

// Default ports of the service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7105"
	DefaultDebugAddr = "127.0.0.1:9105"
)

// Config is the service's configuration.
type Config struct {
	runtime.Common
	// Replicas of the buckets and the event stream: 1 on a single server, 3 on a cluster.
	Replicas     int           `conf:"default:1,env:JS_REPLICAS,flag:js-replicas,help:replicas of the service's JetStream buckets and stream"`
	SMTPAddr     string        `conf:"env:SMTP_ADDR,flag:smtp-addr,help:SMTP server host:port for notification e-mail; empty sends none"`
	SMTPFrom     string        `conf:"default:tandem@localhost,env:SMTP_FROM,flag:smtp-from,help:sender address of notification e-mail"`
	SMTPUsername string        `conf:"env:SMTP_USERNAME,flag:smtp-username,help:SMTP AUTH user; empty sends without AUTH"`
	SMTPPassword string        `conf:"env:SMTP_PASSWORD,flag:smtp-password,mask,help:SMTP AUTH password"`
	PublicURL    string        `conf:"default:http://localhost:8080,env:PUBLIC_URL,flag:public-url,help:address of the web UI, for links in e-mail"`
	DigestEvery  time.Duration `conf:"default:24h,env:DIGEST_EVERY,flag:digest-every,help:how often digest e-mails are sent"`
}

// DefaultConfig returns the configuration the service starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{Common: runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr), Replicas: 1, SMTPFrom: "tandem@localhost",
		PublicURL: "http://localhost:8080", DigestEvery: 24 * time.Hour}
}

// Options wires the service into the shared process runtime.
func Options(cfg Config) runtime.Options {
	return runtime.Options{
		Name:   Name,
		Common: cfg.Common,
		Config: &cfg,
		CheckConfig: func() error {
			if cfg.DigestEvery <= 0 {
				return fmt.Errorf("messaging: DIGEST_EVERY must be positive, not %s", cfg.DigestEvery)
			}
			return nil
		},
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			return register(ctx, rt, cfg)
		},
	}
}

func register(ctx context.Context, rt *runtime.Runtime, cfg Config) error {
	openCtx, cancel := context.WithTimeout(ctx, rt.Config.StartupTimeout)
	defer cancel()
	stores, err := adapters.Open(openCtx, rt.JS, max(cfg.Replicas, 1), rt.Log)
	if err != nil {
		return err
	}
	dir := app.NewDirectory()
	svc := app.New(stores.Conversations, stores.Settings, stores.Claims, dir, rt.Log)

	// Lists and access checks answer from memory, so the server serves
	// only once the buckets and the profiles it knows of are loaded.
	var synced sync.WaitGroup
	synced.Add(4)
	convSynced, settingsSynced, dirSynced := sync.OnceFunc(synced.Done), sync.OnceFunc(synced.Done), sync.OnceFunc(synced.Done)
	rosterSynced := sync.OnceFunc(synced.Done)
	watchConv, watchSettings := stores.Watches(svc, convSynced, settingsSynced)
	rt.Go("watch conversations", watchConv)
	rt.Go("watch settings", watchSettings)
	rt.Go("follow profiles", func(ctx context.Context) error { return adapters.FollowDirectory(ctx, rt.JS, rt.Log, dir, dirSynced) })
	rt.Go("follow events", func(ctx context.Context) error {
		return adapters.FollowRoster(ctx, rt.JS, rt.Log, svc.Roster, rosterSynced)
	})
	done := make(chan struct{})
	go func() { synced.Wait(); close(done) }()
	select {
	case <-done:
	case <-openCtx.Done():
		convSynced()
		settingsSynced()
		dirSynced()
		rosterSynced()
		return fmt.Errorf("messaging: state not loaded within %s", rt.Config.StartupTimeout)
	}

	rt.Go("relay conversation events", func(ctx context.Context) error {
		return stores.Conversations.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
	})
	rt.Go("relay settings events", func(ctx context.Context) error {
		return stores.Settings.Relay(ctx, rt.Log, eventkv.RelayAs(rt.Replica))
	})
	rt.Go("carry out erasures", func(ctx context.Context) error { return adapters.ConsumeErasures(ctx, rt.Log, rt.JS, svc) })
	mailer := adapters.NewMailer(adapters.MailConfig{SMTPAddr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword, PublicURL: cfg.PublicURL}, svc, stores, rt.Log)
	if cfg.SMTPAddr == "" {
		rt.Log.Info("no SMTP server configured: notifications stay in the app")
	}
	rt.Go("send e-mail", func(ctx context.Context) error { return mailer.Consume(ctx, rt.JS) })
	rt.Go("send digests", func(ctx context.Context) error { return mailer.Digests(ctx, cfg.DigestEvery) })

	messagingv1.RegisterMessagingServiceServer(rt.GRPC, ports.NewGRPC(svc))
	return nil
}
