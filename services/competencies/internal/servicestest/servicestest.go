// Package servicestest starts real profiles and competencies services on
// one JetStream for the tests of the imports, with clients that call as an
// administrator. Only test code imports it.
package servicestest

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// Clients call the two services as an administrator.
type Clients struct {
	Profiles     profilesv1.ProfilesServiceClient
	Competencies competenciesv1.CompetenciesServiceClient
}

// Start runs both services until the test ends.
func Start(t testing.TB) Clients {
	t.Helper()
	common := runtimetest.Common(t)
	pcfg := profiles.DefaultConfig()
	pcfg.Common = common
	pcfg.GRPCAddr, pcfg.DebugAddr = "127.0.0.1:0", ""
	ccfg := competencies.DefaultConfig()
	ccfg.Common = common
	ccfg.GRPCAddr, ccfg.DebugAddr = "127.0.0.1:0", ""
	pconn := runtimetest.Start(t, profiles.Options(pcfg))
	cconn := runtimetest.Start(t, competencies.Options(ccfg))
	a := authtest.Default().Signer
	tok, _, err := a.Issue(auth.Principal{Subject: "importer", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(target string) *grpc.ClientConn {
		c, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	return Clients{Profiles: profilesv1.NewProfilesServiceClient(dial(pconn.Target())), Competencies: competenciesv1.NewCompetenciesServiceClient(dial(cconn.Target()))}
}
