package demo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/competencies/demo"
	"github.com/tandem-cluster/tandem/services/profiles"
	profilesdemo "github.com/tandem-cluster/tandem/services/profiles/demo"
)

// TestSeed loads the profiles demo data, then the competencies demo twice:
// the first run publishes, the second changes nothing, and the liver
// foundation holds its fields.
func TestSeed(t *testing.T) {
	pc := profiles.DefaultConfig()
	pc.Common = runtimetest.Common(t)
	cc := competencies.DefaultConfig()
	cc.Common = runtimetest.Common(t)
	cc.NATSURL = pc.NATSURL
	paddr := runtimetest.Start(t, profiles.Options(pc)).Target()
	caddr := runtimetest.Start(t, competencies.Options(cc)).Target()
	key := authtest.Default().Signer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if _, err := profilesdemo.SeedAt(ctx, paddr, key); err != nil {
		t.Fatal(err)
	}
	first, err := demo.SeedAt(ctx, caddr, paddr, key)
	if err != nil {
		t.Fatal(err)
	}
	if first.Competencies < 150 || first.Changed != first.Competencies || first.Offers < 100 {
		t.Fatalf("first seed = %+v; want at least 150 competencies, all new, and 100 offers", first)
	}
	again, err := demo.SeedAt(ctx, caddr, paddr, key)
	if err != nil {
		t.Fatal(err)
	}
	if first.Collaborations != len(demo.DemoProjects)+3 || first.HistoryChanged < first.Collaborations {
		t.Fatalf("first seed = %+v; want the demo projects and the 3 CORDIS projects, all new", first)
	}
	if again.Changed != 0 || again.Competencies != first.Competencies || again.Offers != first.Offers ||
		again.HistoryChanged != 0 || again.Collaborations != first.Collaborations {
		t.Fatalf("second seed = %+v after %+v; want nothing changed", again, first)
	}

	tok, _, err := key.Issue(auth.Principal{Subject: "test-admin", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(addr string) *grpc.ClientConn {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	orgs, err := profilesv1.NewProfilesServiceClient(dial(paddr)).ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "tandem-demo:fif"})
	if err != nil || len(orgs.GetOrganizations()) != 1 {
		t.Fatalf("the liver foundation: %v, %v", orgs, err)
	}
	list, err := competenciesv1.NewCompetenciesServiceClient(dial(caddr)).ListCompetencies(ctx, &competenciesv1.ListCompetenciesRequest{
		Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgs.GetOrganizations()[0].GetId()}}})
	if err != nil {
		t.Fatal(err)
	}
	var terms []string
	for _, c := range list.GetCompetencies() {
		terms = append(terms, c.GetTermId())
	}
	if !slices.Contains(terms, "MESH:D005234") { // Fatty Liver
		t.Fatalf("the liver foundation holds %v, want Fatty Liver among them", terms)
	}

	// History: the liver foundation's demo projects, and SISSA's real EU
	// projects attached to its demo profile, not to a second SISSA.
	comps := competenciesv1.NewCompetenciesServiceClient(dial(caddr))
	history := func(slug string) []string {
		t.Helper()
		orgs, err := profilesv1.NewProfilesServiceClient(dial(paddr)).ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "tandem-demo:" + slug})
		if err != nil || len(orgs.GetOrganizations()) != 1 {
			t.Fatalf("%s: %v %v", slug, orgs, err)
		}
		l, err := comps.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationId: orgs.GetOrganizations()[0].GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var acronyms []string
		for _, c := range l.GetCollaborations() {
			acronyms = append(acronyms, c.GetAcronym())
		}
		slices.Sort(acronyms)
		return acronyms
	}
	if got := history("fif"); !slices.Equal(got, []string{"HEPA-MARK", "TRANSLIVER"}) {
		t.Errorf("the liver foundation's projects: %v", got)
	}
	if got := history("sissa"); !slices.Contains(got, "EUROHEADPAIN") || !slices.Contains(got, "LEARN2SEE") || !slices.Contains(got, "STRUCT-FVG") {
		t.Errorf("SISSA's projects: %v", got)
	}
	if got := history("units"); !slices.Contains(got, "RegHealth-RI") {
		t.Errorf("the University of Trieste's projects: %v", got)
	}
}
