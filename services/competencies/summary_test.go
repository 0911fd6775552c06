package competencies_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// summaryFromLists counts what the paged lists show a caller, held by
// orgs and their people (known maps a person to its organisation), as a
// dashboard counted it before SummarizeHoldings: the figures the summary
// must give.
func summaryFromLists(t *testing.T, c competenciesv1.CompetenciesServiceClient, orgs []string, known map[string]string, since time.Time) *competenciesv1.SummarizeHoldingsResponse {
	t.Helper()
	orgOf := func(r *profilesv1.ProfileRef) string { return cmp.Or(r.GetOrganizationId(), known[r.GetPersonId()]) }
	inScope := func(r *profilesv1.ProfileRef) bool { return slices.Contains(orgs, orgOf(r)) }
	out := &competenciesv1.SummarizeHoldingsResponse{}
	terms, byOrg := map[string]*competenciesv1.TermCoverage{}, map[string]*competenciesv1.OrganizationHoldings{}
	seen := map[string]bool{}
	months := [2]map[string]int32{{}, {}}
	note := func(r *profilesv1.ProfileRef, side string, at *timestamppb.Timestamp, which int) {
		o := byOrg[orgOf(r)]
		if o == nil {
			o = &competenciesv1.OrganizationHoldings{OrganizationId: orgOf(r)}
			byOrg[orgOf(r)] = o
		}
		if which == 1 && side == "n" {
			o.Needs++
		} else {
			o.Offers++
		}
		months[which][at.AsTime().UTC().Format("2006-01")]++
		if !at.AsTime().Before(since) {
			if which == 0 {
				out.CompetenciesSince++
			} else {
				out.CooperationProfilesSince++
			}
		}
	}
	cover := func(r *profilesv1.ProfileRef, side, term, label string) {
		k := side + term + r.String()
		if seen[k] {
			return
		}
		seen[k] = true
		tc := terms[term]
		if tc == nil {
			tc = &competenciesv1.TermCoverage{TermId: term, Label: label}
			terms[term] = tc
		}
		if side == "n" {
			tc.NeedingHolders++
		} else {
			tc.OfferingHolders++
		}
	}
	for token := ""; ; {
		res, err := c.ListCompetencies(ctx(t), &competenciesv1.ListCompetenciesRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, comp := range res.GetCompetencies() {
			if inScope(comp.GetHolder()) {
				note(comp.GetHolder(), "o", comp.GetCreatedAt(), 0)
				cover(comp.GetHolder(), "o", comp.GetTermId(), comp.GetTerm().GetLabel())
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for token := ""; ; {
		res, err := c.ListCooperationProfiles(ctx(t), &competenciesv1.ListCooperationProfilesRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.GetCooperationProfiles() {
			if !inScope(p.GetHolder()) {
				continue
			}
			side := "o"
			if strings.Contains(p.GetKind().String(), "REQUEST") || strings.Contains(p.GetKind().String(), "SEARCH") {
				side = "n"
			}
			note(p.GetHolder(), side, cmp.Or(p.GetPublishedAt(), p.GetCreatedAt()), 1)
			for _, tr := range p.GetTerms() {
				cover(p.GetHolder(), side, tr.GetId(), tr.GetLabel())
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for _, tc := range terms {
		out.Terms = append(out.Terms, tc)
	}
	slices.SortFunc(out.Terms, func(a, b *competenciesv1.TermCoverage) int { return strings.Compare(a.GetTermId(), b.GetTermId()) })
	for _, o := range byOrg {
		out.Organizations = append(out.Organizations, o)
	}
	slices.SortFunc(out.Organizations, func(a, b *competenciesv1.OrganizationHoldings) int {
		return strings.Compare(a.GetOrganizationId(), b.GetOrganizationId())
	})
	for i, m := range months {
		var list []*competenciesv1.MonthCount
		for month, n := range m {
			list = append(list, &competenciesv1.MonthCount{Month: month, Count: n})
		}
		if i == 0 {
			out.CompetenciesByMonth = list
		} else {
			out.CooperationProfilesByMonth = list
		}
	}
	return out
}

// TestSummarizeHoldingsCountsWhatTheListsShow: for a cluster manager, a
// member, an outsider and an admin, SummarizeHoldings gives the figures
// counted from every page of ListCompetencies and ListCooperationProfiles
// (holders per term, offers and needs per organisation with its people,
// per month and since a time): a hidden member, an anonymous one, drafts
// and another cluster's organisation count exactly as the lists show them.
func TestSummarizeHoldingsCountsWhatTheListsShow(t *testing.T) {
	t.Parallel()
	e := start(t)
	id := func(p string) string { return p + ulid.Make().String()[:10] }
	pub, hidden, anon, other, person := id("A"), id("H"), id("N"), id("X"), id("P")
	e.organization(pub, 1, profilesv1.Visibility_VISIBILITY_PUBLIC, "fvg")
	e.organization(hidden, 1, profilesv1.Visibility_VISIBILITY_HIDDEN, "fvg")
	e.organization(anon, 1, profilesv1.Visibility_VISIBILITY_ANONYMOUS, "fvg")
	e.organization(other, 1, profilesv1.Visibility_VISIBILITY_PUBLIC, "elsewhere")
	e.person(person, pub, 1)
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	for _, r := range []*profilesv1.ProfileRef{orgRef(pub), orgRef(hidden), orgRef(anon), orgRef(other), personRef(person)} {
		waitHolder(t, admin, r)
	}
	for _, c := range []struct {
		holder *profilesv1.ProfileRef
		term   string
	}{{orgRef(pub), "EDAM:topic_0622"}, {personRef(person), "EDAM:topic_0622"}, {personRef(person), "MESH:D011658"},
		{orgRef(hidden), "EDAM:topic_0622"}, {orgRef(anon), "EDAM:topic_3170"}, {orgRef(other), "MESH:D008103"}} {
		if _, err := admin.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: c.holder, TermId: c.term, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT}}); err != nil {
			t.Fatal(err)
		}
	}
	published, draft := competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT
	offer, request := competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER, competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST
	for _, p := range []struct {
		holder *profilesv1.ProfileRef
		kind   competenciesv1.CooperationProfileKind
		status competenciesv1.CooperationProfileStatus
		terms  []string
	}{
		{orgRef(pub), offer, published, []string{"EDAM:topic_0622", "MESH:D008103"}},
		{personRef(person), request, published, []string{"MESH:D008175"}},
		{orgRef(pub), request, draft, []string{"MESH:D008175", "EDAM:topic_3170"}},
		{orgRef(anon), request, published, []string{"MESH:D008175"}},
		{orgRef(hidden), offer, published, []string{"MESH:D008175"}},
		{orgRef(other), request, published, []string{"EDAM:topic_0622"}},
	} {
		if _, err := admin.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: p.holder, Kind: p.kind, Status: p.status, Title: "Profile", Summary: "A profile.", TermIds: p.terms,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}}); err != nil {
			t.Fatal(err)
		}
	}
	members := []string{pub, hidden, anon}
	known := map[string]string{person: pub}
	for _, c := range []struct {
		name  string
		as    auth.Principal
		every bool
	}{
		{"the cluster's manager", auth.Principal{Subject: "cm", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"fvg"}}, false},
		{"a member", auth.Principal{Subject: "alice", Organization: pub, Clusters: []string{"fvg"}}, false},
		{"an outsider", auth.Principal{Subject: "olga", Organization: "OTHER"}, false},
		{"an admin", auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}, false},
		{"an admin, every holder", auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := e.client(c.as)
			orgs := members
			if c.every {
				orgs = []string{pub, hidden, anon, other}
			}
			for _, since := range []time.Time{{}, time.Now().Add(time.Hour)} {
				want := summaryFromLists(t, cl, orgs, known, since)
				req := &competenciesv1.SummarizeHoldingsRequest{OrganizationIds: members, EveryHolder: c.every}
				if c.every {
					req.OrganizationIds = nil
				}
				if !since.IsZero() {
					req.Since = timestamppb.New(since)
				}
				got, err := cl.SummarizeHoldings(ctx(t), req)
				if err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(got, want) {
					t.Errorf("since %v:\nsummary %v\nlists   %v", since, got, want)
				}
			}
		})
	}
	// The manager's figures (waitHolder published each holder's Genomics):
	// the three members and the person; not the other cluster's.
	cm := e.client(auth.Principal{Subject: "cm", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"fvg"}})
	got, err := cm.SummarizeHoldings(ctx(t), &competenciesv1.SummarizeHoldingsRequest{OrganizationIds: members})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range got.GetTerms() {
		if tc.GetTermId() == "EDAM:topic_0622" && tc.GetOfferingHolders() != 4 {
			t.Errorf("Genomics offered by %d holders, want 4 (the members and the person): %v", tc.GetOfferingHolders(), got)
		}
		if tc.GetTermId() == "MESH:D008175" && tc.GetNeedingHolders() != 3 {
			t.Errorf("the need in MESH:D008175 counts %d holders, want 3 (the member, its person, the anonymous member)", tc.GetNeedingHolders())
		}
	}
	if _, err := cm.SummarizeHoldings(ctx(t), &competenciesv1.SummarizeHoldingsRequest{}); err == nil {
		t.Error("a summary of nobody was answered")
	}
}
