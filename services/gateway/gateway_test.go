package gateway_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/gateway"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/profiles"
)

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// startGateway runs the gateway against the given backend addresses and
// returns its HTTP base URL.
func startGateway(t *testing.T, backends [4]string) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.ReadyTimeout = time.Second
	cfg.Profiles, cfg.Competencies, cfg.Matching, cfg.Meetings = backends[0], backends[1], backends[2], backends[3]
	httpAddr := make(chan string, 1)
	conn := runtimetest.Start(t, gateway.Options(cfg, func(a string) { httpAddr <- a }))
	if got := runtimetest.HealthStatus(t, conn, ""); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gateway gRPC health = %v, want SERVING", got)
	}
	return "http://" + <-httpAddr
}

func getReadiness(t *testing.T, url string) (int, readiness) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r readiness
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	return res.StatusCode, r
}

func TestHealthz(t *testing.T) {
	base := startGateway(t, [4]string{"127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1"})
	code, r := getReadiness(t, base+"/healthz")
	if code != http.StatusOK || r.Status != "ok" {
		t.Fatalf("/healthz = %d %+v, want 200 ok", code, r)
	}
}

func TestReadyzNamesUnavailableServices(t *testing.T) {
	base := startGateway(t, [4]string{"127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1"})
	code, r := getReadiness(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || r.Status != "unavailable" {
		t.Fatalf("/readyz = %d %q, want 503 unavailable", code, r.Status)
	}
	for _, name := range []string{"profiles", "competencies", "matching", "meetings"} {
		if r.Checks[name] == "ok" || r.Checks[name] == "" {
			t.Errorf("check %s = %q, want an error", name, r.Checks[name])
		}
	}
	for _, name := range []string{"nats", "redis"} {
		if r.Checks[name] != "ok" {
			t.Errorf("check %s = %q, want ok", name, r.Checks[name])
		}
	}
}

func TestReadyzWhenEveryServiceServes(t *testing.T) {
	var addrs [4]string
	for i, start := range []func() string{
		func() string {
			c := profiles.DefaultConfig()
			c.Common = runtimetest.Common(t)
			return runtimetest.Start(t, profiles.Options(c)).Target()
		},
		func() string {
			c := competencies.DefaultConfig()
			c.Common = runtimetest.Common(t)
			return runtimetest.Start(t, competencies.Options(c)).Target()
		},
		func() string {
			c := matching.DefaultConfig()
			c.Common = runtimetest.Common(t)
			return runtimetest.Start(t, matching.Options(c)).Target()
		},
		func() string {
			c := meetings.DefaultConfig()
			c.Common = runtimetest.Common(t)
			return runtimetest.Start(t, meetings.Options(c)).Target()
		},
	} {
		addrs[i] = start()
	}
	base := startGateway(t, addrs)
	code, r := getReadiness(t, base+"/readyz")
	if code != http.StatusOK || r.Status != "ok" {
		t.Fatalf("/readyz = %d %+v, want 200 ok", code, r)
	}
}
