package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth"
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
	// The same gateway without rate limits, to tell what the limits cost.
	unlimited := gatewayWith(b, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser, c.RateItemsUser = 0, 0, 0 })
	tok := memberToken(b, "company")
	// The direct call carries the same token, so the service does the same
	// work for both.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := profilesv1.NewProfilesServiceClient(conn)
	newReq := func(base string) *http.Request {
		req, _ := http.NewRequest("GET", base+"/v1/organizations/o1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	limitedReq, unlimitedReq := newReq(base), newReq(unlimited)
	// A bare net/http server answering a fixed body: the HTTP hop alone.
	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"organization":{"id":"o1"}}`))
	}))
	defer noop.Close()
	noopReq, _ := http.NewRequest("GET", noop.URL+"/v1/organizations/o1", nil)
	ctx := context.Background()
	const round = 200
	// Each round times its calls on the clock and in CPU time (the whole
	// process: client, gateway and backend), per call.
	measure := func(call func()) (wall, cpu time.Duration) {
		c0, start := cpuTime(b), time.Now()
		for range round {
			call()
		}
		return time.Since(start) / round, (cpuTime(b) - c0) / round
	}
	direct := func() {
		if _, err := c.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: "o1"}); err != nil {
			b.Fatal(err)
		}
	}
	viaHTTP := func(req *http.Request) func() {
		return func() {
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
	}
	// A Redis round trip, what a rate-limit check in Redis costs, measured
	// alongside.
	rdb, _ := testenv.Redis(b)
	redisPing := func() {
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
	sides := []struct {
		name string
		call func()
	}{
		{"direct", direct},
		{"gateway", viaHTTP(limitedReq)},
		{"nolimits", viaHTTP(unlimitedReq)},
		{"http_noop", viaHTTP(noopReq)},
		{"redis", redisPing},
	}
	walls, cpus := make([][]time.Duration, len(sides)), make([][]time.Duration, len(sides))
	for _, s := range sides {
		measure(s.call) // warm every path: connections, caches
	}
	for b.Loop() {
		for i, s := range sides {
			w, c := measure(s.call)
			walls[i], cpus[i] = append(walls[i], w), append(cpus[i], c)
		}
	}
	wall := func(i int) float64 { return float64(median(walls[i])) }
	cpu := func(i int) float64 { return float64(median(cpus[i])) }
	b.ReportMetric(wall(0)/1e3, "direct_us")
	b.ReportMetric(wall(1)/1e3, "gateway_us")
	b.ReportMetric(wall(1)/wall(0), "ratio")
	b.ReportMetric(cpu(1)/cpu(0), "cpu_ratio")
	b.ReportMetric(wall(2)/wall(0), "nolimits_ratio")
	b.ReportMetric(wall(3)/1e3, "http_noop_us")
	b.ReportMetric(wall(4)/1e3, "redis_us")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
