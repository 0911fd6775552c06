package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

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

// A replica that is not SERVING (still loading, or draining after SIGTERM)
// gets none of the gateway's calls while another one serves, and gets them
// again once it serves.
func TestCallsSkipAReplicaNotServing(t *testing.T) {
	var loading atomic.Bool
	loading.Store(true)
	b1, addr1 := startBackend(t)
	b2, addr2 := startBackendReady(t, func(context.Context) error {
		if loading.Load() {
			return errors.New("loading")
		}
		return nil
	})
	r := manual.NewBuilderWithScheme("tandemhealth")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: addr1}, {Addr: addr2}}})
	resolver.Register(r)

	base := gatewayWith(t, addr1, func(c *gateway.Config) { c.Profiles = "tandemhealth:///profiles" })
	auth := map[string]string{"Authorization": "Bearer " + memberToken(t, "demo-company-member")}
	for range 20 {
		if res := do(t, "GET", base+"/v1/organizations/o1", auth, nil); res.status != http.StatusOK {
			t.Fatalf("GET organization = %d %s", res.status, res.body)
		}
	}
	if n := b2.total(); n != 0 {
		t.Fatalf("the replica not serving got %d of 20 calls (the other %d)", n, b1.total())
	}
	loading.Store(false)
	deadline := time.Now().Add(30 * time.Second)
	for b2.total() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the replica got no call within 30 s of serving")
		}
		if res := do(t, "GET", base+"/v1/organizations/o1", auth, nil); res.status != http.StatusOK {
			t.Fatalf("GET organization = %d %s", res.status, res.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
