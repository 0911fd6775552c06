package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
)

// BenchmarkVerify compares verifying a token whose claims are cached with
// checking its signature every time (a one-entry cache and two tokens
// taking turns), in the same run. Metric: the cached path's speed-up.
func BenchmarkVerify(b *testing.B) {
	keys := authtest.New(b, "k1")
	p := auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleMember}}
	toks := []string{keys.Token(b, p), keys.Token(b, p)}
	ctx := context.Background()
	run := func(v *auth.Verifier, n int) time.Duration {
		start := time.Now()
		for i := range n {
			if _, err := v.Verify(ctx, toks[i%2]); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	pub := []auth.PublicKey{keys.Key.Public()}
	cached, err := auth.NewVerifier(pub, auth.VerifierOptions{})
	if err != nil {
		b.Fatal(err)
	}
	uncached, err := auth.NewVerifier(pub, auth.VerifierOptions{CacheSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	var tc, tu time.Duration
	b.ResetTimer()
	for b.Loop() {
		tc += run(cached, 100)
		tu += run(uncached, 100)
	}
	b.ReportMetric(float64(tc.Nanoseconds())/float64(b.N*100), "ns/cached-verify")
	b.ReportMetric(float64(tu.Nanoseconds())/float64(b.N*100), "ns/signature-verify")
	b.ReportMetric(float64(tu)/float64(tc), "speedup")
}
