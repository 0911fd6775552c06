package webui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/webui"
)

// tokenBrowser signs in with a token on the sign-in page's token form.
func tokenBrowser(t *testing.T, s *stack, p auth.Principal) *http.Client {
	t.Helper()
	tok, _, err := s.Authority.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatal("no form token on the sign-in page")
	}
	res, err = c.PostForm(s.URL+"/login", url.Values{"csrf": {string(m[1])}, "token": {tok}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %s", res.Status)
	}
	return c
}

func pageOf(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s", u, res.Status)
	}
	return string(b)
}

// TestDashboardShowsOnlyManagedClusters: a cluster manager's dashboard
// shows the organisations and the pairs of the clusters they manage, and
// nothing of a hidden organisation or of another cluster, not even ids.
func TestDashboardShowsOnlyManagedClusters(t *testing.T) {
	s := startStack(t)
	admin := s.admin(t)
	create := func(name string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, cluster string) string {
		t.Helper()
		return createInCluster(t, s, admin, &profilesv1.Organization{Name: name, Kind: kind, CountryCode: "IT", Visibility: vis}, cluster)
	}
	pub, hidden := profilesv1.Visibility_VISIBILITY_PUBLIC, profilesv1.Visibility_VISIBILITY_HIDDEN
	company := profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	c1 := create("Cluster One", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, pub, "")
	c2 := create("Cluster Two", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, pub, "")
	a := create("Alder Bio", company, pub, c1)
	// Birch is public when the pairs are recorded and hidden afterwards.
	b := create("Birch Secret Labs", company, pub, c1)
	a2 := create("Aspen Omics", company, pub, c1)
	x := create("Xylem Elsewhere", company, pub, c2)

	// Pairs: within the cluster, with its hidden member, across clusters.
	org := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	for _, f := range []struct {
		cand string
		kind matchingv1.FeedbackKind
	}{{a2, matchingv1.FeedbackKind_FEEDBACK_KIND_MET}, {b, matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED}, {x, matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED}} {
		fb := &matchingv1.Feedback{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: a}}, Candidate: org(f.cand), Kind: f.kind}
		eventually(t, "feedback recorded", func() (bool, string) {
			_, err := s.Matching.RecordFeedback(admin, &matchingv1.RecordFeedbackRequest{Feedback: fb, ClientRequestId: "dash-" + f.cand})
			return err == nil, errString(err)
		})
	}
	if _, err := s.Profiles.UpdateOrganization(admin, &profilesv1.UpdateOrganizationRequest{
		Organization: &profilesv1.Organization{Id: b, Visibility: hidden}, ExpectedVersion: 1,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"visibility"}},
	}); err != nil {
		t.Fatalf("hide %s: %v", b, err)
	}
	// Competencies: one of a member of the cluster, one of another cluster's.
	for holder, term := range map[string]string{a: "EDAM:topic_0622", x: "MESH:D008103"} {
		eventually(t, "competency published", func() (bool, string) {
			_, err := s.Comp.PublishCompetency(admin, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: org(holder), TermId: term, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT}})
			return err == nil, errString(err)
		})
	}
	// A need of the cluster with no offer, and competencies close to it,
	// inside and outside the cluster.
	eventually(t, "request published", func() (bool, string) {
		_, err := s.Comp.CreateCooperationProfile(admin, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: org(a2), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST, Title: "Early detection of lung tumours",
			Summary: "Wanted: a partner for early detection.", TermIds: []string{"MESH:D008175"},
			Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: pub,
		}})
		return err == nil, errString(err)
	})
	for _, holder := range []string{a, x} {
		eventually(t, "close competency published", func() (bool, string) {
			_, err := s.Comp.PublishCompetency(admin, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: org(holder), TermId: "MESH:D011658", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Description: "Imaging of the fibrotic lung."}})
			return err == nil, errString(err)
		})
	}
	// The admin sees every pair once the UI has followed the feedback.
	adminUI := tokenBrowser(t, s, auth.Principal{Subject: "dash-admin", Roles: []auth.Role{auth.RoleAdmin}})
	eventually(t, "the admin's network", func() (bool, string) {
		page := pageOf(t, adminUI, s.URL+"/dashboard")
		return strings.Contains(page, "3 pairs") && strings.Contains(page, "Xylem Elsewhere") &&
			strings.Contains(page, `<th scope="row">Genomics`) && strings.Contains(page, `<th scope="row">Liver`), "not yet"
	})

	manager := tokenBrowser(t, s, auth.Principal{Subject: "dash-manager", Organization: c1, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c1}})
	page := pageOf(t, manager, s.URL+"/dashboard")
	// Its coverage counts the competencies of the cluster's members only.
	for _, want := range []string{"Alder Bio", "Aspen Omics", "(1 pair)", `<th scope="row">Genomics`} {
		if !strings.Contains(page, want) {
			t.Errorf("manager's dashboard lacks %q", want)
		}
	}
	for _, leak := range []string{"Birch Secret Labs", b, "Xylem Elsewhere", x, "Cluster Two", c2, `<th scope="row">Liver`} {
		if strings.Contains(page, leak) {
			t.Errorf("manager's dashboard shows %q", leak)
		}
	}
	// Members by region, and every table as CSV for a spreadsheet, of the
	// managed clusters only.
	// In IT: two visible members, Alder's two competencies, Aspen's need.
	if !strings.Contains(page, `<th scope="row">IT</th><td data-label="Members"><meter min="0" max="2" value="2" aria-hidden="true"></meter> 2</td><td data-label="Offers">2</td><td data-label="Needs">1</td><td data-label="Collaborations in the period">0</td>`) {
		t.Error("the manager's dashboard does not count its two visible members, their two offers and one need in IT by region")
	}
	csvText := pageOf(t, manager, s.URL+"/dashboard/export.csv")
	for _, want := range []string{"Table,Item,Count (for terms: offers),Needs", "Members by region (NUTS),IT,2,", "Offers by region (NUTS),IT,2,", "Needs by region (NUTS),IT,1,", "Genomics,1,0"} {
		if !strings.Contains(csvText, want) {
			t.Errorf("the dashboard CSV lacks %q:\n%s", want, csvText)
		}
	}
	for _, leak := range []string{"Liver", "Xylem", "Birch"} {
		if strings.Contains(csvText, leak) {
			t.Errorf("the manager's CSV shows %q", leak)
		}
	}
	// The unmet need drills down to who needs it and who almost offers it,
	// within the cluster.
	if !strings.Contains(page, `href="/dashboard/need/MESH:D008175"`) {
		t.Error("the unmet need does not lead to its drill-down")
	}
	need := pageOf(t, manager, s.URL+"/dashboard/need/MESH:D008175")
	whoNeeds, almost, _ := strings.Cut(need, `id="almost-offers"`)
	if !strings.Contains(whoNeeds, "Aspen Omics") || !strings.Contains(whoNeeds, "Early detection of lung tumours") {
		t.Errorf("who needs it:\n%s", whoNeeds)
	}
	if !strings.Contains(almost, "Alder Bio") || !strings.Contains(almost, "Pulmonary Fibrosis") {
		t.Errorf("who almost offers it:\n%s", almost)
	}
	for _, leak := range []string{"Xylem", "Birch"} {
		if strings.Contains(need, leak) {
			t.Errorf("the drill-down shows %q", leak)
		}
	}
	// A manager of no cluster sees no organisation at all.
	nobody := tokenBrowser(t, s, auth.Principal{Subject: "dash-nobody", Roles: []auth.Role{auth.RoleClusterManager}})
	page = pageOf(t, nobody, s.URL+"/dashboard")
	for _, leak := range []string{"Alder Bio", "Xylem Elsewhere"} {
		if strings.Contains(page, leak) {
			t.Errorf("a manager of no cluster sees %q", leak)
		}
	}
}

