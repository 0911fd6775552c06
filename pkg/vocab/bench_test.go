package vocab_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

// BenchmarkLoad measures building the shipped vocabulary from the embedded
// files, which Load does once per process.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := vocab.LoadWithLocal("none", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Queries as typed, keystroke by keystroke, and free texts to resolve.
var (
	typed = []string{"r", "rn", "rna", "rna ", "rna s", "rna se", "rna seq", "g", "ge", "gen", "geno", "genom", "genomcs",
		"prot", "protein str", "mass spec", "liver fib", "crisp", "diabetes mel", "machine lea", "seq", "sequencing",
		"immuno", "metabol", "alzh", "breast canc", "flow cyt", "telemed", "organ on", "phylogen"}
	texts = []string{"RNA-seq", "next generation sequencing", "CRISPR screening", "liver fibrosis", "mass spec",
		"protein structure prediction", "drug repurposing", "gut microbiome", "medical imaging and AI",
		"we do whole exome sequencing", "single cell transcriptomics", "tumour immunology", "clinical trials in oncology"}
)

// benchLatency runs f over the inputs and reports p50 and p99 per call.
func benchLatency(b *testing.B, inputs []string, f func(string)) {
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		q := inputs[i%len(inputs)]
		t0 := time.Now()
		f(q)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkSearch(b *testing.B) {
	v := load(b)
	benchLatency(b, typed, func(q string) { v.Search(q, 10) })
}

func BenchmarkResolve(b *testing.B) {
	v := load(b)
	benchLatency(b, texts, func(q string) { v.Resolve(q, 5) })
}

func BenchmarkAncestors(b *testing.B) {
	v := load(b)
	for b.Loop() {
		v.Ancestors("MESH:D003550")
	}
}
