package gateway_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
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
	cfg.AuthSigningKey = authtest.Default().SigningKey(t)
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
	// Matching turns SERVING once its read model is complete: poll.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, r := getReadiness(t, base+"/readyz")
		if code == http.StatusOK && r.Status == "ok" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %+v, want 200 ok", code, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSigningKeyConfig: the gateway refuses to start without a signing
// key, or with one whose public key the verifiers lack; only --dev signs
// with the development key.
func TestSigningKeyConfig(t *testing.T) {
	keys, other := authtest.Default(), authtest.New(t, "other")
	tests := []struct {
		name    string
		tune    func(*gateway.Config)
		wantErr string
	}{
		{"configured", func(c *gateway.Config) { c.AuthSigningKey = keys.SigningKey(t) }, ""},
		{"from a file", func(c *gateway.Config) {
			f := filepath.Join(t.TempDir(), "signing.jwk")
			if err := os.WriteFile(f, []byte(keys.SigningKey(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			c.AuthSigningKey = f
		}, ""},
		{"none", func(*gateway.Config) {}, "GATEWAY_AUTH_SIGNING_KEY"},
		{"not among the public keys", func(c *gateway.Config) { c.AuthSigningKey = other.SigningKey(t) }, "lacks the public key"},
		{"a public key set instead", func(c *gateway.Config) { c.AuthSigningKey = authtest.PublicKeys(t, keys) }, "GATEWAY_AUTH_SIGNING_KEY"},
		{"development", func(c *gateway.Config) { c.Dev = true }, ""},
		{"the development key without --dev", func(c *gateway.Config) {
			b, _ := auth.DevSigningKey().MarshalJSON()
			c.AuthSigningKey = string(b)
		}, "lacks the public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := gateway.DefaultConfig()
			cfg.AuthPublicKeys = authtest.PublicKeys(t, keys)
			tt.tune(&cfg)
			err := gateway.Options(cfg, nil).CheckConfig()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckConfig() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
