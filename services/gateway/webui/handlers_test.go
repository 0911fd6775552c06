package webui

import (
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
)

// unimplementedBackend is a gRPC server that has the four services'
// interfaces and answers Unimplemented to every call, like a service whose
// issue has not landed yet.
func unimplementedBackend(t *testing.T) *grpc.ClientConn {
	t.Helper()
	return backend(t, meetingsv1.UnimplementedMeetingsServiceServer{})
}

// backend is unimplementedBackend with the given meetings service.
func backend(t *testing.T, meetings meetingsv1.MeetingsServiceServer) *grpc.ClientConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	profilesv1.RegisterProfilesServiceServer(srv, profilesv1.UnimplementedProfilesServiceServer{})
	competenciesv1.RegisterCompetenciesServiceServer(srv, competenciesv1.UnimplementedCompetenciesServiceServer{})
	matchingv1.RegisterMatchingServiceServer(srv, matchingv1.UnimplementedMatchingServiceServer{})
	meetingsv1.RegisterMeetingsServiceServer(srv, meetings)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return dial(t, ln.Addr().String())
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

type testUI struct {
	srv       *httptest.Server
	authority *authtest.Keys
	client    *http.Client
}

func newTestUI(t *testing.T, conn *grpc.ClientConn, devLogin bool) *testUI {
	t.Helper()
	authority := authtest.Default()
	var login *app.DemoLogin
	if devLogin {
		var err error
		if login, err = app.NewDemoLogin(authority.Signer, profilesv1.NewProfilesServiceClient(conn), app.DefaultDemoUsers()); err != nil {
			t.Fatal(err)
		}
	}
	ui, err := New(Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: authority.Verifier,
		Profiles: profilesv1.NewProfilesServiceClient(conn), Competencies: competenciesv1.NewCompetenciesServiceClient(conn),
		Matching: matchingv1.NewMatchingServiceClient(conn), Meetings: meetingsv1.NewMeetingsServiceClient(conn),
		DemoLogin: login, CallTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(func() { srv.Close(); ui.Close() })
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &testUI{srv: srv, authority: authority, client: client}
}

func (u *testUI) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := u.client.Get(u.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (u *testUI) post(t *testing.T, path string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in with a token, as the token form of the sign-in page does.
func (u *testUI) signIn(t *testing.T, p auth.Principal) {
	t.Helper()
	tok, _, err := u.authority.Signer.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	_, page := u.get(t, "/login")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("sign-in page has no form token")
	}
	res, _ := u.post(t, "/login", url.Values{"csrf": {m[1]}, "token": {tok}, "next": {"/"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %s", res.Status)
	}
}

func TestSignInRequiredAndCookies(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	res, _ := ui.get(t, "/org")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=%2Forg") {
		t.Fatalf("anonymous /org = %s %s, want a redirect to sign in", res.Status, res.Header.Get("Location"))
	}
	_, page := ui.get(t, "/login")
	if strings.Contains(page, `name="user"`) {
		t.Fatal("demo users offered without DevLogin")
	}
	ui.signIn(t, auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleMember}})
	for _, c := range ui.client.Jar.Cookies(mustURL(t, ui.srv.URL)) {
		if c.Name == sessionCookie {
			return
		}
	}
	t.Fatal("no session cookie after sign-in")
}

func TestSessionCookieFlags(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), true)
	_, page := ui.get(t, "/login")
	m := csrfInput.FindStringSubmatch(page)
	res, _ := ui.post(t, "/login", url.Values{"csrf": {m[1]}, "user": {"admin"}}, nil)
	var found bool
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", c)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie: %s", res.Status)
	}
}

