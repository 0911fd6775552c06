package adapters

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

// TestResolveCache checks that a cached reading of a need is the reading
// itself, survives the caller changing its copy, and stays right once the
// cache has been dropped for being full.
func TestResolveCache(t *testing.T) {
	t.Parallel()
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	o := NewOntology(v)
	texts := []string{"liver fibrosis biomarkers", "RNA-Seq", "protein structure prediction", "no such words zzqx"}
	for _, text := range texts {
		want := o.resolve(text)
		first := o.Resolve(text)
		if !slices.Equal(first, want) {
			t.Fatalf("%q: first reading %v, want %v", text, first, want)
		}
		if len(first) > 0 {
			first[0].TermID = "changed by the caller"
		}
		if again := o.Resolve(text); !slices.Equal(again, want) {
			t.Fatalf("%q: cached reading %v, want %v", text, again, want)
		}
	}
	if len(o.resolve("RNA-Seq")) == 0 {
		t.Fatal("RNA-Seq resolves to no term: the test checks nothing")
	}
	for i := range maxResolved + 1 {
		o.Resolve(fmt.Sprintf("need %d", i))
	}
	if len(o.resolved) > maxResolved {
		t.Fatalf("cache holds %d readings, bound %d", len(o.resolved), maxResolved)
	}
	if got, want := o.Resolve("RNA-Seq"), o.resolve("RNA-Seq"); !slices.Equal(got, want) {
		t.Fatalf("after the cache was dropped: %v, want %v", got, want)
	}
}
