package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// FuzzVerify: no input panics the header parser or the verifier, and nothing
// but a token signed with the verifier's key verifies.
func FuzzVerify(f *testing.F) {
	keys := authtest.New(f, "k1")
	a := keys.Verifier
	good := keys.Token(f, auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleAdmin}})
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
		if p, err := a.Verify(context.Background(), token); err == nil {
			t.Fatalf("random token %q verified as %+v", token, p)
		} else if !errors.Is(err, grpcerr.ErrUnauthenticated) {
			t.Fatalf("Verify error %v does not wrap ErrUnauthenticated", err)
		}
	})
}

// FuzzParseKeys: key settings come from operators' files; no input panics
// the parsers, and whatever ParsePublicKeys accepts is public keys only,
// each with a usable key id, that a Verifier takes.
func FuzzParseKeys(f *testing.F) {
	k := authtest.New(f, "k1")
	priv, _ := k.Key.MarshalJSON()
	for _, s := range []string{
		authtest.PublicKeys(f, k), string(priv), `{"keys":[` + string(priv) + `]}`, `{"keys":[]}`, `{}`, `[]`, ``,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"AA"}]}`, `{"kty":"oct","k":"AA","kid":"x"}`,
		`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if sk, err := auth.ParseSigningKey(data); err == nil && sk.KID() == "" {
			t.Fatalf("ParseSigningKey accepted a key without id")
		}
		keys, err := auth.ParsePublicKeys(data)
		if err != nil {
			return
		}
		if _, err := auth.NewVerifier(keys, auth.VerifierOptions{AllowDevKey: true}); err != nil {
			t.Fatalf("ParsePublicKeys accepted %s, which NewVerifier refuses: %v", data, err)
		}
	})
}
