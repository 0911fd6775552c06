package biotools_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	"github.com/tandem-cluster/tandem/services/competencies/biotools"
)

// FuzzDecode feeds arbitrary bytes to the JSON-lines decoder and the
// planner: neither may panic, and every tool decoded has an id.
func FuzzDecode(f *testing.F) {
	sample, err := os.ReadFile("testdata/tools_sample.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.Split(sample, []byte("\n"))
	f.Add(lines[0])
	f.Add(bytes.Join(lines[:3], []byte("\n")))
	f.Add([]byte(`{"biotoolsID": "x", "organisationCredits": [{"name": "A", "typeEntity": "Institute", "url": null}], "topic": [{"id": "topic_0134"}]}`))
	f.Add([]byte(`{"biotoolsID": ""}`))
	f.Add([]byte(`{"biotoolsID": "a"} {"biotoolsID": "b"}`))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`[1,2,3]`))
	v, err := vocab.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tools []biotools.Tool
		_ = biotools.Decode(bytes.NewReader(data), func(tl biotools.Tool) error {
			if tl.ID == "" {
				t.Fatal("decoded a tool without id")
			}
			tools = append(tools, tl)
			return nil
		})
		plans, _ := biotools.Plan(tools, v)
		for _, p := range plans {
			if p.ExternalID == "" || p.Organization.GetName() == "" {
				t.Fatalf("plan without id or name: %+v", p)
			}
		}
	})
}
