package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/services/gateway"
)

// uiRoutes are the web UI's routes (webui.UI.routes) with their path
// parameters. Signing out is left out: it would end the fuzzing session.
var uiRoutes = []string{
	"GET /", "GET /login", "POST /login", "GET /lang/{code}",
	"GET /org", "POST /org", "GET /me", "POST /me", "GET /profiles/{kind}/{id}",
	"GET /partners", "POST /partners/feedback", "GET /partners/saved", "GET /marketplace",
	"GET /messages", "POST /messages", "GET /messages/new", "GET /messages/settings", "POST /messages/settings",
	"GET /messages/{id}", "POST /messages/{id}", "POST /messages/{id}/respond", "GET /searches", "POST /searches", "GET /searches/live",
	"GET /terms", "GET /competencies", "POST /competencies", "POST /competencies/retract",
	"GET /offers", "POST /offers", "POST /offers/status",
	"GET /events", "POST /events", "GET /events/{id}", "POST /events/{id}/status", "POST /events/{id}/schedule",
	"POST /events/{id}/publish", "POST /events/{id}/register", "POST /events/{id}/availability",
	"POST /events/{id}/requests", "POST /events/{id}/requests/{rid}", "GET /events/{id}/agenda/{pid}",
	"GET /events/{id}/agendas", "GET /events/{id}/calendar/{pid}",
	"GET /dashboard", "GET /notifications", "GET /notifications/live", "GET /static/{file}",
}

// httpTarget is the gateway in front of the real services, with a signed-in
// API client and a signed-in browser.
type httpTarget struct {
	base    string
	token   string // API bearer token of the admin
	cookies string // the browser's cookies
	csrf    string // the browser's form token
	routes  []string
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func startHTTPTarget(f *testing.F) *httpTarget {
	addrs := startServices(f)
	base := gatewayWith(f, addrs[0], func(c *gateway.Config) {
		c.Competencies, c.Matching, c.Meetings = addrs[1], addrs[2], addrs[3]
		c.RatePerIP, c.RatePerUser = 0, 0
	})
	tg := &httpTarget{base: base, token: login(f, base, "admin")}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	do(f, "GET", base+"/openapi.json", nil, nil).json(f, &doc)
	for path, methods := range doc.Paths {
		for method := range methods {
			tg.routes = append(tg.routes, strings.ToUpper(method)+" "+path)
		}
	}
	if len(tg.routes) < 40 {
		f.Fatalf("the API description lists %d operations", len(tg.routes))
	}
	tg.routes = append(tg.routes, uiRoutes...)
	slices.Sort(tg.routes)

	c := browserClient(f)
	_ = uiSignIn(f, c, base, base, "admin")
	res, err := c.Get(base + "/")
	if err != nil {
		f.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		f.Fatal("no form token on the home page")
	}
	tg.csrf = string(m[1])
	u, _ := url.Parse(base)
	var ck []string
	for _, c := range c.Jar.Cookies(u) {
		ck = append(ck, c.Name+"="+c.Value)
	}
	tg.cookies = strings.Join(ck, "; ")
	return tg
}

// request builds the fuzzed request: seg fills every path parameter, key
// and value form one query parameter (and one form field), body is the
// API's JSON body or the rest of a form.
func (tg *httpTarget) request(ctx context.Context, route string, seg, key, value string, body []byte) (*http.Request, error) {
	method, tmpl, _ := strings.Cut(route, " ")
	if seg == "" {
		seg = "x1"
	}
	path := pathParam.ReplaceAllLiteralString(tmpl, url.PathEscape(seg))
	target := tg.base + path
	if key != "" || value != "" {
		target += "?" + url.QueryEscape(key) + "=" + url.QueryEscape(value)
	}
	api := strings.HasPrefix(tmpl, "/v1/")
	var rd io.Reader
	switch {
	case method == http.MethodGet || method == http.MethodDelete:
	case api:
		rd = strings.NewReader(string(body))
	default:
		form := "csrf=" + url.QueryEscape(tg.csrf) + "&" + url.QueryEscape(key) + "=" + url.QueryEscape(value)
		if len(body) > 0 {
			form += "&" + string(body)
		}
		rd = strings.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if api {
		req.Header.Set("Authorization", "Bearer "+tg.token)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Cookie", tg.cookies)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// FuzzHTTPRoutes sends text that is not UTF-8, and control characters, in
// paths, query values and bodies to every route of the API and the web
// UI, signed in, with the real services behind the gateway. Nothing may
// answer with a server error.
func FuzzHTTPRoutes(f *testing.F) {
	tg := startHTTPTarget(f)
	bad := []struct {
		seg, key, value, body string
	}{
		{"\xff", "query", "\xff", `{"name":"\xff"}`},
		{"a\x00b", "text", "a\x00b", "name=a%00b&description=%ff"},
		{"%ff", "pageSize", "\xc3\x28", `{"organization":{"name":"a\u0000b"}}`},
		{"x1", "next", "/./\\evil.example", "next=%2F.%2F%5Cevil.example"},
		{"\r\n", "\xfe", "\x1b[31m", "\xff\xfe=\x01"},
	}
	for i := range tg.routes {
		for _, b := range bad {
			f.Add(uint(i), b.seg, b.key, b.value, []byte(b.body))
		}
	}
	f.Fuzz(func(t *testing.T, route uint, seg, key, value string, body []byte) {
		r := tg.routes[route%uint(len(tg.routes))]
		// Streams that start stay open, and the API's sends its headers
		// only with its first message: a stream still open when its
		// deadline ends answered no error, which is all this asks.
		stream := strings.HasSuffix(r, "/live") || strings.HasSuffix(r, "/watches")
		timeout := 20 * time.Second
		if stream {
			timeout = 2 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, err := tg.request(ctx, r, seg, key, value, body)
		if err != nil {
			t.Skipf("not a request: %v", err)
		}
		res, err := noRedirects.Do(req)
		if err != nil {
			if stream && errors.Is(err, context.DeadlineExceeded) {
				return
			}
			t.Fatalf("%s: %v", r, err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 500 {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
			t.Fatalf("%s %s = %s: %s", req.Method, req.URL, res.Status, b)
		}
	})
}
