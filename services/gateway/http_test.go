package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/redisx"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway"
)

// apiError is the error shape every failure must have.
type apiError struct {
	Error struct {
		Code            int    `json:"code"`
		Status          string `json:"status"`
		Message         string `json:"message"`
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		} `json:"fieldViolations"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// apiErr checks that r is an error in the one error shape and returns it.
func (r response) apiErr(t *testing.T) apiError {
	t.Helper()
	var e apiError
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body is not the error shape: %v: %s", err, r.body)
	}
	if e.Error.Code != r.status || e.Error.Status == "" || e.Error.Message == "" || e.Error.FieldViolations == nil {
		t.Fatalf("error body %s incomplete for status %d", r.body, r.status)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q", ct)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || e.Error.RequestID != id {
		t.Fatalf("error requestId %q, header %q", e.Error.RequestID, id)
	}
	return e
}

func do(t testing.TB, method, url string, header map[string]string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func jsonHeader(token string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return h
}

// login logs in as a demo user through the API.
func login(t testing.TB, base, username string) string {
	t.Helper()
	r := do(t, "POST", base+"/v1/auth/login", jsonHeader(""), strings.NewReader(`{"username":"`+username+`"}`))
	if r.status != http.StatusOK {
		t.Fatalf("login %s = %d %s", username, r.status, r.body)
	}
	var res struct {
		Token     string    `json:"token"`
		TokenType string    `json:"tokenType"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	r.json(t, &res)
	if res.Token == "" || res.TokenType != "Bearer" || !res.ExpiresAt.After(time.Now()) {
		t.Fatalf("login response %s", r.body)
	}
	return res.Token
}

