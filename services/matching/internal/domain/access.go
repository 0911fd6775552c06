package domain

import (
	"slices"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Sees reports whether v may see candidate r: it is known, and its
// visibility lets v see it. Callers answer the same for both failures, so
// a hidden profile cannot be told apart from a missing one.
func (x *Index) Sees(v Viewer, r Ref) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, ok := x.byRef[r]
	if !ok {
		return false
	}
	return x.visible(v, x.cands[i])
}

// OrgClusters are the clusters organisation id belongs to, a cluster
// organisation counting as a member of itself; ok is false when the
// organisation is unknown.
func (x *Index) OrgClusters(id string) (clusters []string, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	o := x.orgs[id]
	if o == nil {
		return nil, false
	}
	clusters = slices.Clone(o.Clusters)
	if o.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
		clusters = append(clusters, o.ID)
	}
	return clusters, true
}

// Anonymous reports whether candidate r is known and anonymous, with the
// id of its organization.
func (x *Index) Anonymous(r Ref) (org string, anonymous bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, ok := x.byRef[r]
	if !ok {
		return "", false
	}
	c := x.cands[i]
	return c.orgID, c.vis == profilesv1.Visibility_VISIBILITY_ANONYMOUS
}
