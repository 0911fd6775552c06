package matching_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The debug port reports the size of the replica's read model.
func TestIndexMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.DebugAddr = l.Addr().String()
	l.Close()
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	res, err := http.Get("http://" + e.cfg.DebugAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, kind := range []string{"organizations", "competencies"} {
		prefix := `tandem_matching_index_entries{kind="` + kind + `"} `
		i := strings.Index(string(body), prefix)
		if i < 0 || strings.HasPrefix(string(body[i+len(prefix):]), "0\n") {
			t.Errorf("metrics lack a non-zero %s", prefix)
		}
	}
	if !strings.Contains(string(body), `tandem_consumer_last_event_age_seconds{consumer="matching_`) {
		t.Error("metrics lack the projection's age (its consumers' last event age)")
	}
}
