package gateway_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway"
)

// BenchmarkGatewayOverhead alternates rounds of direct gRPC calls and the
// same read through the gateway, one call in flight, so both see the same
// load on a shared machine. It reports each side's median time per call over
// the rounds and "ratio", the gateway's over the direct call's (the target
// is at most 3).
//
//	go test -run '^$' -bench GatewayOverhead -benchtime 20x -count 5 ./services/gateway
func BenchmarkGatewayOverhead(b *testing.B) {
	_, addr := startBackend(b)
	base := gatewayWith(b, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser = 1<<30, 1<<30 })
	tok := memberToken(b, "company")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := profilesv1.NewProfilesServiceClient(conn)
	req, _ := http.NewRequest("GET", base+"/v1/organizations/o1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	ctx := context.Background()
	const round = 200
	direct := func() time.Duration {
		start := time.Now()
		for range round {
			if _, err := c.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: "o1"}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / round
	}
	viaGateway := func() time.Duration {
		start := time.Now()
		for range round {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
		return time.Since(start) / round
	}
	// A Redis round trip, the one the rate limits cost, measured alongside.
	rdb, _ := testenv.Redis(b)
	redisRound := func() time.Duration {
		start := time.Now()
		for range round {
			if err := rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / round
	}
	direct() // warm every path: connections, caches
	viaGateway()
	redisRound()
	var ds, gs, rs []time.Duration
	for b.Loop() {
		ds = append(ds, direct())
		gs = append(gs, viaGateway())
		rs = append(rs, redisRound())
	}
	d, g := median(ds), median(gs)
	b.ReportMetric(float64(d.Microseconds()), "direct_us")
	b.ReportMetric(float64(g.Microseconds()), "gateway_us")
	b.ReportMetric(float64(median(rs).Microseconds()), "redis_us")
	b.ReportMetric(float64(g)/float64(d), "ratio")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
