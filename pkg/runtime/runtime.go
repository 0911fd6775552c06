// Package runtime is the life of one service process: connect to tracing,
// NATS and Redis, serve gRPC and the debug port, and shut down in an order
// that loses no work. Every service binary and `tandem dev` (six services in
// one process) run through it.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/config"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcserver"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/metrics"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/redisx"
	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// Common is the configuration every service shares; embed it in the
// service's config struct. GRPCAddr and DebugAddr have no tag default because
// each service has its own ports: set them on the struct before
// config.Load (see WithAddrs); tags never overwrite a field without default.
// Help texts avoid commas, which end a conf tag option.
type Common struct {
	GRPCAddr        string        `conf:"env:GRPC_ADDR,flag:grpc-addr,help:gRPC listen address host:port"`
	DebugAddr       string        `conf:"env:DEBUG_ADDR,flag:debug-addr,help:metrics and pprof listen address host:port; empty disables"`
	NATSURL         string        `conf:"default:nats://127.0.0.1:4222,env:NATS_URL,flag:nats-url,help:NATS server URL(s) separated by commas in the env value"`
	RedisURL        string        `conf:"default:redis://127.0.0.1:6379/0,env:REDIS_URL,flag:redis-url,mask,help:Redis URL or host:port"`
	RedisPrefix     string        `conf:"default:tandem,env:REDIS_PREFIX,flag:redis-prefix,help:namespace for every Redis key"`
	AuthPublicKeys  string        `conf:"env:AUTH_PUBLIC_KEYS,flag:auth-public-keys,help:token verification keys: a JWK set of Ed25519 public keys by kid (inline JSON or a file path); required unless --dev"`
	AuthKey         string        `conf:"env:AUTH_KEY,flag:auth-key,mask,noprint,help:removed: the shared HS256 key is refused; use AUTH_PUBLIC_KEYS (and AUTH_SIGNING_KEY on the gateway)"`
	Dev             bool          `conf:"default:false,env:DEV,flag:dev,help:development mode: accept tokens signed with the public development key; never in production"`
	DebugPprof      bool          `conf:"default:false,env:DEBUG_PPROF,flag:debug-pprof,help:serve /debug/pprof on the debug address"`
	OTLPEndpoint    string        `conf:"env:OTLP_ENDPOINT,flag:otlp-endpoint,help:OTLP/gRPC trace collector host:port or URL; empty exports nothing"`
	LogLevel        string        `conf:"default:info,env:LOG_LEVEL,flag:log-level,help:debug info warn or error"`
	StartupTimeout  time.Duration `conf:"default:1m,env:STARTUP_TIMEOUT,flag:startup-timeout,help:how long to wait for NATS and Redis at start"`
	ShutdownTimeout time.Duration `conf:"default:20s,env:SHUTDOWN_TIMEOUT,flag:shutdown-timeout,help:bound on each graceful shutdown step"`
	DrainPeriod     time.Duration `conf:"default:5s,env:DRAIN_PERIOD,flag:drain-period,help:how long a stopping service reports NOT_SERVING before it stops accepting calls"`
}

// WithAddrs returns a Common with the service's default addresses preset, to
// embed before config.Load fills in the rest.
func WithAddrs(grpcAddr, debugAddr string) Common {
	return Common{GRPCAddr: grpcAddr, DebugAddr: debugAddr}
}

// Runtime is what a service's Register gets: its connections and servers.
type Runtime struct {
	Name     string
	Config   Common
	Log      *slog.Logger
	NATS     *nats.Conn
	JS       jetstream.JetStream
	Redis    *redis.Client
	Auth     *auth.Verifier
	GRPC     *grpc.Server
	Health   *health.Server
	Registry *prometheus.Registry
	Tracer   trace.TracerProvider
	// Replica names this process the same way across its restarts and
	// differently from every other live replica: the host name and the
	// bound gRPC address. Relays take it (eventkv.RelayAs) so that a replica
	// restarted after kill -9 resumes relaying at once.
	Replica string

	bg       context.Context
	wg       sync.WaitGroup
	failed   chan error
	stopping chan struct{}
	checks   []readiness
}

// Stopping is closed when shutdown begins, before GracefulStop: long-lived
// server streams (watch RPCs) should end on it, or GracefulStop waits for
// them until ShutdownTimeout.
func (rt *Runtime) Stopping() <-chan struct{} { return rt.stopping }

