package auth

import "slices"

// ManagesAny reports whether p is a cluster manager of one of clusters.
func (p Principal) ManagesAny(clusters []string) bool {
	if !p.Has(RoleClusterManager) {
		return false
	}
	return slices.ContainsFunc(clusters, func(c string) bool { return slices.Contains(p.Clusters, c) })
}

// ActsFor reports whether p may act for organisation org, which belongs to
// clusters: its own members may, so may the managers of one of its clusters,
// and admins. A cluster organisation counts as belonging to itself, which
// the caller includes in clusters.
func (p Principal) ActsFor(org string, clusters []string) bool {
	if p.Has(RoleAdmin) {
		return true
	}
	if org != "" && p.Organization == org {
		return true
	}
	return p.ManagesAny(clusters)
}
