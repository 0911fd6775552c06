package biotools_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/biotools"
	"github.com/tandem-cluster/tandem/services/competencies/internal/servicestest"
)

// TestImportTwice imports a sample of the registry into real profiles and
// competencies services sharing one JetStream, then imports it again and
// expects nothing new.
func TestImportTwice(t *testing.T) {
	c := servicestest.Start(t)
	opts := biotools.Options{
		Profiles:     c.Profiles,
		Competencies: c.Competencies,
		HolderWait:   20 * time.Second,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	first, err := biotools.ImportFile(ctx, "testdata/tools_sample.jsonl", opts)
	if err != nil {
		t.Fatalf("first import: %v (%v)", err, first)
	}
	t.Logf("first run: %v", first)
	if first.Tools != 28 || first.Organizations == 0 || first.OrganizationsCreated != first.Organizations ||
		first.Competencies == 0 || first.CompetenciesChanged != first.Competencies ||
		first.Collaborations == 0 || first.CollaborationsChanged != first.Collaborations {
		t.Fatalf("first run: %v", first)
	}

	second, err := biotools.ImportFile(ctx, "testdata/tools_sample.jsonl", opts)
	if err != nil {
		t.Fatalf("second import: %v", err)
	}
	if second.OrganizationsCreated != 0 || second.CompetenciesChanged != 0 || second.Organizations != first.Organizations ||
		second.CollaborationsChanged != 0 || second.Collaborations != first.Collaborations {
		t.Fatalf("second run changed something: %v", second)
	}

	// EMBL-EBI exists once, with its competencies and their evidence.
	orgs, err := opts.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "biotools:embl-ebi"})
	if err != nil || len(orgs.GetOrganizations()) != 1 {
		t.Fatalf("EMBL-EBI: %v %v", orgs, err)
	}
	ebi := orgs.GetOrganizations()[0]
	comps, err := opts.Competencies.ListCompetencies(ctx, &competenciesv1.ListCompetenciesRequest{OrganizationId: ebi.GetId(), PageSize: 500})
	if err != nil || len(comps.GetCompetencies()) == 0 {
		t.Fatalf("EMBL-EBI competencies: %v %v", comps, err)
	}
	var service, paper bool
	for _, c := range comps.GetCompetencies() {
		for _, e := range c.GetEvidence() {
			switch e.GetKind() {
			case competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE:
				service = service || strings.HasPrefix(e.GetUrl(), "https://bio.tools/")
			case competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION:
				paper = true
			}
		}
	}
	if !service || !paper {
		t.Errorf("evidence lacks tools (%v) or publications (%v)", service, paper)
	}
	// Tools credited to several organisations are collaborations among them.
	tools := readSample(t)
	shared := biotools.Collaborations(tools, nil)
	if len(shared) != first.Collaborations || len(shared) == 0 {
		t.Fatalf("%d tools credited to several organisations, %d collaborations imported", len(shared), first.Collaborations)
	}
	member, err := opts.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "biotools:" + shared[0].Members[1]})
	if err != nil || len(member.GetOrganizations()) != 1 {
		t.Fatalf("%s: %v %v", shared[0].Members[1], member, err)
	}
	collabs, err := opts.Competencies.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationId: member.GetOrganizations()[0].GetId()})
	if err != nil || len(collabs.GetCollaborations()) == 0 {
		t.Fatalf("collaborations of %s: %v %v", shared[0].Members[1], collabs, err)
	}
	for _, c := range collabs.GetCollaborations() {
		if c.GetKind() != competenciesv1.CollaborationKind_COLLABORATION_KIND_TOOL || c.GetSource() != "biotools" || len(c.GetParticipants()) < 2 ||
			c.GetParticipants()[0].GetRole() != competenciesv1.ParticipantRole_PARTICIPANT_ROLE_CREDITED {
			t.Errorf("tool collaboration: %v", c)
		}
	}
}

func TestPlan(t *testing.T) {
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	tools := readSample(t)
	plans, _ := biotools.Plan(tools, v)
	again, _ := biotools.Plan(tools, v)
	if len(plans) != len(again) {
		t.Fatal("plan is not deterministic")
	}
	byID := map[string]biotools.OrgPlan{}
	for i, p := range plans {
		byID[p.ExternalID] = p
		if p.Organization.GetVisibility() != profilesv1.Visibility_VISIBILITY_PUBLIC {
			t.Errorf("%s: visibility %v; a public registry's organisations must be public", p.ExternalID, p.Organization.GetVisibility())
		}
		if p.Organization.GetCountryCode() == "" || len(p.Competencies) == 0 && p.ExternalID != "" {
			t.Errorf("%s: country %q, %d competencies", p.ExternalID, p.Organization.GetCountryCode(), len(p.Competencies))
		}
		for j, c := range p.Competencies {
			if _, ok := v.Term(c.GetTermId()); !ok || len(c.GetEvidence()) == 0 {
				t.Errorf("%s: competency %s has unknown term or no evidence", p.ExternalID, c.GetTermId())
			}
			if c.GetTermId() != again[i].Competencies[j].GetTermId() || len(c.GetEvidence()) != len(again[i].Competencies[j].GetEvidence()) {
				t.Errorf("%s: competency %d differs between plans", p.ExternalID, j)
			}
		}
	}
	for _, want := range []struct{ id, country string }{{"embl-ebi", "ZZ"}, {"university-of-siena-italy", "ZZ"}, {"cnb-csic-es", "ES"}} {
		p, ok := byID[want.id]
		if !ok {
			t.Errorf("no plan for %s", want.id)
			continue
		}
		if p.Organization.GetCountryCode() != want.country {
			t.Errorf("%s: country %s, want %s", want.id, p.Organization.GetCountryCode(), want.country)
		}
	}
	// Funders are credited but hold no competencies.
	for _, p := range plans {
		if strings.Contains(p.ExternalID, "funding") {
			t.Errorf("funder %s planned", p.ExternalID)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"EMBL-EBI": "embl-ebi", "SIB Swiss Institute of Bioinformatics": "sib-swiss-institute-of-bioinformatics",
		"  ugent.be ": "ugent-be", "Centro de Investigaciones Biomédicas (CINBIO)": "centro-de-investigaciones-biom-dicas-cinbio", "¿?": "",
	} {
		if got := biotools.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func readSample(t *testing.T) []biotools.Tool {
	t.Helper()
	f, err := os.Open("testdata/tools_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var tools []biotools.Tool
	if err := biotools.Decode(f, func(tl biotools.Tool) error { tools = append(tools, tl); return nil }); err != nil {
		t.Fatal(err)
	}
	return tools
}
