package gateway_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway"
	"github.com/tandem-cluster/tandem/services/profiles"
	"github.com/tandem-cluster/tandem/services/profiles/demo"
)

// demoSystem is a real profiles service, seeded with the demo data or
// empty, and a gateway in front of it.
type demoSystem struct {
	base      string
	authority *authtest.Keys
	profiles  profilesv1.ProfilesServiceClient
	admin     context.Context
	addr      string
}

func startDemoSystem(t *testing.T, seed bool, tune func(*gateway.Config)) demoSystem {
	t.Helper()
	pc := profiles.DefaultConfig()
	pc.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, profiles.Options(pc))
	a := authtest.Default()
	tok := a.Token(t, auth.Principal{Subject: "test-admin", Roles: []auth.Role{auth.RoleAdmin}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s := demoSystem{
		authority: a, profiles: profilesv1.NewProfilesServiceClient(conn), addr: conn.Target(),
		admin: metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok),
	}
	if seed {
		if _, err := demo.Seed(s.admin, s.profiles); err != nil {
			t.Fatal(err)
		}
	}
	s.base = gatewayWith(t, s.addr, tune)
	return s
}

// orgID is the id the profiles service holds for the demo organisation slug.
func (s demoSystem) orgID(t *testing.T, slug string) string {
	t.Helper()
	res, err := s.profiles.ListOrganizations(s.admin, &profilesv1.ListOrganizationsRequest{ExternalId: "tandem-demo:" + slug, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.GetOrganizations()); n != 1 {
		t.Fatalf("%d organisations with external id tandem-demo:%s, want 1", n, slug)
	}
	return res.GetOrganizations()[0].GetId()
}

// apiPrincipal logs in through the API and returns the principal the token
// carries.
func (s demoSystem) apiPrincipal(t *testing.T, base, username string) auth.Principal {
	t.Helper()
	p, err := s.authority.Verifier.Verify(context.Background(), login(t, base, username))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browserClient keeps cookies and does not follow redirects.
func browserClient(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func formToken(t testing.TB, c *http.Client, base string) string {
	t.Helper()
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		page.WriteString(sc.Text())
	}
	m := csrfInput.FindStringSubmatch(page.String())
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /login = %s, form token found: %v", res.Status, m != nil)
	}
	return m[1]
}

// uiSignIn signs in on the web UI's sign-in page of signInBase with the
// form token of tokenBase and returns the session token.
func uiSignIn(t testing.TB, c *http.Client, tokenBase, signInBase, username string) string {
	t.Helper()
	csrf := formToken(t, c, tokenBase)
	if tokenBase != signInBase {
		// The CSRF cookie belongs to the browser, whichever replica set it.
		u, _ := url.Parse(tokenBase)
		v, _ := url.Parse(signInBase)
		c.Jar.SetCookies(v, c.Jar.Cookies(u))
	}
	res, err := c.PostForm(signInBase+"/login", url.Values{"csrf": {csrf}, "user": {username}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %s", username, res.Status)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "tandem_session" && ck.Value != "" {
			return ck.Value
		}
	}
	t.Fatalf("sign in as %s set no session", username)
	return ""
}

func samePrincipal(a, b auth.Principal) bool {
	return a.Subject == b.Subject && a.Organization == b.Organization && slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Clusters, b.Clusters)
}

// TestLoginGivesTheDemoOrganisations: with the demo data loaded, the API
// login and the web UI's sign-in give each demo user the same principal,
// carrying the id of the user's demo organisation in the profiles service
// and its cluster.
func TestLoginGivesTheDemoOrganisations(t *testing.T) {
	t.Parallel()
	s := startDemoSystem(t, true, nil)
	smart := s.orgID(t, "cluster-smart-health-fvg")
	want := map[string]struct {
		org      string
		clusters []string
	}{
		"admin":           {},
		"cluster-manager": {smart, []string{smart, s.orgID(t, "cluster-alisei")}},
		"organizer":       {smart, []string{smart, s.orgID(t, "cluster-alisei")}},
		"company":         {s.orgID(t, "company-026"), []string{smart}},
		"researcher":      {s.orgID(t, "units"), []string{smart}},
	}
	c := browserClient(t)
	for _, u := range gateway.DefaultDemoUsers() {
		api := s.apiPrincipal(t, s.base, u.Username)
		w := want[u.Username]
		if api.Subject != u.Subject || api.Organization != w.org || !slices.Equal(api.Clusters, w.clusters) {
			t.Errorf("API login %s: %+v, want organisation %q and clusters %v", u.Username, api, w.org, w.clusters)
		}
		ui, err := s.authority.Verifier.Verify(context.Background(), uiSignIn(t, c, s.base, s.base, u.Username))
		if err != nil {
			t.Fatal(err)
		}
		if !samePrincipal(api, ui) {
			t.Errorf("%s: API login %+v, UI sign-in %+v", u.Username, api, ui)
		}
	}
	// The demo data holds the only copies: logging in made none.
	for _, slug := range []string{"cluster-smart-health-fvg", "company-026", "units"} {
		s.orgID(t, slug)
	}
	res, err := s.profiles.ListPeople(s.admin, &profilesv1.ListPeopleRequest{OrganizationId: want["researcher"].org})
	if err != nil || len(res.GetPeople()) != 1 || res.GetPeople()[0].GetSubject() != "demo-researcher" {
		t.Errorf("people of the researcher's organisation: %v, %v", res.GetPeople(), err)
	}
}

