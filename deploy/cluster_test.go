package deploy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestImagesCluster is the production shape on one machine: three NATS
// servers in a cluster, every domain service from its image twice (one
// replica on 127.0.0.1, one on ::1, the same port, so that "localhost"
// resolves to both as a headless Service does) with JS_REPLICAS=3, and the
// gateway in front dialling dns:///localhost:<port>. Writes and reads go
// through the gateway's HTTP API; both replicas of profiles serve calls;
// the streams are R3; and with one NATS server stopped, writes still work.
// `make images-test` runs it; without images it skips.
func TestImagesCluster(t *testing.T) {
	dir := os.Getenv("IMAGES_DIR")
	if dir == "" {
		dir = "../bin/images"
	}
	if _, err := os.Stat(filepath.Join(dir, "gateway.oci.tar")); err != nil {
		t.Skipf("no images in %s: run make images-test", dir)
	}
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback for the second replicas: %v", err)
	} else {
		l.Close()
	}
	roots := map[string]string{}
	for _, s := range imageServices {
		roots[s.name] = t.TempDir()
		unpackOCI(t, filepath.Join(dir, s.name+".oci.tar"), roots[s.name])
	}
	servers := testenv.JetStreamCluster(t, 3)
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.ClientURL())
	}
	rc, prefix := testenv.Redis(t)
	redisURL := fmt.Sprintf("redis://%s/%d", rc.Options().Addr, rc.Options().DB)
	keys := authtest.New(t, "cluster")

	startCtx, cancelStart := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelStart()
	ports := map[string]string{}
	debug := map[string][]string{}
	for _, s := range imageServices {
		_, port, _ := net.SplitHostPort(freeAddr(t))
		ports[s.name] = port
		hosts := []string{"127.0.0.1", "::1"}
		if s.name == "gateway" {
			hosts = hosts[:1]
		}
		for i, host := range hosts {
			d := freeAddr(t)
			debug[s.name] = append(debug[s.name], d)
			env := []string{
				s.prefix + "_NATS_URL=" + strings.Join(urls, ","),
				s.prefix + "_REDIS_URL=" + redisURL,
				s.prefix + "_REDIS_PREFIX=" + prefix,
				s.prefix + "_AUTH_PUBLIC_KEYS=" + authtest.PublicKeys(t, keys),
				s.prefix + "_GRPC_ADDR=" + net.JoinHostPort(host, port),
				s.prefix + "_DEBUG_ADDR=" + d,
				s.prefix + "_JS_REPLICAS=3",
				s.prefix + "_LOG_LEVEL=warn",
				s.prefix + "_STARTUP_TIMEOUT=3m",
			}
			if s.name == "gateway" {
				// The replicas serve before the gateway dials them: a
				// replica it found down would wait out gRPC's reconnect
				// backoff before taking calls.
				for _, o := range domainImages {
					for _, h := range []string{"127.0.0.1", "::1"} {
						waitServing(startCtx, t, o.name, net.JoinHostPort(h, ports[o.name]))
					}
				}
				ports["http"] = strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
				env = append(env, "GATEWAY_HTTP_ADDR=127.0.0.1:"+ports["http"], "GATEWAY_AUTH_SIGNING_KEY="+keys.SigningKey(t))
				for _, o := range domainImages {
					env = append(env, "GATEWAY_"+strings.ToUpper(o.name)+"=dns:///localhost:"+ports[o.name])
				}
			}
			// Both replicas start at once and race to declare the R3
			// streams and buckets.
			startFromImage(t, roots[s.name], fmt.Sprintf("%s-%d", s.name, i), env)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := "http://127.0.0.1:" + ports["http"]
	waitReady(ctx, t, base+"/readyz")

	tok := keys.Token(t, auth.Principal{Subject: "operator", Roles: []auth.Role{auth.RoleAdmin}})
	create := func(name string) string {
		t.Helper()
		body := fmt.Sprintf(`{"organization":{"name":%q,"kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT"},"clientRequestId":%q}`, name, name)
		status, b := call(ctx, t, "POST", base+"/v1/organizations", tok, body)
		if status != http.StatusOK {
			t.Fatalf("create %s: %d %s", name, status, b)
		}
		id := regexp.MustCompile(`"id":\s*"([^"]+)"`).FindStringSubmatch(b)
		if id == nil {
			t.Fatalf("create %s: no id in %s", name, b)
		}
		return id[1]
	}
	var ids []string
	for i := range 10 {
		ids = append(ids, create(fmt.Sprintf("Cluster Trial %d", i)))
	}
	for _, id := range ids {
		if status, b := call(ctx, t, "GET", base+"/v1/organizations/"+id, tok, ""); status != http.StatusOK {
			t.Fatalf("read %s back: %d %s", id, status, b)
		}
	}
	// Both replicas of profiles served API calls.
	for i, d := range debug["profiles"] {
		if n := handled(ctx, t, d, "tandem.profiles.v1.ProfilesService"); n == 0 {
			t.Errorf("profiles replica %d served no call: the gateway does not balance", i)
		}
	}
	// R3 streams, replicated on the two other servers.
	_, js := testenv.Connect(t, strings.Join(urls, ","))
	for _, name := range []string{"TANDEM_PROFILES", "TANDEM_COMPETENCIES", "TANDEM_MATCHING", "TANDEM_MEETINGS", "TANDEM_MESSAGING", "KV_profiles_organizations"} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info := st.CachedInfo()
		if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("stream %s: %d replicas configured, cluster %+v; want R3", name, info.Config.Replicas, info.Cluster)
		}
	}
	// One NATS server down: writes go on.
	servers[0].Shutdown()
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		body := fmt.Sprintf(`{"organization":{"name":"After Failover %d","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT"},"clientRequestId":"after-%d"}`, i, i)
		status, b := call(ctx, t, "POST", base+"/v1/organizations", tok, body)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write succeeded within a minute of losing one NATS server: %d %s", status, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func call(ctx context.Context, t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// handled sums grpc_server_handled_total of one gRPC service on a debug port.
func handled(ctx context.Context, t *testing.T, debugAddr, service string) float64 {
	t.Helper()
	status, body := call(ctx, t, "GET", "http://"+debugAddr+"/metrics", "", "")
	if status != http.StatusOK {
		t.Fatalf("metrics of %s: %d", debugAddr, status)
	}
	sum := 0.0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "grpc_server_handled_total{") && strings.Contains(line, `grpc_service="`+service+`"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}
