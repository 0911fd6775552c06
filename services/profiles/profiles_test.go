package profiles_test

import (
	"testing"

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
	runtimetest.CheckServing(t, conn, profilesv1.ProfilesService_ServiceDesc.ServiceName)
}
