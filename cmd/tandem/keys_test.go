package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestKeysTokenAndRevocation walks an operator's key work: generate two
// keys, publish both public keys (a rotation), issue a token with the new
// one, see it verify, revoke it, see it refused.
func TestKeysTokenAndRevocation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, kid := range []string{"2026-06", "2026-12"} {
		if code, _, errOut := execute(ctx, "keys", "generate", "--kid", kid, "--dir", dir); code != 0 {
			t.Fatalf("keys generate %s: exit %d: %s", kid, code, errOut)
		}
	}
	priv := filepath.Join(dir, "2026-12.private.jwk")
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if code, _, errOut := execute(ctx, "keys", "generate", "--kid", "2026-12", "--dir", dir); code != exitFailure || !strings.Contains(errOut.String(), "exists") {
		t.Fatalf("generating over an existing key: exit %d, %s; want a refusal", code, errOut)
	}
	code, pubs, errOut := execute(ctx, "keys", "public", filepath.Join(dir, "2026-06.public.jwks"), priv)
	if code != 0 {
		t.Fatalf("keys public: exit %d: %s", code, errOut)
	}
	keys, err := auth.ParsePublicKeys([]byte(pubs.String()))
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys public printed %d keys (%v): %s", len(keys), err, pubs)
	}
	rc, prefix := testenv.Redis(t)
	v, err := auth.NewVerifier(keys, auth.VerifierOptions{Revocations: auth.NewDenyList(rc, prefix)})
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := execute(ctx, "token", "issue", "--signing-key", priv, "--subject", "ops-import", "--role", "admin", "--ttl", "30m")
	if code != 0 {
		t.Fatalf("token issue: exit %d: %s", code, errOut)
	}
	tok := strings.TrimSpace(out.String())
	p, err := v.Verify(ctx, tok)
	if err != nil || p.Subject != "ops-import" || !p.Has(auth.RoleAdmin) {
		t.Fatalf("issued token verifies as %+v, %v", p, err)
	}
	if info, _ := auth.Inspect(tok); info.KID != "2026-12" || !strings.Contains(errOut.String(), info.ID) {
		t.Errorf("token key %q, stderr %q: want key 2026-12 and the token id", info.KID, errOut)
	}
	if code, _, errOut := execute(ctx, "token", "issue", "--signing-key", priv, "--subject", "x", "--role", "root"); code != exitUsage {
		t.Errorf("unknown role: exit %d, %s; want %d", code, errOut, exitUsage)
	}
	if code, _, _ := execute(ctx, "token", "issue", "--signing-key", filepath.Join(dir, "2026-06.public.jwks"), "--subject", "x"); code != exitUsage {
		t.Errorf("issuing with a public key: exit %d, want %d", code, exitUsage)
	}

	code, out, errOut = execute(ctx, "token", "revoke", tok, "--redis-url", "redis://"+rc.Options().Addr+"/0", "--redis-prefix", prefix)
	if code != 0 || !strings.Contains(out.String(), "revoked until") {
		t.Fatalf("token revoke: exit %d, %q, %s", code, out, errOut)
	}
	authtest.WaitRefused(t, v, tok)

	// A bare id lasts until its issue time plus the token lifetime.
	issued := ulid.Make()
	id, exp, err := revocationOf(issued.String(), time.Hour)
	if want := ulid.Time(issued.Time()).Add(time.Hour); err != nil || id != issued.String() || !exp.Equal(want) {
		t.Errorf("revocationOf(id) = %s %v %v; want it until %v", id, exp, err, want)
	}
	if id, exp, err := revocationOf("01JEXAMPLE000000000000000Z", time.Hour); err == nil {
		t.Errorf("revocationOf(not a ULID) = %s %v", id, exp)
	}
	code, _, errOut = execute(ctx, "token", "revoke", "not-a-token", "--redis-url", "redis://"+rc.Options().Addr+"/0")
	if code != exitUsage {
		t.Errorf("revoking garbage: exit %d, %s; want %d", code, errOut, exitUsage)
	}
}
