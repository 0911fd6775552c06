// Package webui is Tandem's web interface: server-rendered pages for company
// members, researchers, event organisers, participants and cluster managers.
//
// Pages call the four domain services over gRPC with the signed-in user's
// bearer token, so each service enforces its own authorisation exactly as for
// the HTTP API and the CLI. Everything the browser loads (templates, styles,
// scripts) is embedded in the binary; no page depends on a CDN.
package webui

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
	"github.com/tandem-cluster/tandem/services/gateway/internal/reqcheck"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the web UI.
type Options struct {
	// Log receives request errors; required.
	Log *slog.Logger
	// Auth verifies session tokens; required.
	Auth *auth.Verifier
	// Clients of the four domain services; required.
	Profiles     profilesv1.ProfilesServiceClient
	Competencies competenciesv1.CompetenciesServiceClient
	Matching     matchingv1.MatchingServiceClient
	Meetings     meetingsv1.MeetingsServiceClient
	// Messaging carries contact requests and messages; nil shows the
	// messaging pages as not available.
	Messaging messagingv1.MessagingServiceClient
	// JS, when set, feeds the notification centre and the collaboration
	// network from the domain event streams. Without it both stay empty.
	JS jetstream.JetStream
	// DemoLogin, when set, offers the demo users of `tandem dev` on the
	// sign-in page, signed in by the same login as the API's
	// POST /v1/auth/login. Never in production.
	DemoLogin *app.DemoLogin
	// CSRFKey signs form tokens; replicas behind one load balancer need the
	// same key. Empty: a random key per process (forms open across a restart
	// then ask the user to submit again).
	CSRFKey []byte
	// SecureCookies marks cookies Secure; set it when the gateway is served
	// over HTTPS.
	SecureCookies bool
	// PublicURL is the address people reach the UI at, an absolute http or
	// https URL such as https://tandem.example.org. Addresses that leave the
	// page (check-in QR codes on printed agendas, calendar feed addresses)
	// start with it. Empty: the scheme and Host the request came with, which
	// a client or a proxy can set to anything.
	PublicURL string
	// CallTimeout bounds every call to a domain service; 0 means 10s.
	CallTimeout time.Duration
	// StreamsPerUser caps the live match streams a user has open at once;
	// 0 means 3. StreamOpensPerMinute caps how often a user opens one;
	// 0 means 30.
	StreamsPerUser, StreamOpensPerMinute int
	// Streams, when set, counts the live streams and their openings of
	// every gateway replica together (in Redis); without it each process
	// counts its own.
	Streams StreamLimiter
	// Revoke, when set, puts the session token on the deny list when the
	// user signs out, so a copy of the cookie is refused from then on.
	Revoke func(ctx context.Context, token string) error
}

// UI is the web interface. It is an http.Handler; Close stops its background
// work (the notification feed).
type UI struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	pages   map[string]*pageTemplate
	csrfKey []byte
	hub     *hub
	people  sync.Map // subject -> person id (string), found on demand
	streams *streamGate
	// crossOrigin refuses form posts other sites' pages make.
	crossOrigin *http.CrossOriginProtection
	names       nameCache
	stop        context.CancelFunc
	done        chan struct{}
}

// New builds the web UI. When opts.JS is set it starts following the
// domain event streams until Close.
func New(opts Options) (*UI, error) {
	switch {
	case opts.Log == nil:
		return nil, errors.New("webui: Log is required")
	case opts.Auth == nil:
		return nil, errors.New("webui: Auth is required")
	case opts.Profiles == nil || opts.Competencies == nil || opts.Matching == nil || opts.Meetings == nil:
		return nil, errors.New("webui: the four service clients are required")
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.PublicURL != "" {
		pub, err := url.Parse(opts.PublicURL)
		if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" || pub.RawQuery != "" || pub.Fragment != "" || pub.User != nil {
			return nil, fmt.Errorf("webui: PublicURL %q is not an http or https address without query or user", opts.PublicURL)
		}
		opts.PublicURL = strings.TrimSuffix(pub.String(), "/")
	}
	if opts.StreamsPerUser <= 0 {
		opts.StreamsPerUser = defaultStreamsPerUser
	}
	if opts.StreamOpensPerMinute <= 0 {
		opts.StreamOpensPerMinute = defaultStreamOpensPerMinute
	}
	key := opts.CSRFKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("webui: csrf key: %w", err)
		}
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := &UI{opts: opts, log: opts.Log, pages: pages, csrfKey: key, hub: newHub(), stop: cancel, done: make(chan struct{}),
		streams: newStreamGate(opts.StreamsPerUser, opts.StreamOpensPerMinute, opts.Streams, opts.Log), crossOrigin: http.NewCrossOriginProtection()}
	u.routes()
	if opts.JS != nil {
		go func() {
			defer close(u.done)
			var wg sync.WaitGroup
			wg.Go(func() { u.hub.follow(ctx, opts.JS, u.log) })
			wg.Go(func() { u.names.followProfiles(ctx, opts.JS, u.log) })
			wg.Wait()
		}()
	} else {
		close(u.done)
	}
	return u, nil
}

