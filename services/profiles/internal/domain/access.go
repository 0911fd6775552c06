package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Viewer is who reads or changes a profile.
type Viewer struct {
	Subject      string
	Organization string
	Admin        bool
	// Manages are the clusters the viewer manages (cluster managers only).
	Manages []string
	// Clusters are the clusters the viewer belongs to, for "cluster members only".
	Clusters []string

	principal auth.Principal
}

// ViewerOf derives a Viewer from an authenticated principal. orgClusters are
// the clusters the principal's organisation is a member of, so a membership
// added after the token was issued counts at once.
func ViewerOf(p auth.Principal, orgClusters []string) Viewer {
	v := Viewer{Subject: p.Subject, Organization: p.Organization, Admin: p.Has(auth.RoleAdmin), principal: p}
	clusters := slices.Concat(p.Clusters, orgClusters)
	if p.Organization != "" {
		// A cluster body's own staff belong to the cluster they run.
		clusters = append(clusters, p.Organization)
	}
	slices.Sort(clusters)
	v.Clusters = slices.Compact(clusters)
	if p.Has(auth.RoleClusterManager) {
		v.Manages = slices.Clone(p.Clusters)
	}
	return v
}

// OrgClusters are the clusters o belongs to; a cluster organisation belongs
// to itself, so its members may see it when it is "cluster members only".
func OrgClusters(o *profilesv1.Organization) []string {
	ids := make([]string, 0, len(o.GetClusterMemberships())+1)
	for _, m := range o.GetClusterMemberships() {
		ids = append(ids, m.GetClusterId())
	}
	if o.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
		ids = append(ids, o.GetId())
	}
	return ids
}

func shares(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// ownsOrg: the organisation's own members and admins see and edit everything of it.
func (v Viewer) ownsOrg(orgID string) bool {
	return v.Admin || (v.Organization != "" && v.Organization == orgID)
}

func (v Viewer) managesOrg(o *profilesv1.Organization) bool {
	return v.principal.ManagesAny(OrgClusters(o))
}

// EffectiveOrgVisibility is what an organisation's visibility means when unset.
func EffectiveOrgVisibility(vis profilesv1.Visibility) profilesv1.Visibility {
	if vis == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		return profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
	}
	return vis
}

// EffectivePersonVisibility is a person's own visibility, or its
// organisation's when unset.
func EffectivePersonVisibility(p *profilesv1.Person, org *profilesv1.Organization) profilesv1.Visibility {
	if vis := p.GetVisibility(); vis != profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		return vis
	}
	return EffectiveOrgVisibility(org.GetVisibility())
}

// Access is how much of a profile a viewer may see.
type Access int

// Levels of Access.
const (
	AccessNone      Access = iota // not at all
	AccessAnonymous               // without identity or contacts
	AccessShared                  // everything but contacts without consent
	AccessFull                    // everything: owners and admins
)

// OrgAccess decides how much of o v may see, without copying anything, so
// lists can filter before they build views.
func (v Viewer) OrgAccess(o *profilesv1.Organization) Access {
	if v.ownsOrg(o.GetId()) {
		return AccessFull
	}
	return v.shared(EffectiveOrgVisibility(o.GetVisibility()), o)
}

func (v Viewer) shared(vis profilesv1.Visibility, org *profilesv1.Organization) Access {
	switch vis {
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return AccessNone
	case profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS:
		if !shares(v.Clusters, OrgClusters(org)) {
			return AccessNone
		}
	case profilesv1.Visibility_VISIBILITY_ANONYMOUS:
		return AccessAnonymous
	}
	return AccessShared
}

// OrgView returns o as v may see it, or false when v may not see it at all.
// It never modifies o.
func (v Viewer) OrgView(o *profilesv1.Organization) (*profilesv1.Organization, bool) {
	return v.OrgViewAt(o, v.OrgAccess(o))
}

// OrgViewAt builds the view of o for an access level from OrgAccess.
func (v Viewer) OrgViewAt(o *profilesv1.Organization, a Access) (*profilesv1.Organization, bool) {
	switch a {
	case AccessNone:
		return nil, false
	case AccessFull:
		return o, true
	}
	out := proto.CloneOf(o)
	if a == AccessAnonymous {
		out.Name, out.ShortName, out.Website, out.Contact, out.ExternalIds = "", "", "", nil, nil
		out.Description = Withhold(out.GetDescription(), o.GetName(), o.GetShortName())
		out.Redacted = true
	}
	if c := out.GetContact(); c != nil && !c.GetConsentToShare() {
		out.Contact = nil
		out.Redacted = true
	}
	return out, true
}

// PersonAccess decides how much of p (of organisation org, nil when
// unknown) v may see.
func (v Viewer) PersonAccess(p *profilesv1.Person, org *profilesv1.Organization) Access {
	if v.ownsOrg(p.GetOrganizationId()) || v.isPerson(p) {
		return AccessFull
	}
	if org == nil {
		return AccessNone
	}
	return v.shared(EffectivePersonVisibility(p, org), org)
}

