package webui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// as returns a context that calls the services as p.
func (s *stack) as(t *testing.T, p auth.Principal) context.Context {
	t.Helper()
	tok, _, err := s.Authority.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// signInWithToken signs in in the browser with the sign-in page's token
// form, as a manager of a cluster the demo does not know would.
func (u *user) signInWithToken(s *stack, p auth.Principal) {
	u.t.Helper()
	tok, _, err := s.Authority.Issue(p)
	if err != nil {
		u.t.Fatal(err)
	}
	u.open("/login")
	u.do("open the token form", chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-token").closest("details").open = true`))
	u.typeInto("#f-token", tok)
	u.submit("details.card form button[type=submit]")
	u.waitFor("the start page", `!!document.querySelector(".tiles")`)
}

// dashboardStack starts the stack and returns it, an administrator's
// context, and a way to create a public organisation in Trieste (ITH44),
// a member of a cluster unless that is "".
func dashboardStack(t *testing.T) (*stack, context.Context, func(name, cluster string, kind profilesv1.OrganizationKind) string) {
	s := startStack(t)
	admin := s.admin(t)
	return s, admin, func(name, cluster string, kind profilesv1.OrganizationKind) string {
		t.Helper()
		return createInCluster(t, s, admin, &profilesv1.Organization{Name: name, Kind: kind, CountryCode: "IT", NutsCode: "ITH44", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}, cluster)
	}
}

// TestDashboardTimeFilterAndTrend: in Chromium, a cluster manager picks
// a period on the dashboard and reads, for the managed cluster only, the
// organisations, competencies, offers and contact requests of that period
// and their trend by month, as a chart in the brand colours and as a
// table; in English at desktop width and in Italian on a phone, with no
// serious or critical axe-core violation.
func TestDashboardTimeFilterAndTrend(t *testing.T) {
	root := browser(t)
	s, admin, create := dashboardStack(t)
	company := profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	mine := create("Trend Cluster", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER)
	other := create("Other Trend Cluster", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER)
	a := create("Alpine Assays", mine, company)
	b := create("Bora Biologics", mine, company)
	x := create("Xenon Elsewhere", other, company)
	for holder, term := range map[string]string{a: "EDAM:topic_0622", x: "MESH:D008103"} {
		retryUntilKnown(t, "competency", func() error {
			_, err := s.Comp.PublishCompetency(admin, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: orgRef(holder), TermId: term, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT}})
			return err
		})
	}
	publishOffer(t, s, admin, b, "Cell assays in Trieste")
	publishOffer(t, s, admin, x, "Somewhere else entirely")
	// A contact request inside the cluster, one in the other cluster.
	for from, to := range map[string]string{a: b, x: a} {
		ctx := s.as(t, auth.Principal{Subject: "trend-" + from, Organization: from, Roles: []auth.Role{auth.RoleMember}})
		retryUntilKnown(t, "contact request", func() error {
			_, err := s.Messaging.SendContactRequest(ctx, &messagingv1.SendContactRequestRequest{From: orgRef(from), To: orgRef(to), Message: "Shall we talk about assays?", ClientRequestId: "trend-" + from})
			return err
		})
	}

	m := newUser(t, root, s.URL, "cluster manager")
	m.signInWithToken(s, auth.Principal{Subject: "trend-manager", Organization: mine, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{mine}})
	figure := func(kind string) string { return strings.TrimSpace(m.text("#n-" + kind)) }
	// The contact requests arrive by the event stream: look again until
	// both are counted (one is in the cluster, the other has one side in it).
	deadline := time.Now().Add(45 * time.Second)
	for {
		m.open("/dashboard?period=30d")
		if figure("contacts") == "2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("contact requests in the last 30 days = %q, want 2", figure("contacts"))
		}
	}
	if got := eval[string](m, `document.querySelector("[aria-current]").id`); got != "period-30d" {
		t.Errorf("the current period is %q, want period-30d", got)
	}
	for kind, want := range map[string]string{"orgs": "2", "competencies": "1", "offers": "1", "meetings": "0"} {
		if got := figure(kind); got != want {
			t.Errorf("%s in the last 30 days = %q, want %q (the cluster's only)", kind, got, want)
		}
	}
	// The trend: 2 months for 30 days, this month last, with the same
	// figures in the table and in the chart's bars of this month.
	month := time.Now().UTC().Format("2006-01")
	rows := eval[[]string](m, `[...document.querySelectorAll("#trend-table tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join(" "))`)
	if len(rows) != 2 || rows[1] != month+" 2 1 1 0 2" {
		t.Errorf("trend table rows = %q, want 2 months ending %q", rows, month+" 2 1 1 0 2")
	}
	if got := eval[int](m, `document.querySelectorAll("#trend svg[role=img] g.series rect.bar-need").length`); got != 5 {
		t.Errorf("the chart marks %d series in this month, want 5", got)
	}
	if got := eval[string](m, `getComputedStyle(document.querySelector("#trend g.orgs rect.bar-need")).fill`); got != "rgb(194, 97, 15)" {
		t.Errorf("this month's bar is %s, want the brand's warm colour", got)
	}
	if body := m.bodyText(); strings.Contains(body, "Xenon") || strings.Contains(body, "Other Trend Cluster") {
		t.Error("the dashboard names an organisation of another cluster")
	}
	m.accessible()
	m.shot("dashboard-activity")
	csvHref := eval[string](m, `document.querySelector("#dashboard-csv").getAttribute("href")`)
	if csvHref != "/dashboard/export.csv?period=30d" {
		t.Errorf("the CSV link is %q, want it for the chosen period", csvHref)
	}

	// In Italian on a phone, for the last 12 months.
	m.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	m.open("/lang/it?next=%2Fdashboard")
	m.submit("#period-12m") // a link: follows it and checks the page
	if got := eval[string](m, `document.querySelector("[aria-current]").id`); got != "period-12m" {
		t.Errorf("after choosing 12 months the current period is %q", got)
	}
	m.expect("#activity", "Nuove organizzazioni")
	m.expect("#period-12m", "Ultimi 12 mesi")
	if got := eval[int](m, `document.querySelectorAll("#trend-table tbody tr").length`); got != 12 {
		t.Errorf("the trend over 12 months has %d rows", got)
	}
	if figure("orgs") != "2" || figure("contacts") != "2" {
		t.Errorf("in 12 months: organisations %q, contact requests %q", figure("orgs"), figure("contacts"))
	}
	m.click("#activity details summary")
	m.accessible()
	m.shot("phone-dashboard-it")
	m.do("desktop screen", chromedp.ResetViewport())
}

