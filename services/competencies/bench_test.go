package competencies_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// BenchmarkPublish measures PublishCompetency through gRPC against the
// in-process service and JetStream: each item changes its competency, so
// each one writes the bucket (and the relay publishes its event). Items
// cycle over 50 organisations and 6 terms. "single" is two clients calling
// PublishCompetency; "batches" two clients sending BatchPublishCompetencies
// of 500 items, side by side in the same run.
//
//	go test -run '^$' -bench 'BenchmarkPublish$' -benchtime 6000x -count 5 ./services/competencies
func BenchmarkPublish(b *testing.B) {
	e := start(b)
	c := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	terms := []string{"EDAM:topic_0622", "EDAM:topic_3170", "EDAM:topic_0121", "MESH:D013058", "MESH:D008103", "EDAM:topic_3168"}
	orgs := make([]string, 50)
	for i := range orgs {
		orgs[i] = ulid.Make().String()
		e.organization(orgs[i], 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	}
	for _, o := range orgs {
		waitHolder(b, c, orgRef(o))
	}
	var n atomic.Int64
	item := func(i int64) *competenciesv1.Competency {
		return &competenciesv1.Competency{Holder: orgRef(orgs[i%int64(len(orgs))]), TermId: terms[(i/int64(len(orgs)))%int64(len(terms))],
			Description: "run " + strconv.FormatInt(i, 10)}
	}
	b.Run("single", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.PublishCompetency(ctx(b), &competenciesv1.PublishCompetencyRequest{Competency: item(n.Add(1))}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
	})
	b.Run("batches", func(b *testing.B) {
		const size = 500
		var left atomic.Int64
		left.Store(int64(b.N))
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for {
					k := min(left.Add(-size)+size, size)
					if k <= 0 {
						return
					}
					req := &competenciesv1.BatchPublishCompetenciesRequest{}
					for range k {
						req.Items = append(req.Items, &competenciesv1.PublishCompetencyRequest{Competency: item(n.Add(1))})
					}
					res, err := c.BatchPublishCompetencies(ctx(b), req)
					if err != nil {
						b.Error(err)
						return
					}
					for _, r := range res.GetResults() {
						if r.GetError() != nil {
							b.Error(r.GetError())
							return
						}
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
	})
}