// Ready adds a readiness condition: health reports SERVING only while every
// condition holds (nil), e.g. a read model that is complete. Runtime adds
// NATS connected and Redis answering. Call it from
// Register.
func (rt *Runtime) Ready(name string, check func(ctx context.Context) error) {
	rt.checks = append(rt.checks, readiness{name: name, check: check})
}

type readiness struct {
	name  string
	check func(ctx context.Context) error
}

// readinessEvery is how often the conditions are evaluated.
const readinessEvery = 250 * time.Millisecond

// watchReadiness keeps the health status in line with the conditions until
// stop is closed.
func (rt *Runtime) watchReadiness(stop <-chan struct{}, last string) {
	t := time.NewTicker(readinessEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		last = rt.evaluateReadiness(last)
	}
}

// evaluateReadiness sets the health status from the conditions and returns
// the failing one ("" when all hold); it logs changes from last.
func (rt *Runtime) evaluateReadiness(last string) string {
	failing := ""
	for _, r := range rt.checks {
		ctx, cancel := context.WithTimeout(context.Background(), readinessEvery*4)
		err := r.check(ctx)
		cancel()
		if err != nil {
			failing = r.name + ": " + err.Error()
			break
		}
	}
	st := healthpb.HealthCheckResponse_SERVING
	if failing != "" {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	if failing != last {
		if failing != "" {
			rt.Log.Warn("not ready", "reason", failing)
		} else {
			rt.Log.Info("ready")
		}
	}
	rt.Health.SetServingStatus("", st)
	for name := range rt.GRPC.GetServiceInfo() {
		rt.Health.SetServingStatus(name, st)
	}
	return failing
}

// Key namespaces a Redis key with the configured prefix.
func (rt *Runtime) Key(parts ...string) string { return redisx.Key(rt.Config.RedisPrefix, parts...) }

// Go runs fn (a consumer, a projector) in a goroutine that Run waits for at
// shutdown. Its ctx is cancelled after the gRPC server stopped. If fn returns
// an error before that, the service shuts down and Run returns the error.
func (rt *Runtime) Go(name string, fn func(ctx context.Context) error) {
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		err := fn(rt.bg)
		if err != nil && rt.bg.Err() == nil {
			select {
			case rt.failed <- fmt.Errorf("%s: %w", name, err):
			default: // one failure is enough to stop
			}
		}
	}()
}

// Options describe one service to Run.
type Options struct {
	Name   string // "profiles": logs, traces, NATS connection name
	Common Common
	Log    *slog.Logger // default: JSON to stdout at Common.LogLevel
	// Validate is passed to grpcserver.Options.Validate.
	Validate func(ctx context.Context, fullMethod string, req any) error
	// Public lists full method names callable even with an invalid token.
	Public []string
	// Register registers the gRPC services and starts background work with
	// rt.Go. ctx lives until after the gRPC server stopped.
	Register func(ctx context.Context, rt *Runtime) error
	// Ready, if set, gets the bound addresses once serving (debugAddr is ""
	// when disabled).
	Ready func(grpcAddr, debugAddr string)
	// Config, if set, is the service's whole configuration, logged at start
	// with secrets masked; otherwise Common is logged.
	Config any
	// RedisOptional marks a service that keeps nothing in Redis: it starts
	// without waiting for Redis. Its only use of Redis is then the token deny
	// list, so while Redis is unreachable health is NOT_SERVING and calls
	// with a token fail with Unavailable; it recovers without a restart.
	RedisOptional bool
	// CheckConfig, if set, validates the service's own settings before
	// anything starts (the binary exits 2 when it fails).
	CheckConfig func() error
}

// check validates what Run needs before it connects anywhere.
func (o Options) check() error {
	if _, err := PublicKeys(strings.ToUpper(o.Name), o.Common); err != nil {
		return err
	}
	if o.CheckConfig != nil {
		return o.CheckConfig()
	}
	return nil
}