// TestLoginOnAnEmptySystem: without demo data, the login creates the
// user's organisation, and the web UI's sign-in finds the same one.
func TestLoginOnAnEmptySystem(t *testing.T) {
	t.Parallel()
	s := startDemoSystem(t, false, nil)
	for _, name := range []string{"company", "researcher"} {
		p := s.apiPrincipal(t, s.base, name)
		slug := map[string]string{"company": "company-026", "researcher": "units"}[name]
		if id := s.orgID(t, slug); p.Organization != id || !slices.Equal(p.Clusters, []string{s.orgID(t, "cluster-smart-health-fvg")}) {
			t.Errorf("%s: %+v, want organisation %s", name, p, id)
		}
		ui, err := s.authority.Verifier.Verify(context.Background(), uiSignIn(t, browserClient(t), s.base, s.base, name))
		if err != nil || !samePrincipal(p, ui) {
			t.Errorf("%s: API login %+v, UI sign-in %+v (%v)", name, p, ui, err)
		}
	}
}

func get(t *testing.T, c *http.Client, url string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return response{status: res.StatusCode, header: res.Header, body: []byte(b.String())}
}

// TestServesTheWebUI: the gateway serves the web UI at every path outside
// the API, and the API as before.
func TestServesTheWebUI(t *testing.T) {
	t.Parallel()
	s := startDemoSystem(t, false, nil)
	c := browserClient(t)

	if r := get(t, c, s.base+"/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("anonymous / = %d %s, want a redirect to sign in", r.status, r.header.Get("Location"))
	}
	uiSignIn(t, c, s.base, s.base, "company")
	r := get(t, c, s.base+"/")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), `class="tiles"`) {
		t.Fatalf("home page = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r.header.Get("Content-Security-Policy") == "" || r.header.Get("X-Request-Id") == "" {
		t.Errorf("home page headers %v", r.header)
	}
	r = get(t, c, s.base+"/static/app.css")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || len(r.body) == 0 {
		t.Fatalf("/static/app.css = %d %s", r.status, r.header.Get("Content-Type"))
	}
	r = get(t, c, s.base+"/v1/auth/demo-users")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || !strings.Contains(string(r.body), `"organizationExternalId":"tandem-demo:company-026"`) {
		t.Fatalf("/v1/auth/demo-users = %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := get(t, c, s.base+"/v1/nowhere"); r.status != http.StatusNotFound {
		t.Fatalf("/v1/nowhere = %d", r.status)
	} else {
		r.apiErr(t)
	}
	if r := get(t, c, s.base+"/openapi.json"); r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json = %d", r.status)
	}
	if r := get(t, c, s.base+"/nowhere"); r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("/nowhere = %d %s, want the UI's 404 page", r.status, r.header.Get("Content-Type"))
	}
	if r := get(t, c, s.base+"/healthz"); r.status != http.StatusOK {
		t.Fatalf("/healthz = %d", r.status)
	}

	// An event stream reaches the browser through every middleware as it is
	// written: the first event arrives while the stream stays open.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/notifications/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/notifications/live = %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line == "" {
		t.Fatalf("first line of the event stream: %q, %v", line, err)
	}
}

