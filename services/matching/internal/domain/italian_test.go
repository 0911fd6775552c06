package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
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

// TestExplanationsNameTermsInItalian: an Italian reader reads the terms a
// match rests on by the Italian glossary's labels, an English reader by
// the vocabulary's.
func TestExplanationsNameTermsInItalian(t *testing.T) {
	const liver = "MESH:D008103" // Liver Cirrhosis; "Fibrosi epatica" in the glossary
	x := domain.NewIndex(ontology())
	x.Apply(
		org("ACME", "Acme Diagnostics", company, pub, "ITH44"),
		coop("REQ1", domain.OrgRef("ACME"), techRequest, "Serum markers wanted", liver),
		org("UNITS", "University of Trieste", university, pub, "ITH44"),
		comp("C1", domain.OrgRef("UNITS"), liver, 2),
	)
	texts := func(lang string) string {
		q := seek("ACME")
		q.Lang = lang
		var out []string
		for _, e := range find(suggest(t, x, q), "UNITS").GetExplanations() {
			out = append(out, e.GetText())
		}
		return strings.Join(out, " | ")
	}
	if it := texts("it"); !strings.Contains(it, "'Fibrosi epatica'") || strings.Contains(it, "Liver Cirrhosis") {
		t.Errorf("Italian explanations: %s", it)
	}
	if en := texts("en"); !strings.Contains(en, "'Liver Cirrhosis'") {
		t.Errorf("English explanations: %s", en)
	}
}
