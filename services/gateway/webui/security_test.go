package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

// TestRedirectsStayOnSite replays redirects whose target comes from input,
// signed out and signed in: none may leave the site.
func TestRedirectsStayOnSite(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	hostile := []string{
		"/./%5Cevil.example", "/%5Cevil.example", "//evil.example", "/%2F%2Fevil.example",
		"https://evil.example", "/%09/evil.example", "%2F%5Cevil.example", "/.%2F%5Cevil.example",
	}
	check := func(t *testing.T, what string, res *http.Response) {
		t.Helper()
		loc := res.Header.Get("Location")
		// Control characters are refused before any redirect.
		if res.StatusCode == http.StatusBadRequest && loc == "" {
			return
		}
		if res.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("%s = %s to %q, want 303 to /", what, res.Status, loc)
		}
	}
	for _, signedIn := range []bool{false, true} {
		if signedIn {
			ui.signIn(t, auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleMember}})
		}
		for _, next := range hostile {
			res, _ := ui.get(t, "/lang/en?next="+next)
			check(t, "GET /lang/en?next="+next, res)
		}
	}
	// The sign-in form carries next through a hidden field.
	tok, _, err := ui.authority.Signer.Issue(auth.Principal{Subject: "u1", Roles: []auth.Role{auth.RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range hostile {
		_, page := ui.get(t, "/login?next="+strings.ReplaceAll(next, "%09", ""))
		if !strings.Contains(page, `name="next" value="/"`) {
			t.Errorf("sign-in page for next=%s carries another target on", next)
		}
		m := csrfInput.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("sign-in page has no form token")
		}
		raw, _ := url.QueryUnescape(next)
		res, _ := ui.post(t, "/login", url.Values{"csrf": {m[1]}, "token": {tok}, "next": {raw}}, nil)
		check(t, "POST /login next="+raw, res)
	}
	// A path of the site is kept.
	res, _ := ui.get(t, "/lang/it?next=%2Fevents%2F1%3Fdone%3Dx")
	if loc := res.Header.Get("Location"); loc != "/events/1?done=x" {
		t.Errorf("same-site next redirected to %q", loc)
	}
}

// TestStaticAssets: files are served and may be cached; folders are not
// listed; pages are never cached.
func TestStaticAssets(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	res, body := ui.get(t, "/static/app.css")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") || body == "" {
		t.Fatalf("/static/app.css = %s, Cache-Control %q", res.Status, res.Header.Get("Cache-Control"))
	}
	for _, dir := range []string{"/static/", "/static/.", "/static/app.css/"} {
		res, body := ui.get(t, dir)
		if res.StatusCode == http.StatusOK || strings.Contains(body, `href="app.js"`) {
			t.Errorf("%s = %s, lists the folder", dir, res.Status)
		}
		if res.StatusCode == http.StatusNotFound && res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: 404 with Cache-Control %q", dir, res.Header.Get("Cache-Control"))
		}
	}
	res, _ = ui.get(t, "/login")
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/login Cache-Control = %q, want no-store", res.Header.Get("Cache-Control"))
	}
}

// TestBadTextIsRefused: text that is not UTF-8, or holds control
// characters, in a path, a query or a form gets a 400 page naming the
// parameter, never a failed call to a service.
func TestBadTextIsRefused(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	ui.signIn(t, auth.Principal{Subject: "u1", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember, auth.RoleOrganizer, auth.RoleClusterManager}})
	for _, tt := range []struct{ path, field string }{
		{"/partners?text=%ff", "text"},
		{"/terms?q=%C3%28", "q"},
		{"/partners?text=a%00b", "text"},
		{"/profiles/org/%ff", "path"},
		{"/events/a%0Ab", "path"},
		{"/login?next=%ff", "next"},
	} {
		res, body := ui.get(t, tt.path)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.field) || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %s, want a 400 page naming %s", tt.path, res.Status, tt.field)
		}
	}
	_, page := ui.get(t, "/org")
	token := csrfInput.FindStringSubmatch(page)[1]
	for _, tt := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"name": {"Acme\xff"}, "version": {"1"}}, "name"},
		{url.Values{"name": {"Acme\x1b[31m"}, "version": {"1"}}, "name"},
		{url.Values{"description": {"two\r\nlines\x00"}, "version": {"1"}}, "description"},
	} {
		tt.form.Set("csrf", token)
		res, body := ui.post(t, "/org", tt.form, nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.field) {
			t.Errorf("POST /org %v = %s, want a 400 page naming %s", tt.form, res.Status, tt.field)
		}
	}
	// Line breaks in a text area are text: the form reaches the service.
	res, _ := ui.post(t, "/org", url.Values{"csrf": {token}, "description": {"two\r\nlines\tand a tab"}, "version": {"1"}}, nil)
	if res.StatusCode != http.StatusNotImplemented {
		t.Errorf("POST /org with line breaks = %s, want the service's 501", res.Status)
	}
}

// TestFormTokensAreBoundToTheSession: a form token works only in the
// session it was made for, so a token taken before signing in, or in
// another session of the same browser, is refused.
func TestFormTokensAreBoundToTheSession(t *testing.T) {
	ui := newTestUI(t, unimplementedBackend(t), false)
	_, page := ui.get(t, "/login")
	anonymous := csrfInput.FindStringSubmatch(page)[1]
	ui.signIn(t, auth.Principal{Subject: "u1", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember}})
	_, page = ui.get(t, "/")
	first := csrfInput.FindStringSubmatch(page)[1]
	if first == anonymous {
		t.Fatal("signing in kept the visitor's form token")
	}
	ui.signIn(t, auth.Principal{Subject: "u2", Organization: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Roles: []auth.Role{auth.RoleMember}})
	_, page = ui.get(t, "/")
	second := csrfInput.FindStringSubmatch(page)[1]
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"visitor's token", anonymous, http.StatusForbidden},
		{"another session's token", first, http.StatusForbidden},
		{"this session's token", second, http.StatusNotImplemented},
	} {
		res, body := ui.post(t, "/org", url.Values{"csrf": {tt.token}, "name": {"x"}, "version": {"1"}}, nil)
		if res.StatusCode != tt.want {
			t.Errorf("%s: POST /org = %s, want %d\n%s", tt.name, res.Status, tt.want, body)
		}
	}
	// Cross-origin posts are refused even with a good token.
	res, _ := ui.post(t, "/org", url.Values{"csrf": {second}, "name": {"x"}, "version": {"1"}}, http.Header{"Sec-Fetch-Site": {"same-site"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("same-site (not same-origin) post = %s, want 403", res.Status)
	}
}
