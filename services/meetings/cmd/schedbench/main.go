// Command schedbench measures the meetings scheduler on generated brokerage
// events against the exact optimum of each policy, found by the CBC MIP
// solver, and against the greedy baseline, in the same run. It prints, per
// policy and event: the schedule's objective, the optimum, the scheduler's
// upper bound, the time, and the baseline's objective.
//
//	go run ./services/meetings/cmd/schedbench [-events 80p_400r,500p_4000r] [-policies most-meetings]
//
// CBC runs only here, never in the service. Events larger than -mip-max
// requests are compared with the scheduler's upper bound only. When CBC
// stops on its time limit, the share of the optimum is at least the
// schedule over the lesser of CBC's proven bound and the scheduler's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler/schedgen"
)

type config struct {
	events, policies string
	seed             uint64
	cbc              string
	mipMax           int
	mipLimit         time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.events, "events", "", "comma-separated event shapes (default: all)")
	flag.StringVar(&c.policies, "policies", "", "comma-separated policies (default: all)")
	flag.Uint64Var(&c.seed, "seed", 42, "generator seed")
	flag.StringVar(&c.cbc, "cbc", "cbc", "the CBC solver binary")
	flag.IntVar(&c.mipMax, "mip-max", 4000, "largest event (requests) given to CBC; at 4,000 requests CBC seldom finishes, but the bound it proves in its time limit is what the comparison needs")
	flag.DurationVar(&c.mipLimit, "mip-limit", time.Minute, "CBC time limit per solve, in CPU time (on a loaded machine the wall clock is longer)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "schedbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, out io.Writer) error {
	cbc, err := exec.LookPath(c.cbc)
	if err != nil {
		fmt.Fprintf(out, "note: %s not found (apt-get install coinor-cbc); optima are not computed\n", c.cbc)
		cbc = ""
	}
	dir, err := os.MkdirTemp("", "schedbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	policies := []scheduler.Policy{scheduler.MostMeetings, scheduler.PrioritiesFirst, scheduler.Balanced}
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tevent\tobjective\toptimum\tbound\tof optimum\tof bound\ttime\tcpu\tgreedy\tgreedy of optimum\tmust placed (opt)\tcbc time\t")
	for _, sh := range schedgen.Shapes() {
		if !selected(c.events, sh.Name) {
			continue
		}
		base := schedgen.Generate(c.seed, sh.Config)
		var m model
		mip := cbc != "" && len(base.Requests) <= c.mipMax
		if mip {
			m = buildModel(base)
		}
		for _, pol := range policies {
			if !selected(c.policies, pol.String()) {
				continue
			}
			p := base
			p.Policy = pol
			cpu0 := cpuTime()
			res := scheduler.Solve(p)
			cpu := cpuTime() - cpu0
			gr := scheduler.Greedy(p)
			st := res.Stats
			optCol, ofOpt, gOfOpt, mustCol, cbcTime := "–", "–", "–", fmt.Sprint(st.MustPlaced), "–"
			if mip {
				opt, err := optimum(ctx, cbc, dir, m, p, c.mipLimit)
				if err != nil {
					return fmt.Errorf("%s %s: %w", pol, sh.Name, err)
				}
				optCol = fmt.Sprintf("%.0f", opt.value)
				if !opt.optimal {
					optCol = fmt.Sprintf("≥%.0f (≤%.0f)", opt.value, opt.bound)
				}
				ofOpt = pct(float64(st.Objective), opt.value)
				if !opt.optimal {
					// At least this much of the unknown optimum: the
					// schedule over the lesser of the two proven bounds.
					ofOpt = "≥ " + pct(float64(st.Objective), min(opt.bound, float64(st.ObjectiveBound)))
				}
				if opt.optimal {
					gOfOpt = pct(float64(gr.Stats.Objective), opt.value)
					mustCol = fmt.Sprintf("%d (%d)", st.MustPlaced, opt.must)
				}
				cbcTime = opt.took.Round(time.Millisecond).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", pol, sh.Name, st.Objective, optCol, st.ObjectiveBound,
				ofOpt, pct(float64(st.Objective), float64(st.ObjectiveBound)), st.SolveTime.Round(time.Millisecond), cpu.Round(time.Millisecond),
				gr.Stats.Objective, gOfOpt, mustCol, cbcTime)
			tw.Flush()
		}
	}
	return tw.Flush()
}

func selected(list, name string) bool {
	return list == "" || slices.Contains(strings.Split(list, ","), name)
}

func pct(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f %%", 100*a/b)
}

type optimumResult struct {
	mipResult
	must int
}

// optimum is the policy's optimum: one MIP for MostMeetings and Balanced,
// and for PrioritiesFirst one per class, each holding the classes before it
// at their optimum (the lexicographic optimum), reported as meetings.
func optimum(ctx context.Context, cbc, dir string, m model, p scheduler.Problem, limit time.Duration) (optimumResult, error) {
	fixed := float64(len(p.Fixed))
	var out optimumResult
	countMust := func(x []bool) {
		for i, on := range x {
			if on && p.Requests[m.vars[i].r].Must {
				out.must++
			}
		}
	}
	switch p.Policy {
	case scheduler.MostMeetings, scheduler.Balanced:
		w := scheduler.Weight(&p)
		res, err := solveMIP(ctx, cbc, dir, m, func(r int) float64 { return float64(w(r)) }, nil, limit)
		if err != nil {
			return out, err
		}
		out.mipResult = res
		var fixedW float64
		for _, f := range p.Fixed {
			if f.Request >= 0 {
				fixedW += float64(w(f.Request))
			} else {
				fixedW++
			}
		}
		out.value += fixedW
		out.bound += fixedW
		countMust(res.x)
		return out, nil
	}
	// A stage's schedule value holds the later stages to it only while every
	// stage before it was solved to optimality: otherwise the lexicographic
	// optimum may have less of that class, and the later bounds would not
	// bound it.
	var extras []extra
	out.optimal = true
	for c := range 4 {
		in := func(r int) float64 {
			if scheduler.Class(p.Requests[r]) == c {
				return 1
			}
			return 0
		}
		res, err := solveMIP(ctx, cbc, dir, m, in, extras, limit)
		if err != nil {
			return out, err
		}
		out.value += res.value
		out.bound += res.bound
		if out.optimal {
			extras = append(extras, extra{weight: in, rhs: res.value})
		}
		out.optimal = out.optimal && res.optimal
		out.took += res.took
		out.x = res.x
	}
	countMust(out.x)
	out.value += fixed
	out.bound += fixed
	return out, nil
}

// cpuTime is the CPU time this process has used: on a shared machine the
// solver's wall-clock time says more about the neighbours than about it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
