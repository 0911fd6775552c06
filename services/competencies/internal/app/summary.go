package app

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/coopkind"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// maxSummaryOrganizations bounds the organisations one summary names.
const maxSummaryOrganizations = 20000

// HoldingsScope is what SummarizeHoldings counts: what Organizations and
// their people hold, or with Every what every holder holds; with Since
// set, also what was published from then on.
type HoldingsScope struct {
	Organizations []string
	Every         bool
	Since         time.Time
}

// SummarizeHoldings counts the competencies and cooperation profiles the
// viewer may see, exactly those ListCompetencies and ListCooperationProfiles
// list without a filter, held in scope: holders per term, offers and needs
// per organisation, publications per month and since sc.Since.
func (s *Service) SummarizeHoldings(v domain.Viewer, sc HoldingsScope, now time.Time) (*competenciesv1.SummarizeHoldingsResponse, error) {
	if !sc.Every && len(sc.Organizations) == 0 {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "organization_ids", Description: "is required unless every_holder is set"})
	}
	if len(sc.Organizations) > maxSummaryOrganizations {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "organization_ids", Description: "at most 20000"})
	}
	inScope := map[string]bool{}
	for _, id := range sc.Organizations {
		inScope[id] = true
	}
	// orgOf is the organisation of a holder as listed ("" for a holder
	// listed under an opaque reference or unknown).
	orgOf := func(r *profilesv1.ProfileRef) string {
		if id := r.GetOrganizationId(); id != "" {
			return id
		}
		if id := r.GetPersonId(); id != "" {
			if h, ok := s.Holders.Cached(domain.HolderRef{Kind: domain.HolderPerson, ID: id}); ok {
				return h.Organization
			}
		}
		return ""
	}
	counted := func(r *profilesv1.ProfileRef) bool { return sc.Every || inScope[orgOf(r)] }
	holderKey := func(r *profilesv1.ProfileRef) string {
		return "org:" + r.GetOrganizationId() + "|person:" + r.GetPersonId()
	}

	terms := map[string]*competenciesv1.TermCoverage{}
	seen := map[string]bool{}
	term := func(id, label string) *competenciesv1.TermCoverage {
		t := terms[id]
		if t == nil {
			t = &competenciesv1.TermCoverage{TermId: id}
			terms[id] = t
		}
		if t.Label == "" || t.Label == id {
			t.Label = cmp.Or(label, id)
		}
		return t
	}
	orgs := map[string]*competenciesv1.OrganizationHoldings{}
	tally := func(r *profilesv1.ProfileRef, need bool) {
		id := orgOf(r)
		if id == "" {
			return
		}
		o := orgs[id]
		if o == nil {
			o = &competenciesv1.OrganizationHoldings{OrganizationId: id}
			orgs[id] = o
		}
		if need {
			o.Needs++
		} else {
			o.Offers++
		}
	}
	compMonths, coopMonths := map[string]int32{}, map[string]int32{}
	dated := func(t time.Time, months map[string]int32, since *int32) {
		t = t.UTC()
		if t.After(now) {
			return
		}
		months[t.Format("2006-01")]++
		if sc.Since.IsZero() || !t.Before(sc.Since) {
			*since++
		}
	}
	out := &competenciesv1.SummarizeHoldingsResponse{}

	comps, _, err := s.ListCompetencies(v, CompetencyFilter{}, math.MaxInt, "")
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		if !counted(c.GetHolder()) {
			continue
		}
		if t := c.GetCreatedAt(); t != nil {
			dated(t.AsTime(), compMonths, &out.CompetenciesSince)
		}
		tally(c.GetHolder(), false)
		if k := "o|" + c.GetTermId() + "|" + holderKey(c.GetHolder()); !seen[k] {
			seen[k] = true
			term(c.GetTermId(), c.GetTerm().GetLabel()).OfferingHolders++
		}
	}
	coops, _, err := s.ListCooperationProfiles(v, CooperationFilter{}, math.MaxInt, "")
	if err != nil {
		return nil, err
	}
	for _, p := range coops {
		if !counted(p.GetHolder()) {
			continue
		}
		if t := cmp.Or(p.GetPublishedAt(), p.GetCreatedAt()); t != nil {
			dated(t.AsTime(), coopMonths, &out.CooperationProfilesSince)
		}
		need := coopkind.IsRequest(p.GetKind())
		tally(p.GetHolder(), need)
		labels := map[string]string{}
		for _, t := range p.GetTerms() {
			labels[t.GetId()] = t.GetLabel()
		}
		side := "o|"
		if need {
			side = "n|"
		}
		for _, id := range p.GetTermIds() {
			k := side + id + "|" + holderKey(p.GetHolder())
			if seen[k] {
				continue
			}
			seen[k] = true
			if need {
				term(id, labels[id]).NeedingHolders++
			} else {
				term(id, labels[id]).OfferingHolders++
			}
		}
	}
	for _, t := range terms {
		out.Terms = append(out.Terms, t)
	}
	slices.SortFunc(out.Terms, func(a, b *competenciesv1.TermCoverage) int { return strings.Compare(a.GetTermId(), b.GetTermId()) })
	for _, o := range orgs {
		out.Organizations = append(out.Organizations, o)
	}
	slices.SortFunc(out.Organizations, func(a, b *competenciesv1.OrganizationHoldings) int {
		return strings.Compare(a.GetOrganizationId(), b.GetOrganizationId())
	})
	out.CompetenciesByMonth = monthCounts(compMonths)
	out.CooperationProfilesByMonth = monthCounts(coopMonths)
	return out, nil
}

func monthCounts(m map[string]int32) []*competenciesv1.MonthCount {
	var out []*competenciesv1.MonthCount
	for month, n := range m {
		out = append(out, &competenciesv1.MonthCount{Month: month, Count: n})
	}
	slices.SortFunc(out, func(a, b *competenciesv1.MonthCount) int { return strings.Compare(a.GetMonth(), b.GetMonth()) })
	return out
}
