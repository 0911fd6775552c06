package webui_test

import (
	"strings"
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestMarketplaceFiltersBySectorAndRegion: in Chromium, in Italian, a
// member filters the marketplace by the holder's NACE sector (a division
// takes in its classes, and no other division) and region (a NUTS prefix,
// down to the country), together; a code that is not NACE is refused
// beside its field. The page passes axe-core.
func TestMarketplaceFiltersBySectorAndRegion(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	admin := s.admin(t)
	org := func(name, nuts string, nace ...string) string {
		res, err := s.Profiles.CreateOrganization(admin, &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: nuts[:2], NutsCode: nuts, NaceCodes: nace,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetOrganization().GetId()
	}
	offer := func(holder, title string) { publishOffer(t, s, admin, holder, title) }
	offer(org("Trieste R&D Lab (test)", "ITH44", "72.11"), "Assay development in Trieste")
	offer(org("Udine Pharma (test)", "ITH42", "21.20"), "Tablet formulation in Udine")
	offer(org("Vienna R&D (test)", "AT130", "72.19"), "Screening platform in Vienna")
	offer(org("Trieste Services (test)", "ITH44", "70.10"), "Not NACE 72 in Trieste")

	m := newUser(t, root, s.URL, "member")
	m.signIn("company")
	m.open("/lang/it?next=%2Fmarketplace")
	titles := func() string { return m.text("main") }
	m.click("details.filters summary")
	m.typeInto("#f-nace", "72")
	m.submit("#market-search")
	m.mustSucceed("filtering by sector")
	if got := titles(); !strings.Contains(got, "Assay development in Trieste") || !strings.Contains(got, "Screening platform in Vienna") ||
		strings.Contains(got, "Tablet formulation") || strings.Contains(got, "Not NACE 72") {
		t.Errorf("NACE 72 lists:\n%s", got)
	}
	m.typeInto("#f-nuts", "IT")
	m.submit("#market-search")
	if got := titles(); !strings.Contains(got, "Assay development in Trieste") || strings.Contains(got, "Vienna") || strings.Contains(got, "Udine") {
		t.Errorf("NACE 72 in Italy lists:\n%s", got)
	}
	m.typeInto("#f-nace", "21.2")
	m.typeInto("#f-nuts", "ITH4")
	m.submit("#market-search")
	if got := titles(); !strings.Contains(got, "Tablet formulation in Udine") || strings.Contains(got, "Assay development") {
		t.Errorf("NACE 21.2 in ITH4 lists:\n%s", got)
	}
	m.accessible()
	m.shot("marketplace-nace-it")
	m.typeInto("#f-nace", "R-S")
	m.submit("#market-search")
	m.expect("#e-nace", "deve essere un codice NACE")
	m.accessible()
}