// createInCluster creates o, a member of cluster unless it is "".
func createInCluster(t *testing.T, s *stack, admin context.Context, o *profilesv1.Organization, cluster string) string {
	t.Helper()
	if cluster != "" {
		o.ClusterMemberships = []*profilesv1.ClusterMembership{{ClusterId: cluster}}
	}
	res, err := s.Profiles.CreateOrganization(admin, &profilesv1.CreateOrganizationRequest{Organization: o})
	if err != nil {
		t.Fatalf("create %s: %v", o.GetName(), err)
	}
	return res.GetOrganization().GetId()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// countingCompetencies counts the calls the web UI makes to the real
// competencies service that read many competencies, offers or
// collaborations.
type countingCompetencies struct {
	competenciesv1.CompetenciesServiceClient
	collabCalls, compCalls, coopCalls, summaryCalls atomic.Int64
}

func (c *countingCompetencies) ListCompetencies(ctx context.Context, in *competenciesv1.ListCompetenciesRequest, opts ...grpc.CallOption) (*competenciesv1.ListCompetenciesResponse, error) {
	c.compCalls.Add(1)
	return c.CompetenciesServiceClient.ListCompetencies(ctx, in, opts...)
}

func (c *countingCompetencies) ListCooperationProfiles(ctx context.Context, in *competenciesv1.ListCooperationProfilesRequest, opts ...grpc.CallOption) (*competenciesv1.ListCooperationProfilesResponse, error) {
	c.coopCalls.Add(1)
	return c.CompetenciesServiceClient.ListCooperationProfiles(ctx, in, opts...)
}

func (c *countingCompetencies) SummarizeHoldings(ctx context.Context, in *competenciesv1.SummarizeHoldingsRequest, opts ...grpc.CallOption) (*competenciesv1.SummarizeHoldingsResponse, error) {
	c.summaryCalls.Add(1)
	return c.CompetenciesServiceClient.SummarizeHoldings(ctx, in, opts...)
}

func (c *countingCompetencies) ListCollaborations(ctx context.Context, in *competenciesv1.ListCollaborationsRequest, opts ...grpc.CallOption) (*competenciesv1.ListCollaborationsResponse, error) {
	c.collabCalls.Add(1)
	return c.CompetenciesServiceClient.ListCollaborations(ctx, in, opts...)
}

// TestDashboardReadsCollaborationsInOneCall: the dashboard reads the
// collaboration history of all the members of a cluster in one paged call,
// not one call per member, and still finds every link.
func TestDashboardReadsCollaborationsInOneCall(t *testing.T) {
	counter := &countingCompetencies{}
	s := startStack(t, func(o *webui.Options) {
		counter.CompetenciesServiceClient = o.Competencies
		o.Competencies = counter
	})
	admin := s.admin(t)
	org := func(name, cluster string, kind profilesv1.OrganizationKind) string {
		return createInCluster(t, s, admin, &profilesv1.Organization{Name: name, Kind: kind, CountryCode: "IT", NutsCode: "ITH44", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}, cluster)
	}
	cluster := org("Batch Cluster", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER)
	var members []string
	for i := range 30 {
		members = append(members, org(fmt.Sprintf("Member %02d", i), cluster, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY))
	}
	for i := 0; i+1 < len(members); i += 2 {
		ps := []*competenciesv1.CollaborationParticipant{{OrganizationId: members[i]}, {OrganizationId: members[i+1]}}
		eventually(t, "collaboration recorded", func() (bool, string) {
			_, err := s.Comp.PutCollaboration(admin, &competenciesv1.PutCollaborationRequest{Collaboration: &competenciesv1.Collaboration{
				Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: fmt.Sprintf("Pair %d", i), Acronym: fmt.Sprintf("P%02d", i), Year: 2024,
				Source: "test", SourceId: fmt.Sprintf("p%d", i), Participants: ps}})
			return err == nil, errString(err)
		})
	}
	manager := tokenBrowser(t, s, auth.Principal{Subject: "batch-manager", Organization: cluster, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}})
	before := counter.collabCalls.Load()
	page := pageOf(t, manager, s.URL+"/dashboard")
	if n := counter.collabCalls.Load() - before; n != 1 {
		t.Errorf("one dashboard visit made %d ListCollaborations calls for 30 members, want 1", n)
	}
	if !strings.Contains(page, "All 15 links, strongest first") {
		t.Errorf("the dashboard does not list the 15 links of the 30 members:\n%s", page)
	}
}

