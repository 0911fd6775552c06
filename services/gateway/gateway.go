// Package gateway is Tandem's one door for browsers and scripts: HTTP/JSON,
// authentication and the web UI in front of the four domain services. It
// holds nothing durable.
package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // the client side of healthCheckConfig
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/tracing"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/internal/adapters"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
	"github.com/tandem-cluster/tandem/services/gateway/internal/openapi"
	"github.com/tandem-cluster/tandem/services/gateway/internal/ports"
	"github.com/tandem-cluster/tandem/services/gateway/webui"
)

// Name names the service in logs, metrics and health checks.
const Name = "gateway"

// EnvPrefix prefixes the gateway's environment variables (GATEWAY_HTTP_ADDR, ...).
const EnvPrefix = "GATEWAY"

// Default addresses of the gateway and of the services behind it.
const (
	DefaultGRPCAddr     = "127.0.0.1:7100"
	DefaultDebugAddr    = "127.0.0.1:9100"
	DefaultHTTPAddr     = "127.0.0.1:8080"
	DefaultProfiles     = "127.0.0.1:7101"
	DefaultCompetencies = "127.0.0.1:7102"
	DefaultMatching     = "127.0.0.1:7103"
	DefaultMeetings     = "127.0.0.1:7104"
	DefaultMessaging    = "127.0.0.1:7105"
)

// DemoUser is a user of the demo data that POST /v1/auth/login and the web
// UI's sign-in page issue tokens for when DevLogin is on.
type DemoUser = app.DemoUser

// DemoLogin is the one login of the demo users, shared by the API and the
// web UI.
type DemoLogin = app.DemoLogin

// DefaultDemoUsers are an admin, a cluster manager, an organiser, a company
// member and a researcher, each in an organisation of the profiles
// service's demo data.
func DefaultDemoUsers() []DemoUser { return app.DefaultDemoUsers() }

// Config is the gateway's configuration.
type Config struct {
	runtime.Common
	HTTPAddr     string        `conf:"default:127.0.0.1:8080,env:HTTP_ADDR,flag:http-addr,help:HTTP listen address of the API and web UI"`
	Profiles     string        `conf:"default:127.0.0.1:7101,help:gRPC address of the profiles service"`
	Competencies string        `conf:"default:127.0.0.1:7102,help:gRPC address of the competencies service"`
	Matching     string        `conf:"default:127.0.0.1:7103,help:gRPC address of the matching service"`
	Meetings     string        `conf:"default:127.0.0.1:7104,help:gRPC address of the meetings service"`
	Messaging    string        `conf:"help:gRPC address of the messaging service (127.0.0.1:7105 when local); empty: no contact requests or messages"`
	ReadyTimeout time.Duration `conf:"default:2s,help:how long /readyz waits for each dependency"`

	RequestTimeout time.Duration `conf:"default:15s,env:REQUEST_TIMEOUT,flag:request-timeout,help:deadline of each call to a service (streams excepted)"`
	MaxBodyBytes   int64         `conf:"default:1048576,env:MAX_BODY_BYTES,flag:max-body-bytes,help:largest request body accepted (413 above)"`
	RatePerIP      int           `conf:"default:1200,env:RATE_PER_IP,flag:rate-per-ip,help:requests a minute per client address; 0 disables"`
	RatePerUser    int           `conf:"default:600,env:RATE_PER_USER,flag:rate-per-user,help:requests a minute per authenticated user; 0 disables"`
	RateItemsUser  int           `conf:"default:120000,env:RATE_ITEMS_PER_USER,flag:rate-items-per-user,help:items of batch calls a minute per authenticated user (a batch also counts once as a request); 0 disables"`
	TrustProxy     bool          `conf:"default:false,env:TRUST_PROXY,flag:trust-proxy,help:take the client address from the last X-Forwarded-For entry (set it behind one proxy only)"`
	CORSOrigins    []string      `conf:"env:CORS_ORIGINS,flag:cors-origins,help:origins allowed to call the API from browsers separated by semicolons; empty disables CORS"`
	DevLogin       bool          `conf:"default:false,env:DEV_LOGIN,flag:dev-login,help:enable POST /v1/auth/login and the web UI's sign-in for the demo users (tandem dev only: it needs no password)"`
	SecureCookies  bool          `conf:"default:false,env:SECURE_COOKIES,flag:secure-cookies,help:mark the web UI's cookies Secure (set it when browsers reach the gateway over HTTPS)"`
	PublicURL      string        `conf:"env:PUBLIC_URL,flag:public-url,help:the address people reach the web UI at (https://tandem.example.org); addresses that leave the page (check-in QR codes on printed agendas and calendar feed addresses) start with it; empty: the scheme and Host of each request"`
	AuthSigningKey string        `conf:"env:AUTH_SIGNING_KEY,flag:auth-signing-key,mask,help:the token issuer's private Ed25519 JWK with its kid (inline JSON or a file path); its public key must be in AUTH_PUBLIC_KEYS; required unless --dev"`
	TokenTTL       time.Duration `conf:"default:12h,env:TOKEN_TTL,flag:token-ttl,help:lifetime of the tokens the gateway issues"`

	// DemoUsers replaces DefaultDemoUsers when DevLogin is on.
	DemoUsers []DemoUser `conf:"-"`
	// UI builds the web UI, served at every path outside the API (/v1,
	// /openapi.json, /healthz, /readyz); nil means the built-in web UI
	// (package webui). A UI returning a nil handler leaves those paths at
	// 404. If the handler has a Close method, it is called at shutdown.
	UI func(UIEnv) (http.Handler, error) `conf:"-"`
}