// Close stops the notification feed and waits for it.
func (u *UI) Close() {
	u.stop()
	<-u.done
}

// ServeHTTP serves the UI with security headers on every response.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	// Pages show personal data: no cache keeps them, unless a handler (the
	// static assets) says otherwise.
	h.Set("Cache-Control", "no-store")
	if p := reqcheck.Request(r); p != nil {
		c := &call{ui: u, w: w, r: r, L: u.language(r)}
		c.csrf = u.csrfToken(w, r, "")
		c.badInput(p)
		return
	}
	u.mux.ServeHTTP(w, r)
}

// staticFiles serves the embedded assets, which caches may keep. Folders
// are not listed: they answer 404 like any other unknown path.
func (u *UI) staticFiles() http.Handler {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	notFound := u.public(u.notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(static, name); err != nil || fi.IsDir() {
			notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// Unmetered reports whether r is a request for a static asset or an event
// stream of the UI, which rate limits per request must not count: a page
// loads several assets, and a stream is one long request that the browser
// reopens when it drops.
func Unmetered(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return strings.HasPrefix(p, "/static/") || p == "/searches/live" || p == "/notifications/live" ||
		strings.HasPrefix(p, "/events/") && strings.HasSuffix(p, "/grid/live")
}

func (u *UI) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", u.staticFiles())
	m.HandleFunc("GET /{$}", u.page(u.home))
	m.HandleFunc("GET /login", u.public(u.loginPage))
	m.HandleFunc("POST /login", u.public(u.login))
	m.HandleFunc("POST /logout", u.public(u.logout))
	m.HandleFunc("GET /lang/{code}", u.public(u.setLanguage))

	m.HandleFunc("GET /org", u.page(u.orgPage))
	m.HandleFunc("POST /org", u.page(u.orgSave))
	m.HandleFunc("GET /me", u.page(u.mePage))
	m.HandleFunc("POST /me", u.page(u.meSave))
	m.HandleFunc("GET /profiles/{kind}/{id}", u.page(u.profileView))

	m.HandleFunc("GET /partners", u.page(u.partnersPage))
	m.HandleFunc("POST /partners/feedback", u.page(u.partnersFeedback))
	m.HandleFunc("GET /partners/saved", u.page(u.savedPartnersPage))
	m.HandleFunc("GET /marketplace", u.page(u.marketPage))
	m.HandleFunc("GET /messages", u.page(u.messagesPage))
	m.HandleFunc("POST /messages", u.page(u.contactSend))
	m.HandleFunc("GET /messages/new", u.page(u.contactPage))
	m.HandleFunc("GET /messages/settings", u.page(u.messageSettingsPage))
	m.HandleFunc("POST /messages/settings", u.page(u.messageSettingsSave))
	m.HandleFunc("GET /messages/{id}", u.page(u.threadPage))
	m.HandleFunc("POST /messages/{id}", u.page(u.threadPost))
	m.HandleFunc("POST /messages/{id}/respond", u.page(u.threadRespond))
	m.HandleFunc("GET /searches", u.page(u.searchesPage))
	m.HandleFunc("POST /searches", u.page(u.searchSave))
	m.HandleFunc("GET /searches/live", u.page(u.searchesLive))

	m.HandleFunc("GET /terms", u.page(u.termsJSON))
	m.HandleFunc("GET /competencies", u.page(u.competenciesPage))
	m.HandleFunc("POST /competencies", u.page(u.competencyPublish))
	m.HandleFunc("POST /competencies/retract", u.page(u.competencyRetract))
	m.HandleFunc("GET /offers", u.page(u.offersPage))
	m.HandleFunc("POST /offers", u.page(u.offerCreate))
	m.HandleFunc("POST /offers/status", u.page(u.offerStatus))
	m.HandleFunc("POST /offers/edit", u.page(u.offerEdit))

	m.HandleFunc("GET /events", u.page(u.eventsPage))
	m.HandleFunc("POST /events", u.page(u.eventCreate))
	m.HandleFunc("GET /events/{id}", u.page(u.eventPage))
	m.HandleFunc("POST /events/{id}/status", u.page(u.eventStatus))
	m.HandleFunc("POST /events/{id}/schedule", u.page(u.eventGenerate))
	m.HandleFunc("POST /events/{id}/publish", u.page(u.eventPublish))
	m.HandleFunc("POST /events/{id}/schedule/edit", u.page(u.eventEditSchedule))
	m.HandleFunc("GET /events/{id}/edit", u.page(u.eventEditPage))
	m.HandleFunc("POST /events/{id}/edit", u.page(u.eventEditSave))
	m.HandleFunc("POST /events/{id}/register", u.page(u.eventRegister))
	m.HandleFunc("POST /events/{id}/availability", u.page(u.eventAvailability))
	m.HandleFunc("POST /events/{id}/requests", u.page(u.eventRequest))
	m.HandleFunc("POST /events/{id}/requests/{rid}", u.page(u.eventRespond))
	m.HandleFunc("POST /events/{id}/requests/{rid}/edit", u.page(u.eventEditRequest))
	m.HandleFunc("POST /events/{id}/book", u.page(u.eventBook))
	m.HandleFunc("GET /events/{id}/participants", u.page(u.eventParticipants))
	m.HandleFunc("POST /events/{id}/participants/{pid}/withdraw", u.page(u.eventWithdraw))
	m.HandleFunc("GET /events/{id}/message", u.page(u.eventMessagePage))
	m.HandleFunc("POST /events/{id}/message", u.page(u.eventMessageSend))
	m.HandleFunc("GET /events/{id}/directory", u.page(u.eventDirectory))
	m.HandleFunc("GET /events/{id}/requests", u.page(u.eventRequests))
	m.HandleFunc("GET /events/{id}/agenda/{pid}", u.page(u.agendaPage))
	m.HandleFunc("GET /events/{id}/agendas", u.page(u.agendasPage))
	m.HandleFunc("GET /events/{id}/calendar/{pid}", u.page(u.calendarFile))
	m.HandleFunc("POST /events/{id}/calendar-feed", u.page(u.eventFeed))
	m.HandleFunc("GET /events/{id}/grid/live", u.page(u.gridLive))
	m.HandleFunc("GET /calendar-feeds/{token}/agenda.ics", u.public(u.feedFile))
	m.HandleFunc("GET /events/{id}/checkin/{pid}", u.page(u.checkInPage))
	m.HandleFunc("POST /events/{id}/participants/{pid}/checkin", u.page(u.eventCheckIn))
	m.HandleFunc("POST /events/{id}/participants/{pid}/checkin-code", u.page(u.eventCheckInCode))
	m.HandleFunc("GET /events/{id}/day", u.page(u.eventDayPage))
	m.HandleFunc("POST /events/{id}/meetings/{mid}/noshow", u.page(u.eventNoShow))
	m.HandleFunc("GET /events/{id}/report.csv", u.page(u.eventReport))
	m.HandleFunc("GET /events/{id}/report.pdf", u.page(u.eventReportPDF))

	m.HandleFunc("GET /dashboard", u.page(u.dashboardPage))
	m.HandleFunc("GET /dashboard/export.csv", u.page(u.dashboardCSV))
	m.HandleFunc("GET /dashboard/need/{term}", u.page(u.dashboardNeed))
	m.HandleFunc("GET /notifications", u.page(u.notificationsPage))
	m.HandleFunc("GET /notifications/live", u.page(u.notificationsLive))
	m.HandleFunc("/", u.public(u.notFound))
	u.mux = m
}