func TestFormsNeedTheirToken(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), true)
	ui.signIn(t, auth.Principal{Subject: "u1", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember}})
	_, page := ui.get(t, "/")
	token := csrfInput.FindStringSubmatch(page)[1]
	tests := []struct {
		name   string
		form   url.Values
		header http.Header
		want   int
	}{
		{"no token", url.Values{"name": {"x"}}, nil, http.StatusForbidden},
		{"forged token", url.Values{"csrf": {"AAAA"}, "name": {"x"}}, nil, http.StatusForbidden},
		{"other site", url.Values{"csrf": {token}, "name": {"x"}}, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"cross-site fetch", url.Values{"csrf": {token}, "name": {"x"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		// With its token the form reaches the service, which is not there yet.
		{"valid", url.Values{"csrf": {token}, "name": {"x"}, "version": {"1"}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}, http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := ui.post(t, "/org", tt.form, tt.header)
			if res.StatusCode != tt.want {
				t.Fatalf("POST /org = %s, want %d\n%s", res.Status, tt.want, body)
			}
		})
	}
}

func TestUnimplementedServicesSayWhat(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	// The manager manages a cluster, so the dashboard must ask the profiles
	// service for its members (one with no cluster and no activity to show
	// asks nothing).
	ui.signIn(t, auth.Principal{Subject: "u1", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember, auth.RoleOrganizer, auth.RoleClusterManager},
		Clusters: []string{"01HZZZZZZZZZZZZZZZZZZZZZZZ"}})
	for _, path := range []string{"/org", "/partners?text=liver", "/competencies", "/offers", "/events", "/dashboard"} {
		t.Run(path, func(t *testing.T) {
			_, body := ui.get(t, path)
			if !strings.Contains(body, catalogEN["error.unimplemented"]) {
				t.Fatalf("%s does not say the service is not implemented:\n%s", path, body)
			}
		})
	}
}

func TestUnreachableServiceSaysSo(t *testing.T) {
	ui := newTestUI(t, dial(t, "127.0.0.1:1"), false)
	ui.signIn(t, auth.Principal{Subject: "u1", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember}})
	res, body := ui.get(t, "/org")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, catalogEN["error.unavailable"]) {
		t.Fatalf("/org with the profiles service down = %s\n%s", res.Status, body)
	}
}

func TestItalianFromBrowserLanguage(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), true)
	req, _ := http.NewRequest(http.MethodGet, ui.srv.URL+"/login", nil)
	req.Header.Set("Accept-Language", "it-IT,it;q=0.9,en;q=0.5")
	res, err := ui.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `<html lang="it">`) || !strings.Contains(string(b), html.EscapeString(catalogIT["login.intro"])) {
		t.Fatalf("sign-in page for an Italian browser:\n%s", b)
	}
}

func TestProblemFromFieldViolations(t *testing.T) {
	p := problemFrom(langFor("en"), grpcerrInvalid("organization.website", "must be an absolute URL", "organization.contact.email", "is not an e-mail address"))
	if p.Fields["website"] != "must be an absolute URL" || p.Fields["contact.email"] != "is not an e-mail address" {
		t.Fatalf("fields = %v", p.Fields)
	}
	if len(p.FieldList) != 2 || p.FieldList[0].Label != "Website" || p.FieldList[1].Label != "E-mail" {
		t.Fatalf("summary = %+v", p.FieldList)
	}
}

func TestGridShowsConflicts(t *testing.T) {
	ev := &meetingsv1.Event{
		Tables: []*meetingsv1.Table{{Id: "T1"}, {Id: "T2"}},
		Slots:  []*meetingsv1.Slot{{Id: "s1"}, {Id: "s2"}},
	}
	meetings := []*meetingsv1.Meeting{
		{Id: "m1", SlotId: "s1", TableId: "T1", ParticipantIds: []string{"a", "b"}},
		{Id: "m2", SlotId: "s1", TableId: "T2", ParticipantIds: []string{"c", "d"}},
		{Id: "m3", SlotId: "s2", TableId: "T1", ParticipantIds: []string{"a", "c"}},
		{Id: "m4", SlotId: "s2", TableId: "T2", ParticipantIds: []string{"a", "d"}}, // a twice in s2
		{Id: "m5", SlotId: "s2", TableId: "T2", ParticipantIds: []string{"e", "f"}, Status: meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED},
	}
	g := buildGrid(ev, meetings)
	if g.Rows[0].Cells[0].Conflict || g.Rows[0].Cells[1].Conflict {
		t.Error("slot 1 has no conflict")
	}
	if !g.Rows[1].Cells[0].Conflict || !g.Rows[1].Cells[1].Conflict || g.Conflicts != 2 {
		t.Errorf("slot 2: conflicts %v %v, count %d; want both cells, 2", g.Rows[1].Cells[0].Conflict, g.Rows[1].Cells[1].Conflict, g.Conflicts)
	}
	if g.Rows[1].Cells[1].Meeting.GetId() != "m4" {
		t.Error("a cancelled meeting took a cell")
	}
}

