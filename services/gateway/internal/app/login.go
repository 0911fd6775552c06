// Package app holds the gateway's own use cases: the demo login of
// `tandem dev`, shared by the API's POST /v1/auth/login and the web UI's
// sign-in page. Everything else the gateway does is forwarding.
package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// DemoSource is the external-id source of the demo organisations of the
// profiles service's demo data.
const DemoSource = "tandem-demo"

// DemoLoader is the subject the demo data is loaded as (the services' demo
// SeedAt). The profiles service scopes client request ids per caller, so
// the login creates missing demo organisations as the same caller, and a
// seeding run finds them instead of making second copies.
const DemoLoader = "system:demo"

// DemoUser is a user of the demo data one can log in as without a password.
type DemoUser struct {
	// Username is what the API login and the sign-in page send, e.g. "company".
	Username string
	// Name is the person shown on the sign-in page.
	Name        string
	Description string
	Subject     string
	Roles       []auth.Role
	// Organization is the slug of the user's demo organisation, found by
	// its external id "tandem-demo:<slug>" at each login; empty: none.
	Organization string
	// Person also gives the user a person profile in that organisation,
	// linked to Subject (created at login when missing).
	Person bool
}

// ExternalID is the external id of the user's organisation ("" without one).
func (u DemoUser) ExternalID() string {
	if u.Organization == "" {
		return ""
	}
	return DemoSource + ":" + u.Organization
}

// Slugs of the demo organisations the demo users belong to.
const (
	SlugSmartHealth = "cluster-smart-health-fvg"
	SlugCompany     = "company-026"
	SlugResearch    = "units"
)

// DefaultDemoUsers are one user per kind of Tandem user, each in an
// organisation of the profiles service's demo data.
func DefaultDemoUsers() []DemoUser {
	return []DemoUser{
		{Username: "admin", Name: "Admin", Description: "platform administrator",
			Subject: "demo-admin", Roles: []auth.Role{auth.RoleAdmin}},
		{Username: "cluster-manager", Name: "Chiara Ferrari", Description: "manager of the Smart Health FVG cluster",
			Subject: "demo-cluster-manager", Roles: []auth.Role{auth.RoleClusterManager}, Organization: SlugSmartHealth},
		{Username: "organizer", Name: "Marco Esposito", Description: "organiser of the Smart Health FVG brokerage events",
			Subject: "demo-organizer", Roles: []auth.Role{auth.RoleOrganizer}, Organization: SlugSmartHealth},
		{Username: "company", Name: "Giulia Rossi", Description: "member of a biotech and diagnostics company looking for partners",
			Subject: "demo-company-member", Roles: []auth.Role{auth.RoleMember}, Organization: SlugCompany},
		{Username: "researcher", Name: "Laura Bianchi", Description: "researcher of the University of Trieste publishing competencies",
			Subject: "demo-researcher", Roles: []auth.Role{auth.RoleMember}, Organization: SlugResearch, Person: true},
	}
}

// Token is a signed bearer token and what it stands for.
type Token struct {
	Token     string
	ExpiresAt time.Time
	Principal auth.Principal
	// Degraded, when set, says why the token was issued without the user's
	// organisation.
	Degraded error
}

// DemoLogin issues tokens for demo users. Nil means demo login is off.
type DemoLogin struct {
	authority *auth.Signer
	profiles  profilesv1.ProfilesServiceClient
	users     []DemoUser
}

// NewDemoLogin checks the users (unique, non-empty usernames and subjects,
// organisations the gateway can create when missing). profiles is where
// their organisations are looked up.
func NewDemoLogin(a *auth.Signer, profiles profilesv1.ProfilesServiceClient, users []DemoUser) (*DemoLogin, error) {
	if a == nil || profiles == nil {
		return nil, errors.New("demo login: signer and profiles client are required")
	}
	seen := map[string]bool{}
	for _, u := range users {
		if u.Username == "" || u.Subject == "" {
			return nil, fmt.Errorf("demo user %+v: username and subject are required", u)
		}
		if seen[u.Username] {
			return nil, fmt.Errorf("demo user %q defined twice", u.Username)
		}
		if _, ok := demoOrganizations[u.Organization]; u.Organization != "" && !ok {
			return nil, fmt.Errorf("demo user %q: no demo organisation %q", u.Username, u.Organization)
		}
		seen[u.Username] = true
	}
	return &DemoLogin{authority: a, profiles: profiles, users: slices.Clone(users)}, nil
}

// Users lists the demo users in their configured order.
func (d *DemoLogin) Users() []DemoUser { return slices.Clone(d.users) }

// User returns the demo user with that username.
func (d *DemoLogin) User(username string) (DemoUser, bool) {
	i := slices.IndexFunc(d.users, func(u DemoUser) bool { return u.Username == username })
	if i < 0 {
		return DemoUser{}, false
	}
	return d.users[i], true
}

