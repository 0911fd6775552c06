package matching_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching"
)

// TestServerStarts starts the service as its binary would and checks that it
// reports SERVING and that reflection lists its API.
func TestServerStarts(t *testing.T) {
	cfg := matching.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, matching.Options(cfg))
	runtimetest.CheckServing(t, conn, matchingv1.MatchingService_ServiceDesc.ServiceName)
}
