package webui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/services/gateway/internal/reqcheck"
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
	// feedURL is a calendar feed's address made by this request, shown once.
	feedURL string
	// problem is why the form this request posted was refused, shown above
	// the page that holds the form again.
	problem *problem
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
		if tok, err := r.Cookie(sessionCookie); err == nil && tok.Value != "" {
			if p, err := u.opts.Auth.Verify(r.Context(), tok.Value); err == nil {
				c.user = &user{Principal: p, token: tok.Value}
			} else {
				u.clearCookie(w, sessionCookie)
			}
		}
		c.csrf = u.csrfToken(w, r, c.session())
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
				c.renderStatus(http.StatusBadRequest, "message", messageView{Title: "error.title", Text: "error.bad_form"})
				return
			}
			if p := reqcheck.Form(r.PostForm); p != nil {
				c.badInput(p)
				return
			}
			if !u.validCSRF(r, c.session()) {
				c.renderStatus(http.StatusForbidden, "message", messageView{Title: "error.csrf_title", Text: "error.csrf"})
				return
			}
		}
		if err := h(c); err != nil {
			c.fail(err)
		}
	}
}

// session is what form tokens are bound to: the signed-in session, or
// none for a visitor.
func (c *call) session() string {
	if c.user == nil {
		return ""
	}
	return c.user.token
}

// csrfToken returns the form token of this browser and session, setting
// the browser's random CSRF cookie on its first visit. The token is an
// HMAC of the cookie and the session, so a page on another site can
// neither read nor forge it, and a token from one session (an attacker's
// own, planted in a shared browser) is worthless in another: signing in
// or out makes new tokens.
func (u *UI) csrfToken(w http.ResponseWriter, r *http.Request, session string) string {
	var seed string
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: seed, Path: "/", HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	return u.sign(seed, session)
}

func (u *UI) sign(seed, session string) string {
	s := sha256.Sum256([]byte(session))
	m := hmac.New(sha256.New, u.csrfKey)
	m.Write([]byte("tandem-csrf-v2\x00" + seed + "\x00"))
	m.Write(s[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF checks a form post: not from another origin, as the browser
// tells (http.CrossOriginProtection reads Sec-Fetch-Site and Origin), and
// with the form token of this browser's CSRF cookie and session.
func (u *UI) validCSRF(r *http.Request, session string) bool {
	if err := u.crossOrigin.Check(r); err != nil {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	got := r.PostForm.Get(csrfField)
	return hmac.Equal([]byte(got), []byte(u.sign(c.Value, session)))
}

func (u *UI) setSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (u *UI) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// safeNext is the one check of a redirect target that comes from input
// (?next=, a form's next field): only a path of this site, as the browser
// will read it. Anything else sends the user home. Browsers take a
// backslash for a slash and drop tabs and newlines, so /\evil.example
// and /./\evil.example (which http.Redirect cleans into the former)
// would leave the site; a leading "//" names another host.
func safeNext(next string) string {
	const home = "/"
	if next == "" || len(next) > 2048 || !utf8.ValidString(next) || next[0] != '/' {
		return home
	}
	for _, r := range next {
		if r == '\\' || unicode.IsControl(r) {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	// The path as the browser resolves it, cleaned the way http.Redirect
	// cleans it, must still be one slash and then this site's path.
	decoded, err := url.PathUnescape(u.EscapedPath())
	if err != nil || strings.ContainsRune(decoded, '\\') || strings.HasPrefix(decoded, "//") {
		return home
	}
	clean := path.Clean(u.EscapedPath())
	if strings.HasSuffix(u.EscapedPath(), "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return home
	}
	out := clean
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out
}

func (u *UI) setLanguage(c *call) error {
	code := c.r.PathValue("code")
	if slices.Contains(languages, code) {
		http.SetCookie(c.w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: u.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(c.w, c.r, safeNext(c.r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
