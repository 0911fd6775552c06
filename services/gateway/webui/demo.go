package webui

import (
	"context"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
)

// DemoUser is a user of `tandem dev` who signs in with one click: the
// demo users of the gateway's API login, so both doors give the same
// principal.
type DemoUser = app.DemoUser

// personID is the signed-in user's person profile, if they have one.
func (c *call) personID() string {
	if c.user == nil || c.user.Organization == "" {
		return ""
	}
	if id, ok := c.ui.people.Load(c.user.Subject); ok {
		return id.(string)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	id, err := app.FindPerson(ctx, c.ui.opts.Profiles, c.user.Subject, c.user.Organization)
	if err != nil {
		return ""
	}
	if id != "" {
		c.ui.people.Store(c.user.Subject, id)
	}
	return id
}

type loginView struct {
	Users []DemoUser
	Next  string
}

func (u *UI) loginPage(c *call) error {
	return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: safeNext(c.r.URL.Query().Get("next"))}, nil)
}

func (u *UI) demoUsersShown() []DemoUser {
	if u.opts.DemoLogin == nil {
		return nil
	}
	return u.opts.DemoLogin.Users()
}

func (u *UI) login(c *call) error {
	next := safeNext(c.r.PostForm.Get("next"))
	var token string
	var exp time.Time
	if key := c.r.PostForm.Get("user"); key != "" && u.opts.DemoLogin != nil {
		if _, ok := u.opts.DemoLogin.User(key); !ok {
			return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: next}, &problem{Message: c.L.T("login.unknown_user"), Code: codes.InvalidArgument})
		}
		ctx, cancel := context.WithTimeout(c.r.Context(), u.opts.CallTimeout)
		tok, err := u.opts.DemoLogin.Login(ctx, key)
		cancel()
		if err != nil {
			return err
		}
		if tok.Degraded != nil {
			u.log.Warn("demo sign-in without the user's organisation", "user", key, "err", tok.Degraded)
		}
		token, exp = tok.Token, tok.ExpiresAt
	} else {
		token = strings.TrimSpace(c.r.PostForm.Get("token"))
		if _, err := u.opts.Auth.Verify(c.r.Context(), token); err != nil || token == "" {
			return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: next}, &problem{Message: c.L.T("login.bad_token"), Code: codes.Unauthenticated, Fields: map[string]string{"token": c.L.T("login.bad_token")}})
		}
		exp = time.Now().Add(12 * time.Hour)
	}
	u.setSession(c.w, token, exp)
	http.Redirect(c.w, c.r, next, http.StatusSeeOther)
	return nil
}

func (u *UI) logout(c *call) error {
	u.clearCookie(c.w, sessionCookie)
	if c.user != nil && u.opts.Revoke != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.Context()), u.opts.CallTimeout)
		err := u.opts.Revoke(ctx, c.user.token)
		cancel()
		if err != nil {
			// The cookie is gone from this browser, but a copy would still
			// work: say so rather than pretend.
			u.log.Error("sign out: revoking the session failed", "subject", c.user.Subject, "err", err)
			return status.Error(codes.Unavailable, "the session could not be ended everywhere; sign out again")
		}
	}
	http.Redirect(c.w, c.r, "/login", http.StatusSeeOther)
	return nil
}
