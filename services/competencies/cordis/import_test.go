package cordis_test

import (
	"context"
	"os"
	"testing"
	"time"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/cordis"
	"github.com/tandem-cluster/tandem/services/competencies/internal/servicestest"
)

// services starts real profiles and competencies services.
func services(t *testing.T) cordis.Options {
	t.Helper()
	c := servicestest.Start(t)
	return cordis.Options{Profiles: c.Profiles, Competencies: c.Competencies, HolderWait: 30 * time.Second}
}

// TestImportTwice imports the excerpt into real services where the
// University of Trieste already exists (spelt as its profile spells it),
// then again: the second run creates nothing and says so.
func TestImportTwice(t *testing.T) {
	o := services(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	units, err := o.Profiles.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
		Name: "Università degli Studi di Trieste", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, CountryCode: "IT"}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := cordis.ImportDir(ctx, excerpt, o)
	if err != nil {
		t.Fatalf("first import: %v", err)
	}
	if first.OrganizationsCreated != 16 || first.OrganizationsMatched != 1 || first.OrganizationsPresent != 0 || first.MergedRows != 1 ||
		first.CollabsCreated != 3 || first.CollabsUnchanged != 0 || !first.Changed() {
		t.Fatalf("first run: %+v", first)
	}
	second, err := cordis.ImportDir(ctx, excerpt, o)
	if err != nil {
		t.Fatalf("second import: %v", err)
	}
	if second.Changed() || second.OrganizationsPresent != 16 || second.OrganizationsMatched != 1 || second.CollabsUnchanged != 3 {
		t.Fatalf("second run: %+v", second)
	}

	// The existing university took part, with the project's year and topics.
	list, err := o.Competencies.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationId: units.GetOrganization().GetId()})
	if err != nil || len(list.GetCollaborations()) != 1 {
		t.Fatalf("collaborations of UniTS: %v %v", list, err)
	}
	c := list.GetCollaborations()[0]
	if c.GetAcronym() != "RegHealth-RI" || c.GetSource() != "cordis" || c.GetSourceId() != "643574" || len(c.GetParticipants()) != 3 || c.GetProgramme() != "H2020" || c.GetYear() == 0 {
		t.Errorf("RegHealth-RI: %v", c)
	}
	// GB, not UK; and SISSA once although it has two rows.
	gb, err := o.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{CountryCodes: []string{"GB"}})
	if err != nil || len(gb.GetOrganizations()) != 2 {
		t.Errorf("organisations in GB: %v %v", gb.GetOrganizations(), err)
	}
	sissa, err := o.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Query: "scuola internazionale"})
	if err != nil || len(sissa.GetOrganizations()) != 1 {
		t.Fatalf("SISSA: %v %v", sissa.GetOrganizations(), err)
	}
	if l, err := o.Competencies.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationId: sissa.GetOrganizations()[0].GetId()}); err != nil || len(l.GetCollaborations()) != 2 {
		t.Errorf("SISSA's projects: %v %v", l.GetCollaborations(), err)
	}
}

// TestRerunOfTheSharedSliceCreatesNothing imports the whole CORDIS slice of
// the project's data sets twice.
func TestRerunOfTheSharedSliceCreatesNothing(t *testing.T) {
	dir := os.Getenv("TANDEM_CORDIS_DIR")
	if dir == "" {
		dir = "../../../../shared/data/cordis"
	}
	if _, err := os.Stat(dir + "/project.csv"); err != nil {
		t.Skipf("no CORDIS slice at %s (set TANDEM_CORDIS_DIR): %v", dir, err)
	}
	if testing.Short() {
		t.Skip("imports 369 projects twice")
	}
	o := services(t)
	o.Workers = 8
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	first, err := cordis.ImportDir(ctx, dir, o)
	if err != nil {
		t.Fatalf("first import: %v", err)
	}
	t.Logf("first run: %+v", first)
	if first.Projects != 369 || first.Participations != 1169 || first.OrganizationsCreated != first.Organizations ||
		first.OrganizationsCreated+first.MergedRows+first.SkippedRows != first.Participations || first.CollabsCreated != first.Collaborations {
		t.Fatalf("first run does not add up: %+v", first)
	}
	second, err := cordis.ImportDir(ctx, dir, o)
	if err != nil {
		t.Fatalf("second import: %v", err)
	}
	if second.Changed() || second.OrganizationsPresent != first.Organizations || second.CollabsUnchanged != first.Collaborations {
		t.Fatalf("second run: %+v", second)
	}
}
