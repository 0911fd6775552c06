package meetings_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	"github.com/tandem-cluster/tandem/services/meetings"
)

// TestServerStarts starts the service as its binary would and checks that it
// reports SERVING and that reflection lists its API.
func TestServerStarts(t *testing.T) {
	cfg := meetings.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, meetings.Options(cfg))
	runtimetest.CheckServing(t, conn, meetingsv1.MeetingsService_ServiceDesc.ServiceName)
}
