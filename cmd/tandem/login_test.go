package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/gateway"
)

func TestLoginSavesAVerifiableToken(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.AuthSigningKey = authtest.Default().SigningKey(t)
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DevLogin = true
	httpAddr := make(chan string, 1)
	runtimetest.Start(t, gateway.Options(cfg, func(a string) { httpAddr <- a }))
	base := "http://" + <-httpAddr
	tokenFile := filepath.Join(t.TempDir(), "tandem", "token")

	code, out, errOut := execute(context.Background(), "login", "--user", "researcher", "--gateway", base, "--token-file", tokenFile)
	if code != 0 {
		t.Fatalf("login exit %d: %s", code, errOut)
	}
	if !strings.Contains(out.String(), "signed in as") {
		t.Errorf("login printed %q", out)
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := authtest.Default().Verifier.Verify(context.Background(), strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("saved token does not verify: %v", err)
	}
	if p.Subject == "" || len(p.Roles) == 0 {
		t.Errorf("principal %+v lacks a subject or roles", p)
	}

	code, _, errOut = execute(context.Background(), "login", "--user", "mallory", "--gateway", base, "--token-file", tokenFile)
	if code != exitDenied || !strings.Contains(errOut.String(), "login refused") {
		t.Fatalf("unknown user: exit %d, stderr %q; want %d and a refusal", code, errOut, exitDenied)
	}
}
