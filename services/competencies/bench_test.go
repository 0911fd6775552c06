package competencies_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// publishItems is how many changes each run of BenchmarkPublish makes.
const publishItems = 6000

// BenchmarkPublish measures PublishCompetency through gRPC against the
// in-process service and JetStream: each item changes its competency, so
// each one writes the bucket (and the relay publishes its event). Items
// cycle over 50 organisations (new ones for each run) and 6 terms. Each
// iteration makes
// publishItems changes by two clients calling PublishCompetency and as many
// by two clients sending BatchPublishCompetencies of 500 items, the two in
// alternating order so both see the same load; it reports the medians of
// the iterations, the median of their ratios and the load average.
//
//	go test -run '^$' -bench 'BenchmarkPublish$' -benchtime 5x ./services/competencies
func BenchmarkPublish(b *testing.B) {
	e := start(b)
	c := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	terms := []string{"EDAM:topic_0622", "EDAM:topic_3170", "EDAM:topic_0121", "MESH:D013058", "MESH:D008103", "EDAM:topic_3168"}
	var (
		orgs []string
		n    atomic.Int64
	)
	// holders gives each run 50 new organisations, so every run makes 20
	// versions of 300 competencies, as many as the bucket keeps history of.
	holders := func() {
		orgs = make([]string, 50)
		for i := range orgs {
			orgs[i] = ulid.Make().String()
			e.organization(orgs[i], 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
		}
		for _, o := range orgs {
			waitHolder(b, c, orgRef(o))
		}
		n.Store(0)
	}
	item := func(i int64) *competenciesv1.Competency {
		return &competenciesv1.Competency{Holder: orgRef(orgs[i%int64(len(orgs))]), TermId: terms[(i/int64(len(orgs)))%int64(len(terms))],
			Description: "run " + strconv.FormatInt(i, 10)}
	}
	// run has two clients take turns at left items, size a call, and
	// returns the publishes a second.
	run := func(size int64, call func(k int64) error) float64 {
		holders()
		var left atomic.Int64
		left.Store(publishItems)
		begin := time.Now()
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for {
					k := min(left.Add(-size)+size, size)
					if k <= 0 {
						return
					}
					if err := call(k); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return publishItems / time.Since(begin).Seconds()
	}
	single := func() float64 {
		return run(1, func(int64) error {
			_, err := c.PublishCompetency(ctx(b), &competenciesv1.PublishCompetencyRequest{Competency: item(n.Add(1))})
			return err
		})
	}
	batches := func() float64 {
		return run(500, func(k int64) error {
			req := &competenciesv1.BatchPublishCompetenciesRequest{}
			for range k {
				req.Items = append(req.Items, &competenciesv1.PublishCompetencyRequest{Competency: item(n.Add(1))})
			}
			res, err := c.BatchPublishCompetencies(ctx(b), req)
			if err != nil {
				return err
			}
			for _, r := range res.GetResults() {
				if r.GetError() != nil || !r.GetChanged() {
					return fmt.Errorf("item: %v", r)
				}
			}
			return nil
		})
	}
	var one, many, ratio []float64
	load := testenv.LoadAverage()
	for i := range b.N {
		var s, m float64
		if i%2 == 0 {
			s, m = single(), batches()
		} else {
			m, s = batches(), single()
		}
		one, many, ratio = append(one, s), append(many, m), append(ratio, m/s)
		b.Logf("round %d: single calls %.0f/s, batches %.0f/s (%.2f×), load %.1f", i+1, s, m, m/s, testenv.LoadAverage())
	}
	b.ReportMetric(testenv.Median(one), "single_publishes/s")
	b.ReportMetric(testenv.Median(many), "batches_publishes/s")
	b.ReportMetric(testenv.Median(ratio), "ratio")
	b.ReportMetric((load+testenv.LoadAverage())/2, "load")
}
