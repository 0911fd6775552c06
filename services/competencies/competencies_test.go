package competencies_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
)

// TestServerStarts starts the service as its binary would and checks that it
// reports SERVING and that reflection lists its API.
func TestServerStarts(t *testing.T) {
	cfg := competencies.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, competencies.Options(cfg))
	runtimetest.CheckServing(t, conn, competenciesv1.CompetenciesService_ServiceDesc.ServiceName)
}
