package deploy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
)

func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"compose/compose.yaml"},
		cli.WithWorkingDirectory("compose"), cli.WithEnv(env), cli.WithName("tandem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return opts.LoadProject(ctx)
}

// TestCompose loads deploy/compose with the compose-spec library (what
// docker compose and podman compose parse with) and checks the trial
// stack: three routed NATS servers with JetStream, Redis, the six
// services with R3 streams, unprivileged, only the gateway published.
func TestCompose(t *testing.T) {
	keys := authtest.New(t, "trial")
	pub, priv := "TANDEM_AUTH_PUBLIC_KEYS="+authtest.PublicKeys(t, keys), "TANDEM_AUTH_SIGNING_KEY="+keys.SigningKey(t)
	for _, missing := range []struct{ name, other string }{{"TANDEM_AUTH_PUBLIC_KEYS", priv}, {"TANDEM_AUTH_SIGNING_KEY", pub}} {
		if _, err := loadCompose(t, []string{missing.other}); err == nil || !strings.Contains(err.Error(), missing.name) {
			t.Fatalf("without %s the compose file must not load, got %v", missing.name, err)
		}
	}
	p, err := loadCompose(t, []string{pub, priv})
	if err != nil {
		t.Fatal(err)
	}
	nats := []string{"nats-1", "nats-2", "nats-3"}
	for _, n := range nats {
		s, ok := p.Services[n]
		if !ok {
			t.Fatalf("no service %s", n)
		}
		cmd := strings.Join(s.Command, " ")
		for _, peer := range nats {
			if peer != n && !strings.Contains(cmd, "nats://"+peer+":6222") {
				t.Errorf("%s has no route to %s: %s", n, peer, cmd)
			}
		}
		if !strings.Contains(cmd, "--jetstream") || len(s.Volumes) != 1 || s.Volumes[0].Target != "/data" {
			t.Errorf("%s does not keep JetStream on a volume", n)
		}
		if s.HealthCheck == nil {
			t.Errorf("%s has no health check", n)
		}
	}
	if _, ok := p.Services["redis"]; !ok {
		t.Fatal("no redis service")
	}
	for _, svc := range append(slices.Clone(services), struct {
		name, prefix string
		grpc         int32
	}{"gateway", "GATEWAY", 7100}) {
		s, ok := p.Services[svc.name]
		if !ok {
			t.Errorf("no service %s", svc.name)
			continue
		}
		get := func(k string) string {
			if v := s.Environment[svc.prefix+"_"+k]; v != nil {
				return *v
			}
			return ""
		}
		if svc.name != "gateway" && get("JS_REPLICAS") != "3" {
			t.Errorf("%s: JS_REPLICAS %q, want 3", svc.name, get("JS_REPLICAS"))
		}
		for _, n := range nats {
			if !strings.Contains(get("NATS_URL"), "nats://"+n+":4222") {
				t.Errorf("%s: NATS_URL %q lacks %s", svc.name, get("NATS_URL"), n)
			}
		}
		if _, err := auth.ParsePublicKeys([]byte(get("AUTH_PUBLIC_KEYS"))); err != nil {
			t.Errorf("%s: AUTH_PUBLIC_KEYS not taken from TANDEM_AUTH_PUBLIC_KEYS: %v", svc.name, err)
		}
		if signing := get("AUTH_SIGNING_KEY"); (svc.name == "gateway") != (signing != "") {
			t.Errorf("%s: AUTH_SIGNING_KEY %q: the gateway alone holds the signing key", svc.name, signing)
		}
		if s.User != "65532:65532" || !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: must run as 65532, read-only, without capabilities or privilege escalation", svc.name)
		}
		for _, n := range append(slices.Clone(nats), "redis") {
			if d, ok := s.DependsOn[n]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s does not wait for %s to be healthy", svc.name, n)
			}
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= drainPeriod+shutdownSteps*10*time.Second {
			t.Errorf("%s: stop_grace_period shorter than its shutdown", svc.name)
		}
		var published []string
		for _, port := range s.Ports {
			published = append(published, fmt.Sprintf("%s->%d", port.Published, port.Target))
		}
		want := []string(nil)
		if svc.name == "gateway" {
			want = []string{"8080->8080"}
		}
		if !slices.Equal(published, want) {
			t.Errorf("%s publishes %v, want %v (no debug port)", svc.name, published, want)
		}
	}
}