// Login issues a token for the demo user with that username. Its principal
// carries the id of the user's organisation as the profiles service holds
// it and the clusters that organisation belongs to (the cluster itself for
// a cluster body); the organisation is created when the demo data lacks it,
// so the login also works on an empty system. When the profiles service
// cannot be reached, the user still logs in, without an organisation:
// signing in must not depend on every service being up.
func (d *DemoLogin) Login(ctx context.Context, username string) (Token, error) {
	u, ok := d.User(username)
	if !ok {
		names := make([]string, len(d.users))
		for j, u := range d.users {
			names[j] = u.Username
		}
		return Token{}, grpcerr.Invalid(grpcerr.Violation{
			Field:       "username",
			Description: fmt.Sprintf("no demo user %q; use one of: %s", username, strings.Join(names, ", ")),
		})
	}
	p, degraded := d.principal(ctx, u)
	if degraded != nil {
		if c := status.Code(degraded); c != codes.Unavailable && c != codes.DeadlineExceeded && !errors.Is(degraded, context.DeadlineExceeded) {
			return Token{}, fmt.Errorf("login %s: %w", username, degraded)
		}
		p = auth.Principal{Subject: u.Subject, Roles: slices.Clone(u.Roles)}
	}
	tok, exp, err := d.authority.Issue(p)
	if err != nil {
		return Token{}, fmt.Errorf("login %s: %w", username, err)
	}
	return Token{Token: tok, ExpiresAt: exp, Principal: p, Degraded: degraded}, nil
}

// principal resolves u's organisation, clusters and person through the
// profiles service, calling as a platform administrator.
func (d *DemoLogin) principal(ctx context.Context, u DemoUser) (auth.Principal, error) {
	p := auth.Principal{Subject: u.Subject, Roles: slices.Clone(u.Roles)}
	if u.Organization == "" {
		return p, nil
	}
	tok, _, err := d.authority.Issue(auth.Principal{Subject: DemoLoader, Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		return p, err
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	org, err := d.ensureOrg(ctx, u.Organization, 0)
	if err != nil {
		return p, err
	}
	p.Organization = org.GetId()
	if org.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
		p.Clusters = append(p.Clusters, org.GetId())
	}
	for _, m := range org.GetClusterMemberships() {
		if id := m.GetClusterId(); id != "" && !slices.Contains(p.Clusters, id) {
			p.Clusters = append(p.Clusters, id)
		}
	}
	if u.Person {
		if err := d.ensurePerson(ctx, u, org.GetId()); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ensureOrg finds the demo organisation by its external id, or creates it
// (after the clusters it belongs to) with the client request id the demo
// data uses, so a seeding run after a login, or logins side by side, find
// the one organisation instead of making another.
func (d *DemoLogin) ensureOrg(ctx context.Context, slug string, depth int) (*profilesv1.Organization, error) {
	extID := DemoSource + ":" + slug
	res, err := d.profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: extID, PageSize: 1})
	if err != nil {
		return nil, fmt.Errorf("find demo organisation %s: %w", extID, err)
	}
	if orgs := res.GetOrganizations(); len(orgs) > 0 {
		if orgs[0].GetId() == "" {
			return nil, fmt.Errorf("find demo organisation %s: the profiles service answered without an id", extID)
		}
		return orgs[0], nil
	}
	tmpl, ok := demoOrganizations[slug]
	if !ok || depth > len(demoOrganizations) {
		return nil, fmt.Errorf("demo organisation %s: %w", extID, grpcerr.ErrNotFound)
	}
	o := tmpl.organization()
	for _, parent := range tmpl.memberOf {
		c, err := d.ensureOrg(ctx, parent, depth+1)
		if err != nil {
			return nil, err
		}
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c.GetId()})
	}
	o.ExternalIds = map[string]string{DemoSource: slug}
	created, err := d.profiles.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: o, ClientRequestId: "demo:organization:" + slug})
	if err != nil {
		return nil, fmt.Errorf("create demo organisation %s: %w", extID, err)
	}
	return created.GetOrganization(), nil
}

func (d *DemoLogin) ensurePerson(ctx context.Context, u DemoUser, orgID string) error {
	if id, err := FindPerson(ctx, d.profiles, u.Subject, orgID); err != nil || id != "" {
		return err
	}
	_, err := d.profiles.CreatePerson(ctx, &profilesv1.CreatePersonRequest{
		Person: &profilesv1.Person{
			OrganizationId: orgID, Name: u.Name, Role: "Principal investigator", Subject: u.Subject,
			Bio: "Fictional person of the Tandem demo data: works on liver fibrosis biomarkers and RNA-seq data analysis.",
		},
		ClientRequestId: "demo:person:" + u.Subject,
	})
	if status.Code(err) == codes.NotFound {
		return nil // erased since an earlier login: it stays erased
	}
	if err != nil {
		return fmt.Errorf("create demo person %s: %w", u.Subject, err)
	}
	return nil
}

// FindPerson returns the id of the person profile linked to subject among
// orgID's people, "" when there is none.
func FindPerson(ctx context.Context, profiles profilesv1.ProfilesServiceClient, subject, orgID string) (string, error) {
	token := ""
	for range 20 {
		res, err := profiles.ListPeople(ctx, &profilesv1.ListPeopleRequest{OrganizationId: orgID, PageSize: 500, PageToken: token})
		if err != nil {
			return "", err
		}
		for _, p := range res.GetPeople() {
			if p.GetSubject() == subject {
				return p.GetId(), nil
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	return "", nil
}