// TestUIRateLimits: pages count against the per-address budget; static
// assets and event streams do not.
func TestUIRateLimits(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.RatePerIP = 3 })
	c := browserClient(t)
	for i := range 6 {
		if r := get(t, c, base+"/static/app.js"); r.status != http.StatusOK {
			t.Fatalf("static asset %d = %d", i, r.status)
		}
	}
	var codes []int
	for range 5 {
		codes = append(codes, get(t, c, base+"/login").status)
	}
	if !slices.Contains(codes, http.StatusTooManyRequests) || codes[0] != http.StatusOK {
		t.Fatalf("sign-in page statuses %v, want 200 then 429", codes)
	}
}

// TestCSRFAcrossReplicas: two gateways with the same signing key accept
// each other's form tokens, as replicas behind one load balancer must.
func TestCSRFAcrossReplicas(t *testing.T) {
	t.Parallel()
	s := startDemoSystem(t, false, nil)
	other := gatewayWith(t, s.addr, nil)
	tok := uiSignIn(t, browserClient(t), s.base, other, "admin")
	if p, err := s.authority.Verifier.Verify(context.Background(), tok); err != nil || p.Subject != "demo-admin" {
		t.Fatalf("sign-in on the other replica: %+v, %v", p, err)
	}

	// Another signing key, other form tokens.
	otherKey := authtest.New(t, "other")
	third := gatewayWith(t, s.addr, func(c *gateway.Config) {
		c.AuthSigningKey = otherKey.SigningKey(t)
		c.AuthPublicKeys = authtest.PublicKeys(t, authtest.Default(), otherKey)
	})
	c := browserClient(t)
	csrf := formToken(t, c, s.base)
	u, _ := url.Parse(s.base)
	v, _ := url.Parse(third)
	c.Jar.SetCookies(v, c.Jar.Cookies(u))
	res, err := c.PostForm(third+"/login", url.Values{"csrf": {csrf}, "user": {"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("form token of another key = %s, want 403", res.Status)
	}
}

// TestNoDemoSignInWithoutDevLogin: the UI offers no demo users and refuses
// a demo sign-in when DevLogin is off.
func TestNoDemoSignInWithoutDevLogin(t *testing.T) {
	t.Parallel()
	_, addr := startBackend(t)
	base := gatewayWith(t, addr, func(c *gateway.Config) { c.DevLogin = false })
	c := browserClient(t)
	r := get(t, c, base+"/login")
	if r.status != http.StatusOK || strings.Contains(string(r.body), `name="user"`) {
		t.Fatalf("sign-in page without dev login = %d, offers demo users: %v", r.status, strings.Contains(string(r.body), `name="user"`))
	}
	csrf := csrfInput.FindStringSubmatch(string(r.body))
	if csrf == nil {
		t.Fatal("no form token")
	}
	res, err := c.PostForm(base+"/login", url.Values{"csrf": {csrf[1]}, "user": {"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "tandem_session" && ck.Value != "" {
			t.Fatalf("demo sign-in without dev login set a session (%s)", res.Status)
		}
	}
}

// TestLogoutRevokesTheSession: after signing out, the old session token is
// refused, as a cookie by the web UI and as a bearer token by the API,
// even where a copy of it survived in another browser.
func TestLogoutRevokesTheSession(t *testing.T) {
	t.Parallel()
	s := startDemoSystem(t, false, nil)
	c := browserClient(t)
	tok := uiSignIn(t, c, s.base, s.base, "admin")
	if r := do(t, "GET", s.base+"/v1/auth/me", jsonHeader(tok), nil); r.status != http.StatusOK {
		t.Fatalf("GET /v1/auth/me before signing out: %d %s", r.status, r.body)
	}
	page := get(t, c, s.base+"/")
	m := csrfInput.FindStringSubmatch(string(page.body))
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("home page signed in: %d, form token found: %v", page.status, m != nil)
	}
	res, err := c.PostForm(s.base+"/logout", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("sign out = %s to %q, want 303 to /login", res.Status, res.Header.Get("Location"))
	}
	// The gateway rechecks the deny list at least every second.
	deadline := time.Now().Add(30 * time.Second)
	for {
		api := do(t, "GET", s.base+"/v1/auth/me", jsonHeader(tok), nil)
		req, _ := http.NewRequest("GET", s.base+"/partners", nil)
		req.AddCookie(&http.Cookie{Name: "tandem_session", Value: tok})
		ui, err := browserClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		ui.Body.Close()
		if api.status == http.StatusUnauthorized && ui.StatusCode == http.StatusSeeOther && strings.HasPrefix(ui.Header.Get("Location"), "/login") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after signing out the old token gets %d from the API and %s to %q from the UI, want 401 and a redirect to /login", api.status, ui.Status, ui.Header.Get("Location"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
