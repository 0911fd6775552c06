package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/metrics"
)

func TestDebugServer(t *testing.T) {
	reg := metrics.NewRegistry()
	if _, err := metrics.NewServerMetrics(reg); err != nil {
		t.Fatal(err)
	}
	withPprof := httptest.NewServer(metrics.NewDebugServer("", reg, true).Handler)
	defer withPprof.Close()
	without := httptest.NewServer(metrics.NewDebugServer("", reg, false).Handler)
	defer without.Close()
	tests := []struct {
		srv  *httptest.Server
		path string
		code int
		want string
	}{
		{withPprof, "/metrics", http.StatusOK, "go_goroutines"},
		{withPprof, "/debug/pprof/", http.StatusOK, "goroutine"},
		{withPprof, "/nope", http.StatusNotFound, ""},
		{without, "/metrics", http.StatusOK, "go_goroutines"},
		{without, "/debug/pprof/", http.StatusNotFound, ""},
		{without, "/debug/pprof/profile", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(tt.srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s = %d, body lacks %q? want %d", tt.path, resp.StatusCode, tt.want, tt.code)
		}
	}
}

func TestServerMetricsRegisterTwiceFails(t *testing.T) {
	reg := metrics.NewRegistry()
	if _, err := metrics.NewServerMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.NewServerMetrics(reg); err == nil {
		t.Fatal("second registration on one registry = nil error")
	}
}
