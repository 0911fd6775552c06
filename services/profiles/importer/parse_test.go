package importer_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/importer"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

const bioToolsFile = "../data/biotools/organisations.tsv"

func TestParseBioToolsFileKeepsEveryRowValid(t *testing.T) {
	f, err := os.Open(bioToolsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, rej, err := importer.Parse(f, importer.BioTools)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 704 || len(rej) != 0 {
		t.Fatalf("%d rows, %d rejected (%v); want 704 and 0", len(rows), len(rej), rej)
	}
	keys := map[string]bool{}
	known := 0
	for _, r := range rows {
		if v := domain.ValidateOrganization("", r.Org); len(v) > 0 {
			t.Errorf("line %d %q: %v", r.Line, r.Org.GetName(), v)
		}
		if keys[r.RequestID] {
			t.Errorf("line %d: request id %q twice", r.Line, r.RequestID)
		}
		keys[r.RequestID] = true
		if r.Org.GetCountryCode() != domain.UnknownCountry {
			known++
		}
	}
	t.Logf("country known for %d of 704", known)
}

func TestGuessCountry(t *testing.T) {
	tests := map[string]string{
		"1065, av. de la Médecine, Québec (Québec), G1V 0A6, Canada":                          "CA",
		"Molecular Genetic Group, University of Rome \"Tor Vergata\", Rome, Italy":            "IT",
		"Computational Biology Unit, Department of Informatics, University of Bergen, Norway": "NO",
		"ELIXIR-ITA-PADOVA": "IT",
		"cnio.es":           "ES",
		"cam.ac.uk":         "GB",
		"EMBL-EBI":          "ZZ",
		"Broad Institute":   "ZZ",
		"Ukraine Lab":       "ZZ", // "uk" only as a whole word
	}
	for in, want := range tests {
		if got := importer.GuessCountry(in); got != want {
			t.Errorf("GuessCountry(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseCSV(t *testing.T) {
	in := "name,kind,country_code,nuts_code,sectors,external_ids,contact_email,contact_consent,visibility\n" +
		"Demo Bio S.r.l.,company,it,ith44,biotechnology|PHARMA,vat:IT01234567890,info@demo.example,true,public\n" +
		"Bad Kind,spaceship,IT,,,,,,\n" +
		"Bad Consent,company,IT,,,,,maybe,\n" +
		"\"Quoted, Name\",university,IT,,,,,,\n"
	rows, rej, err := importer.Parse(strings.NewReader(in), importer.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rej) != 2 {
		t.Fatalf("rows %v, rejected %v", rows, rej)
	}
	o := rows[0].Org
	if o.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY || o.GetCountryCode() != "IT" || o.GetNutsCode() != "ITH44" ||
		len(o.GetSectors()) != 2 || o.GetExternalIds()["vat"] != "IT01234567890" || !o.GetContact().GetConsentToShare() ||
		o.GetVisibility() != profilesv1.Visibility_VISIBILITY_PUBLIC {
		t.Errorf("row 1 = %v", o)
	}
	if rows[0].RequestID != "import:vat:IT01234567890" || rows[0].Line != 2 {
		t.Errorf("row 1 key %q line %d", rows[0].RequestID, rows[0].Line)
	}
	if rows[1].Org.GetName() != "Quoted, Name" || rows[1].Line != 5 {
		t.Errorf("row 2 = %v line %d", rows[1].Org, rows[1].Line)
	}
	if rej[0].Line != 3 || !strings.Contains(rej[0].Reason, "kind") || rej[1].Line != 4 || !strings.Contains(rej[1].Reason, "contact_consent") {
		t.Errorf("rejections = %v", rej)
	}
	if _, _, err := importer.Parse(strings.NewReader("name,colour\nx,red\n"), importer.CSV); err == nil {
		t.Error("unknown column accepted")
	}
}

func TestParseJSONL(t *testing.T) {
	in := `{"name":"Demo One","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT","externalIds":{"demo":"1"}}

{"organization":{"name":"Demo Two","kind":"ORGANIZATION_KIND_UNIVERSITY","countryCode":"IT"},"clientRequestId":"k2"}
{"name": 3}
not json
`
	rows, rej, err := importer.Parse(strings.NewReader(in), importer.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rej) != 2 {
		t.Fatalf("rows %v, rejected %v", rows, rej)
	}
	if rows[0].RequestID != "import:demo:1" || rows[1].RequestID != "k2" || rows[1].Line != 3 {
		t.Errorf("rows = %v", rows)
	}
	if rej[0].Line != 4 || rej[1].Line != 5 {
		t.Errorf("rejections = %v", rej)
	}
}

// TestParseJSONLKeepsLineOrder: a file of many lines (read on every core)
// gives its rows and its rejections in the order of their lines, each with
// its own line number, blank lines counted.
func TestParseJSONLKeepsLineOrder(t *testing.T) {
	var in strings.Builder
	for i := 1; i <= 2000; i++ {
		switch {
		case i%50 == 0:
			in.WriteString("\n")
		case i%7 == 0:
			fmt.Fprintf(&in, "{\"name\": %d}\n", i)
		default:
			fmt.Fprintf(&in, `{"name":"Line %d","kind":"company","countryCode":"IT"}`+"\n", i)
		}
	}
	rows, rej, err := importer.Parse(strings.NewReader(in.String()), importer.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	r, j := 0, 0
	for i := 1; i <= 2000; i++ {
		switch {
		case i%50 == 0:
		case i%7 == 0:
			if j >= len(rej) || rej[j].Line != i {
				t.Fatalf("rejection %d: %+v, want line %d", j, rej[min(j, len(rej)-1)], i)
			}
			j++
		default:
			if r >= len(rows) || rows[r].Line != i || rows[r].Org.GetName() != fmt.Sprintf("Line %d", i) {
				t.Fatalf("row %d: line %d %q, want line %d", r, rows[min(r, len(rows)-1)].Line, rows[min(r, len(rows)-1)].Org.GetName(), i)
			}
			r++
		}
	}
	if r != len(rows) || j != len(rej) {
		t.Fatalf("%d rows and %d rejections, want %d and %d", len(rows), len(rej), r, j)
	}
}

// TestParseJSONLShortNames: a JSON line takes what a CSV row takes: short
// enum names in any case and "country".
func TestParseJSONLShortNames(t *testing.T) {
	in := `{"name":"SISSA","kind":"university","country":"it","sizeBand":"large","sectors":["bioinformatics","BIOMEDICINE"],"visibility":"public"}
{"organization":{"name":"Acme","kind":"Company","country":"IT"},"clientRequestId":"k"}
{"name":"Bad kind","kind":"spaceship","country":"IT"}
{"name":"Both","kind":"company","country":"IT","countryCode":"FR"}
`
	rows, rej, err := importer.Parse(strings.NewReader(in), importer.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rej) != 2 {
		t.Fatalf("rows %v, rejected %v", rows, rej)
	}
	o := rows[0].Org
	if o.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY || o.GetCountryCode() != "IT" ||
		o.GetSizeBand() != profilesv1.SizeBand_SIZE_BAND_LARGE || len(o.GetSectors()) != 2 || o.GetVisibility() != profilesv1.Visibility_VISIBILITY_PUBLIC {
		t.Errorf("short names read as %v", o)
	}
	if w := rows[1].Org; w.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY || w.GetCountryCode() != "IT" || rows[1].RequestID != "k" {
		t.Errorf("wrapped request read as %v (%s)", w, rows[1].RequestID)
	}
	if !strings.Contains(rej[0].Reason, "kind") || !strings.Contains(rej[1].Reason, "country") {
		t.Errorf("rejections %v: want the field named", rej)
	}
}

func TestDetectFormat(t *testing.T) {
	head, _ := os.ReadFile(bioToolsFile)
	for _, tc := range []struct {
		path string
		head []byte
		want importer.Format
	}{
		{"orgs.tsv", head[:200], importer.BioTools},
		{"orgs.CSV", nil, importer.CSV},
		{"orgs.jsonl", nil, importer.JSONL},
		{"orgs.txt", []byte(" {\"name\":1}"), importer.JSONL},
	} {
		if got, err := importer.DetectFormat(tc.path, tc.head); got != tc.want || err != nil {
			t.Errorf("DetectFormat(%s) = %v, %v; want %v", tc.path, got, err, tc.want)
		}
	}
	if _, err := importer.DetectFormat("orgs.txt", []byte("hello")); err == nil {
		t.Error("unknown format accepted")
	}
}

// The parsers never panic, and every row they return carries an
// organisation and a request id.
func fuzzParse(f *testing.F, format importer.Format, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, _, err := importer.Parse(bytes.NewReader(data), format)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Org == nil || r.RequestID == "" || r.Line < 1 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	fuzzParse(f, importer.CSV,
		"name,kind,country_code\nA,company,IT\n",
		"name,sectors,external_ids,contact_consent\nA,pharma|x,a:b|c,true\n",
		"name\n\"unterminated\n",
		"\ufeffname,kind\n,\n")
}

func FuzzParseJSONL(f *testing.F) {
	fuzzParse(f, importer.JSONL,
		`{"name":"A","kind":"ORGANIZATION_KIND_COMPANY"}`+"\n",
		`{"organization":{"name":"B"},"clientRequestId":"x"}`,
		"{}\n[]\nnull\n",
		`{"organization":null}`)
}

func FuzzParseBioTools(f *testing.F) {
	head, _ := os.ReadFile(bioToolsFile)
	lines := strings.SplitN(string(head), "\n", 6)
	fuzzParse(f, importer.BioTools,
		strings.Join(lines[:5], "\n"),
		"organisation\ttypeEntity\tn_tools\ttop_edam_topics(label:count)\nX\tInstitute\t-1\ta\n",
		"organisation\ttypeEntity\tn_tools\ttop_edam_topics(label:count)\n\"a\"\"b\"\tProject\t2\tMedicine:1|Drug discovery:2\n")
}

func FuzzGuessCountry(f *testing.F) {
	for _, s := range []string{"cam.ac.uk", "ELIXIR-ITA-X", "Rome, Italy", "", "uk", "\xff.it"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if c := importer.GuessCountry(name); !domain.ValidCountry(c) {
			t.Errorf("GuessCountry(%q) = %q", name, c)
		}
	})
}