// UIEnv is what the web UI gets from the gateway: the process's connections
// and the same service connections the API uses (with the same deadlines).
type UIEnv struct {
	Log  *slog.Logger
	Auth *auth.Verifier
	JS   jetstream.JetStream
	// DemoLogin is the API's demo login; nil when DevLogin is off.
	DemoLogin *DemoLogin
	// CSRFKey signs the UI's form tokens. It is derived from the token
	// signing key, so every replica of the gateway accepts the others' forms.
	CSRFKey       []byte
	SecureCookies bool
	// PublicURL is the address people reach the web UI at; empty: that of
	// each request.
	PublicURL string
	// CallTimeout is the deadline of the API's calls to the services.
	CallTimeout time.Duration
	// Revoke puts a session token on the deny list every service checks;
	// signing out calls it.
	Revoke func(ctx context.Context, token string) error
	// Streams counts the UI's live streams of every replica together.
	Streams                                               webui.StreamLimiter
	Profiles, Competencies, Matching, Meetings, Messaging grpc.ClientConnInterface
}

// BuiltinUI builds Tandem's own web UI (package webui).
func BuiltinUI(env UIEnv) (http.Handler, error) {
	ui, err := webui.New(webui.Options{
		Log: env.Log, Auth: env.Auth, JS: env.JS,
		Profiles:      profilesv1.NewProfilesServiceClient(env.Profiles),
		Competencies:  competenciesv1.NewCompetenciesServiceClient(env.Competencies),
		Matching:      matchingv1.NewMatchingServiceClient(env.Matching),
		Meetings:      meetingsv1.NewMeetingsServiceClient(env.Meetings),
		Messaging:     messagingClient(env.Messaging),
		DemoLogin:     env.DemoLogin,
		CSRFKey:       env.CSRFKey,
		SecureCookies: env.SecureCookies,
		PublicURL:     env.PublicURL,
		CallTimeout:   env.CallTimeout,
		Revoke:        env.Revoke,
		Streams:       env.Streams,
	})
	if err != nil {
		return nil, err
	}
	return ui, nil
}

// messagingClient is nil without a connection: the web UI then shows its
// messaging pages as not available.
func messagingClient(c grpc.ClientConnInterface) messagingv1.MessagingServiceClient {
	if c == nil {
		return nil
	}
	return messagingv1.NewMessagingServiceClient(c)
}

