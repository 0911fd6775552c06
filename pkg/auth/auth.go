// Package auth issues and verifies the signed tokens that carry who calls a
// service, and puts that principal in the request context.
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

// MinKeyLen is the shortest HS256 key accepted; shorter keys are guessable.
const MinKeyLen = 32

type claims struct {
	jwt.RegisteredClaims
	Organization string   `json:"org,omitempty"`
	Roles        []Role   `json:"roles,omitempty"`
	Clusters     []string `json:"clusters,omitempty"`
}

// Authority signs and verifies HS256 tokens with issuer "tandem". It is safe
// for concurrent use.
type Authority struct {
	key    []byte
	ttl    time.Duration
	parser *jwt.Parser
}

// NewAuthority returns an Authority with key (at least MinKeyLen bytes) whose
// tokens live for ttl.
func NewAuthority(key []byte, ttl time.Duration) (*Authority, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("auth key is %d bytes, need at least %d", len(key), MinKeyLen)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token ttl %s must be positive", ttl)
	}
	return &Authority{
		key: slices.Clone(key),
		ttl: ttl,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithStrictDecoding(),      // one token, one encoding: no malleable signatures
			jwt.WithLeeway(5*time.Second), // clocks of replicas drift a little
		),
	}, nil
}

// Issue signs a token for p that expires after the Authority's ttl.
func (a *Authority) Issue(p Principal) (string, time.Time, error) {
	if p.Subject == "" {
		return "", time.Time{}, errors.New("issue token: empty subject")
	}
	now := time.Now()
	exp := now.Add(a.ttl)
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
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	// JWT times have second precision; report what the token says.
	return tok, c.ExpiresAt.Time, nil
}

// Verify checks token's signature, issuer and expiry and returns its
// principal. Every failure wraps grpcerr.ErrUnauthenticated.
func (a *Authority) Verify(token string) (Principal, error) {
	var c claims
	_, err := a.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.key, nil })
	if err != nil {
		return Principal{}, fmt.Errorf("verify token: %w: %w", grpcerr.ErrUnauthenticated, err)
	}
	if c.Subject == "" {
		return Principal{}, fmt.Errorf("verify token: %w: no subject", grpcerr.ErrUnauthenticated)
	}
	return Principal{Subject: c.Subject, Organization: c.Organization, Roles: c.Roles, Clusters: c.Clusters}, nil
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
