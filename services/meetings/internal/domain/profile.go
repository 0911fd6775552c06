package domain

import (
	"slices"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// AnonymousLabel is what others see of a participant whose profile is
// anonymous: it takes part and can be met, but without its identity.
const AnonymousLabel = "Anonymous participant"

// Profile is what the meetings service knows of an organisation or a
// person, learnt from the profiles service's events: enough to name a
// participant and to decide who may see that name.
type Profile struct {
	// Key is ProfileKey of the profile's reference: "org:<id>" or "person:<id>".
	Key string `json:"key"`
	// Name is the full, unredacted name; never shown without NameFor.
	Name       string                `json:"name,omitempty"`
	Visibility profilesv1.Visibility `json:"vis,omitempty"`
	// Organization is a person's organisation; an organisation's own id.
	Organization string `json:"org,omitempty"`
	// Subject is the account a person signs in with.
	Subject string `json:"sub,omitempty"`
	// Clusters are an organisation's clusters (a cluster body belongs to
	// itself), for "cluster members only".
	Clusters []string `json:"clusters,omitempty"`
	Version  int64    `json:"v"`
	// Erased profiles keep only their key and version, so that nothing
	// brings them back and their participants stay withdrawn.
	Erased bool `json:"erased,omitempty"`
}

// OrgProfile builds the profile of an upserted organisation.
func OrgProfile(o *profilesv1.Organization, id string, version int64) Profile {
	clusters := make([]string, 0, len(o.GetClusterMemberships())+1)
	for _, m := range o.GetClusterMemberships() {
		clusters = append(clusters, m.GetClusterId())
	}
	if o.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
		clusters = append(clusters, id)
	}
	return Profile{Key: "org:" + id, Name: o.GetName(), Visibility: o.GetVisibility(), Organization: id, Clusters: clusters, Version: version}
}

// PersonProfile builds the profile of an upserted person.
func PersonProfile(p *profilesv1.Person, id string, version int64) Profile {
	return Profile{Key: "person:" + id, Name: p.GetName(), Visibility: p.GetVisibility(), Organization: p.GetOrganizationId(), Subject: p.GetSubject(), Version: version}
}

// Newer reports whether next should replace cur (ok: cur exists): events
// applied twice or out of order change nothing, and nothing but another
// erase touches an erased profile.
func Newer(cur Profile, ok bool, next Profile) bool {
	switch {
	case !ok:
		return true
	case cur.Erased:
		return false
	case next.Erased:
		return true
	}
	return next.Version > cur.Version
}

// Profiles looks profiles up by key.
type Profiles func(key string) (Profile, bool)

// Placeholder names a profile the service has not heard of yet by its
// reference, which the caller is shown anyway.
func Placeholder(ref *profilesv1.ProfileRef) string {
	if id := ref.GetOrganizationId(); id != "" {
		return "Organization " + id
	}
	return "Person " + ref.GetPersonId()
}

// NameFor is the name viewer may see for the profile ref, following the
// profiles service's rules: owners and admins see it; others see it when
// it is public or shares a cluster with them ("cluster members only"), see
// AnonymousLabel when it is anonymous, and nothing ("") when it is hidden,
// erased, or of a cluster they are not in. A person without a visibility of
// their own has their organisation's.
func NameFor(viewer Principal, ref *profilesv1.ProfileRef, lookup Profiles) string {
	name, _ := Disclose(viewer, ref, lookup)
	return name
}

// Disclose is NameFor that also says whether viewer may know who ref is:
// false for hidden, anonymous, erased and unknown profiles and for those of
// clusters viewer is not in, so lists leave them out and views drop their ids.
func Disclose(viewer Principal, ref *profilesv1.ProfileRef, lookup Profiles) (name string, identified bool) {
	prof, ok := lookup(ProfileKey(ref))
	if !ok {
		return Placeholder(ref), false
	}
	if prof.Erased {
		return "", false
	}
	isPerson := ref.GetPersonId() != ""
	if viewer.Admin || (viewer.Organization != "" && viewer.Organization == prof.Organization) ||
		(isPerson && viewer.Subject != "" && (viewer.Subject == prof.Subject || viewer.Subject == ref.GetPersonId())) {
		return prof.Name, true
	}
	vis, clusters := prof.Visibility, prof.Clusters
	if isPerson {
		org, ok := lookup("org:" + prof.Organization)
		if !ok || org.Erased {
			return "", false // the profiles service hides a person of an unknown organisation too
		}
		clusters = org.Clusters
		if vis == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
			vis = org.Visibility
		}
	}
	switch vis {
	case profilesv1.Visibility_VISIBILITY_PUBLIC:
		return prof.Name, true
	case profilesv1.Visibility_VISIBILITY_ANONYMOUS:
		return AnonymousLabel, false
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return "", false
	}
	// Cluster members only, also when unset (the profiles service's default).
	mine := slices.Clone(viewer.Clusters)
	if viewer.Organization != "" {
		mine = append(mine, viewer.Organization) // a cluster body's staff belong to their cluster
		if own, ok := lookup("org:" + viewer.Organization); ok {
			mine = append(mine, own.Clusters...)
		}
	}
	for _, c := range clusters {
		if slices.Contains(mine, c) {
			return prof.Name, true
		}
	}
	return "", false
}