func TestEventFigures(t *testing.T) {
	reqs := []*meetingsv1.MeetingRequest{
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED},
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED},
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED},
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS},
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING},
		{Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED}, // not counted
	}
	parts := []*meetingsv1.Participant{{Id: "a"}, {Id: "b"}, {Id: "c"}, {Id: "d"}, {Id: "e"}, {Id: "f"}, {Id: "g"}}
	meetings := []*meetingsv1.Meeting{
		{Id: "m1", ParticipantIds: []string{"a", "b"}},
		{Id: "m2", ParticipantIds: []string{"a", "c"}},
		{Id: "m3", ParticipantIds: []string{"d", "e"}, Status: meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED},
	}
	// The scheduler says nobody with an accepted request is left out; four
	// of the seven registered have no meeting (d and e only a cancelled one).
	// The schedule's own figures are from before a meeting was booked
	// after publication: the page counts the meetings as they are.
	f := eventFigures(parts, reqs, &meetingsv1.Schedule{Stats: &meetingsv1.ScheduleStats{MeetingsPlaced: 1, UpperBound: 2, MeanMeetingsPerParticipant: 0.57, ParticipantsWithoutMeetings: 0}}, meetings)
	if f.Participants != 7 || f.Requests != 5 || f.Accepted != 2 || f.Pending != 1 || f.AcceptanceRate != 0.5 || !f.HasSchedule || f.Placed != 2 || f.Without != 4 ||
		f.MeanMeetings != 4.0/3 { // a, b, c meet: 4 places over the 3 with a meeting (the accepted requests name nobody)
		t.Fatalf("figures = %+v, want 7 participants, 5 requests (the cancelled one left out), 4 without meetings", f)
	}
}

// TestEventPageCountsParticipantsWithoutMeetings is the demo case: three
// registered, one of them never met, and the page says 1, not 0.
func TestEventPageCountsParticipantsWithoutMeetings(t *testing.T) {
	m := &eventMeetings{
		event: &meetingsv1.Event{Id: "ev1", Name: "Brokerage Day", OrganizerSubjects: []string{"org1"},
			Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}}, Slots: []*meetingsv1.Slot{{Id: "s1"}}},
		parts:    []*meetingsv1.Participant{{Id: "p1", DisplayName: "ICGEB"}, {Id: "p2", DisplayName: "SISSA"}, {Id: "p3", DisplayName: "Elettra"}},
		meetings: []*meetingsv1.Meeting{{Id: "m1", SlotId: "s1", TableId: "T1", ParticipantIds: []string{"p1", "p2"}}},
	}
	_, page := eventUI(t, m).get(t, "/events/ev1")
	if !strings.Contains(page, `<dd id="fig-without">1</dd>`) {
		t.Errorf("participants without meetings is not 1:\n%s", page)
	}
}

// TestStandInScheduleIsBookedByParticipants: at a self-booking event that
// never had a schedule, the meetings service answers with a published
// schedule without an id; the grid's tag says the participants booked it,
// in English and in Italian, while a real published schedule says so.
func TestStandInScheduleIsBookedByParticipants(t *testing.T) {
	m := &eventMeetings{
		event: &meetingsv1.Event{Id: "ev1", Name: "Brokerage Day", OrganizerSubjects: []string{"org1"}, BookingMode: meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING,
			Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}}, Slots: []*meetingsv1.Slot{{Id: "s1"}}},
		parts:    []*meetingsv1.Participant{{Id: "p1", DisplayName: "ICGEB"}, {Id: "p2", DisplayName: "SISSA"}},
		meetings: []*meetingsv1.Meeting{{Id: "m1", SlotId: "s1", TableId: "T1", ParticipantIds: []string{"p1", "p2"}}},
		schedule: &meetingsv1.Schedule{EventId: "ev1", Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED},
	}
	ui := eventUI(t, m)
	for _, lang := range []string{"en", "it"} {
		req, _ := http.NewRequest(http.MethodGet, ui.srv.URL+"/events/ev1", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := ui.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		want := `id="schedule-status">` + catalogFor(lang)["event.schedule_self_booked"] + `<`
		if page := html.UnescapeString(string(b)); !strings.Contains(page, want) {
			t.Errorf("%s: the stand-in schedule's tag is not %q:\n%s", lang, want, page)
		}
	}
	m.schedule = &meetingsv1.Schedule{Id: "sch1", EventId: "ev1", Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED}
	if _, page := ui.get(t, "/events/ev1"); !strings.Contains(page, `id="schedule-status">Published<`) {
		t.Errorf("a published schedule's tag does not say Published:\n%s", page)
	}
}

