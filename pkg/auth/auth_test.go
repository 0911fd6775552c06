package auth_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

var (
	key      = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
)

func newAuthority(t testing.TB, k []byte) *auth.Authority {
	t.Helper()
	a, err := auth.NewAuthority(k, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signed builds a token by hand, for claims Issue would never produce.
func signed(t *testing.T, k []byte, method jwt.SigningMethod, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewAuthorityRejectsShortKey(t *testing.T) {
	if _, err := auth.NewAuthority([]byte("short"), time.Hour); err == nil {
		t.Fatal("NewAuthority(short key) = nil error")
	}
}

func TestVerify(t *testing.T) {
	a := newAuthority(t, key)
	want := auth.Principal{Subject: "u1", Organization: "org-7", Roles: []auth.Role{auth.RoleOrganizer, auth.RoleMember}, Clusters: []string{"smart-health"}}
	valid, exp, err := a.Issue(want)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("expires in %s, want about 1h", d)
	}
	other, _, err := newAuthority(t, otherKey).Issue(want)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "valid", token: valid, ok: true},
		{name: "expired", token: signed(t, key, jwt.SigningMethodHS256, jwt.MapClaims{"iss": "tandem", "sub": "u1", "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})},
		{name: "wrong key", token: other},
		{name: "wrong issuer", token: signed(t, key, jwt.SigningMethodHS256, jwt.MapClaims{"iss": "evil", "sub": "u1", "exp": now.Add(time.Hour).Unix()})},
		{name: "no expiry", token: signed(t, key, jwt.SigningMethodHS256, jwt.MapClaims{"iss": "tandem", "sub": "u1"})},
		{name: "no subject", token: signed(t, key, jwt.SigningMethodHS256, jwt.MapClaims{"iss": "tandem", "exp": now.Add(time.Hour).Unix()})},
		{name: "other algorithm", token: signed(t, key, jwt.SigningMethodHS512, jwt.MapClaims{"iss": "tandem", "sub": "u1", "exp": now.Add(time.Hour).Unix()})},
		{name: "alg none", token: func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": "tandem", "sub": "u1", "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}()},
		{name: "malformed", token: "not.a.token"},
		{name: "tampered", token: valid[:len(valid)-2] + "xx"},
		{name: "empty", token: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Verify(tt.token)
			if !tt.ok {
				if !errors.Is(err, grpcerr.ErrUnauthenticated) {
					t.Fatalf("Verify() = %+v, %v; want ErrUnauthenticated", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if got.Subject != want.Subject || got.Organization != want.Organization || !slices.Equal(got.Roles, want.Roles) || !slices.Equal(got.Clusters, want.Clusters) {
				t.Fatalf("Verify() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	member := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleMember}})
	tests := []struct {
		name  string
		ctx   context.Context
		roles []auth.Role
		want  error
	}{
		{name: "anonymous", ctx: context.Background(), roles: []auth.Role{auth.RoleMember}, want: grpcerr.ErrUnauthenticated},
		{name: "anonymous, any role", ctx: context.Background(), want: grpcerr.ErrUnauthenticated},
		{name: "has role", ctx: member, roles: []auth.Role{auth.RoleMember}},
		{name: "has one of roles", ctx: member, roles: []auth.Role{auth.RoleAdmin, auth.RoleMember}},
		{name: "authenticated, no role asked", ctx: member},
		{name: "missing role", ctx: member, roles: []auth.Role{auth.RoleAdmin}, want: grpcerr.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.Require(tt.ctx, tt.roles...)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Require() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseBearer(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer   ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := auth.ParseBearer(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// testService requires a member on EmptyCall and reports the subject on
// UnaryCall as the response username.
type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	if _, err := auth.Require(ctx, auth.RoleMember); err != nil {
		return nil, grpcerr.ToStatus(nil, err)
	}
	return &testpb.Empty{}, nil
}

func (testService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	p, _ := auth.FromContext(ctx)
	return &testpb.SimpleResponse{Username: p.Subject}, nil
}

func TestInterceptor(t *testing.T) {
	a := newAuthority(t, key)
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor(testpb.TestService_UnaryCall_FullMethodName)),
		grpc.ChainStreamInterceptor(a.StreamServerInterceptor()),
	)
	testpb.RegisterTestServiceServer(srv, testService{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	dial := func(t *testing.T, opts ...grpc.DialOption) *grpc.ClientConn {
		opts = append(opts,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
		cc, err := grpc.NewClient("passthrough:///bufnet", opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		return cc
	}
	member, _, _ := a.Issue(auth.Principal{Subject: "m1", Roles: []auth.Role{auth.RoleMember}})
	organizer, _, _ := a.Issue(auth.Principal{Subject: "o1", Roles: []auth.Role{auth.RoleOrganizer}})
	forged, _, _ := newAuthority(t, otherKey).Issue(auth.Principal{Subject: "x", Roles: []auth.Role{auth.RoleMember}})

	tests := []struct {
		name     string
		token    string // "" = no credentials
		call     string // "empty", "unary", "health"
		code     codes.Code
		wantSubj string
	}{
		{name: "member allowed", token: member, call: "empty", code: codes.OK},
		{name: "no token is anonymous, handler rejects", call: "empty", code: codes.Unauthenticated},
		{name: "missing role", token: organizer, call: "empty", code: codes.PermissionDenied},
		{name: "forged token rejected", token: forged, call: "empty", code: codes.Unauthenticated},
		{name: "garbage token rejected", token: "garbage", call: "empty", code: codes.Unauthenticated},
		{name: "public method ignores bad token", token: forged, call: "unary", code: codes.OK},
		{name: "public method sees good token", token: member, call: "unary", code: codes.OK, wantSubj: "m1"},
		{name: "health ignores bad token", token: "garbage", call: "health", code: codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []grpc.DialOption
			if tt.token != "" {
				opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(tt.token)))
			}
			cc := dial(t, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			var subj string
			switch tt.call {
			case "empty":
				_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{})
			case "unary":
				var resp *testpb.SimpleResponse
				resp, err = testpb.NewTestServiceClient(cc).UnaryCall(ctx, &testpb.SimpleRequest{})
				subj = resp.GetUsername()
			case "health":
				_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
			}
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %s (%v), want %s", got, err, tt.code)
			}
			if subj != tt.wantSubj {
				t.Errorf("subject seen by handler = %q, want %q", subj, tt.wantSubj)
			}
			if tt.code == codes.Unauthenticated && strings.Contains(status.Convert(err).Message(), tt.token) && tt.token != "" {
				t.Errorf("error echoes the token")
			}
		})
	}
}
