package profiles_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// BenchmarkAPI measures create, get and list through the real server (gRPC,
// auth, JetStream) and reports each as a ratio to a no-op handler measured
// in the same run: the health check, which passes the same server and
// interceptors and does no work. x_noop is op time / no-op time.
func BenchmarkAPI(b *testing.B) {
	e := start(b)
	ctx := context.Background()
	health := healthpb.NewHealthClient(e.conn)
	noop := func() error {
		_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	var ids []string
	for i := range 1000 {
		ids = append(ids, mustCreateOrg(b, e.admin, org(fmt.Sprintf("Seed %04d", i))).GetId())
	}
	n := 0
	ops := []struct {
		name string
		op   func() error
	}{
		{"create", func() error {
			n++
			_, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org(fmt.Sprintf("Bench %08d", n))})
			return err
		}},
		{"get", func() error {
			n++
			_, err := e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: ids[n%len(ids)]})
			return err
		}},
		{"list50", func() error {
			_, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 50})
			return err
		}},
		// A text query scans the index in name order until the page is full:
		// here past every "Bench" organisation the create benchmark added.
		{"list50_query", func() error {
			_, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 50, Query: "seed"})
			return err
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			base := timeLoop(b, b.N, noop)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				t0 := time.Now()
				if err := o.op(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			total := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(total)/float64(base), "x_noop")
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(b.N)/total.Seconds(), "ops/s")
		})
	}
	b.Run("create_parallel", func(b *testing.B) {
		b.SetParallelism(4)
		var seq atomicCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org(fmt.Sprintf("Par %08d", seq.next()))}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

func timeLoop(b *testing.B, n int, op func() error) time.Duration {
	start := time.Now()
	for range n {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	return max(time.Since(start), 1)
}
