// Package app holds the gateway's own use cases: the demo login of
// `tandem dev`. Everything else the gateway does is forwarding.
package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// DemoUser is a user of the demo data one can log in as without a password.
type DemoUser struct {
	Username    string
	Description string
	Principal   auth.Principal
}

// DefaultDemoUsers are one user per kind of Tandem user. `tandem dev` may
// replace them with users tied to the organisations its demo data loads.
func DefaultDemoUsers() []DemoUser {
	return []DemoUser{
		{Username: "admin", Description: "platform administrator",
			Principal: auth.Principal{Subject: "demo-admin", Roles: []auth.Role{auth.RoleAdmin}}},
		{Username: "cluster-manager", Description: "manager of the Smart Health cluster",
			Principal: auth.Principal{Subject: "demo-cluster-manager", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"smart-health"}}},
		{Username: "organizer", Description: "organiser of brokerage events",
			Principal: auth.Principal{Subject: "demo-organizer", Roles: []auth.Role{auth.RoleOrganizer}, Clusters: []string{"smart-health"}}},
		{Username: "company", Description: "member of a biotech company looking for partners",
			Principal: auth.Principal{Subject: "demo-company-member", Organization: "demo-company", Roles: []auth.Role{auth.RoleMember}, Clusters: []string{"smart-health"}}},
		{Username: "researcher", Description: "researcher of a research institute publishing competencies",
			Principal: auth.Principal{Subject: "demo-researcher", Organization: "demo-institute", Roles: []auth.Role{auth.RoleMember}, Clusters: []string{"smart-health"}}},
	}
}

// Token is a signed bearer token and what it stands for.
type Token struct {
	Token     string
	ExpiresAt time.Time
	Principal auth.Principal
}

// DemoLogin issues tokens for demo users. Nil means demo login is off.
type DemoLogin struct {
	authority *auth.Authority
	users     []DemoUser
}

// NewDemoLogin checks the users (unique, non-empty usernames and subjects).
func NewDemoLogin(a *auth.Authority, users []DemoUser) (*DemoLogin, error) {
	seen := map[string]bool{}
	for _, u := range users {
		if u.Username == "" || u.Principal.Subject == "" {
			return nil, fmt.Errorf("demo user %+v: username and subject are required", u)
		}
		if seen[u.Username] {
			return nil, fmt.Errorf("demo user %q defined twice", u.Username)
		}
		seen[u.Username] = true
	}
	return &DemoLogin{authority: a, users: slices.Clone(users)}, nil
}

// Users lists the demo users in their configured order.
func (d *DemoLogin) Users() []DemoUser { return slices.Clone(d.users) }

// Login issues a token for the demo user with that username.
func (d *DemoLogin) Login(username string) (Token, error) {
	i := slices.IndexFunc(d.users, func(u DemoUser) bool { return u.Username == username })
	if i < 0 {
		names := make([]string, len(d.users))
		for j, u := range d.users {
			names[j] = u.Username
		}
		return Token{}, grpcerr.Invalid(grpcerr.Violation{
			Field:       "username",
			Description: fmt.Sprintf("no demo user %q; use one of: %s", username, strings.Join(names, ", ")),
		})
	}
	p := d.users[i].Principal
	tok, exp, err := d.authority.Issue(p)
	if err != nil {
		return Token{}, fmt.Errorf("login %s: %w", username, err)
	}
	return Token{Token: tok, ExpiresAt: exp, Principal: p}, nil
}
