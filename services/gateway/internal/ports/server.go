package ports

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/rs/cors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/tracing"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
	"github.com/tandem-cluster/tandem/services/gateway/internal/reqcheck"
)

// Backends are the connections to the domain services.
type Backends struct {
	Profiles, Competencies, Matching, Meetings grpc.ClientConnInterface
	// Messaging is optional: without it the API has no messaging routes.
	Messaging grpc.ClientConnInterface
}

// Options configure the HTTP handler.
type Options struct {
	Log       *slog.Logger
	Tracer    trace.TracerProvider // nil: the global one
	Authority *auth.Verifier
	DemoLogin *app.DemoLogin // nil: demo login off
	Limiter   Limiter        // nil: no rate limiting
	Limits    RateLimits
	// TrustForwardedFor takes the client address from X-Forwarded-For, as
	// appended by the one proxy in front of the gateway.
	TrustForwardedFor bool
	CORSOrigins       []string // empty: CORS off
	MaxBodyBytes      int64
	Health            http.Handler // serves /healthz and /readyz
	OpenAPI           []byte       // served at /openapi.json
	UI                http.Handler // serves every path outside the API; nil: 404
	// UIUnmetered names the UI's requests that do not count against the
	// per-address budget: static assets (a page loads several) and event
	// streams (one long request; a budget per request would cut the
	// browser's reconnects). Nil: every UI request counts.
	UIUnmetered func(*http.Request) bool
	Backends    Backends
	Metrics     *Metrics // nil: no HTTP metrics
}

// installStrictQuery sets grpc-gateway's query parser, a package variable
// of grpc-gateway that its option writes: once per process, before any
// handler serves, so gateways started side by side (tests, tandem dev) never
// write it while another reads it.
var installStrictQuery sync.Once

// NewHandler assembles the gateway's HTTP surface:
//
//	/healthz, /readyz   probes (no logging, no limits)
//	/openapi.json       the API description
//	/v1/...             the API: generated routes to the services, /v1/auth/*, agenda.ics
//	anything else       the web UI
//
// Every response carries X-Request-Id; every error has the ErrorBody shape.
func NewHandler(ctx context.Context, o Options) (http.Handler, error) {
	if o.Authority == nil || o.Log == nil || o.Health == nil {
		return nil, fmt.Errorf("gateway http: log, authority and health are required")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	installStrictQuery.Do(func() { runtime.NewServeMux(runtime.SetQueryParameterParser(&strictQuery{})) })
	onError := errorHandler(o.MaxBodyBytes)
	codec := newJSONCodec()
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, codec),
		runtime.WithErrorHandler(onError),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		// Only the request id goes on to the services (with the token, which
		// grpc-gateway always forwards): other headers would let clients set
		// metadata the services might trust.
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if strings.EqualFold(key, RequestIDHeader) {
				return "x-request-id", true
			}
			return "", false
		}),
		// Service metadata stays inside; clients see only HTTP headers the
		// gateway chooses.
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		// A POST with a form body would be retried as a GET by default; the
		// API takes JSON only.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
	)
	b := o.Backends
	regs := []struct {
		name string
		conn grpc.ClientConnInterface
		reg  func() error
	}{
		{"profiles", b.Profiles, func() error {
			return profilesv1.RegisterProfilesServiceHandlerClient(ctx, mux, profilesv1.NewProfilesServiceClient(b.Profiles))
		}},
		{"competencies", b.Competencies, func() error {
			return competenciesv1.RegisterCompetenciesServiceHandlerClient(ctx, mux, competenciesv1.NewCompetenciesServiceClient(b.Competencies))
		}},
		{"matching", b.Matching, func() error {
			return matchingv1.RegisterMatchingServiceHandlerClient(ctx, mux, matchingv1.NewMatchingServiceClient(b.Matching))
		}},
		{"meetings", b.Meetings, func() error {
			return meetingsv1.RegisterMeetingsServiceHandlerClient(ctx, mux, meetingsv1.NewMeetingsServiceClient(b.Meetings))
		}},
	}
	if b.Messaging != nil {
		regs = append(regs, struct {
			name string
			conn grpc.ClientConnInterface
			reg  func() error
		}{"messaging", b.Messaging, func() error {
			return messagingv1.RegisterMessagingServiceHandlerClient(ctx, mux, messagingv1.NewMessagingServiceClient(b.Messaging))
		}})
	}
	for _, r := range regs {
		if r.conn == nil {
			return nil, fmt.Errorf("gateway http: no connection to %s", r.name)
		}
		if err := r.reg(); err != nil {
			return nil, fmt.Errorf("gateway http: register %s routes: %w", r.name, err)
		}
	}
	ah := authHandlers{log: o.Log, login: o.DemoLogin}
	for _, p := range []struct {
		method, path string
		h            runtime.HandlerFunc
	}{
		{http.MethodPost, loginPath, ah.Login},
		{http.MethodGet, "/v1/auth/me", ah.Me},
		{http.MethodGet, "/v1/auth/demo-users", ah.DemoUsers},
		{http.MethodGet, calendarPath, calendarFile(mux, meetingsv1.NewMeetingsServiceClient(b.Meetings), onError)},
		{http.MethodGet, feedPath, feedFile(mux, meetingsv1.NewMeetingsServiceClient(b.Meetings), onError)},
	} {
		if err := mux.HandlePath(p.method, p.path, p.h); err != nil {
			return nil, fmt.Errorf("gateway http: route %s %s: %w", p.method, p.path, err)
		}
	}

	if o.Limiter != nil && o.Metrics != nil {
		o.Limiter = meteredLimiter{o.Limiter, o.Metrics}
	}
	clientIP := clientIPFunc(o.TrustForwardedFor)
	var api http.Handler = mux
	api = limitRequests(o.Log, o.Limiter, o.Limits, clientIP, api)
	api = authenticate(o.Authority, api)
	api = limitBody(o.MaxBodyBytes, api)
	api = checked(api)
	api = limitByIP(o.Log, o.Limiter, o.Limits.PerIP, clientIP, o.Authority.Known, api)

	openapi := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(o.OpenAPI)
	})
	ui := uiHandler(o, clientIP)
	var site http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/v1" || strings.HasPrefix(p, "/v1/"):
			apiHeaders(w)
			api.ServeHTTP(w, r)
		case p == "/openapi.json":
			apiHeaders(w)
			onlyGet(openapi).ServeHTTP(w, r)
		default:
			ui.ServeHTTP(w, r)
		}
	})
	if len(o.CORSOrigins) > 0 {
		site = cors.New(cors.Options{
			AllowedOrigins: o.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Content-Type", RequestIDHeader},
			ExposedHeaders: []string{RequestIDHeader, "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Content-Disposition"},
			MaxAge:         600,
			// Tokens travel in the Authorization header, never in cookies.
			AllowCredentials: false,
		}).Handler(site)
	}
	site = accessLog(o.Log, clientIP, site)
	site = o.Metrics.instrument(site)

	health := onlyGet(o.Health)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			health.ServeHTTP(w, r) // probes every few seconds would drown the log
			return
		}
		site.ServeHTTP(w, r)
	})
	tp := o.Tracer
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if !tracing.Recording(tp) {
		return continueTrace(withRequestID(root)), nil
	}
	traced := otelhttp.NewHandler(realPath(withRequestID(root)), "gateway",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" }),
	)
	return tracedPath(traced), nil
}