func TestCoverageChart(t *testing.T) {
	all := map[string]*coverage{
		"a": {ID: "a", Label: "Genomics", Offers: 5, Needs: 1},
		"b": {ID: "b", Label: "Organ-on-a-chip <script>", Needs: 3},
		"c": {ID: "c", Label: "Proteomics", Offers: 2},
	}
	rows := topCoverage(all, 2)
	if len(rows) != 2 || rows[0].ID != "a" || rows[1].ID != "b" {
		t.Fatalf("top terms = %+v; want the busiest and the unmet need", rows)
	}
	svg := string(coverageSVG(langFor("it"), rows))
	wellFormed(t, svg)
	if strings.Count(svg, `class="row unmet"`) != 1 || strings.Contains(svg, "<script>") {
		t.Fatalf("chart does not highlight exactly the unmet need, or leaks markup:\n%s", svg)
	}
	if !strings.Contains(svg, catalogIT["dashboard.unmet"]) {
		t.Error("chart legend is not in Italian")
	}
}

func TestNetworkPicture(t *testing.T) {
	pairs := []pair{{A: "org:1", B: "org:2", Met: 1}, {A: "org:1", B: "person:3", Contacted: 1}, {A: "org:2", B: "org:4", Saved: 2}}
	svg := string(networkSVG(langFor("en"), pairs, map[string]string{"org:1": "Alpha & Co", "org:2": "Beta"}, 30, ""))
	wellFormed(t, svg)
	for _, want := range []string{`class="edge met"`, `class="edge contacted"`, `class="edge saved"`, "Alpha &amp; Co", catalogEN["dashboard.unnamed"]} {
		if !strings.Contains(svg, want) {
			t.Errorf("network lacks %q", want)
		}
	}
	if n := strings.Count(svg, `<g class="node">`); n != 4 {
		t.Errorf("%d nodes, want 4", n)
	}
	capped := string(networkSVG(langFor("en"), pairs, nil, 2, ""))
	if n := strings.Count(capped, `<g class="node">`); n != 2 {
		t.Errorf("capped network has %d nodes, want 2", n)
	}
	// A sample says so, visibly and to screen readers; the whole does not.
	if want := `class="legend sample">The drawing shows the 2 most connected of 4 organisations or people.</text>`; !strings.Contains(capped, want) {
		t.Errorf("the capped network does not say it is a sample:\n%s", capped)
	}
	if strings.Contains(svg, "most connected") {
		t.Error("the whole network says it is a sample")
	}
}

func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, svg)
		}
	}
}

