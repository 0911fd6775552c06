package auth_test

import (
	"errors"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// FuzzVerify: no input panics the header parser or the verifier, and nothing
// but a token this Authority signed verifies.
func FuzzVerify(f *testing.F) {
	a := newAuthority(f, key)
	good, _, err := a.Issue(auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"", "Bearer ", "Bearer x.y.z", "bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.",
		"Bearer " + good[:len(good)-1], "Bearer " + good + "x", "Basic dTpw",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer ..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, err := auth.ParseBearer(header)
		if err != nil {
			if !errors.Is(err, grpcerr.ErrUnauthenticated) {
				t.Fatalf("ParseBearer error %v does not wrap ErrUnauthenticated", err)
			}
			return
		}
		if token == good {
			return // the fuzzer rebuilt the real token; that one must verify
		}
		if p, err := a.Verify(token); err == nil {
			t.Fatalf("random token %q verified as %+v", token, p)
		} else if !errors.Is(err, grpcerr.ErrUnauthenticated) {
			t.Fatalf("Verify error %v does not wrap ErrUnauthenticated", err)
		}
	})
}