// realURLKey holds a request's own URL while spans see it without a
// credential.
type realURLKey struct{}

type realURL struct {
	url        *url.URL
	requestURI string
}

// tracedPath hands next (the tracing handler, which records the path) a
// request whose path leaves out a calendar feed's token, as the logs do;
// realPath gives the handlers after it the request as it came.
func tracedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := loggedPath(r.URL.Path)
		if p == r.URL.Path {
			next.ServeHTTP(w, r)
			return
		}
		u := *r.URL
		u.Path, u.RawPath = p, ""
		shown := r.WithContext(context.WithValue(r.Context(), realURLKey{}, realURL{url: r.URL, requestURI: r.RequestURI}))
		shown.URL, shown.RequestURI = &u, u.RequestURI()
		next.ServeHTTP(w, shown)
	})
}

func realPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if real, ok := r.Context().Value(realURLKey{}).(realURL); ok {
			r = r.WithContext(r.Context())
			r.URL, r.RequestURI = real.url, real.requestURI
		}
		next.ServeHTTP(w, r)
	})
}

// continueTrace gives each request a span context continuing the caller's
// trace (traceparent) or starting one, when no span is recorded: otelhttp
// would build a span, its attributes and metrics for no one. Trace ids still
// reach the logs and the services.
func continueTrace(next http.Handler) http.Handler {
	var tc propagation.TraceContext
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := trace.SpanContextFromContext(tc.Extract(context.Background(), propagation.HeaderCarrier(r.Header)))
		next.ServeHTTP(w, r.WithContext(tracing.Continue(r.Context(), caller)))
	})
}

// uiHandler is the web UI behind the per-address budget (except what
// UIUnmetered exempts) and the body limit. Its event streams keep the
// response writer's Flush: no wrapper here buffers.
func uiHandler(o Options, clientIP func(*http.Request) string) http.Handler {
	if o.UI == nil {
		return http.HandlerFunc(notFound)
	}
	ui := o.UI
	bounded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
		}
		ui.ServeHTTP(w, r)
	})
	metered := limitByIP(o.Log, o.Limiter, o.Limits.PerIP, clientIP, nil, bounded)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.UIUnmetered != nil && o.UIUnmetered(r) {
			bounded.ServeHTTP(w, r)
			return
		}
		metered.ServeHTTP(w, r)
	})
}

// apiHeaders go on every API response, errors included: browsers must
// not guess a JSON answer to be a page, and no cache may keep one, since
// answers depend on the caller's token.
func apiHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// checked refuses paths and query values that are not UTF-8 text or hold
// control characters, before grpc-gateway decodes them into messages
// (which would fail as an internal error).
func checked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := reqcheck.Request(r); p != nil {
			writeBadRequest(w, r, p.Field, p.Description)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onlyGet answers other methods than GET and HEAD with 405 in the error shape.
func onlyGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, http.StatusMethodNotAllowed, codes.Unimplemented, "method %s is not allowed on %s", r.Method, r.URL.Path)
			return
		}
		h.ServeHTTP(w, r)
	})
}
