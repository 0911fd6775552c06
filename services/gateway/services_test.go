package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/gateway"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// TestRealServicesBehindTheGateway drives the real services through the
// HTTP API. Calls a service does not implement yet must come back as 501 in
// the error shape; the others as the service answers, never as a routing
// or gateway failure.
func TestRealServicesBehindTheGateway(t *testing.T) {
	t.Parallel()
	addrs := startServices(t)
	base := gatewayWith(t, addrs[0], func(c *gateway.Config) {
		c.Competencies, c.Matching, c.Meetings = addrs[1], addrs[2], addrs[3]
	})
	admin := login(t, base, "admin")

	check := func(name, method, path, body string, ok func(response) bool) response {
		t.Helper()
		var r response
		if body == "" {
			r = do(t, method, base+path, jsonHeader(admin), nil)
		} else {
			r = do(t, method, base+path, jsonHeader(admin), strings.NewReader(body))
		}
		switch {
		case r.status == http.StatusNotImplemented:
			if e := r.apiErr(t); e.Error.Status != "UNIMPLEMENTED" {
				t.Errorf("%s: 501 with status %s", name, e.Error.Status)
			}
			t.Logf("%s: not implemented yet", name)
		case r.status >= 400:
			e := r.apiErr(t)
			if r.status == http.StatusNotFound && strings.Contains(e.Error.Message, "no route") || r.status >= 500 {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
			if ok != nil && !ok(r) {
				t.Errorf("%s: unexpected error %d %s", name, r.status, r.body)
			}
		case ok != nil && !ok(r):
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
		return r
	}

	// Bad input reaches the service's own validation and comes back with
	// its field violations.
	check("invalid organization", "POST", "/v1/organizations", `{"organization":{}}`, func(r response) bool {
		if r.status != http.StatusBadRequest {
			return false
		}
		return len(r.apiErr(t).Error.FieldViolations) > 0
	})
	r := check("create organization", "POST", "/v1/organizations",
		`{"organization":{"name":"Acme Bio","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT"},"clientRequestId":"gw-test-1"}`, nil)
	if r.status == http.StatusOK {
		var created struct {
			Organization struct{ ID, Name string } `json:"organization"`
		}
		r.json(t, &created)
		check("get organization", "GET", "/v1/organizations/"+created.Organization.ID, "", func(r response) bool {
			return r.status == http.StatusOK && strings.Contains(string(r.body), `"Acme Bio"`)
		})
	}
	check("list organizations", "GET", "/v1/organizations?pageSize=10", "", nil)
	check("search terms", "GET", "/v1/terms?query=sequencing&pageSize=5", "", nil)
	check("list events", "GET", "/v1/events", "", nil)
	check("suggest partners", "POST", "/v1/matching/suggestions", `{"need":{"text":"RNA sequencing"},"limit":5}`, nil)
	check("missing organization", "GET", "/v1/organizations/01J00000000000000000000000", "", func(r response) bool {
		return r.status == http.StatusNotFound
	})
}

// startServices runs the four real services and returns their addresses:
// profiles, competencies, matching, meetings.
func startServices(t testing.TB) [4]string {
	t.Helper()
	pc := profiles.DefaultConfig()
	pc.Common = runtimetest.Common(t)
	cc := competencies.DefaultConfig()
	cc.Common = runtimetest.Common(t)
	mc := matching.DefaultConfig()
	mc.Common = runtimetest.Common(t)
	ec := meetings.DefaultConfig()
	ec.Common = runtimetest.Common(t)
	conns := [4]*grpc.ClientConn{
		runtimetest.Start(t, profiles.Options(pc)),
		runtimetest.Start(t, competencies.Options(cc)),
		runtimetest.Start(t, matching.Options(mc)),
		runtimetest.Start(t, meetings.Options(ec)),
	}
	// The gateway sends calls only to a SERVING backend, and a service
	// turns SERVING once its read model is complete (matching rebuilds its
	// index first): wait for each, however loaded the machine is.
	var addrs [4]string
	for i, conn := range conns {
		runtimetest.WaitServing(t, conn)
		addrs[i] = conn.Target()
	}
	return addrs
}
