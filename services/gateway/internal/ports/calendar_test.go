package ports

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
)

func TestLoggedPathHidesFeedToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/v1/calendar-feeds/01ABCsecret/agenda.ics": "/v1/calendar-feeds/{token}/agenda.ics",
		"/v1/calendar-feeds/01ABCsecret":            "/v1/calendar-feeds/{token}",
		"/calendar-feeds/01ABCsecret/agenda.ics":    "/calendar-feeds/{token}/agenda.ics",
		"/v1/events/e1/participants/p1/agenda.ics":  "/v1/events/e1/participants/p1/agenda.ics",
	} {
		if got := loggedPath(in); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSpansLeaveOutFeedToken: with tracing on, the spans of a request for a
// calendar feed record its path without the token (a credential), while the
// handlers still read the token from the path.
func TestSpansLeaveOutFeedToken(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	conn, err := grpc.NewClient("passthrough:///127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	const token = "01PARTICIPANTsecretfeedtoken"
	var seen string
	h, err := NewHandler(context.Background(), Options{
		Log: slog.New(slog.DiscardHandler), Tracer: tp, Authority: authtest.Default().Verifier,
		Health:   http.NotFoundHandler(),
		UI:       http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = r.URL.Path + " " + r.RequestURI }),
		Backends: Backends{Profiles: conn, Competencies: conn, Matching: conn, Meetings: conn},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/calendar-feeds/" + token + "/agenda.ics"
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	if want := path + " " + path; seen != want {
		t.Errorf("the web UI read %q, want %q", seen, want)
	}
	spans := rec.Ended()
	if len(spans) == 0 {
		t.Fatal("no span recorded")
	}
	for _, s := range spans {
		for _, a := range s.Attributes() {
			if strings.Contains(a.Value.String(), token) {
				t.Errorf("span %q keeps the token in %s = %s", s.Name(), a.Key, a.Value.String())
			}
		}
		if strings.Contains(s.Name(), token) {
			t.Errorf("span name %q keeps the token", s.Name())
		}
	}
}