// Run runs the service until ctx is cancelled, then shuts down: health
// NOT_SERVING, gRPC GracefulStop (Stop after ShutdownTimeout), background
// work cancelled and awaited, NATS drained, Redis closed, traces flushed. It
// returns nil after a clean shutdown.
func Run(ctx context.Context, o Options) (err error) {
	c := o.Common
	switch {
	case o.Name == "":
		return errors.New("runtime: empty service name")
	case c.GRPCAddr == "":
		return fmt.Errorf("%s: no gRPC address configured", o.Name)
	case o.Register == nil:
		return fmt.Errorf("%s: no Register function", o.Name)
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = time.Minute
	}
	log := o.Log
	if log == nil {
		log = logging.New(os.Stdout, o.Name, c.LogLevel)
	}
	shown := o.Config
	if shown == nil {
		shown = &c
	}
	log.Info("starting", "version", Version, "config", config.String(shown))
	rt := &Runtime{Name: o.Name, Config: c, Log: log, failed: make(chan error, 1), stopping: make(chan struct{})}

	// Resources are released in this order whatever step failed: NATS drains
	// before Redis closes because draining runs handlers that may use Redis.
	var tp interface{ Shutdown(context.Context) error }
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
		defer cancel()
		if rt.NATS != nil {
			if derr := natsx.Drain(sctx, rt.NATS); derr != nil {
				log.Warn("nats drain", "err", derr)
			}
		}
		if rt.Redis != nil {
			_ = rt.Redis.Close()
		}
		if tp != nil {
			if terr := tp.Shutdown(sctx); terr != nil {
				log.Warn("tracing shutdown", "err", terr)
			}
		}
	}()

	// Start-up.
	startCtx, cancelStart := context.WithTimeout(ctx, c.StartupTimeout)
	defer cancelStart()
	provider, err := tracing.NewProvider(startCtx, o.Name, c.OTLPEndpoint)
	if err != nil {
		return fmt.Errorf("%s: tracing: %w", o.Name, err)
	}
	tp, rt.Tracer = provider, provider
	// Global too, so spans made with otel.Tracer (natsx consumers) are
	// recorded; with several services in one process the last one wins.
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	if rt.NATS, rt.JS, err = natsx.Connect(startCtx, c.NATSURL, "tandem-"+o.Name, log); err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	// Every service checks tokens against the deny list in Redis; only those
	// that keep state there wait for it at start.
	if o.RedisOptional {
		if rt.Redis, err = redisx.New(c.RedisURL); err != nil {
			return fmt.Errorf("%s: %w", o.Name, err)
		}
		pctx, cancel := context.WithTimeout(startCtx, 2*time.Second)
		if perr := rt.Redis.Ping(pctx).Err(); perr != nil {
			log.Warn("redis unreachable: starting anyway; NOT_SERVING and tokens refused with Unavailable until it answers", "err", perr)
		}
		cancel()
	} else if rt.Redis, err = redisx.Connect(startCtx, c.RedisURL); err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	rt.Ready("redis", func(ctx context.Context) error { return rt.Redis.Ping(ctx).Err() })
	rt.Ready("nats", func(context.Context) error {
		if !rt.NATS.IsConnected() {
			return errors.New("not connected")
		}
		return nil
	})
	keys, err := PublicKeys(strings.ToUpper(o.Name), c)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	if rt.Auth, err = auth.NewVerifier(keys, auth.VerifierOptions{
		Revocations: auth.NewDenyList(rt.Redis, c.RedisPrefix), AllowDevKey: c.Dev,
	}); err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	if c.Dev {
		log.Warn("development mode: tokens signed with the public development key are accepted; never run with --dev in production")
	}
	log.Info("token verification keys", "kids", rt.Auth.KIDs())
	rt.Registry = metrics.NewRegistry()
	for _, c := range append(natsx.Collectors(), eventkv.Collectors()...) {
		if err := rt.Registry.Register(c); err != nil {
			return fmt.Errorf("%s: metrics: %w", o.Name, err)
		}
	}
	sm, err := metrics.NewServerMetrics(rt.Registry)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	rt.GRPC, rt.Health = grpcserver.New(grpcserver.Options{
		Log: log, Auth: rt.Auth, Public: o.Public, Metrics: sm, Validate: o.Validate, TracerProvider: provider,
	})

	// Background work outlives ctx until the gRPC server has stopped, so
	// in-flight RPCs never find their consumers gone.
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBG()
	rt.bg = bg
	// Bound before Register so that the replica's name has its address;
	// calls wait in the backlog until Serve.
	lis, err := net.Listen("tcp", c.GRPCAddr)
	if err != nil {
		return fmt.Errorf("%s: listen grpc: %w", o.Name, err)
	}
	host, _ := os.Hostname()
	rt.Replica = host + "/" + lis.Addr().String()
	if err := o.Register(bg, rt); err != nil {
		_ = lis.Close()
		cancelBG()
		rt.wg.Wait()
		return fmt.Errorf("%s: register: %w", o.Name, err)
	}
	sm.InitializeMetrics(rt.GRPC)

	var debugSrv *http.Server
	var debugLis net.Listener
	if c.DebugAddr != "" {
		if debugLis, err = net.Listen("tcp", c.DebugAddr); err != nil {
			_ = lis.Close()
			cancelBG()
			rt.wg.Wait()
			return fmt.Errorf("%s: listen debug: %w", o.Name, err)
		}
		debugSrv = metrics.NewDebugServer(c.DebugAddr, rt.Registry, c.DebugPprof)
	}

	// Serve.
	// Health tells the truth from the first call on: evaluated once now,
	// then kept current.
	last := rt.evaluateReadiness("")
	healthDone := make(chan struct{})
	healthStop := make(chan struct{})
	go func() { defer close(healthDone); rt.watchReadiness(healthStop, last) }()
	serveErr := make(chan error, 2)
	go func() { serveErr <- rt.GRPC.Serve(lis) }()
	debugAddr := ""
	if debugSrv != nil {
		debugAddr = debugLis.Addr().String()
		go func() {
			if err := debugSrv.Serve(debugLis); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("debug server: %w", err)
			}
		}()
	}
	log.Info("serving", "grpc_addr", lis.Addr().String(), "debug_addr", debugAddr)
	if o.Ready != nil {
		o.Ready(lis.Addr().String(), debugAddr)
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		runErr = fmt.Errorf("%s: serve: %w", o.Name, err)
	case err := <-rt.failed:
		runErr = fmt.Errorf("%s: %w", o.Name, err)
	}
	if runErr != nil {
		log.Error("stopping after failure", "err", runErr)
	}

	// Shutdown: tell load balancers first, then let RPCs finish.
	close(healthStop)
	<-healthDone
	rt.Health.Shutdown()
	// Keep accepting calls while load balancers notice NOT_SERVING.
	if c.DrainPeriod > 0 {
		log.Info("draining", "period", c.DrainPeriod)
		time.Sleep(c.DrainPeriod)
	}
	close(rt.stopping)
	stopped := make(chan struct{})
	go func() { rt.GRPC.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(c.ShutdownTimeout):
		log.Warn("graceful stop timed out; closing open RPCs", "timeout", c.ShutdownTimeout)
		rt.GRPC.Stop()
		<-stopped
	}
	if debugSrv != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
		_ = debugSrv.Shutdown(dctx)
		cancel()
	}
	cancelBG()
	waited := make(chan struct{})
	go func() { rt.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(c.ShutdownTimeout):
		log.Error("background work ignored cancellation; shutting down without it", "timeout", c.ShutdownTimeout)
	}
	return runErr
}