// csrfKey derives the web UI's form-token key from the token signing key:
// replicas share the signing key, so they agree on form tokens, and the
// signing key itself never signs anything but tokens.
func csrfKey(k auth.SigningKey) []byte {
	m := hmac.New(sha256.New, k.Seed())
	m.Write([]byte("tandem gateway webui csrf v1"))
	return m.Sum(nil)
}

// SigningKey returns the key the gateway signs tokens with: the one of
// AUTH_SIGNING_KEY, or the development key with --dev. It fails, naming the
// variables, when there is none or when the verification keys lack its
// public key (every token it signed would be refused).
func SigningKey(cfg Config) (auth.SigningKey, error) {
	var key auth.SigningKey
	switch {
	case cfg.AuthSigningKey != "":
		var err error
		if key, err = auth.LoadSigningKey(cfg.AuthSigningKey); err != nil {
			return key, fmt.Errorf("%s_AUTH_SIGNING_KEY: %w", EnvPrefix, err)
		}
	case cfg.Dev:
		key = auth.DevSigningKey()
	default:
		return key, fmt.Errorf("no token signing key: set %s_AUTH_SIGNING_KEY to the issuer's private JWK "+
			"(inline or a file path; `tandem keys generate` writes one); only --dev runs without it", EnvPrefix)
	}
	pubs, err := runtime.PublicKeys(EnvPrefix, cfg.Common)
	if err != nil {
		return key, err
	}
	pub := key.Public()
	if !slices.ContainsFunc(pubs, func(k auth.PublicKey) bool { return k.KID == pub.KID && k.Key.Equal(pub.Key) }) {
		return key, fmt.Errorf("%s_AUTH_PUBLIC_KEYS lacks the public key of %s_AUTH_SIGNING_KEY (kid %q): "+
			"every token the gateway signs would be refused; add it there and on every service first", EnvPrefix, EnvPrefix, pub.KID)
	}
	return key, nil
}

// DefaultConfig returns the configuration the gateway starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{
		Common:         runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr),
		TokenTTL:       12 * time.Hour,
		HTTPAddr:       DefaultHTTPAddr,
		Profiles:       DefaultProfiles,
		Competencies:   DefaultCompetencies,
		Matching:       DefaultMatching,
		Meetings:       DefaultMeetings,
		ReadyTimeout:   2 * time.Second,
		RequestTimeout: 15 * time.Second,
		MaxBodyBytes:   1 << 20,
		RatePerIP:      1200,
		RatePerUser:    600,
		RateItemsUser:  120000,
	}
}

// Options wires the gateway into the shared process runtime. Ready, when set,
// is told the HTTP address once it listens.
func Options(cfg Config, ready func(httpAddr string)) runtime.Options {
	return runtime.Options{
		Name:   Name,
		Common: cfg.Common,
		Config: &cfg,
		CheckConfig: func() error {
			_, err := SigningKey(cfg)
			return err
		},
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			return serveHTTP(ctx, rt, cfg, ready)
		},
	}
}

// backend is a domain service the gateway forwards to.
type backend struct {
	name, addr, service string
}

