package webui

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestPublicURL: with a public address configured, the check-in QR code
// and the calendar feed address start with it whatever Host and
// X-Forwarded-Proto the request came with; without one they follow the
// request. An address that is not absolute http(s) is refused at start.
func TestPublicURL(t *testing.T) {
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	build := func(public string) (*UI, error) {
		return New(Options{
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: authtest.Default().Verifier,
			Profiles: profilesv1.NewProfilesServiceClient(conn), Competencies: competenciesv1.NewCompetenciesServiceClient(conn),
			Matching: matchingv1.NewMatchingServiceClient(conn), Meetings: meetingsv1.NewMeetingsServiceClient(conn),
			PublicURL: public,
		})
	}
	ev := &meetingsv1.Event{Id: "E1"}
	p := &meetingsv1.Participant{Id: "P1", DisplayName: "Alpha", CheckInCode: "CODE1"}
	link := func(u *UI) string {
		r := httptest.NewRequest("GET", "http://attacker.example/events/E1", nil)
		r.Header.Set("X-Forwarded-Proto", "http")
		c := &call{ui: u, r: r, L: langFor("en")}
		l, err := c.checkInLinkOf(ev, p)
		if err != nil {
			t.Fatal(err)
		}
		return l.URL
	}

	u, err := build("https://tandem.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	if got, want := link(u), "https://tandem.example.org/events/E1/checkin/P1?code=CODE1"; got != want {
		t.Errorf("check-in address with a public URL = %q, want %q", got, want)
	}
	c := &call{ui: u, r: httptest.NewRequest("GET", "http://attacker.example/", nil)}
	if got := c.absolute("/calendar-feeds/T/agenda.ics"); got != "https://tandem.example.org/calendar-feeds/T/agenda.ics" {
		t.Errorf("feed address with a public URL = %q", got)
	}

	plain, err := build("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Close)
	if got := link(plain); !strings.HasPrefix(got, "http://attacker.example/events/E1/checkin/P1?") {
		t.Errorf("check-in address without a public URL = %q, want the request's", got)
	}

	for _, bad := range []string{"tandem.example.org", "ftp://tandem.example.org", "https://", "https://tandem.example.org/?x=1", "https://u:p@tandem.example.org"} {
		if u, err := build(bad); err == nil {
			u.Close()
			t.Errorf("PublicURL %q was accepted", bad)
		}
	}
}
