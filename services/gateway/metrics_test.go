package gateway_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/services/gateway"
)

// The debug port counts HTTP requests by area, method and code, times
// them, and counts rate-limit refusals by budget.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debug := l.Addr().String()
	l.Close()
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser, c.DebugAddr = 2, 0, debug })
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if r := do(t, "GET", base+"/v1/organizations/o1", nil, nil); r.status != want {
			t.Fatalf("request %d = %d, want %d", i+1, r.status, want)
		}
	}
	res, err := client.Get("http://" + debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`tandem_http_requests_total{area="api",code="200",method="GET"} 2`,
		`tandem_http_requests_total{area="api",code="429",method="GET"} 1`,
		`tandem_http_request_duration_seconds_count{area="api",method="GET"} 3`,
		`tandem_http_rate_limited_total{budget="ip"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