// TestDashboardEventKPIs: in Chromium, a cluster manager who organises
// none of them reads, for each brokerage event the cluster hosts, the
// figures its organisers see: participants, meeting requests, meetings
// placed, acceptance rate and participants without meetings; an event of
// another cluster is not listed. In English at desktop width and in
// Italian on a phone, with no serious or critical axe-core violation.
func TestDashboardEventKPIs(t *testing.T) {
	root := browser(t)
	s, admin, org := dashboardStack(t)
	clusterKind, company := profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	mine, other := org("KPI Cluster", "", clusterKind), org("Other KPI Cluster", "", clusterKind)
	a, b, c := org("Asti Assays", mine, company), org("Bari Bio", mine, company), org("Como Cells", mine, company)
	ev := openClusterEvent(t, s, "KPI Brokerage Day", []string{mine}, orgRef(a), orgRef(b), orgRef(c))
	elsewhere := openClusterEvent(t, s, "Elsewhere Brokerage Day", []string{other}, orgRef(a))
	parts, err := s.Meetings.ListParticipants(admin, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	pid := map[string]string{}
	for _, p := range parts.GetParticipants() {
		pid[p.GetProfile().GetOrganizationId()] = p.GetId()
	}
	as := func(o string) context.Context {
		return s.as(t, auth.Principal{Subject: "kpi-" + o, Organization: o, Roles: []auth.Role{auth.RoleMember}})
	}
	// A asks B, who accepts; C asks A, unanswered. The schedule places
	// A and B; C has no meeting.
	ab, err := s.Meetings.RequestMeeting(as(a), &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: pid[a], ToParticipantId: pid[b]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.RespondToMeetingRequest(as(b), &meetingsv1.RespondToMeetingRequestRequest{RequestId: ab.GetMeetingRequest().GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.RequestMeeting(as(c), &meetingsv1.RequestMeetingRequest{EventId: ev.GetId(), FromParticipantId: pid[c], ToParticipantId: pid[a]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.UpdateEvent(admin, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), Status: meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING},
		ExpectedVersion: ev.GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.GenerateSchedule(admin, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()}); err != nil {
		t.Fatal(err)
	}

	m := newUser(t, root, s.URL, "cluster manager")
	m.signInWithToken(s, auth.Principal{Subject: "kpi-manager", Organization: mine, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{mine}})
	m.open("/dashboard")
	m.mustSucceed("the dashboard")
	row := func() []string {
		return eval[[]string](m, `[...document.querySelectorAll("#kpi-`+ev.GetId()+` td")].map(c => c.textContent.trim())`)
	}
	if got, want := row(), []string{"3", "2", "1", "100%", "1"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the event's participants, requests, placed, acceptance, without = %q, want %q", got, want)
	}
	m.expect("#event-kpis", "KPI Brokerage Day")
	m.expect("#event-kpis", "Events your clusters host in the period or later: 1,")
	if m.has("#kpi-" + elsewhere.GetId()) {
		t.Error("the dashboard lists an event of another cluster")
	}
	// The CSV holds the event's figures too.
	csvText := eval[string](m, `fetch("/dashboard/export.csv?period=all").then(r => r.text())`)
	for _, want := range []string{"Brokerage event: Participants,KPI Brokerage Day,3,", "Brokerage event: Meeting requests,KPI Brokerage Day,2,", "Brokerage event: Acceptance rate,KPI Brokerage Day,100%,"} {
		if !strings.Contains(csvText, want) {
			t.Errorf("the dashboard CSV lacks %q:\n%s", want, csvText)
		}
	}
	m.accessible()
	m.shot("dashboard-events")

	m.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer m.do("desktop screen", chromedp.ResetViewport())
	m.open("/lang/it?next=%2Fdashboard")
	m.expect("#event-kpis", "Partecipanti senza incontri")
	if got := row(); len(got) != 5 || got[0] != "3" || got[4] != "1" {
		t.Errorf("in Italian the event's figures are %q", got)
	}
	// On a phone each event is a card of labelled figures, none cut off.
	if eval[bool](m, `(() => { const t = document.querySelector("#events-table"); return t.scrollWidth > t.parentElement.clientWidth + 1 })()`) {
		t.Error("the event figures are wider than a phone's screen")
	}
	if got := eval[string](m, `getComputedStyle(document.querySelector("#kpi-`+ev.GetId()+` td:nth-of-type(2)"), "::before").content`); got != `"Richieste di incontro"` {
		t.Errorf("on a phone the requests figure is labelled %s", got)
	}
	m.accessible()
	m.shot("phone-dashboard-events-it")
}

// TestDashboardCollaborationLinks: in Chromium, a cluster manager reads the
// collaboration history of the cluster as a list (members by number of
// partners) and a table of links, strongest first, with partners outside
// the cluster marked; a collaboration without a member is not shown, and
// with more links than the table holds it says "the 50 strongest of N".
// In English at desktop width and in Italian on a phone, with no serious
// or critical axe-core violation.
func TestDashboardCollaborationLinks(t *testing.T) {
	root := browser(t)
	s, admin, org := dashboardStack(t)
	clusterKind, company := profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	mine, other := org("Links Cluster", "", clusterKind), org("Other Links Cluster", "", clusterKind)
	a, b, c := org("Aosta Antibodies", mine, company), org("Biella Bioinformatics", mine, company), org("Cuneo Cytometry", mine, company)
	x, u := org("Xanthe Outside", other, company), org("Umbra University", "", company)
	put := func(id string, year int32, orgs ...string) {
		t.Helper()
		var ps []*competenciesv1.CollaborationParticipant
		for _, o := range orgs {
			ps = append(ps, &competenciesv1.CollaborationParticipant{OrganizationId: o, Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT})
		}
		retryUntilKnown(t, "put collaboration "+id, func() error {
			_, err := s.Comp.PutCollaboration(admin, &competenciesv1.PutCollaborationRequest{Collaboration: &competenciesv1.Collaboration{
				Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: "Project " + id, Acronym: id, Year: year,
				Source: "test", SourceId: id, Participants: ps}})
			return err
		})
	}
	put("ABONE", 2020, a, b)
	put("ABTWO", 2022, a, b, u)
	put("CX", 2019, c, x)
	put("NOMEMBER", 2023, x, u)

	m := newUser(t, root, s.URL, "cluster manager")
	m.signInWithToken(s, auth.Principal{Subject: "links-manager", Organization: mine, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{mine}})
	m.open("/dashboard")
	m.mustSucceed("the dashboard")
	rows := func() []string {
		return eval[[]string](m, `[...document.querySelectorAll("#links-table tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join(" | "))`)
	}
	got := rows()
	if len(got) != 4 || got[0] != "Aosta Antibodies | Biella Bioinformatics | 2 | 2022 | ABONE, ABTWO" {
		t.Fatalf("links = %q, want 4, Aosta and Biella first with 2 collaborations", got)
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "Cuneo Cytometry | Xanthe Outside outside your clusters | 1 | 2019 | CX") {
		t.Errorf("the link with a partner of another cluster is missing or unmarked:\n%s", joined)
	}
	if strings.Contains(joined, "NOMEMBER") {
		t.Errorf("a collaboration without a member is shown:\n%s", joined)
	}
	m.expect("#collab-links", "All 4 links, strongest first")
	if list := m.text("#link-orgs"); !strings.HasPrefix(strings.TrimSpace(list), "Aosta Antibodies: 2 partners in 2 collaborations") {
		t.Errorf("the members by partners start with %q", list)
	}
	// By region: the three members in ITH44 and the three collaborations they took part in.
	region := func() string {
		return eval[string](m, `[...document.querySelectorAll("#by-region tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join(" | ")).join("\n")`)
	}
	if got := region(); got != "ITH44 | 3 | 0 | 0 | 3" {
		t.Errorf("by region = %q, want ITH44 with 3 members and 3 collaborations", got)
	}
	m.accessible()
	m.shot("dashboard-links")

	// The links, the collaborations by region and the CSV follow the
	// period: in the last 12 months only this year's collaboration counts.
	put("NOW", int32(time.Now().Year()), a, c)
	m.open("/dashboard?period=12m")
	if got := rows(); len(got) != 1 || !strings.HasPrefix(got[0], "Aosta Antibodies | Cuneo Cytometry | 1 | ") {
		t.Errorf("links in the last 12 months = %q, want only Aosta and Cuneo's of this year", got)
	}
	if got := region(); got != "ITH44 | 3 | 0 | 0 | 1" {
		t.Errorf("by region in the last 12 months = %q", got)
	}
	csv12 := eval[string](m, `fetch(document.querySelector("#dashboard-csv").href).then(r => r.text())`)
	csvAll := eval[string](m, `fetch("/dashboard/export.csv?period=all").then(r => r.text())`)
	for _, tt := range []struct {
		csv, want string
		has       bool
	}{
		{csv12, "Collaboration links in the period (shared collaborations),Aosta Antibodies – Cuneo Cytometry,1,", true},
		{csv12, "Biella Bioinformatics", false},
		{csv12, "Collaborations by region (NUTS) in the period,ITH44,1,", true},
		{csvAll, "Collaboration links in the period (shared collaborations),Aosta Antibodies – Biella Bioinformatics,2,", true},
		{csvAll, "Members by number of partners in the period,Aosta Antibodies,3,", true},
		{csvAll, "Collaborations by region (NUTS) in the period,ITH44,4,", true},
	} {
		if strings.Contains(tt.csv, tt.want) != tt.has {
			t.Errorf("CSV has %q: %v, want %v:\n%s", tt.want, !tt.has, tt.has, tt.csv)
		}
	}
	m.open("/dashboard")

	// More links than the table holds: it says it shows a sample.
	var many []string
	for i := range 55 {
		many = append(many, org(fmt.Sprintf("Partner %02d", i), "", company))
	}
	put("BIG", 2024, append([]string{c}, many...)...)
	m.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer m.do("desktop screen", chromedp.ResetViewport())
	m.open("/lang/it?next=%2Fdashboard")
	m.expect("#collab-links", "I 50 legami più forti su 60")
	if n := len(rows()); n != 50 {
		t.Errorf("the sampled table has %d rows, want 50", n)
	}
	m.accessible()
	m.shot("phone-dashboard-links-it")
}
