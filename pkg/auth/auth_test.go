package auth_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
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
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// signed builds a token by hand, for claims and headers Issue would never
// produce.
func signed(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	keys := authtest.New(t, "k1")
	foreign := authtest.New(t, "k1") // same key id, another key
	stranger := authtest.New(t, "k9")
	want := auth.Principal{Subject: "u1", Organization: "org-7", Roles: []auth.Role{auth.RoleOrganizer, auth.RoleMember}, Clusters: []string{"smart-health"}}
	valid, exp, err := keys.Signer.Issue(want)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("expires in %s, want about 1h", d)
	}
	priv := keys.PrivateKey(t)
	pub := []byte(keys.Key.Public().Key)
	now := time.Now()
	good := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "tandem", "sub": "u1", "jti": "j1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "valid", token: valid, ok: true},
		{name: "hand-made valid", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(nil)), ok: true},
		{name: "expired", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(jwt.MapClaims{"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}))},
		{name: "same kid, foreign key", token: foreign.Token(t, want)},
		{name: "unknown kid", token: stranger.Token(t, want)},
		{name: "no kid", token: signed(t, jwt.SigningMethodEdDSA, priv, "", good(nil))},
		{name: "wrong issuer", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(jwt.MapClaims{"iss": "evil"}))},
		{name: "no expiry", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(jwt.MapClaims{"exp": nil}))},
		{name: "no subject", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(jwt.MapClaims{"sub": nil}))},
		{name: "no token id", token: signed(t, jwt.SigningMethodEdDSA, priv, "k1", good(jwt.MapClaims{"jti": nil}))},
		{name: "HS256 keyed with the public key", token: signed(t, jwt.SigningMethodHS256, pub, "k1", good(nil))},
		{name: "HS256 with the old shared secret", token: signed(t, jwt.SigningMethodHS256, []byte("tandem-dev-only-signing-key-change-me-in-production"), "", good(nil))},
		{name: "alg none", token: signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", good(nil))},
		{name: "development key", token: authtestDev(t)},
		{name: "malformed", token: "not.a.token"},
		{name: "tampered", token: valid[:len(valid)-2] + "xx"},
		{name: "empty", token: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the verifier's cache.
			for range 2 {
				got, err := keys.Verifier.Verify(context.Background(), tt.token)
				if !tt.ok {
					if !errors.Is(err, grpcerr.ErrUnauthenticated) {
						t.Fatalf("Verify() = %+v, %v; want ErrUnauthenticated", got, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Verify() error = %v", err)
				}
				if tt.token == valid && !reflect.DeepEqual(got, want) {
					t.Fatalf("Verify() = %+v, want %+v", got, want)
				}
			}
		})
	}
}

