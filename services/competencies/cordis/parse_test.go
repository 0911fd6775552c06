package cordis_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/competencies/cordis"
)

const excerpt = "../demo/data/cordis/"

func TestReadTheCordisLayout(t *testing.T) {
	t.Parallel()
	f, err := os.Open(excerpt + "project.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	ps, err := cordis.ReadProjects(f)
	if err != nil || len(ps) != 3 {
		t.Fatalf("projects: %d, %v", len(ps), err)
	}
	if p := ps[0]; p.ID != "602633" || p.Acronym != "EUROHEADPAIN" || p.Programme != "FP7" || p.Topic == "" || p.Title == "" {
		t.Errorf("first project: %+v", p)
	}
	g, err := os.Open(excerpt + "organization.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = g.Close() }()
	rows, err := cordis.ReadParticipations(g)
	if err != nil || len(rows) != 18 {
		t.Fatalf("participations: %d, %v", len(rows), err)
	}
	if r := rows[0]; r.ProjectID != "602633" || r.ActivityType != "HES" || r.Country != "NL" || r.Line != 2 {
		t.Errorf("first participation: %+v", r)
	}
}

func TestReadRejectsWhatIsNotCordis(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"empty":             "",
		"no name column":    "\"projectID\";\"country\"\n\"1\";\"IT\"\n",
		"short row":         "\"projectID\";\"name\";\"country\"\n\"1\";\"X\"\n",
		"comma separated":   "projectID,name,country\n1,X,IT\n",
		"invalid utf-8":     "\"projectID\";\"name\";\"country\"\n\"1\";\"\xff\";\"IT\"\n",
		"broken quote line": "\"projectID\";\"name\";\"country\"\n\"1\";\"a\"b\";\"IT\";\"x\"\n",
	} {
		if _, err := cordis.ReadParticipations(strings.NewReader(in)); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	// Quoted semicolons and newlines are data; a byte-order mark and blank lines are not.
	in := "\ufeff\"projectID\";\"name\";\"country\"\n\"1\";\"A; B\nC\";\"IT\"\n\n\"2\";\"D\";\"UK\"\n"
	rows, err := cordis.ReadParticipations(strings.NewReader(in))
	if err != nil || len(rows) != 2 || rows[0].Name != "A; B\nC" || rows[1].Country != "UK" {
		t.Errorf("quoted fields: %+v %v", rows, err)
	}
}

// FuzzReadCSV: whatever the bytes, the readers return rows or an error,
// never panic, and the rows they return hold valid text.
func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"project.csv", "organization.csv", "topics.csv"} {
		b, err := os.ReadFile(excerpt + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("\"id\";\"title\"\n\"1\";\"\"\"quoted\"\"\"\n"))
	f.Add([]byte("\"projectID\";\"topic\";\"title\"\n\"1\";\"X\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ps, err := cordis.ReadProjects(bytes.NewReader(data)); err == nil {
			for _, p := range ps {
				if p.ID == "" {
					t.Fatalf("project without id accepted: %+v", p)
				}
			}
		}
		if rows, err := cordis.ReadParticipations(bytes.NewReader(data)); err == nil {
			for _, r := range rows {
				if r.Line < 2 {
					t.Fatalf("row at line %d", r.Line)
				}
			}
			pl := cordis.MakePlan(nil, rows, nil, nil)
			if pl.Stats.SkippedRows != len(rows) {
				t.Fatalf("rows of no known project not skipped: %+v", pl.Stats)
			}
		}
		_, _ = cordis.ReadTopics(bytes.NewReader(data))
	})
}