// TestHubFromEvents feeds the hub the domain events of one brokerage
// event and checks who is told what, and the pairs it draws.
func TestHubFromEvents(t *testing.T) {
	h := newHub()
	now := timestamppb.Now()
	org := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	feed := func(subject string, m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		h.apply(subject+".key", b)
	}
	feed("tandem.meetings.v1.event.created", &eventsv1.BrokerageEventCreated{BrokerageEventId: "e1", Event: &meetingsv1.Event{Name: "Brokerage Day"}})
	feed("tandem.meetings.v1.participant.registered", &eventsv1.ParticipantRegistered{BrokerageEventId: "e1", Participant: &meetingsv1.Participant{Id: "p1", Profile: org("A"), DisplayName: "Alpha"}})
	feed("tandem.meetings.v1.participant.registered", &eventsv1.ParticipantRegistered{BrokerageEventId: "e1", Participant: &meetingsv1.Participant{Id: "p2", Profile: org("B"), DisplayName: "Beta"}})
	req := &meetingsv1.MeetingRequest{FromParticipantId: "p1", ToParticipantId: "p2", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED}
	feed("tandem.meetings.v1.meeting_request.created", &eventsv1.MeetingRequestCreated{BrokerageEventId: "e1", OccurredAt: now, MeetingRequest: req})
	feed("tandem.meetings.v1.meeting_request.responded", &eventsv1.MeetingRequestResponded{BrokerageEventId: "e1", OccurredAt: now, MeetingRequest: req})
	meeting := &meetingsv1.Meeting{Id: "m1", ParticipantIds: []string{"p1", "p2"}}
	feed("tandem.meetings.v1.meeting.confirmed", &eventsv1.MeetingConfirmed{BrokerageEventId: "e1", Meeting: meeting})
	feed("tandem.meetings.v1.meeting.confirmed", &eventsv1.MeetingConfirmed{BrokerageEventId: "e1", Meeting: meeting}) // redelivered
	booked := &meetingsv1.Meeting{Id: "m2", ParticipantIds: []string{"p1", "p2"}, Origin: meetingsv1.MeetingOrigin_MEETING_ORIGIN_SELF_BOOKED}
	feed("tandem.meetings.v1.meeting.confirmed", &eventsv1.MeetingConfirmed{BrokerageEventId: "e1", OccurredAt: now, Meeting: booked})
	feed("tandem.meetings.v1.meeting.confirmed", &eventsv1.MeetingConfirmed{BrokerageEventId: "e1", OccurredAt: now, Meeting: booked}) // redelivered
	feed("tandem.meetings.v1.schedule.published", &eventsv1.SchedulePublished{BrokerageEventId: "e1", OccurredAt: now})
	feed("tandem.meetings.v1.meeting.moved", &eventsv1.MeetingMoved{BrokerageEventId: "e1", OccurredAt: now, Meeting: meeting})
	feed("tandem.meetings.v1.meeting.cancelled", &eventsv1.MeetingCancelled{BrokerageEventId: "e1", OccurredAt: now, Meeting: meeting})
	feed("tandem.meetings.v1.meeting_request.cancelled", &eventsv1.MeetingRequestCancelled{BrokerageEventId: "e1", OccurredAt: now, MeetingRequest: req})
	feed("tandem.matching.v1.match.found", &eventsv1.MatchFound{OwnerSubject: "u1", OccurredAt: now, Match: &matchingv1.NewMatch{Suggestion: &matchingv1.Suggestion{Candidate: &matchingv1.CandidateSummary{Ref: org("G"), DisplayName: "Gamma"}}}})
	feed("tandem.matching.v1.feedback.recorded", &eventsv1.FeedbackRecorded{Feedback: &matchingv1.Feedback{Id: "f1", Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "A"}}, Candidate: org("C"), Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED}})
	h.apply("tandem.meetings.v1.meeting.moved.key", []byte("not protobuf \xff\xff"))
	h.apply("tandem.unknown.v1.thing.key", nil)

	en := langFor("en")
	// Names come from the profiles service when a note is shown, never
	// from the events.
	profileNames := map[string]string{"org:A": "Alpha", "org:B": "Beta", "org:G": "Gamma"}
	texts := func(key string) []string {
		var out []string
		for _, n := range h.list([]string{key}) {
			if n.Who != "" {
				t.Errorf("note %+v keeps a name from its event", n)
			}
			n.Who = profileNames[n.WhoKey]
			out = append(out, noteText(en, n))
		}
		return out
	}
	a, b := strings.Join(texts("org:A"), "\n"), strings.Join(texts("org:B"), "\n")
	for _, want := range []string{"Beta answered your meeting request: Accepted (Brokerage Day)", "schedule of Brokerage Day is published", "meetings at Brokerage Day was moved",
		"meeting with Beta at Brokerage Day was cancelled", "request between you and Beta at Brokerage Day was cancelled", "meeting with Beta at Brokerage Day was booked"} {
		if !strings.Contains(a, want) {
			t.Errorf("A's notifications lack %q:\n%s", want, a)
		}
	}
	for _, want := range []string{"Alpha asks to meet you at Brokerage Day", "meeting with Alpha at Brokerage Day was cancelled", "request between you and Alpha at Brokerage Day was cancelled", "meeting with Alpha at Brokerage Day was booked"} {
		if !strings.Contains(b, want) {
			t.Errorf("B's notifications lack %q:\n%s", want, b)
		}
	}
	if got := texts("subject:u1"); len(got) != 1 || !strings.Contains(got[0], "Gamma") {
		t.Errorf("u1's notifications = %v", got)
	}
	if n := h.unread("nobody", []string{"org:A"}); n != 6 {
		t.Errorf("A has %d unread, want 6 (the redelivered booking told once)", n)
	}
	h.markRead("nobody")
	if n := h.unread("nobody", []string{"org:A"}); n != 0 {
		t.Errorf("after reading, %d unread", n)
	}
	pairs := h.network()
	met, contacted := 0, 0
	for _, p := range pairs {
		met += p.Met
		contacted += p.Contacted
	}
	if len(pairs) != 2 || met != 2 || contacted != 1 {
		t.Errorf("pairs = %+v; want A-B met twice (scheduled, then booked), A-C contacted", pairs)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// grpcerrInvalid is an InvalidArgument as the services send it, with
// field, description pairs.
func grpcerrInvalid(pairs ...string) error {
	var v []grpcerr.Violation
	for i := 0; i+1 < len(pairs); i += 2 {
		v = append(v, grpcerr.Violation{Field: pairs[i], Description: pairs[i+1]})
	}
	return grpcerr.ToStatus(nil, grpcerr.Invalid(v...))
}

// eventMeetings answers the meetings calls the event pages make with one
// fixed event; the other services are unimplemented.
type eventMeetings struct {
	meetingsv1.UnimplementedMeetingsServiceServer
	event    *meetingsv1.Event
	parts    []*meetingsv1.Participant
	meetings []*meetingsv1.Meeting
	// schedule, when set, is the schedule GetSchedule answers with the
	// meetings (else one with id sch1).
	schedule *meetingsv1.Schedule
}

func (m *eventMeetings) GetEvent(context.Context, *meetingsv1.GetEventRequest) (*meetingsv1.GetEventResponse, error) {
	return &meetingsv1.GetEventResponse{Event: m.event}, nil
}

func (m *eventMeetings) ListParticipants(context.Context, *meetingsv1.ListParticipantsRequest) (*meetingsv1.ListParticipantsResponse, error) {
	return &meetingsv1.ListParticipantsResponse{Participants: m.parts}, nil
}

func (m *eventMeetings) ListMeetingRequests(context.Context, *meetingsv1.ListMeetingRequestsRequest) (*meetingsv1.ListMeetingRequestsResponse, error) {
	return &meetingsv1.ListMeetingRequestsResponse{}, nil
}

func (m *eventMeetings) GetSchedule(context.Context, *meetingsv1.GetScheduleRequest) (*meetingsv1.GetScheduleResponse, error) {
	if m.meetings == nil {
		return nil, status.Error(codes.NotFound, "no schedule")
	}
	if m.schedule != nil {
		return &meetingsv1.GetScheduleResponse{Schedule: m.schedule, Meetings: m.meetings}, nil
	}
	return &meetingsv1.GetScheduleResponse{Schedule: &meetingsv1.Schedule{Id: "sch1", EventId: m.event.GetId()}, Meetings: m.meetings}, nil
}

func (m *eventMeetings) GetAgenda(_ context.Context, r *meetingsv1.GetAgendaRequest) (*meetingsv1.GetAgendaResponse, error) {
	for _, p := range m.parts {
		if p.GetId() == r.GetParticipantId() {
			return &meetingsv1.GetAgendaResponse{Participant: p}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "no participant")
}

// eventUI is the web UI signed in as the organiser of m's event.
func eventUI(t *testing.T, m *eventMeetings) *testUI {
	t.Helper()
	ui := newTestUI(t, backend(t, m), false)
	ui.signIn(t, auth.Principal{Subject: "org1", Roles: []auth.Role{auth.RoleMember, auth.RoleOrganizer}})
	return ui
}

func TestEventPagesNameTheEvent(t *testing.T) {
	m := &eventMeetings{
		event: &meetingsv1.Event{Id: "ev1", Name: "Smart Health Brokerage Day", OrganizerSubjects: []string{"org1"}},
		parts: []*meetingsv1.Participant{{Id: "p1", EventId: "ev1", DisplayName: "ICGEB"}},
	}
	ui := eventUI(t, m)
	for path, want := range map[string]string{
		"/events/ev1":           "Smart Health Brokerage Day",
		"/events/ev1/agenda/p1": "Agenda · Smart Health Brokerage Day",
		"/events/ev1/agendas":   "All agendas · Smart Health Brokerage Day",
	} {
		res, page := ui.get(t, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s\n%s", path, res.Status, page)
		}
		if !strings.Contains(page, "<title>"+want+" · Tandem</title>") {
			t.Errorf("%s: tab title is not %q:\n%s", path, want, page)
		}
		if !strings.Contains(page, "<h1>"+want+"</h1>") {
			t.Errorf("%s: heading is not %q", path, want)
		}
		if strings.Contains(page, "Brokerage event<") {
			t.Errorf("%s still says \"Brokerage event\"", path)
		}
	}
}

// nameless matches a button or link with no text and no aria-label.
var nameless = regexp.MustCompile(`<(button|a)\b[^>]*>\s*</(button|a)>`)

func TestUnnamedParticipantHasALabel(t *testing.T) {
	m := &eventMeetings{
		event: &meetingsv1.Event{Id: "ev1", Name: "Brokerage Day", OrganizerSubjects: []string{"org1"},
			Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}}, Slots: []*meetingsv1.Slot{{Id: "s1"}, {Id: "s2"}}},
		parts: []*meetingsv1.Participant{{Id: "p1", EventId: "ev1", DisplayName: "ICGEB"}, {Id: "p2", EventId: "ev1", DisplayName: " "}},
		meetings: []*meetingsv1.Meeting{
			{Id: "m1", SlotId: "s1", TableId: "T1", ParticipantIds: []string{"p1", "p2"}},
			{Id: "m2", SlotId: "s2", TableId: "T1", ParticipantIds: []string{"p2", "p1"}},
		},
	}
	ui := eventUI(t, m)
	for _, lang := range []struct{ header, label string }{{"en", catalogEN["event.unnamed"]}, {"it-IT,it;q=0.9", catalogIT["event.unnamed"]}} {
		for _, path := range []string{"/events/ev1", "/events/ev1/agenda/p2", "/events/ev1/agendas"} {
			req, _ := http.NewRequest(http.MethodGet, ui.srv.URL+path, nil)
			req.Header.Set("Accept-Language", lang.header)
			res, err := ui.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			page := html.UnescapeString(string(b))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s\n%s", path, res.Status, page)
			}
			if found := nameless.FindString(page); found != "" {
				t.Errorf("%s (%s): a control without a name: %s", path, lang.header, found)
			}
			if path != "/events/ev1" {
				if !strings.Contains(page, "<h2>"+lang.label+"</h2>") {
					t.Errorf("%s (%s): the agenda is not headed %q", path, lang.header, lang.label)
				}
				continue
			}
			if strings.Contains(page, "<tr><td></td>") || strings.Contains(page, "<tr><td> </td>") {
				t.Errorf("%s (%s): a blank participant row", path, lang.header)
			}
			if n := strings.Count(page, `data-p="p2">`+lang.label+`</button>`); n != 2 {
				t.Errorf("%s (%s): %d grid buttons say %q, want 2", path, lang.header, n, lang.label)
			}
			if !strings.Contains(page, `<tr><td>`+lang.label+`</td>`) {
				t.Errorf("%s (%s): the participant row does not say %q", path, lang.header, lang.label)
			}
			if !strings.Contains(page, `aria-label="`+fmt.Sprintf(catalogFor(lang.header)["event.agenda_of"], lang.label)+`"`) {
				t.Errorf("%s (%s): the agenda link does not name the participant", path, lang.header)
			}
		}
	}
}

func catalogFor(header string) map[string]string {
	if strings.HasPrefix(header, "it") {
		return catalogIT
	}
	return catalogEN
}
