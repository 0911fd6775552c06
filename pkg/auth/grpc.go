package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// alwaysPublic are method prefixes probes and tools (grpc_health_probe,
// grpcurl) call without a token.
var alwaysPublic = []string{"/grpc.health.v1.Health/", "/grpc.reflection."}

// authenticate returns ctx with the caller's principal. A missing token
// leaves the call anonymous (the handler decides with Require); a bad token
// is rejected, except on public methods, where it is ignored.
func (v *Verifier) authenticate(ctx context.Context, method string, public map[string]bool) (context.Context, error) {
	for _, p := range alwaysPublic {
		if strings.HasPrefix(method, p) {
			return ctx, nil
		}
	}
	token, present, err := bearerFromMetadata(ctx)
	if !present {
		return ctx, nil
	}
	if err == nil {
		var p Principal
		if p, err = v.Verify(ctx, token); err == nil {
			return WithPrincipal(ctx, p), nil
		}
	}
	if errors.Is(err, ErrUnavailable) {
		// Not knowing whether the token was revoked is no reason to
		// treat it as bad: the client retries.
		return nil, status.Error(codes.Unavailable, "cannot check the bearer token now; retry")
	}
	if public[method] {
		return ctx, nil
	}
	return nil, grpcerr.ToStatus(nil, err)
}

// bearerFromMetadata reads "authorization: Bearer <token>".
func bearerFromMetadata(ctx context.Context) (token string, present bool, err error) {
	vals := metadata.ValueFromIncomingContext(ctx, "authorization") // not the whole metadata, copied
	if len(vals) == 0 {
		return "", false, nil
	}
	token, err = ParseBearer(vals[0])
	return token, true, err
}

// ParseBearer extracts the token from an Authorization header value.
func ParseBearer(header string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: authorization is not \"Bearer <token>\"", grpcerr.ErrUnauthenticated)
	}
	return strings.TrimSpace(token), nil
}

func publicSet(methods []string) map[string]bool {
	m := make(map[string]bool, len(methods))
	for _, x := range methods {
		m[x] = true
	}
	return m
}

// UnaryServerInterceptor authenticates unary calls. public lists full method
// names ("/tandem.profiles.v1.ProfilesService/GetOrganization") that stay
// callable even with an invalid token.
func (v *Verifier) UnaryServerInterceptor(public ...string) grpc.UnaryServerInterceptor {
	pub := publicSet(public)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := v.authenticate(ctx, info.FullMethod, pub)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams.
func (v *Verifier) StreamServerInterceptor(public ...string) grpc.StreamServerInterceptor {
	pub := publicSet(public)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := v.authenticate(ss.Context(), info.FullMethod, pub)
		if err != nil {
			return err
		}
		return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
	}
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// BearerToken returns per-RPC credentials sending token. It allows insecure
// transport because dev and in-cluster traffic is plaintext; use TLS across
// untrusted networks.
func BearerToken(token string) credentials.PerRPCCredentials { return bearer(token) }

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }
