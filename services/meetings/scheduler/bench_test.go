package scheduler_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler/schedgen"
)

// The scheduler's figures: time per run (ns/op) and placed ÷ upper bound,
// for Solve and for the greedy baseline on the same generated events. Run
// with `make bench` or
//
//	go test -run '^$' -bench . -count 5 ./services/meetings/scheduler
func BenchmarkSchedule(b *testing.B) {
	for _, ev := range []struct {
		name string
		cfg  schedgen.Config
	}{{"large_6000p_30000r", schedgen.Large()}, {"small_150p", schedgen.Small()}} {
		p := schedgen.Generate(42, ev.cfg)
		for _, alg := range []struct {
			name  string
			solve func(scheduler.Problem) scheduler.Result
		}{{"solve", scheduler.Solve}, {"greedy", scheduler.Greedy}} {
			b.Run(ev.name+"/"+alg.name, func(b *testing.B) {
				var res scheduler.Result
				for b.Loop() {
					res = alg.solve(p)
				}
				st := res.Stats
				b.ReportMetric(float64(st.Placed)/float64(st.UpperBound), "placed/bound")
				b.ReportMetric(float64(st.Placed), "placed")
				b.ReportMetric(float64(st.UpperBound), "bound")
				b.ReportMetric(float64(st.MinMeetings), "min-meetings")
				b.ReportMetric(float64(st.WithoutAny), "without-any")
				b.ReportMetric(float64(st.MustPlaced)/float64(max(1, st.MustConsidered)), "must-placed/must")
				b.ReportMetric(float64(st.IdleGaps), "idle-gaps")
			})
		}
	}
}
