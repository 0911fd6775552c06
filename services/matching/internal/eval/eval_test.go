package eval_test

import (
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/eval"
)

const tools = `{"biotoolsID":"t1","name":"A","description":"rna seq aligner","topic":[{"id":"topic_3170"}],"operation":[],"organisationCredits":[{"name":"Lab A","typeEntity":"Institute","url":"https://laba.it"},{"name":"Lab B","typeEntity":"Institute","url":null}],"publication":[{}],"elixirNode":["Italy"]}
{"biotoolsID":"t2","name":"B","description":"proteomics","topic":[{"id":"topic_0121"}],"operation":[],"organisationCredits":[{"name":"Lab B","typeEntity":"Institute","url":null},{"name":"Lab C","typeEntity":"Division","url":null},{"name":"Funder","typeEntity":"Funding agency","url":null}],"publication":[],"elixirNode":[]}
{"biotoolsID":"t3","name":"C","description":"rna seq","topic":[{"id":"topic_3170"}],"operation":[],"organisationCredits":[{"name":"Lab A","typeEntity":"Institute","url":null}],"publication":[],"elixirNode":[]}
`

func TestSplitBuildTruth(t *testing.T) {
	ts, err := eval.ReadTools(strings.NewReader(tools))
	if err != nil {
		t.Fatal(err)
	}
	train, held := eval.Split(ts, 0.5, 1)
	train2, held2 := eval.Split(ts, 0.5, 1)
	if len(held) != 1 || len(train) != 2 || held[0].ID != held2[0].ID || len(train2) != 2 {
		t.Fatalf("split %d/%d not reproducible or not half of the 2 collaborations", len(train), len(held))
	}
	c := eval.Build(train)
	if _, ok := c.Names["funder"]; ok {
		t.Error("funding agency treated as a partner")
	}
	truth := eval.Truth(held, c)
	for s, rel := range truth {
		if rel[s] || len(rel) == 0 {
			t.Errorf("truth of %s = %v", s, rel)
		}
	}
	perfect := func(seeker string, k int) []string {
		var out []string
		for id := range truth[seeker] {
			out = append(out, id)
		}
		return out
	}
	m := eval.Evaluate("perfect", perfect, truth)
	if m.R5 != 1 || m.MRR != 1 {
		t.Errorf("perfect ranker scored %+v", m)
	}
	none := eval.Evaluate("none", func(string, int) []string { return nil }, truth)
	if none.R20 != 0 || eval.Beats(none, m) || !eval.Beats(m, none) {
		t.Errorf("empty ranker scored %+v", none)
	}
}
