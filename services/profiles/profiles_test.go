package profiles_test

import (
	"slices"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// TestServerStarts starts the service as its binary would and checks that it
// reports SERVING and that reflection lists its API.
func TestServerStarts(t *testing.T) {
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, profiles.Options(cfg))

	name := profilesv1.ProfilesService_ServiceDesc.ServiceName
	for _, svc := range []string{"", name} {
		if got := runtimetest.HealthStatus(t, conn, svc); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, want SERVING", svc, got)
		}
	}
	services := runtimetest.ReflectedServices(t, conn)
	for _, want := range []string{name, "grpc.health.v1.Health"} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection lists %v, want %s among them", services, want)
		}
	}
}
