package deploy_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Development-only code that production binaries must not link: the
// embedded Redis-compatible server (with its Lua interpreter), the embedded
// NATS server and the test helpers.
var devOnly = []string{
	"github.com/alicebob/miniredis",
	"github.com/yuin/gopher-lua",
	"github.com/nats-io/nats-server",
	"github.com/tandem-cluster/tandem/pkg/redisx/embedded",
	"github.com/tandem-cluster/tandem/pkg/natsx/embedded",
	"github.com/tandem-cluster/tandem/pkg/testenv",
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestProductionBinariesLinkNoDevServers lists what each service binary
// links (go list -deps, the packages go build compiles into it).
func TestProductionBinariesLinkNoDevServers(t *testing.T) {
	linked := func(ds []string, prefix string) bool {
		return slices.ContainsFunc(ds, func(d string) bool { return strings.HasPrefix(d, prefix) })
	}
	// tandem dev does link them: the check below is not vacuous.
	tandem := deps(t, "github.com/tandem-cluster/tandem/cmd/tandem")
	for _, p := range devOnly[:3] {
		if !linked(tandem, p) {
			t.Fatalf("tandem (dev) does not link %s: the list of development-only packages is stale", p)
		}
	}
	for _, s := range []string{"profiles", "competencies", "matching", "meetings", "messaging", "gateway"} {
		ds := deps(t, "github.com/tandem-cluster/tandem/services/"+s+"/cmd/"+s)
		for _, p := range devOnly {
			if linked(ds, p) {
				t.Errorf("the %s binary links %s", s, p)
			}
		}
	}
}
