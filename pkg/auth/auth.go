// Package auth issues and verifies the signed tokens that carry who calls a
// service, and puts that principal in the request context. Tokens are JWTs
// signed with Ed25519 (alg EdDSA): one issuer holds the private key
// (Signer); services hold only public keys (Verifier) and cannot sign.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// Role is what a principal may do; services check it per RPC.
type Role string

const (
	RoleAdmin          Role = "admin"
	RoleClusterManager Role = "cluster_manager"
	RoleOrganizer      Role = "organizer"
	RoleMember         Role = "member"
)

// Principal is the authenticated caller.
type Principal struct {
	Subject      string
	Organization string
	Roles        []Role
	Clusters     []string
}

// Has reports whether p holds r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

const issuer = "tandem"

type claims struct {
	jwt.RegisteredClaims
	Organization string   `json:"org,omitempty"`
	Roles        []Role   `json:"roles,omitempty"`
	Clusters     []string `json:"clusters,omitempty"`
}

// Signer issues EdDSA tokens with issuer "tandem". Only the token issuer
// (the gateway's login, `tandem token`) holds one; services get a Verifier.
// It is safe for concurrent use.
type Signer struct {
	key SigningKey
	ttl time.Duration
}

// NewSigner returns a Signer whose tokens carry key's id and live for ttl.
func NewSigner(key SigningKey, ttl time.Duration) (*Signer, error) {
	if key.priv == nil {
		return nil, errors.New("signer: no signing key")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token ttl %s must be positive", ttl)
	}
	return &Signer{key: key, ttl: ttl}, nil
}

// KID is the key id of the signer's key.
func (s *Signer) KID() string { return s.key.kid }

// Issue signs a token for p that expires after the Signer's ttl. Each token
// gets a unique id (jti) by which it can be revoked.
func (s *Signer) Issue(p Principal) (string, time.Time, error) {
	if p.Subject == "" {
		return "", time.Time{}, errors.New("issue token: empty subject")
	}
	now := time.Now()
	exp := now.Add(s.ttl)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        ulid.Make().String(),
		},
		Organization: p.Organization,
		Roles:        p.Roles,
		Clusters:     p.Clusters,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.key.kid
	tok, err := t.SignedString(s.key.priv)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	// JWT times have second precision; report what the token says.
	return tok, c.ExpiresAt.Time, nil
}

// TokenInfo is what a token says about itself, read without verifying it:
// enough to revoke it.
type TokenInfo struct {
	ID        string
	Subject   string
	KID       string
	ExpiresAt time.Time
}

// Inspect reads a token's id, subject, key id and expiry without checking
// its signature. Never trust its answer for access decisions.
func Inspect(token string) (TokenInfo, error) {
	var c claims
	t, _, err := jwt.NewParser().ParseUnverified(token, &c)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("read token: %w", err)
	}
	info := TokenInfo{ID: c.ID, Subject: c.Subject}
	info.KID, _ = t.Header["kid"].(string)
	if c.ExpiresAt != nil {
		info.ExpiresAt = c.ExpiresAt.Time
	}
	return info, nil
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if the caller authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Require returns the caller when it holds at least one of roles (any
// authenticated caller when roles is empty). It fails with
// grpcerr.ErrUnauthenticated for anonymous calls and grpcerr.ErrPermission
// when no role matches.
func Require(ctx context.Context, roles ...Role) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, fmt.Errorf("%w: a bearer token is required", grpcerr.ErrUnauthenticated)
	}
	if len(roles) == 0 || slices.ContainsFunc(roles, p.Has) {
		return p, nil
	}
	return p, fmt.Errorf("%w: %s needs one of the roles %v", grpcerr.ErrPermission, p.Subject, roles)
}
