package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/services/gateway"
)

// TestLiveStreamCapSharedByReplicas: a user's live match streams are
// counted across gateway replicas that share Redis: with three open on two
// replicas, a fourth is refused on either, and a stream that ends on one
// frees a place on the other.
func TestLiveStreamCapSharedByReplicas(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	first := s.base
	shared := s.commons[len(s.commons)-1] // the first gateway's NATS, Redis and key prefix
	second := gatewayWith(t, s.profiles, func(c *gateway.Config) {
		c.Common = shared
		c.Competencies, c.Matching, c.Meetings = s.matching, s.matching, s.matching
	})
	tok := s.token(&auth.Principal{Subject: "streamer", Organization: "ORG1", Roles: []auth.Role{auth.RoleMember}})
	open := func(base string) (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(s.ctx)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/searches/live", nil)
		req.AddCookie(&http.Cookie{Name: "tandem_session", Value: tok})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		return res, func() { cancel(); _ = res.Body.Close() }
	}
	var closers []context.CancelFunc
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for i, base := range []string{first, second, first} {
		res, closeIt := open(base)
		closers = append(closers, closeIt)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d = %s, want 200", i+1, res.Status)
		}
	}
	for name, base := range map[string]string{"first": first, "second": second} {
		res, closeIt := open(base)
		closeIt()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("fourth stream on the %s replica = %s, Retry-After %q; want 429 with Retry-After", name, res.Status, res.Header.Get("Retry-After"))
		}
	}
	closers[0]() // ends a stream on the first replica
	s.eventually("a place on the second replica after a stream on the first ended", func() (bool, string) {
		res, closeIt := open(second)
		defer closeIt()
		return res.StatusCode == http.StatusOK, res.Status
	})
}
