package webui

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/coopkind"
)

// A need in the coverage table opens its drill-down: who needs the term
// (requests tagged with it) and who almost offers it (competencies and
// offers in its broader terms and their other narrower ones), within the
// clusters the manager manages.

type needRow struct {
	Title, Holder, Href, Term string
}

type needView struct {
	Term     *competenciesv1.Term
	Needs    []needRow
	Almost   []needRow
	Problems []*problem
}

func (u *UI) dashboardNeed(c *call) error {
	if !c.user.Is("cluster_manager") {
		return status.Error(codes.PermissionDenied, c.L.T("error.permission"))
	}
	ctx, cancel := c.ctx()
	defer cancel()
	term, err := u.opts.Competencies.GetTerm(ctx, &competenciesv1.GetTermRequest{Id: c.r.PathValue("term")})
	if err != nil {
		return err
	}
	v := needView{Term: term.GetTerm()}
	note := func(err error) {
		if err != nil {
			v.Problems = append(v.Problems, problemFrom(c.L, err))
		}
	}
	// The candidates first, then the scope of their holders: the people
	// among them are looked up, not every person.
	reqs, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{TermIds: []string{v.Term.GetId()}, PageSize: 200})
	note(err)
	var needs, almost []*competenciesv1.CooperationProfile
	for _, p := range reqs.GetCooperationProfiles() {
		if coopkind.IsRequest(p.GetKind()) {
			needs = append(needs, p)
		}
	}
	var comps []*competenciesv1.Competency
	for _, parent := range v.Term.GetParentIds() {
		cs, err := u.opts.Competencies.ListCompetencies(ctx, &competenciesv1.ListCompetenciesRequest{TermId: parent, IncludeDescendants: true, PageSize: 200})
		note(err)
		for _, comp := range cs.GetCompetencies() {
			if comp.GetTermId() != v.Term.GetId() {
				comps = append(comps, comp)
			}
		}
		offers, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{TermIds: []string{parent}, PageSize: 200})
		note(err)
		for _, p := range offers.GetCooperationProfiles() {
			if !coopkind.IsRequest(p.GetKind()) && !slices.Contains(p.GetTermIds(), v.Term.GetId()) {
				almost = append(almost, p)
			}
		}
	}
	holders := func() []*profilesv1.ProfileRef {
		var refs []*profilesv1.ProfileRef
		for _, p := range append(slices.Clip(needs), almost...) {
			refs = append(refs, p.GetHolder())
		}
		for _, comp := range comps {
			refs = append(refs, comp.GetHolder())
		}
		return refs
	}
	inScope, err := u.managedScope(ctx, c, holders())
	note(err)
	outOfScope := func(p *competenciesv1.CooperationProfile) bool { return !inScope(p.GetHolder()) }
	needs, almost = slices.DeleteFunc(needs, outOfScope), slices.DeleteFunc(almost, outOfScope)
	comps = slices.DeleteFunc(comps, func(comp *competenciesv1.Competency) bool { return !inScope(comp.GetHolder()) })
	names := c.names(holders())
	row := func(title string, holder *profilesv1.ProfileRef, terms []*competenciesv1.TermRef) needRow {
		r := needRow{Title: title, Holder: c.nameOr(names, holder), Href: profileHref(holder)}
		if names[profileKey(holder)] == "" {
			r.Href = ""
		}
		for _, t := range terms {
			if r.Term == "" {
				r.Term = c.L.TermLabel(t)
			}
		}
		return r
	}
	for _, p := range needs {
		v.Needs = append(v.Needs, row(p.GetTitle(), p.GetHolder(), nil))
	}
	for _, comp := range comps {
		v.Almost = append(v.Almost, row(comp.GetDescription(), comp.GetHolder(), []*competenciesv1.TermRef{comp.GetTerm()}))
	}
	for _, p := range almost {
		v.Almost = append(v.Almost, row(p.GetTitle(), p.GetHolder(), p.GetTerms()))
	}
	return c.renderNamed("dashboard_need", c.L.T("dashboard.need_title", c.L.TermLabel(v.Term)), v)
}

// managedScope says which of holders a cluster manager's dashboard counts:
// organisations of the managed clusters and their people; an admin's
// counts everyone. It asks, per managed cluster, which of the holders'
// organisations are members, by id, rather than reading every member.
func (u *UI) managedScope(ctx context.Context, c *call, holders []*profilesv1.ProfileRef) (func(*profilesv1.ProfileRef) bool, error) {
	if c.user.Has("admin") {
		return func(*profilesv1.ProfileRef) bool { return true }, nil
	}
	orgOf, firstErr := u.personOrganizations(ctx, holders)
	var orgIDs []string
	seen := map[string]bool{}
	for _, r := range holders {
		id := r.GetOrganizationId()
		if p := r.GetPersonId(); p != "" {
			id = orgOf[p]
		}
		if id != "" && !seen[id] {
			seen[id] = true
			orgIDs = append(orgIDs, id)
		}
	}
	member := map[string]bool{}
	for _, cluster := range c.user.Clusters {
		orgs, err := u.membersAmong(ctx, cluster, orgIDs)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		for _, o := range orgs {
			member[o.GetId()] = true
		}
	}
	return func(r *profilesv1.ProfileRef) bool {
		if id := r.GetPersonId(); id != "" {
			return member[orgOf[id]]
		}
		return member[r.GetOrganizationId()]
	}, firstErr
}
