package webui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

const (
	sessionCookie = "tandem_session"
	csrfCookie    = "tandem_csrf"
	langCookie    = "tandem_lang"
	csrfField     = "csrf"
)

// user is the signed-in person behind a request.
type user struct {
	auth.Principal
	token string
}

// Is reports whether the user holds role (admins count for every role, so
// they can walk every journey).
func (u *user) Is(role string) bool {
	return u.Has(auth.Role(role)) || u.Has(auth.RoleAdmin)
}

// call is one request to a page: who asks, in which language, and how to
// answer.
type call struct {
	ui   *UI
	w    http.ResponseWriter
	r    *http.Request
	L    *Lang
	user *user
	csrf string
}

// ctx returns a context for one call to a domain service, carrying the
// user's bearer token and the UI's call deadline.
func (c *call) ctx() (context.Context, context.CancelFunc) {
	ctx := c.r.Context()
	if c.user != nil {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.user.token)
	}
	return context.WithTimeout(ctx, c.ui.opts.CallTimeout)
}

// withBearer returns ctx carrying token for calls to the domain services.
func withBearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// page wraps a handler that needs a signed-in user.
func (u *UI) page(h func(*call) error) http.HandlerFunc {
	return u.handle(true, h)
}

// public wraps a handler open to anonymous visitors.
func (u *UI) public(h func(*call) error) http.HandlerFunc {
	return u.handle(false, h)
}

func (u *UI) handle(signIn bool, h func(*call) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{ui: u, w: w, r: r, L: u.language(r)}
		c.csrf = u.csrfToken(w, r)
		if tok, err := r.Cookie(sessionCookie); err == nil && tok.Value != "" {
			if p, err := u.opts.Auth.Verify(r.Context(), tok.Value); err == nil {
				c.user = &user{Principal: p, token: tok.Value}
			} else {
				u.clearCookie(w, sessionCookie)
			}
		}
		if signIn && c.user == nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/live") {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, c.L.T("error.signed_out"), http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				http.Error(w, c.L.T("error.bad_form"), http.StatusBadRequest)
				return
			}
			if !u.validCSRF(r) {
				c.renderStatus(http.StatusForbidden, "message", messageView{Title: "error.csrf_title", Text: "error.csrf"})
				return
			}
		}
		if err := h(c); err != nil {
			c.fail(err)
		}
	}
}

// csrfToken returns the form token of this browser, setting the browser's
// random CSRF cookie on its first visit. The form token is an HMAC of the
// cookie, so a page on another site can neither read nor forge it.
func (u *UI) csrfToken(w http.ResponseWriter, r *http.Request) string {
	var seed string
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: seed, Path: "/", HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	return u.sign(seed)
}

func (u *UI) sign(seed string) string {
	m := hmac.New(sha256.New, u.csrfKey)
	m.Write([]byte("tandem-csrf\x00" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF checks a form post: same-origin when the browser says where it
// comes from, and a form token matching the browser's CSRF cookie.
func (u *UI) validCSRF(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
		o, err := url.Parse(origin)
		if err != nil || o.Host != r.Host {
			return false
		}
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	got := r.PostForm.Get(csrfField)
	return hmac.Equal([]byte(got), []byte(u.sign(c.Value)))
}

func (u *UI) setSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (u *UI) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func (u *UI) setLanguage(c *call) error {
	code := c.r.PathValue("code")
	if slices.Contains(languages, code) {
		http.SetCookie(c.w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(c.w, c.r, safeNext(c.r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
