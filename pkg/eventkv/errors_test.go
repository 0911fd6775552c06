package eventkv_test

import (
	"context"
	"strings"
	"testing"
)

// TestClientErrorsNameNoBucket: the errors that reach clients as NotFound,
// AlreadyExists or Aborted say what is wrong with the key, never which
// internal bucket holds it.
func TestClientErrorsNameNoBucket(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	rev, err := s.Create(ctx, "org1", upserted("org1", "e1", "Area Science Park", 1))
	if err != nil {
		t.Fatal(err)
	}
	_, errExists := s.Create(ctx, "org1", upserted("org1", "e2", "Again", 1))
	if _, err := s.Update(ctx, "org1", upserted("org1", "e3", "Next", 2), rev); err != nil {
		t.Fatal(err)
	}
	_, errStale := s.Update(ctx, "org1", upserted("org1", "e4", "Stale", 2), rev)
	_, _, errMissing := s.Get(ctx, "nope")
	_, _, errBadKey := s.Get(ctx, "bad.key")
	for name, err := range map[string]error{"exists": errExists, "stale": errStale, "missing": errMissing, "bad key": errBadKey} {
		if err == nil || strings.Contains(err.Error(), "orgs") {
			t.Errorf("%s: %v, want an error that does not name the bucket", name, err)
		}
	}
}
