package app

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
	"github.com/tandem-cluster/tandem/services/profiles/demo"
)

// startProfiles runs a real profiles service and returns a client with an
// admin context for checking what it holds.
func startProfiles(t *testing.T, a *auth.Signer) (profilesv1.ProfilesServiceClient, context.Context) {
	t.Helper()
	c := profiles.DefaultConfig()
	c.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, profiles.Options(c))
	tok, _, err := a.Issue(auth.Principal{Subject: DemoLoader, Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return profilesv1.NewProfilesServiceClient(conn), metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func byExternalID(t *testing.T, ctx context.Context, pc profilesv1.ProfilesServiceClient, slug string) []*profilesv1.Organization {
	t.Helper()
	res, err := pc.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: DemoSource + ":" + slug, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetOrganizations()
}

// comparable strips what the profiles service assigns and what depends on
// other organisations' ids.
func comparable(o *profilesv1.Organization) *profilesv1.Organization {
	o = proto.CloneOf(o)
	o.Id, o.Version, o.CreatedAt, o.UpdatedAt, o.ClusterMemberships, o.ExternalIds = "", 0, nil, nil, nil, nil
	if o.Contact != nil {
		o.Contact.ConsentUpdatedAt = nil
	}
	return o
}

// TestDemoLoginOnAnEmptySystem logs every demo user in against a profiles
// service without demo data: the login creates the organisations, exactly
// as the demo data does, and a seeding run afterwards adds no second copy.
func TestDemoLoginOnAnEmptySystem(t *testing.T) {
	t.Parallel()
	a := authtest.Default()
	pc, admin := startProfiles(t, a.Signer)
	d, err := NewDemoLogin(a.Signer, pc, DefaultDemoUsers())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]auth.Principal{}
	for _, u := range d.Users() {
		tok, err := d.Login(context.Background(), u.Username)
		if err != nil || tok.Degraded != nil {
			t.Fatalf("login %s: %v %v", u.Username, err, tok.Degraded)
		}
		p, err := a.Verifier.Verify(context.Background(), tok.Token)
		if err != nil {
			t.Fatalf("token of %s does not verify: %v", u.Username, err)
		}
		if p.Subject != u.Subject || !slices.Equal(p.Roles, u.Roles) || !tok.ExpiresAt.After(time.Now()) {
			t.Errorf("login %s: principal %+v, expires %v", u.Username, p, tok.ExpiresAt)
		}
		got[u.Username] = p
	}
	if p := got["admin"]; p.Organization != "" || len(p.Clusters) != 0 {
		t.Errorf("admin principal %+v, want no organisation", p)
	}
	smart := byExternalID(t, admin, pc, SlugSmartHealth)
	alisei := byExternalID(t, admin, pc, "cluster-alisei")
	if len(smart) != 1 || len(alisei) != 1 {
		t.Fatalf("clusters after login: %d smart health, %d alisei", len(smart), len(alisei))
	}
	for _, name := range []string{"cluster-manager", "organizer"} {
		if p := got[name]; p.Organization != smart[0].GetId() || !slices.Equal(p.Clusters, []string{smart[0].GetId(), alisei[0].GetId()}) {
			t.Errorf("%s: %+v, want organisation and first cluster %s", name, p, smart[0].GetId())
		}
	}
	for name, slug := range map[string]string{"company": SlugCompany, "researcher": SlugResearch} {
		orgs := byExternalID(t, admin, pc, slug)
		if p := got[name]; len(orgs) != 1 || p.Organization != orgs[0].GetId() || !slices.Equal(p.Clusters, []string{smart[0].GetId()}) {
			t.Errorf("%s: %+v, organisations %v", name, p, orgs)
		}
	}
	if id, err := FindPerson(admin, pc, "demo-researcher", got["researcher"].Organization); err != nil || id == "" {
		t.Errorf("researcher person = %q, %v", id, err)
	}

	// Logging in again finds what the first login made.
	again, err := d.Login(context.Background(), "researcher")
	if err != nil || again.Principal.Organization != got["researcher"].Organization {
		t.Errorf("second login %+v, %v", again.Principal, err)
	}
	people, err := pc.ListPeople(admin, &profilesv1.ListPeopleRequest{OrganizationId: got["researcher"].Organization})
	if err != nil || len(people.GetPeople()) != 1 {
		t.Errorf("researcher's organisation has %d people (%v), want 1", len(people.GetPeople()), err)
	}

	// The demo data finds the organisations the logins made.
	if _, err := demo.Seed(admin, pc); err != nil {
		t.Fatal(err)
	}
	for slug := range demoOrganizations {
		if orgs := byExternalID(t, admin, pc, slug); len(orgs) != 1 {
			t.Errorf("%s: %d organisations after seeding, want 1", slug, len(orgs))
		}
	}
}

// TestDemoOrganisationsMatchTheDemoData fails when the profiles service's
// demo data changes an organisation the demo login would otherwise create
// differently.
func TestDemoOrganisationsMatchTheDemoData(t *testing.T) {
	t.Parallel()
	a := authtest.Default()
	pc, admin := startProfiles(t, a.Signer)
	if _, err := demo.Seed(admin, pc); err != nil {
		t.Fatal(err)
	}
	for slug, tmpl := range demoOrganizations {
		orgs := byExternalID(t, admin, pc, slug)
		if len(orgs) != 1 {
			t.Fatalf("%s: %d organisations in the demo data, want 1", slug, len(orgs))
		}
		want := comparable(orgs[0])
		if got := comparable(tmpl.organization()); !proto.Equal(got, want) {
			t.Errorf("%s differs from the demo data:\n got %v\nwant %v", slug, got, want)
		}
		if n := len(orgs[0].GetClusterMemberships()); n != len(tmpl.memberOf) {
			t.Errorf("%s: %d cluster memberships in the demo data, template has %d", slug, n, len(tmpl.memberOf))
		}
	}
}

func TestUnknownDemoUser(t *testing.T) {
	t.Parallel()
	d, err := NewDemoLogin(authtest.Default().Signer, profilesv1.NewProfilesServiceClient(unreachable(t)), DefaultDemoUsers())
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Login(context.Background(), "mallory")
	var ve *grpcerr.ValidationError
	if !errors.As(err, &ve) || ve.Violations[0].Field != "username" {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestDemoLoginWithoutProfiles: when the profiles service is down, users
// still sign in, without an organisation, and the token says so.
func TestDemoLoginWithoutProfiles(t *testing.T) {
	t.Parallel()
	a := authtest.Default()
	d, err := NewDemoLogin(a.Signer, profilesv1.NewProfilesServiceClient(unreachable(t)), DefaultDemoUsers())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := d.Login(context.Background(), "company")
	if err != nil || tok.Degraded == nil || tok.Principal.Organization != "" || tok.Principal.Subject != "demo-company-member" {
		t.Fatalf("login without profiles: %+v, %v", tok, err)
	}
	if _, err := a.Verifier.Verify(context.Background(), tok.Token); err != nil {
		t.Fatal(err)
	}
}

func unreachable(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestNewDemoLoginRejectsBadUsers(t *testing.T) {
	t.Parallel()
	a := authtest.Default()
	pc := profilesv1.NewProfilesServiceClient(unreachable(t))
	dup := slices.Concat(DefaultDemoUsers(), DefaultDemoUsers()[:1])
	for name, users := range map[string][]DemoUser{
		"duplicate":            dup,
		"no subject":           {{Username: "x"}},
		"no name":              {{Subject: "s"}},
		"unknown organisation": {{Username: "x", Subject: "s", Organization: "nowhere"}},
	} {
		if _, err := NewDemoLogin(a.Signer, pc, users); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
