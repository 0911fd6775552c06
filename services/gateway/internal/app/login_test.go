package app_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
)

func authority(t *testing.T) *auth.Authority {
	t.Helper()
	a, err := auth.NewAuthority([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDemoLogin(t *testing.T) {
	a := authority(t)
	d, err := app.NewDemoLogin(a, app.DefaultDemoUsers())
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]auth.Role{
		"admin": auth.RoleAdmin, "cluster-manager": auth.RoleClusterManager, "organizer": auth.RoleOrganizer,
		"company": auth.RoleMember, "researcher": auth.RoleMember,
	}
	for _, u := range d.Users() {
		tok, err := d.Login(u.Username)
		if err != nil {
			t.Fatalf("login %s: %v", u.Username, err)
		}
		p, err := a.Verify(tok.Token)
		if err != nil {
			t.Fatalf("token of %s does not verify: %v", u.Username, err)
		}
		if p.Subject != u.Principal.Subject || !p.Has(roles[u.Username]) || !tok.ExpiresAt.After(time.Now()) {
			t.Errorf("login %s: principal %+v, expires %v", u.Username, p, tok.ExpiresAt)
		}
	}
	if got := len(d.Users()); got != len(roles) {
		t.Errorf("%d demo users, want %d", got, len(roles))
	}
	for _, name := range []string{"company", "researcher"} {
		tok, _ := d.Login(name)
		if tok.Principal.Organization == "" {
			t.Errorf("%s belongs to no organisation", name)
		}
	}

	_, err = d.Login("mallory")
	var ve *grpcerr.ValidationError
	if !errors.As(err, &ve) || ve.Violations[0].Field != "username" {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestNewDemoLoginRejectsBadUsers(t *testing.T) {
	a := authority(t)
	dup := slices.Concat(app.DefaultDemoUsers(), app.DefaultDemoUsers()[:1])
	for name, users := range map[string][]app.DemoUser{
		"duplicate":  dup,
		"no subject": {{Username: "x"}},
		"no name":    {{Principal: auth.Principal{Subject: "s"}}},
	} {
		if _, err := app.NewDemoLogin(a, users); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
