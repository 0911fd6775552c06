package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAlertRules checks deploy/prometheus with promtool (Debian package
// prometheus): the rules parse, and alerts_test.yaml proves that each alert
// fires on the series that should raise it. Under CI=true promtool is
// required (.ci/run installs it); elsewhere the test skips without it.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true needs promtool (apt-get install prometheus)")
		}
		t.Skip("promtool not installed (apt-get install prometheus): alert rules not checked")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboard checks that the Grafana dashboard is valid JSON in which
// every panel has a query, and that it shows what the alerts watch.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/tandem.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatal("dashboard without uid, title or panels")
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") || tg.Expr == "" {
				t.Errorf("panel %q: malformed query %q", p.Title, tg.Expr)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, m := range []string{"grpc_server_handled_total", "grpc_server_handling_seconds_bucket", "jetstream_consumer_num_pending", "jetstream_consumer_num_redelivered", "kube_deployment_status_replicas_available",
		"tandem_http_requests_total", "tandem_consumer_last_event_age_seconds", "tandem_matching_index_entries", "tandem_schedule_duration_seconds_bucket"} {
		if !strings.Contains(all, m) {
			t.Errorf("dashboard does not show %s", m)
		}
	}
}
