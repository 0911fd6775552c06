package gateway_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway"
)

// BenchmarkGetOrganization compares one read through the gateway (HTTP/JSON,
// token check, rate limits in Redis, forwarding) with the same gRPC call
// made directly; the ratio of the two is the gateway's cost.
func BenchmarkGetOrganization(b *testing.B) {
	_, addr := startBackend(b)
	// Budgets no run exhausts: the checks still cost their Redis round trips.
	base := gatewayWith(b, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser = 1<<30, 1<<30 })
	tok := memberToken(b, "company") // the stand-in backend cannot create the demo organisations a login would

	b.Run("grpc-direct", func(b *testing.B) {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		c := profilesv1.NewProfilesServiceClient(conn)
		ctx := context.Background()
		for b.Loop() {
			if _, err := c.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: "o1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http-gateway", func(b *testing.B) {
		req, _ := http.NewRequest("GET", base+"/v1/organizations/o1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for b.Loop() {
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
	})
}