// authtestDev signs a token with the public development key.
func authtestDev(t *testing.T) string {
	t.Helper()
	s, err := auth.NewSigner(auth.DevSigningKey(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.Issue(auth.Principal{Subject: "mallory", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifierRefusesTheDevelopmentKeyOutsideDevelopment(t *testing.T) {
	dev := auth.DevSigningKey().Public()
	renamed := auth.PublicKey{KID: "prod-2026", Key: dev.Key}
	for _, k := range []auth.PublicKey{dev, renamed} {
		if _, err := auth.NewVerifier([]auth.PublicKey{k}, auth.VerifierOptions{}); err == nil {
			t.Errorf("NewVerifier(development key as %q) = nil error", k.KID)
		}
	}
	v, err := auth.NewVerifier([]auth.PublicKey{dev}, auth.VerifierOptions{AllowDevKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), authtestDev(t)); err != nil {
		t.Fatalf("development verifier refused a development token: %v", err)
	}
}

func TestRotation(t *testing.T) {
	old, next := authtest.New(t, "2026-01"), authtest.New(t, "2026-07")
	oldTok := old.Token(t, auth.Principal{Subject: "u-old"})
	nextTok := next.Token(t, auth.Principal{Subject: "u-next"})
	verifier := func(ks ...*authtest.Keys) *auth.Verifier {
		keys, err := auth.ParsePublicKeys([]byte(authtest.PublicKeys(t, ks...)))
		if err != nil {
			t.Fatal(err)
		}
		v, err := auth.NewVerifier(keys, auth.VerifierOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	both, retired := verifier(old, next), verifier(next)
	for _, tok := range []string{oldTok, nextTok} {
		if _, err := both.Verify(context.Background(), tok); err != nil {
			t.Errorf("while both keys are listed, a token was refused: %v", err)
		}
	}
	if _, err := retired.Verify(context.Background(), nextTok); err != nil {
		t.Errorf("the new key's token was refused after the old key was retired: %v", err)
	}
	if _, err := retired.Verify(context.Background(), oldTok); !errors.Is(err, grpcerr.ErrUnauthenticated) {
		t.Errorf("the retired key's token: %v, want ErrUnauthenticated", err)
	}
	if got := both.KIDs(); !slices.Equal(got, []string{"2026-01", "2026-07"}) {
		t.Errorf("KIDs() = %v", got)
	}
}

// TestVerifierCannotSign: a service holds a Verifier, and a Verifier has no
// way to sign a token, whatever it is given.
func TestVerifierCannotSign(t *testing.T) {
	typ := reflect.TypeFor[*auth.Verifier]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if strings.Contains(strings.ToLower(m.Name), "sign") || strings.Contains(strings.ToLower(m.Name), "issue") {
			t.Errorf("Verifier has a method %s", m.Name)
		}
		for j := range m.Type.NumOut() {
			if out := m.Type.Out(j); out == reflect.TypeFor[*auth.Signer]() || out == reflect.TypeFor[auth.SigningKey]() {
				t.Errorf("Verifier.%s hands out a %s", m.Name, out)
			}
		}
	}
	// Nor can a public key set smuggle a private key into a verifier.
	priv, err := authtest.New(t, "k1").Key.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.ParsePublicKeys([]byte(`{"keys":[` + string(priv) + `]}`)); err == nil {
		t.Error("ParsePublicKeys accepted a private key")
	}
	// The signing key given where the public key set belongs says so.
	if _, err := auth.ParsePublicKeys(priv); err == nil || !strings.Contains(err.Error(), "is a private key") {
		t.Errorf("ParsePublicKeys(the private key alone) = %v, want an error naming it a private key", err)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	k := authtest.New(t, "")
	b, err := k.Key.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := auth.ParseSigningKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.KID() != k.Key.KID() || !back.Public().Key.Equal(k.Key.Public().Key) {
		t.Fatalf("round trip changed the key: %q vs %q", back.KID(), k.Key.KID())
	}
	file := filepath.Join(t.TempDir(), "public.jwks")
	if err := os.WriteFile(file, []byte(authtest.PublicKeys(t, k)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, setting := range []string{file, authtest.PublicKeys(t, k)} {
		keys, err := auth.LoadPublicKeys(setting)
		if err != nil || len(keys) != 1 || keys[0].KID != k.Key.KID() {
			t.Errorf("LoadPublicKeys(%.40q) = %v, %v", setting, keys, err)
		}
	}
	bad := []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`, // no kid
		`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`,                                          // a shared secret
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`not json`,
	}
	for _, b := range bad {
		if keys, err := auth.ParsePublicKeys([]byte(b)); err == nil {
			t.Errorf("ParsePublicKeys(%s) = %v, want an error", b, keys)
		}
	}
	if _, err := auth.LoadPublicKeys(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadPublicKeys(missing file) = nil error")
	}
}

func TestRevocation(t *testing.T) {
	rc, prefix := testenv.Redis(t)
	deny := auth.NewDenyList(rc, prefix)
	keys := authtest.New(t, "k1")
	v, err := auth.NewVerifier([]auth.PublicKey{keys.Key.Public()}, auth.VerifierOptions{Revocations: deny})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, other := keys.Token(t, auth.Principal{Subject: "u1"}), keys.Token(t, auth.Principal{Subject: "u2"})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	info, err := auth.Inspect(tok)
	if err != nil || info.ID == "" || info.KID != "k1" {
		t.Fatalf("Inspect = %+v, %v", info, err)
	}
	if err := deny.Revoke(ctx, info.ID, info.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	ttl, err := rc.TTL(ctx, prefix+":auth:revoked:"+info.ID).Result()
	if err != nil || ttl < 59*time.Minute || ttl > time.Hour+10*time.Second {
		t.Errorf("deny list entry lives %s (%v), want the token's remaining hour", ttl, err)
	}
	authtest.WaitRefused(t, v, tok)
	if _, err := v.Verify(ctx, other); err != nil {
		t.Errorf("revoking one token refused another: %v", err)
	}
	if err := deny.Revoke(ctx, "old", time.Now().Add(-time.Minute)); err != nil {
		t.Errorf("revoking an expired token: %v", err)
	}
	if n, _ := rc.Exists(ctx, prefix+":auth:revoked:old").Result(); n != 0 {
		t.Error("an expired token got a deny list entry")
	}
}

// brokenDenyList fails every lookup, as Redis does when it is down.
type brokenDenyList struct{}

func (brokenDenyList) Revoked(context.Context, string) (bool, error) {
	return false, errors.New("connection refused")
}

func TestVerifyWithoutDenyList(t *testing.T) {
	keys := authtest.New(t, "k1")
	v, err := auth.NewVerifier([]auth.PublicKey{keys.Key.Public()}, auth.VerifierOptions{Revocations: brokenDenyList{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), keys.Token(t, auth.Principal{Subject: "u1"}))
	if !errors.Is(err, auth.ErrUnavailable) || errors.Is(err, grpcerr.ErrUnauthenticated) {
		t.Fatalf("Verify with the deny list down = %v, want ErrUnavailable", err)
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
	rc, prefix := testenv.Redis(t)
	deny := auth.NewDenyList(rc, prefix)
	keys := authtest.New(t, "k1")
	a, err := auth.NewVerifier([]auth.PublicKey{keys.Key.Public()}, auth.VerifierOptions{Revocations: deny})
	if err != nil {
		t.Fatal(err)
	}
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
	member := keys.Token(t, auth.Principal{Subject: "m1", Roles: []auth.Role{auth.RoleMember}})
	organizer := keys.Token(t, auth.Principal{Subject: "o1", Roles: []auth.Role{auth.RoleOrganizer}})
	forged := authtest.New(t, "k1").Token(t, auth.Principal{Subject: "x", Roles: []auth.Role{auth.RoleMember}})
	revoked := keys.Token(t, auth.Principal{Subject: "r1", Roles: []auth.Role{auth.RoleMember}})
	info, err := auth.Inspect(revoked)
	if err != nil {
		t.Fatal(err)
	}
	if err := deny.Revoke(context.Background(), info.ID, info.ExpiresAt); err != nil {
		t.Fatal(err)
	}

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
		{name: "revoked token rejected", token: revoked, call: "empty", code: codes.Unauthenticated},
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

// TestVerifierKnown: a token is known once verified, never before, and a
// forged one never.
func TestVerifierKnown(t *testing.T) {
	keys := authtest.New(t, "k1")
	tok := keys.Token(t, auth.Principal{Subject: "ada", Roles: []auth.Role{auth.RoleMember}})
	if keys.Verifier.Known(tok) {
		t.Fatal("a token never verified is known")
	}
	if _, err := keys.Verifier.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if !keys.Verifier.Known(tok) {
		t.Fatal("a verified token is not known")
	}
	forged := tok[:len(tok)-4] + "AAAA"
	_, _ = keys.Verifier.Verify(context.Background(), forged)
	if keys.Verifier.Known(forged) {
		t.Fatal("a forged token is known")
	}
}
