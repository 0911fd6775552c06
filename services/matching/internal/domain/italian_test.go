package domain_test

import (
	"slices"
	"testing"
)

// TestExplanationsItalian: a company seeking reads why a university fits in
// Italian, kinds included.
func TestExplanationsItalian(t *testing.T) {
	x := world(t)
	q := seek("ACME")
	q.Lang = "it"
	var texts []string
	for _, e := range find(suggest(t, x, q), "UNITS").GetExplanations() {
		texts = append(texts, e.GetText())
	}
	if !slices.Contains(texts, "azienda e università sono complementari") {
		t.Errorf("Italian explanations %q lack the complementary kinds in Italian", texts)
	}
}
