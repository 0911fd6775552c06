// Package authtest gives tests throwaway Ed25519 keys and tokens signed
// with them.
//
// Most tests need one thing: a token the services under test accept. The
// process-wide keys (Default) are generated at first use in each test
// binary, runtimetest.Common configures services with their public key and
// Token signs with their private key:
//
//	conn := runtimetest.Start(t, profiles.Options(cfg)) // cfg.Common = runtimetest.Common(t)
//	tok := authtest.Token(t, auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleAdmin}})
//
// Tests about keys themselves (a foreign key, rotation) make their own
// with New.
package authtest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// Keys is a signing key with its signer (tokens live an hour) and a
// verifier of its public key without a deny list.
type Keys struct {
	Key      auth.SigningKey
	Signer   *auth.Signer
	Verifier *auth.Verifier
}

// New returns fresh keys with key id kid ("" picks one).
func New(t testing.TB, kid string) *Keys {
	t.Helper()
	k, err := newKeys(kid)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKeys(kid string) (*Keys, error) {
	key, err := auth.GenerateKey(kid)
	if err != nil {
		return nil, err
	}
	s, err := auth.NewSigner(key, time.Hour)
	if err != nil {
		return nil, err
	}
	v, err := auth.NewVerifier([]auth.PublicKey{key.Public()}, auth.VerifierOptions{})
	if err != nil {
		return nil, err
	}
	return &Keys{Key: key, Signer: s, Verifier: v}, nil
}

var defaultKeys = sync.OnceValues(func() (*Keys, error) { return newKeys("test") })

// Default returns the test binary's process-wide keys (key id "test"),
// the ones runtimetest.Common configures services with.
func Default() *Keys {
	k, err := defaultKeys()
	if err != nil {
		panic("authtest: " + err.Error()) // Ed25519 key generation does not fail
	}
	return k
}

// Token signs a token for p with the process-wide keys.
func Token(t testing.TB, p auth.Principal) string {
	t.Helper()
	return Default().Token(t, p)
}

// Token signs a token for p, valid for an hour.
func (k *Keys) Token(t testing.TB, p auth.Principal) string {
	t.Helper()
	tok, _, err := k.Signer.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// PublicKeys is the value of AUTH_PUBLIC_KEYS holding k's public key (and
// others', for rotation tests).
func PublicKeys(t testing.TB, ks ...*Keys) string {
	t.Helper()
	pubs := make([]auth.PublicKey, len(ks))
	for i, k := range ks {
		pubs[i] = k.Key.Public()
	}
	b, err := auth.MarshalPublicKeys(pubs...)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// SigningKey is the value of AUTH_SIGNING_KEY holding k's private key.
func (k *Keys) SigningKey(t testing.TB) string {
	t.Helper()
	b, err := k.Key.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// PrivateKey is k's raw private key, for signing tokens by hand.
func (k *Keys) PrivateKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	b, err := k.Key.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(b, &jwk); err != nil {
		t.Fatal(err)
	}
	return jwk.Key.(ed25519.PrivateKey)
}

// Sign signs claims as they are, with k's key and key id: for tokens Issue
// would never make (expired, without a subject, another issuer).
func (k *Keys) Sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = k.Key.KID()
	s, err := tok.SignedString(k.PrivateKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// WaitRefused waits until v refuses token as Unauthenticated, as it does
// within about a second of the token's revocation (its deny-list cache).
func WaitRefused(t testing.TB, v *auth.Verifier, token string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := v.Verify(context.Background(), token)
		if errors.Is(err, grpcerr.ErrUnauthenticated) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted 30s after its revocation: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
