package runtime

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
)

func TestMainHelpAndBadConfig(t *testing.T) {
	type cfg struct{ Common }
	opts := func(c *cfg) func() Options {
		return func() Options { return Options{Name: "demo", Common: c.Common} }
	}
	keys := authtest.PublicKeys(t, authtest.Default())
	dev, _ := auth.MarshalPublicKeys(auth.DevSigningKey().Public())
	devKeys := string(dev)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help shows the preset addresses", []string{"--help"}, 0, "--grpc-addr 127.0.0.1:7999", ""},
		{"unknown flag", []string{"--no-such-flag"}, 2, "", "no-such-flag"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, 2, "", "ShutdownTimeout"},
		{"no keys", nil, 2, "", "DEMO_AUTH_PUBLIC_KEYS"},
		{"the retired shared key", []string{"--auth-key", "0123456789abcdef0123456789abcdef", "--auth-public-keys", keys}, 2, "", "DEMO_AUTH_KEY is no longer accepted"},
		{"unreadable key file", []string{"--auth-public-keys", "/nonexistent/keys.json"}, 2, "", "DEMO_AUTH_PUBLIC_KEYS"},
		{"the development key without --dev", []string{"--auth-public-keys", devKeys}, 2, "", "development key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cfg{Common: WithAddrs("127.0.0.1:7999", "127.0.0.1:9999")}
			var out, errOut bytes.Buffer
			code := main(context.Background(), "DEMO", c, opts(c), tt.args, &out, &errOut)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tt.wantErr)
			}
		})
	}
}
