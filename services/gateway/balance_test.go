package gateway_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/tandem-cluster/tandem/services/gateway"
)

// TestCallsSpreadOverReplicas resolves one service name to two replicas, as
// a headless Kubernetes Service does, and checks that the gateway's calls
// reach both: with gRPC's default pick_first one replica would get them all.
func TestCallsSpreadOverReplicas(t *testing.T) {
	b1, addr1 := startBackend(t)
	b2, addr2 := startBackend(t)
	r := manual.NewBuilderWithScheme("tandemtest")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: addr1}, {Addr: addr2}}})
	resolver.Register(r)

	base := gatewayWith(t, addr1, func(c *gateway.Config) { c.Profiles = "tandemtest:///profiles" })
	tok := memberToken(t, "demo-company-member")
	const calls = 20
	for range calls {
		res := do(t, "GET", base+"/v1/organizations/o1", map[string]string{"Authorization": "Bearer " + tok}, nil)
		if res.status != http.StatusOK {
			t.Fatalf("GET organization = %d %s", res.status, res.body)
		}
	}
	n1, n2 := b1.total(), b2.total()
	if n1 == 0 || n2 == 0 || n1+n2 < calls {
		t.Fatalf("calls per replica = %d and %d of %d; want both replicas used", n1, n2, calls)
	}
	t.Logf("calls per replica: %d and %d", n1, n2)
}
