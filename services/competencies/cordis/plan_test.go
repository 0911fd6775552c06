package cordis_test

import (
	"os"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/cordis"
)

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ a, b string }{
		{"UNIVERSITA DEGLI STUDI DI TRIESTE", "Università degli Studi di Trieste"},
		{"BOEHRINGER INGELHEIM INTERNATIONAL GmbH", "Boehringer Ingelheim International"},
		{"FRAUNHOFER GESELLSCHAFT ZUR FOERDERUNG DER ANGEWANDTEN FORSCHUNG E.V.", "Fraunhofer-Gesellschaft zur Foerderung der angewandten Forschung eV"},
		{"EVOTEC S.p.A.", "Evotec SpA"},
		{"KING'S COLLEGE LONDON", "Kings College London"},
	} {
		if cordis.NormalizeName(c.a) != cordis.NormalizeName(c.b) {
			t.Errorf("%q -> %q, %q -> %q: want equal", c.a, cordis.NormalizeName(c.a), c.b, cordis.NormalizeName(c.b))
		}
	}
	if cordis.NormalizeName("AS") == "" || cordis.NormalizeName("University of Trieste") == cordis.NormalizeName("University of Udine") {
		t.Error("normalisation merged what differs")
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"UK": "GB", "EL": "GR", "it": "IT", "": "ZZ", "X1": "ZZ", "DEU": "ZZ"} {
		if got := cordis.Country(in); got != want {
			t.Errorf("Country(%q) = %s, want %s", in, got, want)
		}
	}
	for _, c := range []struct {
		activity, name string
		want           profilesv1.OrganizationKind
	}{
		{"HES", "X", profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY},
		{"REC", "X", profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE},
		{"PRC", "X", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY},
		{"", "Novartis Pharma AG", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY},
		{"PUB", "X", profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY},
		{"OTH", "ALZHEIMER EUROPE", profilesv1.OrganizationKind_ORGANIZATION_KIND_ASSOCIATION},
		{"OTH", "OSPEDALE SAN RAFFAELE SRL", profilesv1.OrganizationKind_ORGANIZATION_KIND_HEALTHCARE_PROVIDER},
	} {
		if got := cordis.Kind(c.activity, c.name); got != c.want {
			t.Errorf("Kind(%q, %q) = %s, want %s", c.activity, c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		start, call string
		want        int32
	}{{"2014-01-01", "FP7-HEALTH-2013-INNOVATION-1", 2014}, {"", "IMI-JU-08-2012-04", 2012}, {"", "H2020-SC1-2016-2017", 2016}, {"", "PHC-03-2015", 2015}, {"", "X-1", 0}} {
		if got := cordis.Year(c.start, c.call); got != c.want {
			t.Errorf("Year(%q, %q) = %d, want %d", c.start, c.call, got, c.want)
		}
	}
	if cordis.Role("coordinator") != competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR || cordis.Role("") != competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT {
		t.Error("roles")
	}
}

func TestPlanOfTheExcerpt(t *testing.T) {
	t.Parallel()
	read := func(name string) *os.File {
		f, err := os.Open(excerpt + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	ps, err := cordis.ReadProjects(read("project.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := cordis.ReadParticipations(read("organization.csv"))
	if err != nil {
		t.Fatal(err)
	}
	topics, err := cordis.ReadTopics(read("topics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	pl := cordis.MakePlan(ps, rows, topics, v)
	// SISSA takes part in two projects: 18 rows, 17 organisations, 1 merged row.
	if len(pl.Orgs) != 17 || pl.Stats.MergedRows != 1 || pl.Stats.Participations != 18 || pl.Stats.SkippedRows != 0 || len(pl.Projects) != 3 {
		t.Fatalf("plan: %d orgs, %d projects, %+v", len(pl.Orgs), len(pl.Projects), pl.Stats)
	}
	countries := map[string]int{}
	for _, o := range pl.Orgs {
		countries[o.Country]++
	}
	if countries["UK"] != 0 || countries["GB"] != 2 {
		t.Errorf("countries %v: UK must read as GB", countries)
	}
	head := pl.Projects[0]
	if head.GetSourceId() != "602633" || head.GetYear() != 2013 || len(head.GetParticipants()) != 14 || head.GetCall() == "" {
		t.Errorf("EUROHEADPAIN: year %d, %d participants, %+v", head.GetYear(), len(head.GetParticipants()), head)
	}
	if len(head.GetTermIds()) == 0 {
		t.Errorf("EUROHEADPAIN (%q) read as no topic", head.GetTitle())
	}
}
