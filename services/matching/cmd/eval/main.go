// Command eval measures partner-suggestion quality offline on bio.tools and
// compares the matching scorer with two baselines in the same run:
//
//	go run ./services/matching/cmd/eval -data ../shared/data/biotools -out docs/matching.md
//
// It exits non-zero when the scorer does not beat both baselines on every
// metric.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
	"github.com/tandem-cluster/tandem/services/matching/internal/eval"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "../shared/data/biotools", "folder with the bio.tools snapshot (tools.jsonl)")
	out := flag.String("out", "", "also write the report (Markdown) to this file")
	seed := flag.Uint64("seed", 20250301, "seed of the held-out split")
	share := flag.Float64("holdout", 0.2, "share of multi-organisation tools held out")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	start := time.Now()
	tools, err := eval.LoadTools(*data)
	if err != nil {
		return err
	}
	train, held := eval.Split(tools, *share, *seed)
	corpus := eval.Build(train)
	truth := eval.Truth(held, corpus)
	v, err := vocab.Load()
	if err != nil {
		return err
	}
	x := domain.NewIndex(adapters.NewOntology(v))
	x.Apply(corpus.Changes...)
	ms := []eval.Metrics{
		eval.Evaluate("Tandem scorer (SuggestPartners)", eval.Ours(x), truth),
		eval.Evaluate("baseline: popularity", eval.Popularity(corpus), truth),
		eval.Evaluate("baseline: TF-IDF cosine over EDAM topics", eval.TFIDF(corpus), truth),
	}
	report := eval.Report(ms, eval.Setup{Tools: len(tools), Train: len(train), Held: len(held), Orgs: len(corpus.Names), Seekers: len(truth), Seed: *seed, Share: *share})
	fmt.Print(report)
	fmt.Fprintf(os.Stderr, "eval took %s\n", time.Since(start).Round(time.Millisecond))
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	if !eval.Beats(ms[0], ms[1:]...) {
		return fmt.Errorf("the scorer does not beat every baseline on every metric")
	}
	return nil
}
