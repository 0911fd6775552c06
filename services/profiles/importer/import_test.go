package importer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
	"github.com/tandem-cluster/tandem/services/profiles/importer"
)

// startService runs the profiles service and returns an admin client.
func startService(t testing.TB) profilesv1.ProfilesServiceClient {
	t.Helper()
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, profiles.Options(cfg))
	a := authtest.Default().Signer
	tok, _, err := a.Issue(auth.Principal{Subject: "importer", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := grpc.NewClient(conn.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return profilesv1.NewProfilesServiceClient(c)
}

func countOrgs(t testing.TB, c profilesv1.ProfilesServiceClient) int {
	t.Helper()
	n, token := 0, ""
	for {
		res, err := c.ListOrganizations(context.Background(), &profilesv1.ListOrganizationsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(res.GetOrganizations())
		if token = res.GetNextPageToken(); token == "" {
			return n
		}
	}
}

func TestImportBioToolsTwiceCreatesEachOnce(t *testing.T) {
	t.Parallel()
	c := startService(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var bar bytes.Buffer
	rep, err := importer.ImportFile(ctx, c, bioToolsFile, importer.Options{Progress: &bar})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 704 || rep.Imported != 704 || len(rep.Rejected) != 0 {
		t.Fatalf("first run: %+v", rep)
	}
	if !strings.Contains(bar.String(), "importing organizations") || !strings.Contains(bar.String(), "704/704") {
		t.Errorf("progress output = %q", bar.String())
	}
	rep, err = importer.ImportFile(ctx, c, bioToolsFile, importer.Options{})
	if err != nil || rep.Imported != 704 {
		t.Fatalf("second run: %+v, %v", rep, err)
	}
	if n := countOrgs(t, c); n != 704 {
		t.Errorf("%d organizations after two runs, want 704", n)
	}
	res, err := c.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "biotools:ELIXIR-ITA-PADOVA"})
	if err != nil || len(res.GetOrganizations()) != 1 || res.GetOrganizations()[0].GetCountryCode() != "IT" {
		t.Errorf("look-up by external id: %v, %v", res, err)
	}
}

func TestImportReportsRejectedRows(t *testing.T) {
	t.Parallel()
	c := startService(t)
	in := "name,kind,country_code,nuts_code,website\n" +
		"Demo Good,company,IT,ITH42,https://good.example\n" +
		"Demo Bad URL,company,IT,,not a url\n" +
		"Demo Wrong NUTS,company,IT,DE300,\n" +
		"Demo Bad Kind,rocket,IT,,\n" +
		",company,IT,,\n"
	rep, err := importer.Import(context.Background(), c, strings.NewReader(in), importer.Options{Format: importer.CSV})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 5 || rep.Imported != 1 || len(rep.Rejected) != 4 {
		t.Fatalf("report %+v", rep)
	}
	wants := []struct {
		line int
		in   string
	}{{3, "website"}, {4, "nuts_code: must start with IT"}, {5, "kind: unknown value"}, {6, "name: is required"}}
	for i, w := range wants {
		if r := rep.Rejected[i]; r.Line != w.line || !strings.Contains(r.Reason, w.in) {
			t.Errorf("rejection %d = %+v, want line %d mentioning %q", i, r, w.line, w.in)
		}
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "imported 1 of 5 rows") || !strings.Contains(out.String(), "line 4 (Demo Wrong NUTS): nuts_code") {
		t.Errorf("printed report:\n%s", out.String())
	}
}
