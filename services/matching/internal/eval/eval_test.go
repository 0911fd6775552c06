package eval

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
)

const tools = `{"biotoolsID":"t1","name":"A","description":"rna seq aligner","topic":[{"id":"topic_3170","term":"RNA-Seq"}],"operation":[],"organisationCredits":[{"name":"Lab A","typeEntity":"Institute","url":"https://laba.it"},{"name":"Lab B","typeEntity":"Institute","url":null}],"elixirNode":["Italy"]}
{"biotoolsID":"t2","name":"B","description":"proteomics","topic":[{"id":"topic_0121","term":"Proteomics"}],"operation":[],"organisationCredits":[{"name":"Lab B","typeEntity":"Institute","url":null},{"name":"Lab C","typeEntity":"Division","url":null},{"name":"Funder","typeEntity":"Funding agency","url":null}],"elixirNode":[]}
{"biotoolsID":"t3","name":"C","description":"rna seq","topic":[{"id":"topic_3170","term":"RNA-Seq"}],"operation":[],"organisationCredits":[{"name":"Lab A","typeEntity":"Institute","url":null},{"name":"Lab C","typeEntity":"Institute","url":null}],"elixirNode":[]}
`

func TestBioToolsQuestions(t *testing.T) {
	ts, err := ReadTools(strings.NewReader(tools))
	if err != nil {
		t.Fatal(err)
	}
	// t2 held out: Lab B and Lab C, both credited on training tools, ask.
	task, qs := BioTools([]*Tool{ts[0], ts[2]}, []*Tool{ts[1]}, true)
	if len(task.Collabs) != 2 || len(task.Orgs) != 3 || task.Orgs[0].Org.Country != "IT" {
		t.Fatalf("task: %d collaborations, %d organisations, %+v", len(task.Collabs), len(task.Orgs), task.Orgs[0].Org)
	}
	if len(qs) != 2 || !qs[0].Relevant["lab-c"] || qs[0].Seeker != "lab-b" || qs[0].Need != "Proteomics" || qs[1].Relevant["funder"] {
		t.Fatalf("questions: %+v", qs)
	}
	perfect := func(q Question, k int) []string {
		var out []string
		for id := range q.Relevant {
			out = append(out, id)
		}
		return out
	}
	if m := Evaluate(perfect, qs); m.R5 != 1 || m.MRR != 1 {
		t.Errorf("a perfect ranker scored %+v", m)
	}
	if m := Evaluate(func(Question, int) []string { return []string{"x", "lab-c", "lab-b"} }, qs); math.Abs(m.MRR-(1.0/2+1.0/3)/2) > 1e-9 || m.R10 != 1 {
		t.Errorf("the right answer second scored %+v", m)
	}
	s := Summary{Runs: []Metrics{{R10: 0.5}, {R10: 0.7}}}
	if s.Mean(R10) != 0.6 || s.Std(R10) < 0.14 || s.Std(R10) > 0.15 {
		t.Errorf("mean %v, spread %v", s.Mean(R10), s.Std(R10))
	}
}

const projects = `"id";"acronym";"title";"topics";"frameworkProgramme"
"1";"ONE";"Liver fibrosis biomarkers";"HEALTH.2012.2.1-1";"FP7"
"2";"TWO";"Gut microbiome";"IMI2-2015-03-01";"H2020"
`

const orgs = `"projectID";"name";"activityType";"country";"order"
"1";"ACME SPA";"PRC";"IT";"1"
"1";"Università di Trieste";"HES";"IT";"2"
"2";"Acme S.p.A.";"";"IT";"1"
"2";"UNIVERSITA DI TRIESTE";"HES";"IT";"2"
"2";"Oxford";"HES";"UK";"3"
`

func TestLoadCordis(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"project.csv": projects, "organization.csv": orgs,
		"topics.csv": "\"projectID\";\"topic\";\"title\"\n\"1\";\"HEALTH.2012.2.1-1\";\"Biomarkers of liver disease\"\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := LoadCordis(dir, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Collab.GetYear() != 2012 || ps[0].TopicTitle != "Biomarkers of liver disease" || len(ps[1].Orgs) != 3 {
		t.Fatalf("projects %+v", ps)
	}
	if len(ps[0].Collab.GetTermIds()) == 0 {
		t.Errorf("the project's terms are not read as the import reads them: %+v", ps[0].Collab)
	}
	if ps[0].Orgs[0].ID != ps[1].Orgs[0].ID {
		t.Errorf("a company spelt with and without its legal form is two: %+v / %+v", ps[0].Orgs[0], ps[1].Orgs[0])
	}
	if ps[0].Orgs[1].ID != ps[1].Orgs[1].ID || ps[1].Orgs[2].Country != "GB" {
		t.Errorf("organisations are not one by normalised name and ISO country: %+v / %+v", ps[0].Orgs, ps[1].Orgs)
	}
	// Project 1 held out: ACME asks, the university is the answer.
	task, qs := Cordis(ps, ps[1:], ps[:1], false)
	if len(qs) != 1 || qs[0].Seeker != ps[0].Orgs[0].ID || !qs[0].Relevant[ps[0].Orgs[1].ID] || !strings.Contains(qs[0].Need, "HEALTH.2012.2.1-1") {
		t.Fatalf("questions %+v", qs)
	}
	if task.Count[ps[0].Orgs[0].ID] != 1 {
		t.Error("the company's other project is not its history")
	}
	task, _ = Cordis(ps, ps[1:], ps[:1], true)
	if task.Count[ps[0].Orgs[0].ID] != 0 || task.Count[ps[1].Orgs[2].ID] != 1 {
		t.Error("a newcomer company keeps its history")
	}
}

// The cluster check loads the whole demo, history included, through the
// seeders the service runs.
func TestClusterCheck(t *testing.T) {
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := Cluster(adapters.NewOntology(v))
	if err != nil {
		t.Fatal(err)
	}
	if cc.Companies == 0 || cc.Collaborations == 0 {
		t.Fatalf("demo not loaded: %d companies, %d collaborations", cc.Companies, cc.Collaborations)
	}
	if cc.WithResearch == 0 || cc.Explained == 0 {
		t.Errorf("no company got research-side or explained suggestions: %+v", cc)
	}
	if cc.UnknownRegion != 0 {
		t.Errorf("%d 'same region' reasons between organisations of unknown country", cc.UnknownRegion)
	}
}
