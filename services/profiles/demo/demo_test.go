package demo_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
	"github.com/tandem-cluster/tandem/services/profiles/demo"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

func TestGeneratedDataIsValidAndMarked(t *testing.T) {
	rng := rand.New(rand.NewPCG(demo.RandomSeed, demo.RandomSeed))
	names := map[string]bool{}
	for i := range demo.Companies {
		o := demo.Company(rng, i)
		if v := domain.ValidateOrganization("", o); len(v) > 0 {
			t.Errorf("company %d: %v", i, v)
		}
		if !strings.Contains(o.GetName(), "(demo") || !strings.HasPrefix(o.GetDescription(), "Fictional") || !strings.HasSuffix(o.GetWebsite(), ".example") {
			t.Errorf("company %d not marked as fictional: %v", i, o)
		}
		if names[o.GetName()] {
			t.Errorf("company name %q twice", o.GetName())
		}
		names[o.GetName()] = true
	}
	for range 100 {
		id := demo.FictionalORCID(rng)
		if !domain.ValidORCID(id) || !strings.HasPrefix(id, "0000-0000-") {
			t.Errorf("FictionalORCID = %s", id)
		}
	}
	// A fixed seed gives the same data every time.
	a, b := rand.New(rand.NewPCG(demo.RandomSeed, demo.RandomSeed)), rand.New(rand.NewPCG(demo.RandomSeed, demo.RandomSeed))
	if demo.Company(a, 5).GetName() != demo.Company(b, 5).GetName() {
		t.Error("generation is not deterministic")
	}
}

func TestSeedLoadsTheClusterOnceAndAgainIdempotently(t *testing.T) {
	t.Parallel()
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, profiles.Options(cfg))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := demo.SeedAt(ctx, conn.Target(), authtest.Default().Signer)
	if err != nil {
		t.Fatal(err)
	}
	const wantOrgs = 2 + 17 + demo.Companies
	if first.Organizations != wantOrgs || first.People != 8 {
		t.Fatalf("first seed = %+v, want %d organizations and 8 people", first, wantOrgs)
	}
	again, err := demo.SeedAt(ctx, conn.Target(), authtest.Default().Signer)
	if err != nil || again != first {
		t.Fatalf("second seed = %+v, %v; want %+v", again, err, first)
	}
	client := adminClient(t, conn.Target())
	list := func(req *profilesv1.ListOrganizationsRequest) []*profilesv1.Organization {
		req.PageSize = 500
		res, err := client.ListOrganizations(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res.GetOrganizations()
	}
	if n := len(list(&profilesv1.ListOrganizationsRequest{})); n != wantOrgs {
		t.Errorf("%d organizations after two seeds, want %d", n, wantOrgs)
	}
	fvg := list(&profilesv1.ListOrganizationsRequest{ExternalId: demo.MarkerSource + ":cluster-smart-health-fvg"})
	if len(fvg) != 1 {
		t.Fatalf("cluster = %v", fvg)
	}
	if n := len(list(&profilesv1.ListOrganizationsRequest{ClusterId: fvg[0].GetId()})); n != 17+demo.Companies {
		t.Errorf("%d cluster members, want %d", n, 17+demo.Companies)
	}
	byNUTS := map[string]string{"ITH44": "SISSA", "ITH42": "UniUD", "ITH41": "CRO Aviano"}
	for nuts, short := range byNUTS {
		found := false
		for _, o := range list(&profilesv1.ListOrganizationsRequest{NutsPrefixes: []string{nuts}}) {
			found = found || o.GetShortName() == short
		}
		if !found {
			t.Errorf("%s not found in %s", short, nuts)
		}
	}
	if n := len(list(&profilesv1.ListOrganizationsRequest{NutsPrefixes: []string{"ITH43"}})); n == 0 {
		t.Error("no organisation in Gorizia (ITH43)")
	}
}
