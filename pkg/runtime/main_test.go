package runtime

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMainHelpAndBadFlags(t *testing.T) {
	type cfg struct{ Common }
	opts := func(c *cfg) func() Options {
		return func() Options { return Options{Name: "demo", Common: c.Common} }
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help shows the preset addresses", []string{"--help"}, 0, "--grpc-addr 127.0.0.1:7999", ""},
		{"unknown flag", []string{"--no-such-flag"}, 2, "", "no-such-flag"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, 2, "", "shutdown"},
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
			if !strings.Contains(strings.ToLower(errOut.String()), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tt.wantErr)
			}
		})
	}
}