// PersonView returns p as v may see it, or false when v may not see it. org
// is p's organisation (nil when unknown, which hides the person from all but
// admins, its organisation's members and the person themself).
func (v Viewer) PersonView(p *profilesv1.Person, org *profilesv1.Organization) (*profilesv1.Person, bool) {
	return v.PersonViewAt(p, v.PersonAccess(p, org))
}

// PersonViewAt builds the view of p for an access level from PersonAccess.
func (v Viewer) PersonViewAt(p *profilesv1.Person, a Access) (*profilesv1.Person, bool) {
	switch a {
	case AccessNone:
		return nil, false
	case AccessFull:
		return p, true
	}
	out := proto.CloneOf(p)
	// The account link is an internal identifier, never shown to others.
	out.Subject = ""
	if a == AccessAnonymous {
		out.Name, out.Orcid, out.Contact = "", "", nil
		out.Bio = Withhold(out.GetBio(), p.GetName())
		out.Redacted = true
	}
	if c := out.GetContact(); c != nil && !c.GetConsentToShare() {
		out.Contact = nil
		out.Redacted = true
	}
	return out, true
}

func (v Viewer) isPerson(p *profilesv1.Person) bool {
	return v.Subject != "" && p.GetSubject() == v.Subject
}

// CanCreateOrg decides whether v may create o. Admins may create anything;
// cluster managers may create organisations inside the clusters they manage
// (every membership of o must be one of theirs); nobody else may.
func (v Viewer) CanCreateOrg(o *profilesv1.Organization) error {
	if v.Admin {
		return nil
	}
	if len(v.Manages) == 0 {
		return fmt.Errorf("%w: only admins and cluster managers create organizations", grpcerr.ErrPermission)
	}
	if o.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
		return fmt.Errorf("%w: only admins create clusters", grpcerr.ErrPermission)
	}
	clusters := OrgClusters(o)
	if len(clusters) == 0 {
		return fmt.Errorf("%w: a cluster manager's organization must be a member of a cluster they manage", grpcerr.ErrPermission)
	}
	for _, c := range clusters {
		if !slices.Contains(v.Manages, c) {
			return fmt.Errorf("%w: cluster %s is not managed by %s", grpcerr.ErrPermission, c, v.Subject)
		}
	}
	return nil
}

// CanEditOrg decides whether v may change cur into next (next nil: erase).
// Members edit their own organisation but not its cluster memberships nor its
// kind; cluster managers edit organisations of their clusters and may add or
// remove only memberships of clusters they manage; admins edit everything.
func (v Viewer) CanEditOrg(cur, next *profilesv1.Organization) error {
	if v.Admin {
		return nil
	}
	own := v.Organization != "" && v.Organization == cur.GetId()
	managed := v.managesOrg(cur)
	if !own && !managed {
		return fmt.Errorf("%w: %s may not change organization %s", grpcerr.ErrPermission, v.Subject, cur.GetId())
	}
	if next == nil {
		return nil
	}
	if next.GetKind() != cur.GetKind() && (next.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER || cur.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER) {
		return fmt.Errorf("%w: only admins make or unmake clusters", grpcerr.ErrPermission)
	}
	before, after := membershipSet(cur), membershipSet(next)
	for id := range symmetricDiff(before, after) {
		if !slices.Contains(v.Manages, id) {
			return fmt.Errorf("%w: membership of cluster %s is managed by that cluster's managers", grpcerr.ErrPermission, id)
		}
	}
	return nil
}

// CanEditPerson decides whether v may change or erase person p of
// organisation org: its organisation's members, the person themself, managers
// of the organisation's clusters and admins may.
func (v Viewer) CanEditPerson(p *profilesv1.Person, org *profilesv1.Organization) error {
	if v.isPerson(p) || v.principal.ActsFor(p.GetOrganizationId(), OrgClusters(org)) {
		return nil
	}
	return fmt.Errorf("%w: %s may not change person %s", grpcerr.ErrPermission, v.Subject, p.GetId())
}

// CanCreatePerson decides whether v may add a person to org.
func (v Viewer) CanCreatePerson(org *profilesv1.Organization) error {
	if v.principal.ActsFor(org.GetId(), OrgClusters(org)) {
		return nil
	}
	return fmt.Errorf("%w: %s may not add people to organization %s", grpcerr.ErrPermission, v.Subject, org.GetId())
}

func membershipSet(o *profilesv1.Organization) map[string]bool {
	m := map[string]bool{}
	for _, c := range o.GetClusterMemberships() {
		m[c.GetClusterId()] = true
	}
	return m
}

func symmetricDiff(a, b map[string]bool) map[string]bool {
	d := map[string]bool{}
	for k := range a {
		if !b[k] {
			d[k] = true
		}
	}
	for k := range b {
		if !a[k] {
			d[k] = true
		}
	}
	return d
}

// WithheldName stands in an anonymous profile's texts for its own name.
const WithheldName = "[name withheld]"

// Withhold replaces the names in text, in any letter case, so an anonymous
// profile's description does not name it. Names shorter than three
// characters are left, as they would blank out ordinary words.
func Withhold(text string, names ...string) string {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) < 3 {
			continue
		}
		text = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(n)).ReplaceAllLiteralString(text, WithheldName)
	}
	return text
}
