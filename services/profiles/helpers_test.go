package profiles_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// env is one running profiles service and a way to call it as anyone.
type env struct {
	t     testing.TB
	addr  string
	conn  *grpc.ClientConn
	auth  *auth.Signer
	anon  profilesv1.ProfilesServiceClient
	admin profilesv1.ProfilesServiceClient
	cfg   profiles.Config
}

func start(t testing.TB) *env {
	t.Helper()
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	return startWith(t, cfg)
}

func startWith(t testing.TB, cfg profiles.Config) *env {
	t.Helper()
	conn := runtimetest.Start(t, profiles.Options(cfg))
	a := authtest.Default().Signer
	e := &env{t: t, conn: conn, auth: a, cfg: cfg, addr: conn.Target()}
	e.anon = profilesv1.NewProfilesServiceClient(conn)
	e.admin = e.as(auth.Principal{Subject: "admin-1", Roles: []auth.Role{auth.RoleAdmin}})
	return e
}

// as returns a client that calls with p's token.
func (e *env) as(p auth.Principal) profilesv1.ProfilesServiceClient {
	e.t.Helper()
	tok, _, err := e.auth.Issue(p)
	if err != nil {
		e.t.Fatal(err)
	}
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = conn.Close() })
	return profilesv1.NewProfilesServiceClient(conn)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func code(err error) codes.Code { return status.Code(err) }

func wantCode(t testing.TB, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

// org returns a valid organisation for tests.
func org(name string, clusters ...string) *profilesv1.Organization {
	o := &profilesv1.Organization{
		Kind:        profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
		Name:        name,
		CountryCode: "IT",
		NutsCode:    "ITH44",
		City:        "Trieste",
		Website:     "https://example.org",
		Sectors:     []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOTECHNOLOGY},
		Visibility:  profilesv1.Visibility_VISIBILITY_PUBLIC,
		Contact:     &profilesv1.Contact{Name: "Desk", Email: "desk@example.org", ConsentToShare: true},
	}
	for _, c := range clusters {
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c})
	}
	return o
}

func mustCreateOrg(t testing.TB, c profilesv1.ProfilesServiceClient, o *profilesv1.Organization) *profilesv1.Organization {
	t.Helper()
	res, err := c.CreateOrganization(ctxT(t), &profilesv1.CreateOrganizationRequest{Organization: o})
	if err != nil {
		t.Fatalf("create organization %q: %v", o.GetName(), err)
	}
	return res.GetOrganization()
}

func mustCluster(t testing.TB, e *env, name string) string {
	t.Helper()
	o := org(name)
	o.Kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
	return mustCreateOrg(t, e.admin, o).GetId()
}

// clientAt is an admin client of the service at addr.
func clientAt(t testing.TB, addr string) profilesv1.ProfilesServiceClient {
	t.Helper()
	e := &env{t: t, addr: addr}
	a := authtest.Default().Signer
	e.auth = a
	return e.as(auth.Principal{Subject: "admin-1", Roles: []auth.Role{auth.RoleAdmin}})
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }
