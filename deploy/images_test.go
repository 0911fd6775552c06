package deploy_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// imageServices are the images make images builds, with their environment
// prefix; the gateway comes last because it needs the others.
var imageServices = []struct{ name, prefix string }{
	{"profiles", "PROFILES"}, {"competencies", "COMPETENCIES"}, {"matching", "MATCHING"},
	{"meetings", "MEETINGS"}, {"messaging", "MESSAGING"}, {"gateway", "GATEWAY"},
}

// domainImages are imageServices without the gateway, which calls them.
var domainImages = imageServices[:len(imageServices)-1]

// ociConfig is the part of an OCI image configuration the test reads.
type ociConfig struct {
	Config struct {
		User       string
		Entrypoint []string
		Labels     map[string]string
	} `json:"config"`
}

// TestImages checks the images of make images (bin/images, or $IMAGES_DIR):
// each unpacks to a root filesystem holding a static binary, CA certificates
// and the time-zone database; it runs as a non-root user; and the six
// binaries, started from their image's root filesystem (chroot, as the
// image's user, when the test runs as root), serve: each domain service
// reports SERVING over gRPC health and the gateway's /readyz answers 200.
// `make images-test` builds the images and runs it; without images it skips.
func TestImages(t *testing.T) {
	dir := os.Getenv("IMAGES_DIR")
	if dir == "" {
		dir = "../bin/images"
	}
	if _, err := os.Stat(filepath.Join(dir, "gateway.oci.tar")); err != nil {
		t.Skipf("no images in %s: run make images-test", dir)
	}
	roots, versions := map[string]string{}, map[string]string{}
	for _, s := range imageServices {
		root := t.TempDir()
		cfg := unpackOCI(t, filepath.Join(dir, s.name+".oci.tar"), root)
		checkImage(t, s.name, cfg, root)
		roots[s.name], versions[s.name] = root, cfg.Config.Labels["org.opencontainers.image.version"]
	}

	natsURL, _, _ := testenv.JetStream(t)
	rc, prefix := testenv.Redis(t)
	redisURL := fmt.Sprintf("redis://%s/%d", rc.Options().Addr, rc.Options().DB)
	keys := authtest.New(t, "images")
	addrs, logs := map[string]string{}, map[string]string{}
	for _, s := range imageServices {
		env := []string{
			s.prefix + "_NATS_URL=" + natsURL,
			s.prefix + "_REDIS_URL=" + redisURL,
			s.prefix + "_REDIS_PREFIX=" + prefix,
			s.prefix + "_AUTH_PUBLIC_KEYS=" + authtest.PublicKeys(t, keys),
			s.prefix + "_GRPC_ADDR=" + freeAddr(t),
			s.prefix + "_DEBUG_ADDR=" + freeAddr(t),
			s.prefix + "_LOG_LEVEL=info",
			s.prefix + "_STARTUP_TIMEOUT=3m",
		}
		addrs[s.name] = strings.TrimPrefix(env[4], s.prefix+"_GRPC_ADDR=")
		if s.name == "gateway" {
			addrs["http"] = freeAddr(t)
			env = append(env, "GATEWAY_HTTP_ADDR="+addrs["http"], "GATEWAY_AUTH_SIGNING_KEY="+keys.SigningKey(t))
			for _, o := range domainImages {
				env = append(env, "GATEWAY_"+strings.ToUpper(o.name)+"="+addrs[o.name])
			}
		}
		logs[s.name] = startFromImage(t, roots[s.name], s.name, env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, s := range domainImages {
		waitServing(ctx, t, s.name, addrs[s.name])
	}
	waitReady(ctx, t, "http://"+addrs["http"]+"/readyz")
	// The binaries carry the version the images are labelled with.
	for _, s := range imageServices {
		b, err := os.ReadFile(logs[s.name])
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`"version":%q`, versions[s.name]); !strings.Contains(string(b), want) {
			t.Errorf("%s: start-up log lacks %s: the binary is not stamped with its image's version", s.name, want)
		}
	}
}

// unpackOCI reads an OCI archive (buildah push oci-archive:), applies its
// layers to root and returns the image configuration.
func unpackOCI(t *testing.T, archive, root string) ociConfig {
	t.Helper()
	blobs := t.TempDir()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	extractTar(t, f, blobs)
	read := func(digest string) []byte {
		b, err := os.ReadFile(filepath.Join(blobs, "blobs", strings.Replace(digest, ":", "/", 1)))
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		return b
	}
	var index struct{ Manifests []struct{ Digest string } }
	idx, err := os.ReadFile(filepath.Join(blobs, "index.json"))
	if err != nil || json.Unmarshal(idx, &index) != nil || len(index.Manifests) != 1 {
		t.Fatalf("%s: bad index.json (%v)", archive, err)
	}
	var manifest struct {
		Config struct{ Digest string }
		Layers []struct{ MediaType, Digest string }
	}
	if err := json.Unmarshal(read(index.Manifests[0].Digest), &manifest); err != nil {
		t.Fatal(err)
	}
	for _, l := range manifest.Layers {
		lf, err := os.Open(filepath.Join(blobs, "blobs", strings.Replace(l.Digest, ":", "/", 1)))
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = lf
		if strings.HasSuffix(l.MediaType, "+gzip") {
			if r, err = gzip.NewReader(lf); err != nil {
				t.Fatal(err)
			}
		}
		extractTar(t, r, root)
		lf.Close()
	}
	var cfg ociConfig
	if err := json.Unmarshal(read(manifest.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// extractTar writes regular files and folders of a tar stream under dir;
// os.Root keeps every path inside it.
func extractTar(t *testing.T, r io.Reader, dir string) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(strings.TrimPrefix(h.Name, "/"))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
			_ = root.Chmod(name, os.FileMode(h.Mode)&os.ModePerm|os.FileMode(h.Mode)&os.ModeSticky)
		case tar.TypeReg:
			if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			w, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&os.ModePerm)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, tr); err != nil {
				t.Fatal(err)
			}
			w.Close()
		}
	}
}