func serveHTTP(ctx context.Context, rt *runtime.Runtime, cfg Config, ready func(string)) error {
	// Streams (WatchMatches) end when shutdown begins, or the HTTP server
	// would wait for them until its timeout.
	streamsCtx, endStreams := context.WithCancel(context.WithoutCancel(ctx))
	backends := []backend{
		{"profiles", cfg.Profiles, "tandem.profiles.v1.ProfilesService"},
		{"competencies", cfg.Competencies, "tandem.competencies.v1.CompetenciesService"},
		{"matching", cfg.Matching, "tandem.matching.v1.MatchingService"},
		{"meetings", cfg.Meetings, "tandem.meetings.v1.MeetingsService"},
	}
	if cfg.Messaging != "" {
		backends = append(backends, backend{"messaging", cfg.Messaging, "tandem.messaging.v1.MessagingService"})
	}
	var checks []ports.Check
	var conns []*grpc.ClientConn
	closeConns := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for _, b := range backends {
		conn, err := dial(rt, b.addr, cfg.RequestTimeout, streamsCtx)
		if err != nil {
			closeConns()
			endStreams()
			return fmt.Errorf("dial %s at %s: %w", b.name, b.addr, err)
		}
		conns = append(conns, conn)
		checks = append(checks, ports.Check{Name: b.name, Probe: healthProbe(conn, b.service)})
	}
	checks = append(checks,
		ports.Check{Name: "nats", Probe: func(context.Context) error {
			if !rt.NATS.IsConnected() {
				return fmt.Errorf("nats: %s", rt.NATS.Status())
			}
			return nil
		}},
		ports.Check{Name: "redis", Probe: func(ctx context.Context) error { return rt.Redis.Ping(ctx).Err() }},
	)
	var messagingConn grpc.ClientConnInterface
	if len(conns) > 4 {
		messagingConn = conns[4]
	}
	fail := func(err error) error {
		closeConns()
		endStreams()
		return err
	}

	key, err := SigningKey(cfg)
	if err != nil {
		return fail(err)
	}
	signer, err := auth.NewSigner(key, cfg.TokenTTL)
	if err != nil {
		return fail(err)
	}
	rt.Log.Info("token signing key", "kid", signer.KID())

	var login *app.DemoLogin
	if cfg.DevLogin {
		users := cfg.DemoUsers
		if len(users) == 0 {
			users = app.DefaultDemoUsers()
		}
		if login, err = app.NewDemoLogin(signer, profilesv1.NewProfilesServiceClient(conns[0]), users); err != nil {
			return fail(err)
		}
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.Username
		}
		rt.Log.Warn("demo login enabled: anyone reaching this gateway can log in as a demo user; never enable it in production", "users", names)
	}
	buildUI := cfg.UI
	if buildUI == nil {
		buildUI = BuiltinUI
	}
	ui, err := buildUI(UIEnv{
		Log: rt.Log, Auth: rt.Auth, JS: rt.JS, DemoLogin: login, Revoke: revoker(auth.NewDenyList(rt.Redis, rt.Config.RedisPrefix)),
		Streams: adapters.NewStreamLeases(rt.Redis, rt.Key("gateway", "streams")),
		CSRFKey: csrfKey(key), SecureCookies: cfg.SecureCookies, PublicURL: cfg.PublicURL, CallTimeout: cfg.RequestTimeout,
		Profiles: conns[0], Competencies: conns[1], Matching: conns[2], Meetings: conns[3], Messaging: messagingConn,
	})
	if err != nil {
		return fail(fmt.Errorf("web ui: %w", err))
	}
	closeUI := func() {
		switch c := ui.(type) {
		case interface{ Close() }:
			c.Close()
		case interface{ Close() error }:
			_ = c.Close()
		}
	}
	doc, err := openapi.Document()
	if err != nil {
		return fail(err)
	}
	httpMetrics, err := ports.NewMetrics(rt.Registry)
	if err != nil {
		closeUI()
		return fail(err)
	}
	// A busy client's requests spend units taken from Redis ahead instead
	// of a round trip each; see adapters.PrefetchLimiter for the semantics.
	limiter := adapters.NewPrefetchLimiter(adapters.NewRateLimiter(rt.Redis, rt.Key("gateway", "ratelimit")), 0)
	handler, err := ports.NewHandler(ctx, ports.Options{
		Metrics:           httpMetrics,
		Log:               rt.Log,
		Tracer:            rt.Tracer,
		Authority:         rt.Auth,
		DemoLogin:         login,
		Limiter:           limiter,
		Limits:            ports.RateLimits{PerIP: cfg.RatePerIP, PerPrincipal: cfg.RatePerUser, ItemsPerPrincipal: cfg.RateItemsUser},
		TrustForwardedFor: cfg.TrustProxy,
		CORSOrigins:       cfg.CORSOrigins,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		Health:            ports.Health(rt.Log, cfg.ReadyTimeout, checks),
		OpenAPI:           doc,
		UI:                ui,
		UIUnmetered:       webui.Unmetered,
		Backends:          ports.Backends{Profiles: conns[0], Competencies: conns[1], Matching: conns[2], Meetings: conns[3], Messaging: messagingConn},
	})
	if err != nil {
		closeUI()
		return fail(err)
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		closeUI()
		return fail(fmt.Errorf("listen http %s: %w", cfg.HTTPAddr, err))
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// No write timeout: WatchMatches streams for as long as the client
		// listens. Bodies are small and must arrive in time.
		ReadTimeout:    30 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	rt.Go("ratelimit-prefetch", limiter.Run)
	rt.Log.Info("http listening", "addr", ln.Addr().String(), "dev_login", cfg.DevLogin, "cors_origins", cfg.CORSOrigins)
	rt.Go("http", func(context.Context) error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	rt.Go("http-shutdown", func(ctx context.Context) error {
		select {
		case <-rt.Stopping():
		case <-ctx.Done():
		}
		endStreams()
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		err := srv.Shutdown(sctx)
		closeUI()
		closeConns()
		return err
	})
	return nil
}

// revoker revokes a token the gateway verified, until it expires.
func revoker(deny *auth.DenyList) func(context.Context, string) error {
	return func(ctx context.Context, token string) error {
		info, err := auth.Inspect(token)
		if err != nil {
			return err
		}
		return deny.Revoke(ctx, info.ID, info.ExpiresAt)
	}
}

// roundRobin spreads calls over every address a service name resolves to.
// With a headless Kubernetes Service (dns:///profiles-headless:7101) that is
// every ready replica; the default, pick_first, would send all of one
// gateway's calls to a single replica. Each replica's gRPC health is
// watched, and one that is not SERVING gets no calls: one starting up and
// still loading, or one draining after SIGTERM, is skipped at once, long
// before the name stops resolving to it.
const roundRobin = `{"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}}`

// dial connects to a service. Unary calls get the request timeout as their
// deadline (a shorter one from the client's grpc-timeout header wins);
// streams get no deadline but end with streamsCtx.
func dial(rt *runtime.Runtime, addr string, timeout time.Duration, streamsCtx context.Context) (*grpc.ClientConn, error) {
	tp := rt.Tracer
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	// Without an exporter, calls only carry the trace context on (see
	// ports.continueTrace): otelgrpc would build spans no one reads.
	spans := grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithPropagators(propagation.TraceContext{}), otelgrpc.WithTracerProvider(tp)))
	inject := func(ctx context.Context) context.Context { return ctx }
	if !tracing.Recording(tp) {
		spans = grpc.EmptyDialOption{}
		inject = injectTrace
	}
	return grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(roundRobin),
		spans,
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			ctx, cancel := context.WithTimeout(inject(ctx), timeout)
			defer cancel()
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			ctx, cancel := context.WithCancel(inject(ctx))
			stop := context.AfterFunc(streamsCtx, cancel)
			context.AfterFunc(ctx, func() { stop() })
			s, err := streamer(ctx, desc, cc, method, opts...)
			if err != nil {
				cancel()
			}
			return s, err
		}),
	)
}

// injectTrace puts the span context of ctx into the call's metadata
// (traceparent, tracestate).
func injectTrace(ctx context.Context) context.Context {
	propagation.TraceContext{}.Inject(ctx, outgoingCarrier{&ctx})
	return ctx
}

// outgoingCarrier appends to a context's outgoing gRPC metadata.
type outgoingCarrier struct{ ctx *context.Context }

func (c outgoingCarrier) Get(string) string { return "" }

func (c outgoingCarrier) Set(key, value string) {
	*c.ctx = metadata.AppendToOutgoingContext(*c.ctx, key, value)
}

func (c outgoingCarrier) Keys() []string { return nil }

func healthProbe(conn *grpc.ClientConn, service string) func(context.Context) error {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health: %s", res.GetStatus())
		}
		return nil
	}
}
