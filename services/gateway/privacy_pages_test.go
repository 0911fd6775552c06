package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// uiPage fetches a web UI page with tok as the session cookie ("" for a
// visitor), not following redirects.
func uiPage(t *testing.T, base, path, tok string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.AddCookie(&http.Cookie{Name: "tandem_session", Value: tok})
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// sameFor is a page with what differs between any two requests (the form
// token) and the id asked for taken out.
func sameFor(page, id string) string {
	return strings.ReplaceAll(csrfValue.ReplaceAllString(page, ""), id, "ID")
}

// internalNames are words of the services' storage that no answer to a
// caller may carry.
var internalNames = regexp.MustCompile(`(?i)KV_|\$KV|bucket|TANDEM_[A-Z]|jetstream|nats:|redis|profiles_|matching_|meetings_|competencies_`)

// TestPrivacyTableOfPagesAndLists runs every role against organisations of
// every visibility where they show up besides their own record: the cluster
// dashboard, an event's participant list (over gRPC and HTTP), the profile
// page and the partners page of the web UI. It checks who sees which
// organisation, that a hidden one's id never shows and an anonymous one's
// id and name never show to others, that a hidden profile's page reads
// exactly as a missing one's, and that no refusal names internal storage.
func TestPrivacyTableOfPagesAndLists(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	root := &auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	create := func(name string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, clusters ...string) string {
		return s.createOrg(name, "Trieste", kind, vis, clusters...)
	}
	const (
		cluster = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
		company = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		lab     = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	)
	c1 := create("Smart Health Cluster", cluster, profilesv1.Visibility_VISIBILITY_PUBLIC)
	c2 := create("Other Cluster", cluster, profilesv1.Visibility_VISIBILITY_PUBLIC)
	mine := create("Member Company", company, profilesv1.Visibility_VISIBILITY_PUBLIC, c1)
	research := create("Research Lab", lab, profilesv1.Visibility_VISIBILITY_PUBLIC, c2)
	visibilities := []string{"public", "cluster", "hidden", "anonymous"}
	names := map[string]string{
		"public": "Pelican Public Bio", "cluster": "Cormorant Cluster Bio", "hidden": "Heron Hidden Bio", "anonymous": "Albatross Anonymous Bio",
	}
	vis := map[string]profilesv1.Visibility{
		"public": profilesv1.Visibility_VISIBILITY_PUBLIC, "cluster": profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS,
		"hidden": profilesv1.Visibility_VISIBILITY_HIDDEN, "anonymous": profilesv1.Visibility_VISIBILITY_ANONYMOUS,
	}
	ids := map[string]string{}
	for _, v := range visibilities {
		ids[v] = create(names[v], lab, vis[v], c1)
	}
	missing := "01J00000000000000000000000"

	// An event every one of them registers for.
	organizer := &auth.Principal{Subject: "organiser", Organization: c1, Roles: []auth.Role{auth.RoleOrganizer}, Clusters: []string{c1}}
	eventID := s.openEvent(organizer)
	for _, v := range visibilities {
		member := &auth.Principal{Subject: "member-" + v, Organization: ids[v], Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}
		mc := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, member))
		s.eventually("registered "+v, func() (bool, string) {
			_, err := mc.RegisterParticipant(s.ctx, &meetingsv1.RegisterParticipantRequest{EventId: eventID,
				Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: ids[v]}}})
			return err == nil || status.Code(err) == codes.AlreadyExists, fmt.Sprint(err)
		})
	}

	roles := []struct {
		name string
		p    *auth.Principal
	}{
		{"admin", root},
		{"manager of the cluster", &auth.Principal{Subject: "cm1", Organization: c1, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c1}}},
		{"manager of another cluster", &auth.Principal{Subject: "cm2", Organization: c2, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c2}}},
		{"company member", &auth.Principal{Subject: "member", Organization: mine, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}},
		{"researcher", &auth.Principal{Subject: "researcher", Organization: research, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c2}}},
		{"event organiser", organizer},
		{"anonymous caller", nil},
	}
	// Who is listed among the event's participants (gRPC and HTTP); the
	// anonymous caller is refused.
	listed := [][]string{
		{"public", "cluster", "hidden", "anonymous"},
		{"public", "cluster"},
		{"public"},
		{"public", "cluster"},
		{"public"},
		{"public", "cluster", "hidden", "anonymous"},
		nil,
	}
	// The dashboard: the HTTP status, and whether it is of the one
	// cluster (its name shows). A hidden organisation's id, an anonymous one's
	// name and id, and any of another cluster's never show but to the admin.
	dashboard := []struct {
		status  int
		cluster bool
	}{
		{http.StatusOK, false}, // every cluster
		{http.StatusOK, true},
		{http.StatusOK, false},
		{http.StatusForbidden, false},
		{http.StatusForbidden, false},
		{http.StatusForbidden, false},
		{http.StatusSeeOther, false},
	}
	// The profile page: HTTP status by visibility (the name shows exactly
	// when it is 200 and not anonymous, or for the admin).
	profilePage := map[string][7]int{
		"public":    {200, 200, 200, 200, 200, 200, 303},
		"cluster":   {200, 200, 404, 200, 404, 200, 303},
		"hidden":    {200, 404, 404, 404, 404, 404, 303},
		"anonymous": {200, 200, 200, 200, 200, 200, 303},
		"missing":   {404, 404, 404, 404, 404, 404, 303},
	}
	var refusals []string
	for i, role := range roles {
		tok := s.token(role.p)
		admin := i == 0
		t.Run(role.name, func(t *testing.T) {
			// Participant lists, over gRPC and HTTP.
			mc := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, role.p))
			res, err := mc.ListParticipants(s.ctx, &meetingsv1.ListParticipantsRequest{EventId: eventID})
			r := do(t, "GET", s.base+"/v1/events/"+eventID+"/participants", jsonHeader(tok), nil)
			if role.p == nil {
				if status.Code(err) != codes.Unauthenticated || r.status != http.StatusUnauthorized {
					t.Errorf("participants without a token: %v and HTTP %d, want Unauthenticated and 401", err, r.status)
				}
			} else {
				if err != nil || r.status != http.StatusOK {
					t.Fatalf("participants: %v and HTTP %d %s", err, r.status, r.body)
				}
				var got []string
				for _, p := range res.GetParticipants() {
					for _, v := range visibilities {
						if p.GetProfile().GetOrganizationId() == ids[v] {
							got = append(got, v)
						}
					}
				}
				slices.Sort(got)
				want := slices.Sorted(slices.Values(listed[i]))
				if !slices.Equal(got, want) {
					t.Errorf("gRPC participant list shows %v, want %v", got, want)
				}
				for _, v := range visibilities {
					if shown := strings.Contains(string(r.body), ids[v]); shown != slices.Contains(want, v) {
						t.Errorf("HTTP participant list shows %s's id: %v, want %v", v, shown, !shown)
					}
					if !admin && (v == "hidden" || v == "anonymous") && strings.Contains(string(r.body), names[v]) {
						t.Errorf("HTTP participant list names the %s organisation", v)
					}
				}
			}

			// The cluster dashboard.
			d := uiPage(t, s.base, "/dashboard", tok)
			if d.status != dashboard[i].status {
				t.Errorf("GET /dashboard = %d, want %d", d.status, dashboard[i].status)
			}
			if shown := strings.Contains(string(d.body), "Smart Health Cluster"); shown != dashboard[i].cluster {
				t.Errorf("dashboard is of the cluster: %v, want %v", shown, dashboard[i].cluster)
			}
			for _, v := range visibilities {
				hideName := v == "hidden" || v == "anonymous" || !dashboard[i].cluster
				if !admin && hideName && strings.Contains(string(d.body), names[v]) {
					t.Errorf("dashboard shows the %s organisation's name", v)
				}
				if !admin && (v == "hidden" || v == "anonymous" || !dashboard[i].cluster) && strings.Contains(string(d.body), ids[v]) {
					t.Errorf("dashboard shows the %s organisation's id", v)
				}
			}

			// The profile page of each, and of a missing one.
			for _, v := range append(slices.Clone(visibilities), "missing") {
				id := missing
				if v != "missing" {
					id = ids[v]
				}
				p := uiPage(t, s.base, "/profiles/org/"+id, tok)
				want := profilePage[v][i]
				if p.status != want {
					t.Errorf("profile page of %s = %d, want %d", v, p.status, want)
				}
				named := v != "missing" && strings.Contains(string(p.body), names[v])
				if wantNamed := want == 200 && (v != "anonymous" || admin); named != wantNamed {
					t.Errorf("profile page of %s shows the name: %v, want %v", v, named, wantNamed)
				}
				if p.status == http.StatusNotFound {
					body := sameFor(string(p.body), id)
					refusals = append(refusals, body)
					if v == "hidden" {
						m := uiPage(t, s.base, "/profiles/org/"+missing, tok)
						if sameFor(string(m.body), missing) != body {
							t.Errorf("the hidden organisation's page reads apart from a missing one's")
						}
					}
				}
			}
		})
	}

	// The partners page of a member: the anonymous candidate shows under
	// an opaque reference, with no page; the hidden one not at all.
	memberTok := s.token(roles[3].p)
	query := "/partners?" + url.Values{"text": {"transcriptomics RNA sequencing"}}.Encode()
	var page string
	s.eventually("the partners page suggests the anonymous organisation", func() (bool, string) {
		p := uiPage(t, s.base, query, memberTok)
		page = string(p.body)
		return p.status == http.StatusOK && strings.Contains(page, names["public"]) && strings.Contains(page, "anon-"), fmt.Sprintf("%d", p.status)
	})
	for _, v := range []string{"hidden", "anonymous"} {
		if strings.Contains(page, ids[v]) || strings.Contains(page, names[v]) {
			t.Errorf("the partners page shows the %s organisation's id or name", v)
		}
	}
	ref := regexp.MustCompile(`org:(anon-[A-Za-z0-9_-]+)`).FindStringSubmatch(page)
	if ref == nil {
		t.Fatal("no opaque reference in the partners page's forms")
	}
	if p := uiPage(t, s.base, "/profiles/org/"+ref[1], memberTok); p.status < 400 || p.status >= 500 {
		t.Errorf("profile page of the opaque reference = %d, want it to lead nowhere", p.status)
	}

	// Refusals over the API name no internal storage either.
	for _, path := range []string{"/v1/organizations/" + ids["hidden"], "/v1/organizations/" + missing, "/v1/events/" + missing, "/v1/events/" + eventID + "/participants?page_token=bogus"} {
		r := do(t, "GET", s.base+path, jsonHeader(s.token(roles[4].p)), nil)
		refusals = append(refusals, string(r.body))
	}
	for _, body := range refusals {
		if m := internalNames.FindString(body); m != "" {
			t.Errorf("a refusal names internal storage (%q): %.300s", m, body)
		}
	}
}