var (
	coverageRow = regexp.MustCompile(`<a href="/dashboard/need/([^"]+)" class="drill"[^>]*>[^<]*</a></th><td>(\d+)</td><td>(\d+)</td>`)
	regionRow   = regexp.MustCompile(`<th scope="row">ITH44</th><td data-label="Members">.*? (\d+)</td><td data-label="Offers">(\d+)</td><td data-label="Needs">(\d+)</td>`)
	periodFig   = regexp.MustCompile(`<dd id="n-(competencies|offers)">(\d+)</dd>`)
)

// TestDashboardCountsHoldingsInOneCall: a dashboard visit asks the
// competencies service for its members' competencies and offers in one
// summary call, never reading them page by page, and shows the figures
// counted from every page of the list calls as the manager sees them:
// holders per term, offers and needs of the region, competencies and
// offers published in the period; nothing of a hidden member or of
// another cluster.
func TestDashboardCountsHoldingsInOneCall(t *testing.T) {
	counter := &countingCompetencies{}
	s := startStack(t, func(o *webui.Options) {
		counter.CompetenciesServiceClient = o.Competencies
		o.Competencies = counter
	})
	admin := s.admin(t)
	org := func(name, cluster string, vis profilesv1.Visibility) string {
		kind := profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		if cluster == "" {
			kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
		}
		return createInCluster(t, s, admin, &profilesv1.Organization{Name: name, Kind: kind, CountryCode: "IT", NutsCode: "ITH44", Visibility: vis}, cluster)
	}
	pub := profilesv1.Visibility_VISIBILITY_PUBLIC
	cluster := org("Summary Cluster", "", pub)
	elsewhere := org("Other Cluster", "", pub)
	var members []string
	for i := range 6 {
		members = append(members, org(fmt.Sprintf("Holder %02d", i), cluster, pub))
	}
	hidden := org("Hidden Holder", cluster, profilesv1.Visibility_VISIBILITY_HIDDEN)
	outside := org("Outside Holder", elsewhere, pub)
	ref := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	publish := func(holder, term string) {
		eventually(t, "competency published", func() (bool, string) {
			_, err := s.Comp.PublishCompetency(admin, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: ref(holder), TermId: term, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT}})
			return err == nil, errString(err)
		})
	}
	profile := func(holder string, kind competenciesv1.CooperationProfileKind, term string) {
		eventually(t, "cooperation profile created", func() (bool, string) {
			_, err := s.Comp.CreateCooperationProfile(admin, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
				Holder: ref(holder), Kind: kind, Title: "Profile of " + holder, Summary: "A profile.", TermIds: []string{term},
				Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: pub}})
			return err == nil, errString(err)
		})
	}
	request, offer := competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST, competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER
	for i, m := range members {
		publish(m, "EDAM:topic_0622")
		if i < 3 {
			publish(m, "MESH:D011658")
		}
		if i >= 3 {
			profile(m, request, "MESH:D008175")
		}
	}
	profile(members[0], offer, "EDAM:topic_0622")
	publish(hidden, "MESH:D008103")
	profile(hidden, request, "EDAM:topic_0622")
	publish(outside, "MESH:D008103")
	profile(outside, request, "MESH:D011658")

	p := auth.Principal{Subject: "summary-manager", Organization: cluster, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}}
	tok, _, err := s.Authority.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	asManager := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	// What the dashboard counted before: every page of both lists, as the
	// manager sees them, held by the members the profiles service lists.
	inCluster := map[string]bool{}
	orgs, err := s.Profiles.ListOrganizations(asManager, &profilesv1.ListOrganizationsRequest{ClusterId: cluster, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs.GetOrganizations() {
		inCluster[o.GetId()] = true
	}
	type fig struct{ offers, needs int }
	want, seen := map[string]*fig{}, map[string]bool{}
	var region fig
	var comps, coops int
	count := func(holder *profilesv1.ProfileRef, term string, need bool) {
		if k := fmt.Sprint(term, holder.GetOrganizationId(), need); !seen[k] {
			seen[k] = true
			if want[term] == nil {
				want[term] = &fig{}
			}
			if need {
				want[term].needs++
			} else {
				want[term].offers++
			}
		}
	}
	for token := ""; ; {
		res, err := s.Comp.ListCompetencies(asManager, &competenciesv1.ListCompetenciesRequest{PageSize: 5, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.GetCompetencies() {
			if inCluster[c.GetHolder().GetOrganizationId()] {
				comps++
				region.offers++
				count(c.GetHolder(), c.GetTermId(), false)
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for token := ""; ; {
		res, err := s.Comp.ListCooperationProfiles(asManager, &competenciesv1.ListCooperationProfilesRequest{PageSize: 5, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.GetCooperationProfiles() {
			if inCluster[c.GetHolder().GetOrganizationId()] {
				coops++
				need := c.GetKind() == request
				if need {
					region.needs++
				} else {
					region.offers++
				}
				for _, term := range c.GetTermIds() {
					count(c.GetHolder(), term, need)
				}
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if comps != 9 || coops != 4 || len(want) != 3 {
		t.Fatalf("the lists show the manager %d competencies, %d profiles and %d terms, want 9, 4 and 3", comps, coops, len(want))
	}

	manager := tokenBrowser(t, s, p)
	before := [4]int64{counter.compCalls.Load(), counter.coopCalls.Load(), counter.summaryCalls.Load(), counter.collabCalls.Load()}
	page := pageOf(t, manager, s.URL+"/dashboard")
	calls := [4]int64{counter.compCalls.Load() - before[0], counter.coopCalls.Load() - before[1], counter.summaryCalls.Load() - before[2], counter.collabCalls.Load() - before[3]}
	if calls != [4]int64{0, 0, 1, 1} {
		t.Errorf("one visit made %d ListCompetencies, %d ListCooperationProfiles, %d SummarizeHoldings and %d ListCollaborations calls, want 0, 0, 1 and 1", calls[0], calls[1], calls[2], calls[3])
	}
	got := map[string]fig{}
	for _, m := range coverageRow.FindAllStringSubmatch(page, -1) {
		o, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		got[m[1]] = fig{o, n}
	}
	if len(got) != len(want) {
		t.Errorf("the coverage table shows %v, the lists %d terms", got, len(want))
	}
	for term, w := range want {
		if got[term] != *w {
			t.Errorf("%s: the dashboard shows %v offering and needing holders, the lists %v", term, got[term], *w)
		}
	}
	if m := regionRow.FindStringSubmatch(page); m == nil || m[1] != "6" || m[2] != strconv.Itoa(region.offers) || m[3] != strconv.Itoa(region.needs) {
		t.Errorf("the region row is %v, want 6 members, %d offers and %d needs", m, region.offers, region.needs)
	}
	period := map[string]string{}
	for _, m := range periodFig.FindAllStringSubmatch(page, -1) {
		period[m[1]] = m[2]
	}
	if period["competencies"] != strconv.Itoa(comps) || period["offers"] != strconv.Itoa(coops) {
		t.Errorf("published in the period: %v, want %d competencies and %d offers", period, comps, coops)
	}
	for _, leak := range []string{"Hidden Holder", hidden, "Outside Holder", outside, "Liver Cirrhosis"} {
		if strings.Contains(page, leak) {
			t.Errorf("the dashboard shows %q", leak)
		}
	}
}
