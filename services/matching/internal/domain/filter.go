package domain

import (
	"errors"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// exclusion says why a candidate may not be suggested to this query, or "".
func (x *Index) exclusion(q Query, p *profile, d *cand) string {
	id := d.ref.ID
	if d.idx == p.selfIdx || d.orgN == p.orgN {
		return "the seeker itself"
	}
	if !x.visible(q.Viewer, d) {
		return "filtered: not visible to you"
	}
	if why, ok := q.Dismissed[id]; ok {
		return why
	}
	f := q.Filter
	switch f.CandidateType {
	case matchingv1.CandidateType_CANDIDATE_TYPE_PERSON:
		if d.ref.Kind != KindPerson {
			return "filtered: candidate type"
		}
	case matchingv1.CandidateType_CANDIDATE_TYPE_ANY:
	default:
		if d.ref.Kind != KindOrg {
			return "filtered: candidate type"
		}
	}
	o := d.org
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, d.kind) {
		return "filtered: organization kind"
	}
	if len(f.Sectors) > 0 && !slices.ContainsFunc(o.Sectors, func(s profilesv1.Sector) bool { return slices.Contains(f.Sectors, s) }) {
		return "filtered: sector"
	}
	if len(f.NUTSPrefixes) > 0 && !slices.ContainsFunc(f.NUTSPrefixes, func(pfx string) bool { return strings.HasPrefix(o.NUTS, pfx) }) {
		return "filtered: region"
	}
	if len(f.Countries) > 0 && !slices.Contains(f.Countries, o.Country) {
		return "filtered: country"
	}
	if len(f.Clusters) > 0 && !slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(f.Clusters, c) }) {
		return "filtered: cluster"
	}
	if len(f.CollaborationTypes) > 0 && !slices.ContainsFunc(f.CollaborationTypes, func(c competenciesv1.CollaborationType) bool { return d.collab[c] }) {
		return "filtered: collaboration type"
	}
	if f.MinTRL > 0 && d.maxTRL < f.MinTRL {
		return "filtered: technology readiness below the minimum"
	}
	if len(f.CandidateIDs) > 0 && !slices.Contains(f.CandidateIDs, id) {
		return "filtered: not among the requested candidates"
	}
	if slices.Contains(f.ExcludeIDs, id) {
		return "filtered: excluded by the request"
	}
	if f.EventID != "" && !x.attends(f.EventID, d) {
		return "filtered: not registered for the brokerage event"
	}
	if f.ExcludeExistingPartners && (q.Partners[id] || d.ref.Kind == KindOrg && p.partners[d.orgN] > 0) {
		return "filtered: already a partner"
	}
	return ""
}

// visibilityOf works out a candidate's effective visibility from its
// entities, when its document is made: its visibility after its
// organization's, as a person is never more visible than the organization
// they belong to.
func visibilityOf(d *cand) profilesv1.Visibility {
	o := d.org
	if o == nil {
		return profilesv1.Visibility_VISIBILITY_HIDDEN
	}
	ov := o.Visibility
	if ov == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		ov = profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
	}
	if d.ref.Kind == KindOrg {
		return ov
	}
	pv := d.person.Visibility
	if pv == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		return ov
	}
	// The more restrictive wins; the enum is ordered public < cluster < anonymous < hidden.
	return max(pv, ov)
}

// visible applies visibility: hidden never, cluster-members-only only to
// callers whose organization shares a cluster, anonymous to everyone.
func (x *Index) visible(v Viewer, d *cand) bool {
	switch d.vis {
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return false
	case profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS:
		if v.Admin || v.Org == d.orgID {
			return true
		}
		// The viewer's clusters and its organization's are checked in turn
		// rather than joined: joining allocated once per candidate.
		o := d.org
		if slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(v.Clusters, c) }) {
			return true
		}
		if vo := x.orgs[v.Org]; vo != nil {
			return slices.ContainsFunc(o.Clusters, func(c string) bool { return slices.Contains(vo.Clusters, c) })
		}
		return false
	}
	return true
}

// IsNotFound reports whether err is a not-found of the seeker or candidate.
func IsNotFound(err error) bool { return errors.Is(err, grpcerr.ErrNotFound) }