// openEvent creates a one-session brokerage event as organizer and opens
// its registration; it returns the event's id.
func (s *system) openEvent(organizer *auth.Principal) string {
	s.t.Helper()
	mcOrg := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, organizer))
	ev, err := mcOrg.CreateEvent(s.ctx, &meetingsv1.CreateEventRequest{Event: &meetingsv1.Event{
		Name: "Brokerage Day", Venue: "Area Science Park", TimeZone: "Europe/Rome",
		Days: []*meetingsv1.EventDay{{Date: &meetingsv1.Date{Year: 2027, Month: 5, Day: 6},
			Sessions: []*meetingsv1.Session{{Name: "Morning", StartTime: &meetingsv1.LocalTime{Hours: 9}, EndTime: &meetingsv1.LocalTime{Hours: 11}}}}},
		MeetingDuration: durationpb.New(25 * time.Minute), BreakDuration: durationpb.New(5 * time.Minute),
		Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}}, BookingMode: meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING,
	}})
	if err != nil {
		s.t.Fatal(err)
	}
	open, err := mcOrg.UpdateEvent(s.ctx, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetEvent().GetId(), Status: meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN},
		ExpectedVersion: ev.GetEvent().GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
	if err != nil {
		s.t.Fatal(err)
	}
	return open.GetEvent().GetId()
}
