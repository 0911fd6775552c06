package domain_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func TestTokensStem(t *testing.T) {
	if got, want := domain.Tokens("Sequencing of the sequenced genomes"), []string{"sequenc", "sequenc", "genom"}; !slices.Equal(got, want) {
		t.Errorf("tokens = %v, want %v", got, want)
	}
	if got, want := domain.Tokens("Studies in 2012"), []string{"studi", "2012"}; !slices.Equal(got, want) {
		t.Errorf("tokens = %v, want %v", got, want)
	}
}

// boilerplateWorld is a health cluster: "health" is in every profile.
func boilerplateWorld(t *testing.T) *domain.Index {
	t.Helper()
	x := domain.NewIndex(ontology())
	for i := range 50 {
		c := org(fmt.Sprintf("H%02d", i), fmt.Sprintf("Health lab %d", i), institute, pub, "ITH44")
		c.Org.Description = "Health research on many things, for health."
		x.Apply(c, comp(fmt.Sprintf("HC%02d", i), domain.OrgRef(c.Org.ID), rnaSeq, 1))
	}
	return x
}

func labelsOf(ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, ontology().Label(id))
	}
	return out
}

func TestNeedTextSkipsBoilerplateAndCodes(t *testing.T) {
	x := boilerplateWorld(t)
	q := seek("H00")
	q.Need = domain.Need{Text: "RNA-Seq of liver biopsies | HEALTH.2012.2.1.1-1 | thematic_priority: Health"}
	res := suggest(t, x, q)
	got := labelsOf(res.GetResolvedNeedTermIds())
	for _, l := range got {
		if strings.Contains(strings.ToLower(l), "health") {
			t.Errorf("the need was read as %q from corpus boilerplate (read as %v)", l, got)
		}
	}
	if !slices.Contains(res.GetResolvedNeedTermIds(), rnaSeq) {
		t.Errorf("the need's real topic was not read: %v", got)
	}
	q.Need.ExcludedTerms = []string{rnaSeq}
	if slices.Contains(suggest(t, x, q).GetResolvedNeedTermIds(), rnaSeq) {
		t.Error("a term the user removed is still read")
	}
}

func TestNeedTextNeedsTheTermsWords(t *testing.T) {
	x := domain.NewIndex(ontology())
	x.Apply(org("A", "A", institute, pub, "ITH44"), org("B", "B", institute, pub, "ITH44"))
	q := seek("A")
	q.Need = domain.Need{Text: "health"}
	for _, id := range suggest(t, x, q).GetResolvedNeedTermIds() {
		words := domain.Tokens(ontology().Label(id))
		if len(words) > 1 && slices.Contains(words, "health") && !slices.Equal(words, []string{"health"}) {
			t.Errorf("one word read as the term %q of %d words", ontology().Label(id), len(words))
		}
	}
}
