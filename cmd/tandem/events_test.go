package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/meetings/meetingstest"
)

// adminToken signs a token for an administrator with the services' key.
func adminToken(t *testing.T) string {
	t.Helper()
	a := authtest.Default().Signer
	tok, _, err := a.Issue(auth.Principal{Subject: "cli-test-admin", Roles: []auth.Role{auth.RoleAdmin, auth.RoleOrganizer}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// cli runs tandem with the given service addresses and token, and decodes
// its JSON output into out (when not nil).
func cli(t *testing.T, addrs map[string]string, token string, out any, args ...string) string {
	t.Helper()
	full := []string{"--output", "json", "--token", token, "--token-file", ""}
	for name, addr := range addrs {
		if name != "nats" {
			full = append(full, "--"+name+"-addr", addr)
		}
	}
	code, stdout, stderr := execute(context.Background(), append(full, args...)...)
	if code != 0 {
		t.Fatalf("tandem %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
			t.Fatalf("tandem %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
		}
	}
	return stdout.String()
}

// TestEventsJourney drives a brokerage event through the CLI against a real
// meetings service: create, open, register, request, accept, schedule,
// publish, and export an agenda.
func TestEventsJourney(t *testing.T) {
	cfg := meetings.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, meetings.Options(cfg))
	addrs := map[string]string{"meetings": conn.Target()}
	tok := adminToken(t)

	var created struct{ Event struct{ ID string } }
	cli(t, addrs, tok, &created, "events", "create", "--name", "Smart Health Brokerage Day", "--tz", "Europe/Rome",
		"--day", "2027-03-10=09:00-11:00", "--meeting", "25m", "--break", "5m", "--tables", "3")
	ev := created.Event.ID
	if ev == "" {
		t.Fatal("events create returned no id")
	}
	cli(t, addrs, tok, nil, "events", "open", ev)
	// No profiles service runs here: announce the organisations it would.
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := meetingstest.KnownOrganizations(c, cfg.NATSURL, "01JAREASCIENCEPARK0000000A", "01JBIOTECHCOMPANY00000000B", "01JHOSPITAL0000000000000000C"); err != nil {
		t.Fatal(err)
	}

	var parts [2]string
	for i, org := range []string{"01JAREASCIENCEPARK0000000A", "01JBIOTECHCOMPANY00000000B"} {
		var reg struct{ Participant struct{ ID string } }
		// The event as the first argument or as --event: both work everywhere.
		if i == 0 {
			cli(t, addrs, tok, &reg, "events", "register", ev, "--organization", org)
		} else {
			cli(t, addrs, tok, &reg, "events", "register", "--event", ev, "--organization", org)
		}
		parts[i] = reg.Participant.ID
	}
	var req struct{ MeetingRequest struct{ ID string } }
	cli(t, addrs, tok, &req, "events", "request", "--event", ev, "--from", parts[0], "--to", parts[1], "--must", "--message", "RNA-seq for liver fibrosis")
	var answered struct{ MeetingRequest struct{ Status string } }
	cli(t, addrs, tok, &answered, "events", "respond", req.MeetingRequest.ID, "accept")
	if answered.MeetingRequest.Status != "MEETING_REQUEST_STATUS_ACCEPTED" {
		t.Fatalf("request status after accept = %q", answered.MeetingRequest.Status)
	}

	cli(t, addrs, tok, nil, "events", "status", "--event", ev, "scheduling")
	var sched struct {
		Schedule struct {
			ID    string
			Stats struct{ MeetingsPlaced int }
		}
	}
	cli(t, addrs, tok, &sched, "events", "schedule", ev, "--policy", "most-meetings")
	if sched.Schedule.Stats.MeetingsPlaced != 1 {
		t.Fatalf("schedule placed %d meetings, want 1", sched.Schedule.Stats.MeetingsPlaced)
	}
	cli(t, addrs, tok, nil, "events", "publish", "--event", ev, "--schedule", sched.Schedule.ID)

	// Bulk: a CSV of requests, imported twice; the second run changes nothing.
	var third struct{ Participant struct{ ID string } }
	cli(t, addrs, tok, &third, "events", "register", ev, "--organization", "01JHOSPITAL0000000000000000C")
	file := filepath.Join(t.TempDir(), "requests.csv")
	csvText := "from,to,priority,accept,mutual\n" + parts[0] + "," + third.Participant.ID + ",must,true,true\n" +
		third.Participant.ID + "," + parts[1] + ",want,false,false\n"
	if err := os.WriteFile(file, []byte(csvText), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var imported struct {
			Requests, Accepted int
			Failed             []string
		}
		cli(t, addrs, tok, &imported, "events", "import-requests", ev, file)
		if imported.Requests != 2 || imported.Accepted != 1 || len(imported.Failed) != 0 {
			t.Fatalf("import = %+v", imported)
		}
	}
	var listed struct {
		MeetingRequests []struct {
			Status string
			Mutual bool
		}
	}
	cli(t, addrs, tok, &listed, "events", "requests", ev)
	if len(listed.MeetingRequests) != 3 {
		t.Fatalf("after two imports the event has %d requests, want 3", len(listed.MeetingRequests))
	}

	ics := cli(t, addrs, tok, nil, "agenda", "export", "--event", ev, "--participant", parts[1])
	for _, want := range []string{"BEGIN:VCALENDAR", "BEGIN:VEVENT", "SEQUENCE:", "END:VCALENDAR"} {
		if !strings.Contains(ics, want) {
			t.Errorf("agenda lacks %s:\n%s", want, ics)
		}
	}
}

// TestEventArgument: every events subcommand takes the event one way or the
// other, and refuses none or two different ones.
func TestEventArgument(t *testing.T) {
	for _, args := range [][]string{
		{"events", "get"},
		{"events", "open", "E1", "--event", "E2"},
		{"events", "status", "scheduling"},
		{"events", "participants"},
		{"events", "schedule", "E1", "E2"},
		{"events", "publish", "E1", "--event", "E2", "--schedule", "S1"},
		{"events", "schedule", "E1", "--policy", "fastest"},
		{"events", "schedule", "E1", "--policy", "balanced", "--weights", "4,2"},
	} {
		code, _, stderr := execute(context.Background(), args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, stderr)
		}
	}
}

func TestRespondRejectsUnknownAnswer(t *testing.T) {
	code, _, stderr := execute(context.Background(), "events", "respond", "R1", "maybe")
	if code != exitUsage || !strings.Contains(stderr.String(), "accept") {
		t.Fatalf("exit %d, stderr %q; want a usage error listing the answers", code, stderr)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
