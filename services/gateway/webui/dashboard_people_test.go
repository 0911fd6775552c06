package webui_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/webui"
)

// peopleCalls records the ListPeople and ListOrganizations calls the web
// UI makes.
type peopleCalls struct {
	profilesv1.ProfilesServiceClient
	people recorded[*profilesv1.ListPeopleRequest]
	orgs   recorded[*profilesv1.ListOrganizationsRequest]
}

// recorded is the requests of one kind a test's client has made.
type recorded[R any] struct {
	mu    sync.Mutex
	calls []R
}

func (r *recorded[R]) add(in R) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, in)
}

// since returns the calls made after the first n.
func (r *recorded[R]) since(n int) []R {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls[n:])
}

func (r *recorded[R]) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (p *peopleCalls) ListOrganizations(ctx context.Context, in *profilesv1.ListOrganizationsRequest, opts ...grpc.CallOption) (*profilesv1.ListOrganizationsResponse, error) {
	p.orgs.add(in)
	return p.ProfilesServiceClient.ListOrganizations(ctx, in, opts...)
}

func (p *peopleCalls) ListPeople(ctx context.Context, in *profilesv1.ListPeopleRequest, opts ...grpc.CallOption) (*profilesv1.ListPeopleResponse, error) {
	p.people.add(in)
	return p.ProfilesServiceClient.ListPeople(ctx, in, opts...)
}

// TestDashboardReadsOnlyThePeopleItShows: neither the dashboard nor the
// drill-down of a need reads every person of the platform: the dashboard
// asks for no person when no person took part in its activity, and the
// drill-down asks, in one call, for the people among the holders it
// considers, by id; a person of the cluster is still shown as almost
// offering the need, and one of another cluster is not. Nor does the
// drill-down read every member of the managed cluster: it asks, in one
// call, which of the holders' organisations are members, by id.
func TestDashboardReadsOnlyThePeopleItShows(t *testing.T) {
	counter := &peopleCalls{}
	s := startStack(t, func(o *webui.Options) {
		counter.ProfilesServiceClient = o.Profiles
		o.Profiles = counter
	})
	admin := s.admin(t)
	org := func(name, cluster string) string {
		kind := profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		if cluster == "" {
			kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
		}
		return createInCluster(t, s, admin, &profilesv1.Organization{Name: name, Kind: kind, CountryCode: "IT", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}, cluster)
	}
	cluster, elsewhere := org("People Cluster", ""), org("Other People Cluster", "")
	member, outside := org("Maple Medical", cluster), org("Oak Outside", elsewhere)
	// Members that hold nothing, as most of a large cluster's do.
	var bystanders []string
	for i := range 3 {
		bystanders = append(bystanders, org(fmt.Sprintf("Birch Bystander %d", i), cluster))
	}
	person := func(name, orgID string) string {
		res, err := s.Profiles.CreatePerson(admin, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{
			Name: name, OrganizationId: orgID, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetPerson().GetId()
	}
	// People who hold nothing, as most of a large platform's do.
	for i := range 5 {
		person(fmt.Sprintf("Bystander %d", i), member)
	}
	mine, theirs := person("Mara Member", member), person("Otto Outsider", outside)
	retryUntilKnown(t, "request published", func() error {
		_, err := s.Comp.CreateCooperationProfile(admin, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(member), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST, Title: "Early detection of lung tumours",
			Summary: "Wanted: a partner for early detection.", TermIds: []string{"MESH:D008175"},
			Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		return err
	})
	for _, holder := range []string{mine, theirs} {
		retryUntilKnown(t, "close competency published", func() error {
			_, err := s.Comp.PublishCompetency(admin, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: holder}}, TermId: "MESH:D011658",
				Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Description: "Imaging of the fibrotic lung."}})
			return err
		})
	}

	manager := tokenBrowser(t, s, auth.Principal{Subject: "people-manager", Organization: cluster, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}})
	before := counter.people.count()
	page := pageOf(t, manager, s.URL+"/dashboard")
	if !strings.Contains(page, `href="/dashboard/need/MESH:D008175"`) {
		t.Fatalf("the dashboard offers no drill-down of the need:\n%s", page)
	}
	if calls := counter.people.since(before); len(calls) != 0 {
		t.Errorf("a dashboard without any person in its activity made %d ListPeople calls, the first %v; want none", len(calls), calls[0])
	}

	before, beforeOrgs := counter.people.count(), counter.orgs.count()
	need := pageOf(t, manager, s.URL+"/dashboard/need/MESH:D008175")
	calls := counter.people.since(before)
	orgCalls := counter.orgs.since(beforeOrgs)
	if len(orgCalls) != 1 {
		t.Errorf("the drill-down made %d ListOrganizations calls, want 1: %v", len(orgCalls), orgCalls)
	}
	for _, c := range orgCalls {
		if c.GetClusterId() != cluster || len(c.GetIds()) == 0 {
			t.Errorf("the drill-down read the cluster's members (%v), want it to ask for the holders' organisations by id", c)
		}
		if got := slices.Sorted(slices.Values(c.GetIds())); !slices.Equal(got, slices.Sorted(slices.Values([]string{member, outside}))) {
			t.Errorf("the drill-down asked for the organisations %q, want the holders' %q and %q only", got, member, outside)
		}
		for _, b := range bystanders {
			if slices.Contains(c.GetIds(), b) {
				t.Errorf("the drill-down asked for %s, a member that holds nothing", b)
			}
		}
	}
	if len(calls) != 1 {
		t.Fatalf("the drill-down made %d ListPeople calls, want 1", len(calls))
	}
	if got := slices.Sorted(slices.Values(calls[0].GetIds())); !slices.Equal(got, slices.Sorted(slices.Values([]string{mine, theirs}))) {
		t.Errorf("the drill-down asked for the people %q, want the two holders %q and %q only", got, mine, theirs)
	}
	if !strings.Contains(need, "Early detection of lung tumours") {
		t.Errorf("the member's request is not among the needs:\n%s", need)
	}
	_, almost, _ := strings.Cut(need, `id="almost-offers"`)
	if !strings.Contains(almost, "Mara Member") {
		t.Errorf("the member's person does not almost offer the need:\n%s", almost)
	}
	if strings.Contains(need, "Otto Outsider") {
		t.Error("the drill-down shows a person of another cluster")
	}
}
