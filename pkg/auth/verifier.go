package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// ErrUnavailable wraps a failure to learn whether a token is revoked: the
// caller may retry, but the token is not accepted meanwhile.
var ErrUnavailable = errors.New("token revocation list unavailable")

// Revocations is the deny list of token ids a Verifier consults.
type Revocations interface {
	// Revoked reports whether the token with id jti was revoked.
	Revoked(ctx context.Context, jti string) (bool, error)
}

// VerifierOptions tune a Verifier; the zero value is usable.
type VerifierOptions struct {
	// Revocations, if set, is asked (at most every RevocationTTL per
	// token) whether a token was revoked.
	Revocations Revocations
	// RevocationTTL bounds how long a deny-list answer is reused; default
	// one second, so a revocation takes effect within about a second.
	RevocationTTL time.Duration
	// CacheSize bounds the verified tokens kept (default 10,000).
	CacheSize int
	// AllowDevKey accepts a key with the development key id or the
	// development public key; only development runs set it.
	AllowDevKey bool
}

// Verifier checks tokens against a fixed set of public keys, picked by the
// token's key id. It has no private key, so it cannot sign. It keeps the
// claims of recently verified tokens, so a token's signature is checked
// once, while revocation is checked at least every RevocationTTL. It is
// safe for concurrent use.
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	parser *jwt.Parser
	deny   Revocations
	ttl    time.Duration
	cache  *lru.Cache[string, *verified]
	now    func() time.Time
}

// verified is a token whose signature and claims checked out.
type verified struct {
	p   Principal
	jti string
	exp time.Time
	// checked is when the deny list last said "not revoked" (unix nanos);
	// revoked stays true once seen.
	checked atomic.Int64
	revoked atomic.Bool
}

// leeway absorbs small clock drift between the issuer and the replicas.
const leeway = 5 * time.Second

// NewVerifier returns a Verifier accepting tokens signed by any of keys.
func NewVerifier(keys []PublicKey, o VerifierOptions) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, errors.New("verifier: no public keys")
	}
	dev := DevSigningKey().Public()
	m := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		if err := checkKID(k.KID); err != nil {
			return nil, fmt.Errorf("verifier: %w", err)
		}
		if len(k.Key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("verifier: key %q is %d bytes, want %d", k.KID, len(k.Key), ed25519.PublicKeySize)
		}
		if !o.AllowDevKey && (k.KID == DevKID || k.Key.Equal(dev.Key)) {
			return nil, fmt.Errorf("verifier: key %q is the public development key, which anyone can sign with; it is accepted only in development (--dev)", k.KID)
		}
		if _, dup := m[k.KID]; dup {
			return nil, fmt.Errorf("verifier: key id %q listed twice", k.KID)
		}
		m[k.KID] = slices.Clone(k.Key)
	}
	if o.RevocationTTL <= 0 {
		o.RevocationTTL = time.Second
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 10_000
	}
	cache, err := lru.New[string, *verified](o.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	return &Verifier{
		keys: m,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithStrictDecoding(), // one token, one encoding: no malleable signatures
			jwt.WithLeeway(leeway),
		),
		deny:  o.Revocations,
		ttl:   o.RevocationTTL,
		cache: cache,
		now:   time.Now,
	}, nil
}

// KIDs lists the key ids the Verifier accepts, sorted.
func (v *Verifier) KIDs() []string {
	ids := make([]string, 0, len(v.keys))
	for id := range v.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Accepts reports whether the Verifier holds k (same id, same key).
func (v *Verifier) Accepts(k PublicKey) bool {
	have, ok := v.keys[k.KID]
	return ok && have.Equal(k.Key)
}

// ErrTokenExpired is wrapped by Verify's error for an expired token.
var ErrTokenExpired = jwt.ErrTokenExpired

// Verify checks token's signature (by its key id), issuer, expiry and
// revocation, and returns its principal. Failures wrap
// grpcerr.ErrUnauthenticated, except a deny list that cannot be reached,
// which wraps ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	e, err := v.parse(token)
	if err != nil {
		return Principal{}, err
	}
	if err := v.checkRevoked(ctx, e); err != nil {
		return Principal{}, err
	}
	return e.principal(), nil
}

func (e *verified) principal() Principal {
	p := e.p
	p.Roles, p.Clusters = slices.Clone(p.Roles), slices.Clone(p.Clusters)
	return p
}

// Known reports whether token was verified before and is still held as
// valid, without verifying it: callers use it to put cheaper checks first
// for tokens never seen (a flood of forged tokens costs a signature check
// each).
func (v *Verifier) Known(token string) bool {
	e, ok := v.cache.Peek(token)
	return ok && !e.revoked.Load() && !v.now().After(e.exp.Add(leeway))
}

func (v *Verifier) parse(token string) (*verified, error) {
	if e, ok := v.cache.Get(token); ok {
		if v.now().After(e.exp.Add(leeway)) {
			v.cache.Remove(token)
			return nil, fmt.Errorf("verify token: %w: %w", grpcerr.ErrUnauthenticated, jwt.ErrTokenExpired)
		}
		return e, nil
	}
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := v.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify token: %w: %w", grpcerr.ErrUnauthenticated, err)
	}
	switch {
	case c.Subject == "":
		return nil, fmt.Errorf("verify token: %w: no subject", grpcerr.ErrUnauthenticated)
	case c.ID == "":
		return nil, fmt.Errorf("verify token: %w: no token id", grpcerr.ErrUnauthenticated)
	}
	e := &verified{
		p:   Principal{Subject: c.Subject, Organization: c.Organization, Roles: c.Roles, Clusters: c.Clusters},
		jti: c.ID,
		exp: c.ExpiresAt.Time,
	}
	v.cache.Add(token, e)
	return e, nil
}

func (v *Verifier) checkRevoked(ctx context.Context, e *verified) error {
	if e.revoked.Load() {
		return fmt.Errorf("verify token: %w: the token was revoked", grpcerr.ErrUnauthenticated)
	}
	if v.deny == nil {
		return nil
	}
	now := v.now()
	if now.Sub(time.Unix(0, e.checked.Load())) < v.ttl {
		return nil
	}
	revoked, err := v.deny.Revoked(ctx, e.jti)
	if err != nil {
		return fmt.Errorf("verify token: %w: %w", ErrUnavailable, err)
	}
	if revoked {
		e.revoked.Store(true)
		return fmt.Errorf("verify token: %w: the token was revoked", grpcerr.ErrUnauthenticated)
	}
	e.checked.Store(now.UnixNano())
	return nil
}
