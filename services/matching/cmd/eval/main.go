// Command eval measures partner-suggestion quality offline on real
// collaborations held out of the index, on three seeds, beside baselines
// in the same run (docs/matching.md describes the protocol):
//
//	go run ./services/matching/cmd/eval -biotools ../shared/data/biotools -cordis ../shared/data/cordis -out docs/matching.md
//
// It exits non-zero when a target is not met.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/eval"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run() error {
	bio := flag.String("biotools", "../shared/data/biotools", "folder with the bio.tools snapshot (tools.jsonl); empty to skip")
	cordis := flag.String("cordis", "../shared/data/cordis", "folder with the CORDIS slice (project.csv, organization.csv, topics.csv); empty to skip")
	out := flag.String("out", "", "also write the report into this Markdown file, between its eval markers")
	seedList := flag.String("seeds", "20250301,20250302,20250303", "seeds of the held-out splits, comma-separated")
	bioShare := flag.Float64("biotools-holdout", 0.2, "share of multi-organisation tools held out")
	cordisShare := flag.Float64("cordis-holdout", 0.4, "share of mixed projects held out")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	ceiling := flag.Bool("ceiling", false, "also print the CORDIS in-sample ceiling: a diagnostic fitted to the very questions it scores, never used by Tandem (not written to -out)")
	ceilingTrain := flag.String("ceiling-train-seeds", "", "with -ceiling, also fit on these seeds' splits and score -seeds out of sample, comma-separated")
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
	seeds, err := parseSeeds(*seedList)
	if err != nil {
		return fmt.Errorf("-seeds: %w", err)
	}
	trainSeeds, err := parseSeeds(*ceilingTrain)
	if err != nil {
		return fmt.Errorf("-ceiling-train-seeds: %w", err)
	}
	start := time.Now()
	v, err := vocab.Load()
	if err != nil {
		return err
	}
	ont := adapters.NewOntology(v)
	r := &eval.Report{Seeds: seeds}
	var ceil eval.Ceiling
	if *bio != "" {
		tools, err := eval.LoadTools(*bio)
		if err != nil {
			return err
		}
		for _, seed := range seeds {
			train, held := eval.SplitTools(tools, *bioShare, seed)
			task, plain := eval.BioTools(train, held, false)
			_, need := eval.BioTools(train, held, true)
			x, fit := task.Index(ont)
			r.Add("bio.tools, no need", seed, task, x, fit, plain)
			r.Add("bio.tools, EDAM topics as need", seed, task, x, fit, need)
			fmt.Fprintf(os.Stderr, "bio.tools seed %d: %d questions, fit %+v (%s)\n", seed, len(plain), fit, time.Since(start).Round(time.Second))
		}
	}
	if *cordis != "" {
		projects, err := eval.LoadCordis(*cordis, v)
		if err != nil {
			return err
		}
		for _, seed := range seeds {
			train, held := eval.SplitProjects(projects, *cordisShare, seed)
			for _, newcomers := range []bool{false, true} {
				task, qs := eval.Cordis(projects, train, held, newcomers)
				x, fit := task.Index(ont)
				name := cordisName(newcomers)
				r.Add(name, seed, task, x, fit, qs)
				fmt.Fprintf(os.Stderr, "%s seed %d: %d questions, fit %+v (%s)\n", name, seed, len(qs), fit, time.Since(start).Round(time.Second))
				if *ceiling {
					if err := ceil.Add(name, seed, task, x, qs, held); err != nil {
						return err
					}
				}
			}
		}
		for _, seed := range trainSeeds {
			if !*ceiling {
				break
			}
			train, held := eval.SplitProjects(projects, *cordisShare, seed)
			for _, newcomers := range []bool{false, true} {
				task, qs := eval.Cordis(projects, train, held, newcomers)
				x, _ := task.Index(ont)
				if err := ceil.AddTraining(cordisName(newcomers), seed, task, x, qs); err != nil {
					return err
				}
			}
		}
	}
	cc, err := eval.Cluster(ont)
	if err != nil {
		return err
	}
	r.Cluster = &cc
	text := r.Markdown()
	fmt.Print(text)
	if *ceiling {
		fmt.Print("\n" + ceil.Markdown())
	}
	fmt.Fprintf(os.Stderr, "eval took %s\n", time.Since(start).Round(time.Millisecond))
	if *out != "" {
		if err := eval.WriteInto(*out, text); err != nil {
			return err
		}
	}
	if miss := r.Missed(); len(miss) > 0 {
		return fmt.Errorf("targets not met: %s", strings.Join(miss, "; "))
	}
	return nil
}

func cordisName(newcomers bool) string {
	if newcomers {
		return "CORDIS, companies new to the system"
	}
	return "CORDIS, companies with their other projects"
}

func parseSeeds(list string) ([]uint64, error) {
	var seeds []uint64
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, n)
	}
	return seeds, nil
}