// PublicKeys returns the token verification keys c configures: those of
// AUTH_PUBLIC_KEYS, with the development key added in development mode.
// Without keys outside development, or with the retired AUTH_KEY set, it
// fails with a message naming the variables (prefix is the service's
// environment prefix, "PROFILES").
func PublicKeys(prefix string, c Common) ([]auth.PublicKey, error) {
	env := prefix + "_"
	if c.AuthKey != "" {
		return nil, fmt.Errorf("%sAUTH_KEY is no longer accepted: tokens are signed with Ed25519 by one issuer; "+
			"unset it and give every service %sAUTH_PUBLIC_KEYS (and the gateway GATEWAY_AUTH_SIGNING_KEY); see docs/operations.md", env, env)
	}
	var keys []auth.PublicKey
	if c.AuthPublicKeys != "" {
		var err error
		if keys, err = auth.LoadPublicKeys(c.AuthPublicKeys); err != nil {
			return nil, fmt.Errorf("%sAUTH_PUBLIC_KEYS: %w", env, err)
		}
	}
	dev := auth.DevSigningKey().Public()
	isDev := func(k auth.PublicKey) bool { return k.KID == dev.KID || k.Key.Equal(dev.Key) }
	switch {
	case c.Dev && !slices.ContainsFunc(keys, isDev):
		keys = append(keys, dev)
	case !c.Dev && slices.ContainsFunc(keys, isDev):
		return nil, fmt.Errorf("%sAUTH_PUBLIC_KEYS lists the public development key, which anyone can sign with: remove it (only --dev accepts it)", env)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no token verification keys: set %sAUTH_PUBLIC_KEYS to a JWK set of public keys "+
			"(inline or a file path; `tandem keys generate` writes one); only --dev runs without it", env)
	}
	return keys, nil
}