// checkImage: non-root user, labels, the files every service needs, and a
// static binary built without cgo and with -trimpath.
func checkImage(t *testing.T, name string, cfg ociConfig, root string) {
	t.Helper()
	c := cfg.Config
	if c.User != "65532:65532" {
		t.Errorf("%s: image user %q, want 65532:65532 (non-root)", name, c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/" + name}) {
		t.Errorf("%s: entrypoint %q", name, c.Entrypoint)
	}
	for _, l := range []string{"org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.created", "org.opencontainers.image.title"} {
		if c.Labels[l] == "" {
			t.Errorf("%s: label %s missing", name, l)
		}
	}
	for _, f := range []string{"etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/Europe/Rome", "usr/share/zoneinfo/UTC", "etc/passwd", name} {
		if st, err := os.Stat(filepath.Join(root, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: image lacks %s (%v)", name, f, err)
		}
	}
	bin := filepath.Join(root, name)
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer ef.Close()
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 || slices.ContainsFunc(ef.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Errorf("%s: binary is dynamically linked (%v)", name, libs)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("%s: built with CGO_ENABLED=%q -trimpath=%q", name, settings["CGO_ENABLED"], settings["-trimpath"])
	}
}

// startFromImage runs the image's binary in its root filesystem until the
// test ends: chrooted and as the image's user when the test is root,
// otherwise directly (the files then come from the host).
func startFromImage(t *testing.T, root, name string, env []string) (logFile string) {
	t.Helper()
	// A replica's log name is "<binary>-<n>".
	bin := name
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		bin = name[:i]
	}
	cmd := exec.Command(filepath.Join(root, bin))
	if os.Geteuid() == 0 {
		cmd = exec.Command("/" + bin)
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		cmd.Dir = "/"
	}
	cmd.Env = env
	out, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited after SIGTERM with %v", name, err)
			}
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within a minute of SIGTERM", name)
		}
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s log:\n%s", name, b)
		}
		out.Close()
	})
	return out.Name()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitServing(ctx context.Context, t *testing.T, name, addr string) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := healthpb.NewHealthClient(conn)
	for {
		res, err := h.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s from its image never reported SERVING: %v %v", name, res.GetStatus(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitReady(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gateway from its image never ready: %s", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
