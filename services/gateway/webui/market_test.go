package webui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestMarketplaceFiltersEveryListing: the region filter finds a listing
// however many newer listings come before it (it used to see the first 100
// only), and the marketplace pages its results, keeping the filters.
func TestMarketplaceFiltersEveryListing(t *testing.T) {
	s := startStack(t)
	admin := s.admin(t)
	org := func(name, nuts string) string {
		res, err := s.Profiles.CreateOrganization(admin, &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: "IT", NutsCode: nuts, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetOrganization().GetId()
	}
	offer := func(holder, title string) { publishOffer(t, s, admin, holder, title) }
	pordenone, milan := org("Pordenone Probes (test)", "ITH41"), org("Milano Many Offers (test)", "ITC4C")
	offer(pordenone, "The oldest listing, in Pordenone")
	for i := range 110 {
		offer(milan, fmt.Sprintf("Newer listing %03d", i))
	}
	reader := tokenBrowser(t, s, auth.Principal{Subject: "market-reader", Roles: []auth.Role{auth.RoleMember}})

	page := pageOf(t, reader, s.URL+"/marketplace?nuts=ITH41")
	if !strings.Contains(page, "The oldest listing, in Pordenone") || strings.Contains(page, "Newer listing") {
		t.Errorf("filtered by ITH41 the marketplace shows the wrong listings:\n%s", listingTitles(page))
	}
	page = pageOf(t, reader, s.URL+"/marketplace")
	if n := strings.Count(page, `class="card listing"`); n != 25 {
		t.Errorf("the first page lists %d, want 25", n)
	}
	if !strings.Contains(page, "1–25 of 111") || !strings.Contains(page, `href="/marketplace?page=2"`) {
		t.Errorf("no count or link to the next page:\n%s", listingTitles(page))
	}
	page = pageOf(t, reader, s.URL+"/marketplace?"+url.Values{"q": {"listing"}, "page": {"5"}}.Encode())
	if !strings.Contains(page, "101–111 of 111") || !strings.Contains(page, "The oldest listing, in Pordenone") ||
		!strings.Contains(page, `href="/marketplace?page=4&amp;q=listing"`) {
		t.Errorf("the last page of a search:\n%s", listingTitles(page))
	}
}

func listingTitles(page string) string {
	var out []string
	for _, part := range strings.Split(page, "<h3>")[1:] {
		title, _, _ := strings.Cut(part, "</h3>")
		out = append(out, title)
	}
	return strings.Join(out, "\n")
}

// publishOffer publishes a public technology offer of holder as an admin,
// once the competencies service knows the holder.
func publishOffer(t *testing.T, s *stack, admin context.Context, holder, title string) {
	t.Helper()
	retryUntilKnown(t, "offer "+title, func() error {
		_, err := s.Comp.CreateCooperationProfile(admin, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(holder), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
			Title: title, Summary: "An offer of the test.", Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		return err
	})
}