// memberToken is a member's token for tests where the stand-in backend
// cannot resolve demo organisations.
func memberToken(t testing.TB, subject string) string {
	t.Helper()
	a := authtest.Default().Signer
	tok, _, err := a.Issue(auth.Principal{Subject: subject, Organization: "01J00000000000000000000000", Roles: []auth.Role{auth.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// hs256 signs claims with a shared secret, as Tandem did before EdDSA.
func hs256(t *testing.T, key string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForwardsPrincipalRequestIDAndDeadline(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	tok := memberToken(t, "demo-company-member")

	h := jsonHeader(tok)
	h["X-Request-Id"] = "trace-me-42"
	r := do(t, "GET", base+"/v1/organizations/o1", h, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET = %d %s", r.status, r.body)
	}
	var got struct {
		Organization struct{ ID, Name, Description, ShortName string } `json:"organization"`
	}
	r.json(t, &got)
	if got.Organization.Name != "demo-company-member" {
		t.Errorf("service saw principal %q, want demo-company-member", got.Organization.Name)
	}
	if got.Organization.Description != "trace-me-42" || r.header.Get("X-Request-Id") != "trace-me-42" {
		t.Errorf("request id: service saw %q, response header %q", got.Organization.Description, r.header.Get("X-Request-Id"))
	}
	if got.Organization.ShortName != "set" {
		t.Errorf("service call deadline = %q, want set", got.Organization.ShortName)
	}
	if strings.Contains(strings.ToLower(fmt.Sprint(r.header)), "grpc-metadata") {
		t.Errorf("gRPC metadata leaked into HTTP headers: %v", r.header)
	}

	// Without a token the call is anonymous; the service decides.
	r = do(t, "GET", base+"/v1/organizations/o1", nil, nil)
	r.json(t, &got)
	if r.status != http.StatusOK || got.Organization.Name != "anonymous" {
		t.Errorf("anonymous GET = %d %s", r.status, r.body)
	}
}

// TestRevokedTokenRefused: a token on the deny list is refused by the
// gateway's HTTP API soon after it is revoked; other tokens go on working.
func TestRevokedTokenRefused(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	var cfg gateway.Config
	base := gatewayWith(t, addr, func(c *gateway.Config) { cfg = *c })
	tok, other := memberToken(t, "demo-company-member"), memberToken(t, "demo-researcher")
	if r := do(t, "GET", base+"/v1/auth/me", jsonHeader(tok), nil); r.status != http.StatusOK {
		t.Fatalf("before revocation: %d %s", r.status, r.body)
	}
	rc, err := redisx.Connect(context.Background(), cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	info, err := auth.Inspect(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.NewDenyList(rc, cfg.RedisPrefix).Revoke(context.Background(), info.ID, info.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := do(t, "GET", base+"/v1/auth/me", jsonHeader(tok), nil)
		if r.status == http.StatusUnauthorized {
			if !strings.Contains(string(r.body), "revoked") {
				t.Errorf("refusal does not say why: %s", r.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still accepted: %d %s", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := do(t, "GET", base+"/v1/auth/me", jsonHeader(other), nil); r.status != http.StatusOK {
		t.Errorf("another token after the revocation: %d %s", r.status, r.body)
	}
}

// TestTraceContextReachesServices: the caller's trace (traceparent) goes on
// to the service a request is forwarded to; without one, each request
// starts its own trace.
func TestTraceContextReachesServices(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	tok := memberToken(t, "tracer")
	traceOf := func(h map[string]string) string {
		t.Helper()
		h["Authorization"] = "Bearer " + tok
		r := do(t, "GET", base+"/v1/organizations/trace", h, nil)
		var res struct{ Organization struct{ Name string } }
		r.json(t, &res)
		return res.Organization.Name
	}
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	if got := traceOf(map[string]string{"traceparent": "00-" + id + "-00f067aa0ba902b7-01"}); got != id {
		t.Fatalf("service saw trace %q, want the caller's %s", got, id)
	}
	a, b := traceOf(map[string]string{}), traceOf(map[string]string{})
	if a == b || strings.Trim(a, "0") == "" || strings.Trim(b, "0") == "" {
		t.Fatalf("requests without a trace got traces %q and %q, want two new ones", a, b)
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	ulidRE := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	for _, tt := range []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"uuid", "3f2c9a1e-7b4d-4c8e-9f00-1234567890ab", true},
		{"with spaces", "hello world", false},
		{"too long", strings.Repeat("a", 129), false},
		{"quote", `a"b`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.sent != "" {
				h["X-Request-Id"] = tt.sent
			}
			r := do(t, "GET", base+"/v1/nowhere", h, nil)
			got := r.header.Get("X-Request-Id")
			if tt.kept && got != tt.sent || !tt.kept && !ulidRE.MatchString(got) {
				t.Fatalf("X-Request-Id = %q for sent %q", got, tt.sent)
			}
			if e := r.apiErr(t); e.Error.RequestID != got {
				t.Fatalf("body requestId %q != header %q", e.Error.RequestID, got)
			}
		})
	}
}

func TestBadInputTable(t *testing.T) {
	t.Parallel()
	b, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) {
		c.MaxBodyBytes = 4096
		// Without a web UI, paths outside the API answer in the API's error shape.
		c.UI = func(gateway.UIEnv) (http.Handler, error) { return nil, nil }
	})
	admin := login(t, base, "admin")
	member := memberToken(t, "demo-company-member")
	now := time.Now()
	expired := authtest.Default().Sign(t, jwt.MapClaims{"iss": "tandem", "sub": "demo-admin", "jti": "e1", "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	forged := authtest.New(t, "test").Sign(t, jwt.MapClaims{"iss": "tandem", "sub": "demo-admin", "jti": "f1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	oldSecret := hs256(t, "tandem-dev-only-signing-key-change-me-in-production", jwt.MapClaims{"iss": "tandem", "sub": "demo-admin", "jti": "h1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	big := `{"organization":{"name":"` + strings.Repeat("x", 5000) + `"}}`

	tests := []struct {
		name         string
		method, path string
		header       map[string]string
		body         string
		chunked      bool // send without Content-Length
		status       int
		code         string
		message      string // substring
		violation    string // a field that must be named
		reaches      bool   // the call gets to the service
	}{
		{name: "unknown API route", method: "GET", path: "/v1/nowhere", status: 404, code: "NOT_FOUND", message: "no route"},
		{name: "unknown path outside the API", method: "GET", path: "/nowhere", status: 404, code: "NOT_FOUND", message: "no route"},
		{name: "wrong method", method: "PUT", path: "/v1/organizations", header: jsonHeader(admin), body: `{}`, status: 405, code: "UNIMPLEMENTED", message: "not allowed"},
		{name: "wrong method on openapi", method: "POST", path: "/openapi.json", status: 405, code: "UNIMPLEMENTED"},
		{name: "malformed JSON", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organization":`, status: 400, code: "INVALID_ARGUMENT", message: "invalid JSON body"},
		{name: "not an object", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `[1,2]`, status: 400, code: "INVALID_ARGUMENT", message: "invalid JSON body"},
		{name: "wrong type", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organization":{"name":5}}`, status: 400, code: "INVALID_ARGUMENT", message: "name"},
		{name: "wrong enum", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organization":{"name":"A","kind":"PIRATE"}}`, status: 400, code: "INVALID_ARGUMENT", message: "PIRATE"},
		{name: "unknown field", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organisation":{"name":"A"}}`, status: 400, code: "INVALID_ARGUMENT", message: `unknown field "organisation"`},
		{name: "unknown nested field", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organization":{"nmae":"A"}}`, status: 400, code: "INVALID_ARGUMENT", message: `unknown field "nmae"`},
		{name: "trailing data", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{} {}`, status: 400, code: "INVALID_ARGUMENT", message: "invalid JSON body"},
		{name: "oversized body", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: big, status: 413, code: "INVALID_ARGUMENT", message: "larger than 4096 bytes"},
		{name: "oversized chunked body", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: big, chunked: true, status: 413, code: "INVALID_ARGUMENT", message: "larger than 4096 bytes"},
		{name: "oversized login", method: "POST", path: "/v1/auth/login", header: jsonHeader(""), body: big, chunked: true, status: 413, code: "INVALID_ARGUMENT", message: "too large"},
		{name: "form body", method: "POST", path: "/v1/organizations", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + admin}, body: "name=A", status: 415, code: "INVALID_ARGUMENT", message: "Content-Type: application/json"},
		{name: "no content type", method: "POST", path: "/v1/organizations", header: map[string]string{"Authorization": "Bearer " + admin}, body: `{}`, status: 415, code: "INVALID_ARGUMENT", message: "Content-Type"},
		{name: "missing token", method: "POST", path: "/v1/organizations", header: jsonHeader(""), body: `{"organization":{"name":"A"}}`, status: 401, code: "UNAUTHENTICATED", message: "bearer token", reaches: true},
		{name: "forged token", method: "POST", path: "/v1/organizations", header: jsonHeader(forged), body: `{"organization":{"name":"A"}}`, status: 401, code: "UNAUTHENTICATED", message: "not valid"},
		{name: "token signed with the old shared secret", method: "POST", path: "/v1/organizations", header: jsonHeader(oldSecret), body: `{"organization":{"name":"A"}}`, status: 401, code: "UNAUTHENTICATED", message: "not valid"},
		{name: "expired token", method: "POST", path: "/v1/organizations", header: jsonHeader(expired), body: `{"organization":{"name":"A"}}`, status: 401, code: "UNAUTHENTICATED", message: "expired"},
		{name: "garbage token", method: "GET", path: "/v1/organizations/o1", header: jsonHeader("not.a.token"), status: 401, code: "UNAUTHENTICATED", message: "not valid"},
		{name: "not a bearer", method: "GET", path: "/v1/organizations/o1", header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}, status: 401, code: "UNAUTHENTICATED", message: "Bearer <token>"},
		{name: "invalid field", method: "POST", path: "/v1/organizations", header: jsonHeader(admin), body: `{"organization":{"name":" "}}`, status: 400, code: "INVALID_ARGUMENT", violation: "organization.name", reaches: true},
		{name: "not allowed", method: "PATCH", path: "/v1/organizations/o1", header: jsonHeader(member), body: `{"organization":{"name":"B"},"expectedVersion":"1"}`, status: 403, code: "PERMISSION_DENIED", reaches: true},
		{name: "not found", method: "GET", path: "/v1/organizations/missing", status: 404, code: "NOT_FOUND", reaches: true},
		{name: "stale version", method: "GET", path: "/v1/organizations/stale", status: 409, code: "ABORTED", reaches: true},
		{name: "wrong state", method: "GET", path: "/v1/organizations/closed", status: 409, code: "FAILED_PRECONDITION", reaches: true},
		{name: "unknown query parameter", method: "GET", path: "/v1/organizations?pagesize=3", status: 400, code: "INVALID_ARGUMENT", message: `unknown query parameter "pagesize"`},
		{name: "query of wrong type", method: "GET", path: "/v1/organizations?pageSize=many", status: 400, code: "INVALID_ARGUMENT", message: "many"},
		{name: "query not UTF-8", method: "GET", path: "/v1/terms?query=%ff", status: 400, code: "INVALID_ARGUMENT", message: "UTF-8", violation: "query"},
		{name: "query key not UTF-8", method: "GET", path: "/v1/organizations?%ff=1", status: 400, code: "INVALID_ARGUMENT", message: "UTF-8", violation: `parameter name \xff`},
		{name: "path not UTF-8", method: "GET", path: "/v1/organizations/%C3%28", status: 400, code: "INVALID_ARGUMENT", message: "UTF-8", violation: "path"},
		{name: "control character in query", method: "GET", path: "/v1/organizations?query=a%00b", status: 400, code: "INVALID_ARGUMENT", message: "U+0000", violation: "query"},
		{name: "newline in query", method: "GET", path: "/v1/organizations?query=a%0d%0ab", status: 400, code: "INVALID_ARGUMENT", message: "control character", violation: "query"},
		{name: "control character in path", method: "GET", path: "/v1/organizations/a%07b", status: 400, code: "INVALID_ARGUMENT", message: "U+0007", violation: "path"},
		{name: "malformed query", method: "GET", path: "/v1/organizations?query=%zz", status: 400, code: "INVALID_ARGUMENT", violation: "query"},
		{name: "not UTF-8 with a token", method: "POST", path: "/v1/matching/suggestions?limit=%ff", header: jsonHeader(admin), body: `{}`, status: 400, code: "INVALID_ARGUMENT", violation: "limit"},
		{name: "not implemented by the service", method: "GET", path: "/v1/people/p1", status: 501, code: "UNIMPLEMENTED"},
		{name: "unknown demo user", method: "POST", path: "/v1/auth/login", header: jsonHeader(""), body: `{"username":"mallory"}`, status: 400, code: "INVALID_ARGUMENT", violation: "username", message: "mallory"},
		{name: "login without username", method: "POST", path: "/v1/auth/login", header: jsonHeader(""), body: `{}`, status: 400, code: "INVALID_ARGUMENT", violation: "username"},
		{name: "login unknown field", method: "POST", path: "/v1/auth/login", header: jsonHeader(""), body: `{"username":"admin","password":"x"}`, status: 400, code: "INVALID_ARGUMENT", message: "unknown field"},
		{name: "login malformed", method: "POST", path: "/v1/auth/login", header: jsonHeader(""), body: `{"username":`, status: 400, code: "INVALID_ARGUMENT", message: "invalid JSON body"},
		{name: "who am i anonymous", method: "GET", path: "/v1/auth/me", status: 401, code: "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.total()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body) // hides the length: sent chunked
				}
			}
			r := do(t, tt.method, base+tt.path, tt.header, body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			e := r.apiErr(t)
			if e.Error.Status != tt.code || !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("error = %s %q, want %s containing %q", e.Error.Status, e.Error.Message, tt.code, tt.message)
			}
			if tt.violation != "" && !slices.ContainsFunc(e.Error.FieldViolations, func(v struct {
				Field       string `json:"field"`
				Description string `json:"description"`
			}) bool {
				return v.Field == tt.violation && v.Description != ""
			}) {
				t.Errorf("field violations %+v do not name %s", e.Error.FieldViolations, tt.violation)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v, want nosniff and no-store", r.header)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if reached := b.total() > before; reached != tt.reaches {
				t.Errorf("reached the service = %v, want %v", reached, tt.reaches)
			}
		})
	}
}

func TestSuccessfulCallsAndQueryParameters(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	admin := login(t, base, "admin")

	r := do(t, "POST", base+"/v1/organizations", jsonHeader(admin), strings.NewReader(`{"organization":{"name":"Acme Bio","kind":"ORGANIZATION_KIND_COMPANY"},"clientRequestId":"k1"}`))
	if r.status != http.StatusOK {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var created struct {
		Organization map[string]any `json:"organization"`
	}
	r.json(t, &created)
	if created.Organization["id"] != "org-1" || created.Organization["name"] != "Acme Bio" || created.Organization["version"] != "1" {
		t.Errorf("created %v", created.Organization)
	}
	if _, ok := created.Organization["website"]; !ok {
		t.Errorf("unpopulated fields are left out: %v", created.Organization)
	}
	for _, res := range []response{r, do(t, "GET", base+"/openapi.json", nil, nil)} {
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("API response headers %v, want nosniff and no-store", res.header)
		}
	}

	// Proto names work as well as JSON names; repeated enums repeat the key.
	r = do(t, "GET", base+"/v1/organizations?query=rna&kinds=ORGANIZATION_KIND_COMPANY&kinds=ORGANIZATION_KIND_UNIVERSITY&page_size=5", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list = %d %s", r.status, r.body)
	}
	var list struct {
		Organizations []struct{ Name, Description string } `json:"organizations"`
	}
	r.json(t, &list)
	if len(list.Organizations) != 1 || list.Organizations[0].Name != "rna" || list.Organizations[0].Description != "ORGANIZATION_KIND_COMPANY+ORGANIZATION_KIND_UNIVERSITY" {
		t.Errorf("list = %s", r.body)
	}

	// The path names the resource to update, whatever the body says.
	r = do(t, "PATCH", base+"/v1/organizations/o7", jsonHeader(admin), strings.NewReader(`{"organization":{"id":"other","name":"B"},"expectedVersion":"3","updateMask":"name"}`))
	var updated struct {
		Organization struct{ ID, Name string } `json:"organization"`
	}
	r.json(t, &updated)
	if r.status != http.StatusOK || updated.Organization.ID != "o7" {
		t.Errorf("update = %d %s", r.status, r.body)
	}

	r = do(t, "GET", base+"/v1/auth/me", jsonHeader(admin), nil)
	var me struct {
		Subject string   `json:"subject"`
		Roles   []string `json:"roles"`
	}
	r.json(t, &me)
	if r.status != http.StatusOK || me.Subject != "demo-admin" || !slices.Equal(me.Roles, []string{"admin"}) {
		t.Errorf("me = %d %s", r.status, r.body)
	}
}

func TestDemoUsersAndLoginOff(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	r := do(t, "GET", base+"/v1/auth/demo-users", nil, nil)
	var users struct {
		Users []struct {
			Username  string `json:"username"`
			Principal struct {
				Roles []string `json:"roles"`
			} `json:"principal"`
		} `json:"users"`
	}
	r.json(t, &users)
	var names []string
	for _, u := range users.Users {
		names = append(names, u.Username)
	}
	login(t, base, "admin")
	if want := []string{"admin", "cluster-manager", "organizer", "company", "researcher"}; !slices.Equal(names, want) {
		t.Errorf("demo users = %v, want %v", names, want)
	}

	prod := gatewayWith(t, addr, func(c *gateway.Config) { c.DevLogin = false })
	for _, path := range []string{"/v1/auth/login", "/v1/auth/demo-users"} {
		method := "GET"
		var body io.Reader
		if path == "/v1/auth/login" {
			method, body = "POST", strings.NewReader(`{"username":"admin"}`)
		}
		r := do(t, method, prod+path, jsonHeader(""), body)
		if r.status != http.StatusNotImplemented {
			t.Fatalf("%s with dev login off = %d %s", path, r.status, r.body)
		}
		if e := r.apiErr(t); strings.Contains(string(r.body), "token\"") || e.Error.Status != "UNIMPLEMENTED" {
			t.Fatalf("%s with dev login off: %s", path, r.body)
		}
	}
}

func TestDeadlineOfServiceCalls(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RequestTimeout = 200 * time.Millisecond })
	r := do(t, "GET", base+"/v1/organizations/slow", nil, nil)
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("slow call = %d %s, want 504", r.status, r.body)
	}
	if e := r.apiErr(t); e.Error.Status != "DEADLINE_EXCEEDED" {
		t.Fatalf("slow call error %s", r.body)
	}
}

func TestWatchMatchesStreamsNDJSON(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	tok := memberToken(t, "demo-company-member")

	lines := func(clientRequestID string) (int, []map[string]json.RawMessage) {
		req, _ := http.NewRequest("POST", base+"/v1/matching/watches", strings.NewReader(`{"savedSearch":{"name":"sequencing"},"clientRequestId":"`+clientRequestID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []map[string]json.RawMessage
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
			}
			out = append(out, m)
		}
		return res.StatusCode, out
	}

	code, got := lines("ok")
	if code != http.StatusOK || len(got) != 2 {
		t.Fatalf("stream = %d, %d lines %v", code, len(got), got)
	}
	if !strings.Contains(string(got[0]["result"]), `"search-1"`) || !strings.Contains(string(got[1]["result"]), `"match-1"`) {
		t.Errorf("stream lines %s / %s", got[0]["result"], got[1]["result"])
	}

	// A stream that fails after it started ends with an error line in the error shape.
	code, got = lines("fail")
	if code != http.StatusOK || len(got) != 2 || got[1]["error"] == nil {
		t.Fatalf("failing stream = %d %v", code, got)
	}
	var e struct {
		Code            int    `json:"code"`
		Status          string `json:"status"`
		Message         string `json:"message"`
		FieldViolations []any  `json:"fieldViolations"`
	}
	if err := json.Unmarshal(got[1]["error"], &e); err != nil || e.Status != "PERMISSION_DENIED" || e.Code != 403 || e.FieldViolations == nil {
		t.Fatalf("error line %s (%v)", got[1]["error"], err)
	}

	// Failing before the first message: the HTTP status says so.
	r := do(t, "POST", base+"/v1/matching/watches", jsonHeader(""), strings.NewReader(`{}`))
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), `"UNAUTHENTICATED"`) {
		t.Fatalf("anonymous watch = %d %s", r.status, r.body)
	}
}

func TestCalendarFile(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, nil)
	tok := memberToken(t, "demo-researcher")
	r := do(t, "GET", base+"/v1/events/ev1/participants/p1/agenda.ics", jsonHeader(tok), nil)
	if r.status != http.StatusOK {
		t.Fatalf("agenda.ics = %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="smart__health___2025.ics"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if !strings.HasPrefix(string(r.body), "BEGIN:VCALENDAR\r\n") || !strings.Contains(string(r.body), "X-WR-CALNAME:ev1/p1") {
		t.Errorf("body %q", r.body)
	}
	r = do(t, "GET", base+"/v1/events/ev1/participants/p1/agenda.ics", nil, nil)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous agenda.ics = %d", r.status)
	}
	r.apiErr(t)

	// The JSON route carries the same file.
	r = do(t, "GET", base+"/v1/events/ev1/participants/p1/calendar", jsonHeader(tok), nil)
	var res struct {
		Content []byte `json:"content"`
	}
	r.json(t, &res)
	if r.status != http.StatusOK || !strings.HasPrefix(string(res.Content), "BEGIN:VCALENDAR") {
		t.Fatalf("calendar JSON = %d %s", r.status, r.body)
	}
}

// TestCalendarFeedFile: a calendar app fetches a private feed without a
// login; a token the service does not know is 404; the per-address budget
// of anonymous requests applies.
func TestCalendarFeedFile(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser = 3, 0 })
	r := do(t, "GET", base+"/v1/calendar-feeds/feed-token-1/agenda.ics", nil, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/calendar; charset=utf-8" || !strings.Contains(string(r.body), "X-WR-CALNAME:feed") {
		t.Fatalf("feed = %d %s %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	r = do(t, "GET", base+"/v1/calendar-feeds/revoked-token/agenda.ics", nil, nil)
	if r.status != http.StatusNotFound {
		t.Fatalf("unknown token = %d %s", r.status, r.body)
	}
	r.apiErr(t)
	do(t, "GET", base+"/v1/calendar-feeds/feed-token-1/agenda.ics", nil, nil)
	if r := do(t, "GET", base+"/v1/calendar-feeds/feed-token-1/agenda.ics", nil, nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("4th feed request from one address = %d, want 429", r.status)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser = 3, 0 })
	for i := range 3 {
		if r := do(t, "GET", base+"/v1/organizations/o1", nil, nil); r.status != http.StatusOK {
			t.Fatalf("request %d = %d %s", i+1, r.status, r.body)
		}
	}
	r := do(t, "GET", base+"/v1/organizations/o1", nil, nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("4th request = %d, want 429", r.status)
	}
	if e := r.apiErr(t); e.Error.Status != "RESOURCE_EXHAUSTED" {
		t.Errorf("429 body %s", r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	// Probes are never limited.
	if code, _ := getReadiness(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while limited = %d", code)
	}
}

func TestRateLimitPerPrincipal(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser = 0, 2 })
	a := authtest.Default().Signer
	tokA, _, _ := a.Issue(auth.Principal{Subject: "alice", Roles: []auth.Role{auth.RoleMember}})
	tokB, _, _ := a.Issue(auth.Principal{Subject: "bob", Roles: []auth.Role{auth.RoleMember}})
	for i := range 2 {
		if r := do(t, "GET", base+"/v1/organizations/o1", jsonHeader(tokA), nil); r.status != http.StatusOK {
			t.Fatalf("alice request %d = %d", i+1, r.status)
		}
	}
	r := do(t, "GET", base+"/v1/organizations/o1", jsonHeader(tokA), nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("alice's 3rd request = %d (Retry-After %q), want 429", r.status, r.header.Get("Retry-After"))
	}
	r.apiErr(t)
	if r := do(t, "GET", base+"/v1/organizations/o1", jsonHeader(tokB), nil); r.status != http.StatusOK {
		t.Fatalf("bob = %d, want 200: budgets are per principal", r.status)
	}
	// Anonymous calls are not counted against anyone's principal budget.
	for range 3 {
		if r := do(t, "GET", base+"/v1/organizations/o1", nil, nil); r.status != http.StatusOK {
			t.Fatalf("anonymous = %d", r.status)
		}
	}
}

// TestRateLimitBatchItems: batch calls count their items against the item
// budget, so an organiser's bulk set-up is limited by items, not by calls.
func TestRateLimitBatchItems(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP, c.RatePerUser, c.RateItemsUser = 0, 100, 5 })
	tok := authtest.Token(t, auth.Principal{Subject: "organiser", Roles: []auth.Role{auth.RoleOrganizer}})
	three := []byte(`{"items":[{"requestId":"r1","action":"MEETING_REQUEST_ACTION_ACCEPT"},{"requestId":"r2","action":"MEETING_REQUEST_ACTION_ACCEPT"},{"requestId":"r3","action":"MEETING_REQUEST_ACTION_ACCEPT"}]}`)
	if r := do(t, "POST", base+"/v1/meeting-requests:batchRespond", jsonHeader(tok), bytes.NewReader(three)); r.status == http.StatusTooManyRequests {
		t.Fatalf("first batch of 3 items with a budget of 5 = %d", r.status)
	}
	r := do(t, "POST", base+"/v1/meeting-requests:batchRespond", jsonHeader(tok), bytes.NewReader(three))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("second batch of 3 items = %d, want 429", r.status)
	}
	// Single calls draw on the request budget only.
	for range 3 {
		if r := do(t, "GET", base+"/v1/organizations/o1", jsonHeader(tok), nil); r.status != http.StatusOK {
			t.Fatalf("single call after the item budget ran out = %d", r.status)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	off := gatewayWith(t, addr, nil)
	on := gatewayWith(t, addr, func(c *gateway.Config) { c.CORSOrigins = []string{"https://ui.example.org"} })
	preflight := map[string]string{
		"Origin":                         "https://ui.example.org",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization,content-type",
	}

	r := do(t, "OPTIONS", off+"/v1/organizations", preflight, nil)
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.status < 400 {
		t.Errorf("CORS off: preflight = %d %v", r.status, r.header)
	}
	r = do(t, "GET", off+"/v1/organizations/o1", map[string]string{"Origin": "https://ui.example.org"}, nil)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: GET allows origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}

	r = do(t, "OPTIONS", on+"/v1/organizations", preflight, nil)
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://ui.example.org" ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("CORS on: preflight = %d %v", r.status, r.header)
	}
	r = do(t, "GET", on+"/v1/organizations/o1", map[string]string{"Origin": "https://ui.example.org"}, nil)
	if r.header.Get("Access-Control-Allow-Origin") != "https://ui.example.org" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("CORS on: GET headers %v", r.header)
	}
	r = do(t, "GET", on+"/v1/organizations/o1", map[string]string{"Origin": "https://evil.example.com"}, nil)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS on: other origin allowed: %v", r.header)
	}
}

// rpcMethods lists every RPC of the four public services.
func rpcMethods() []protoreflect.MethodDescriptor {
	var out []protoreflect.MethodDescriptor
	for _, f := range []protoreflect.FileDescriptor{
		profilesv1.File_tandem_profiles_v1_profiles_service_proto,
		competenciesv1.File_tandem_competencies_v1_competencies_service_proto,
		matchingv1.File_tandem_matching_v1_matching_service_proto,
		meetingsv1.File_tandem_meetings_v1_meetings_service_proto,
		messagingv1.File_tandem_messaging_v1_messaging_service_proto,
	} {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				out = append(out, s.Methods().Get(j))
			}
		}
	}
	return out
}

func TestOpenAPIListsEveryOperation(t *testing.T) {
	t.Parallel()
	base := gatewayWith(t, "127.0.0.1:1", nil)
	r := do(t, "GET", base+"/openapi.json", nil, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json = %d %s", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		Swagger string                               `json:"swagger"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
		Defs    map[string]any                       `json:"definitions"`
	}
	r.json(t, &doc)
	if doc.Swagger != "2.0" || doc.Defs["tandemError"] == nil {
		t.Fatalf("document: swagger %q, tandemError %v", doc.Swagger, doc.Defs["tandemError"] != nil)
	}
	ops := map[string]string{}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			id, _ := op["operationId"].(string)
			ops[id] = strings.ToUpper(method) + " " + path
			res, _ := op["responses"].(map[string]any)
			if res["default"] == nil {
				t.Errorf("%s %s has no default (error) response", method, path)
			}
		}
	}
	methods := rpcMethods()
	if len(methods) != 69 {
		t.Fatalf("found %d RPCs; the test's list of services is out of date", len(methods))
	}
	for _, m := range methods {
		id := string(m.Parent().Name()) + "_" + string(m.Name())
		if ops[id] == "" {
			t.Errorf("RPC %s has no HTTP operation", m.FullName())
		}
	}
	for _, id := range []string{"Auth_Login", "Auth_Me", "Auth_DemoUsers", "MeetingsService_ExportCalendarFile", "MeetingsService_GetCalendarFeedFile"} {
		if ops[id] == "" {
			t.Errorf("operation %s missing", id)
		}
	}
}

// TestEveryOperationIsRouted calls each documented operation with the
// services down (messaging configured too): each must reach its (absent)
// service, never 404.
func TestEveryOperationIsRouted(t *testing.T) {
	t.Parallel()
	base := gatewayWith(t, "127.0.0.1:1", func(c *gateway.Config) { c.Messaging = "127.0.0.1:1" })
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	do(t, "GET", base+"/openapi.json", nil, nil).json(t, &doc)
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for path, methods := range doc.Paths {
		for method := range methods {
			if strings.HasPrefix(path, "/v1/auth/") {
				continue
			}
			n++
			url := base + param.ReplaceAllString(path, "x1")
			var body io.Reader
			if method != "get" && method != "delete" {
				body = strings.NewReader(`{}`)
			}
			r := do(t, strings.ToUpper(method), url, jsonHeader(""), body)
			if r.status != http.StatusServiceUnavailable {
				t.Errorf("%s %s = %d %s, want 503 from the absent service", method, path, r.status, r.body)
				continue
			}
			r.apiErr(t)
		}
	}
	if n < 40 {
		t.Errorf("only %d operations checked", n)
	}
}
