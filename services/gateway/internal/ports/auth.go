package ports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
)

const loginPath = "/v1/auth/login"

// authenticate checks the bearer token, if any, and puts its principal in
// the request context. The token itself travels on to the services, which
// verify it again and decide what the principal may do; checking here too
// turns forged and expired tokens away before they cost a backend call, and
// names the caller for rate limiting and the logs. A request without a token
// goes on anonymous: the services answer what anonymous callers may see.
func authenticate(a *auth.Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		// A stale token in a browser must not stand in the way of logging in again.
		if header == "" || r.URL.Path == loginPath {
			r.Header.Del("Authorization")
			next.ServeHTTP(w, r)
			return
		}
		token, err := auth.ParseBearer(header)
		if err != nil {
			writeError(w, r, http.StatusUnauthorized, codes.Unauthenticated, `the Authorization header must be "Bearer <token>"`)
			return
		}
		p, err := a.Verify(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrUnavailable):
			writeError(w, r, http.StatusServiceUnavailable, codes.Unavailable, "cannot check the bearer token now: retry shortly")
			return
		case errors.Is(err, auth.ErrTokenExpired):
			writeError(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the bearer token has expired: log in again")
			return
		case err != nil:
			writeError(w, r, http.StatusUnauthorized, codes.Unauthenticated, "the bearer token is not valid: it is malformed, altered, revoked or not issued by this Tandem")
			return
		}
		setLoggedSubject(r.Context(), p)
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// loginRequest is the body of POST /v1/auth/login.
type loginRequest struct {
	Username string `json:"username"`
}

// maxUsernameLen bounds what a login echoes back in its error.
const maxUsernameLen = 64

// decodeLogin parses a login body strictly: one JSON object, known fields
// only, a username of reasonable length.
func decodeLogin(data []byte) (loginRequest, error) {
	var req loginRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return req, grpcerr.Invalid(grpcerr.Violation{Field: "username", Description: "required"})
		}
		return req, fmt.Errorf("%w: invalid JSON body: %s", errBadBody, strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, fmt.Errorf("%w: invalid JSON body: data after the JSON object", errBadBody)
	}
	switch {
	case strings.TrimSpace(req.Username) == "":
		return req, grpcerr.Invalid(grpcerr.Violation{Field: "username", Description: "required"})
	case len(req.Username) > maxUsernameLen:
		return req, grpcerr.Invalid(grpcerr.Violation{Field: "username", Description: fmt.Sprintf("longer than %d bytes", maxUsernameLen)})
	}
	return req, nil
}

var errBadBody = errors.New("bad request body")

// principalJSON is a principal as the API shows it.
type principalJSON struct {
	Subject      string   `json:"subject"`
	Organization string   `json:"organization"`
	Roles        []string `json:"roles"`
	Clusters     []string `json:"clusters"`
}

func principalView(p auth.Principal) principalJSON {
	v := principalJSON{Subject: p.Subject, Organization: p.Organization, Roles: []string{}, Clusters: []string{}}
	for _, r := range p.Roles {
		v.Roles = append(v.Roles, string(r))
	}
	v.Clusters = append(v.Clusters, p.Clusters...)
	return v
}

type loginResponse struct {
	Token     string        `json:"token"`
	TokenType string        `json:"tokenType"`
	ExpiresAt time.Time     `json:"expiresAt"`
	Principal principalJSON `json:"principal"`
}

// demoUserJSON is a demo user as GET /v1/auth/demo-users shows it. The
// organisation and clusters of its principal are resolved at login (they
// are ids the profiles service assigns), so the list names the
// organisation by its external id.
type demoUserJSON struct {
	Username               string        `json:"username"`
	Name                   string        `json:"name"`
	Description            string        `json:"description"`
	OrganizationExternalID string        `json:"organizationExternalId"`
	Principal              principalJSON `json:"principal"`
}

// authHandlers serves /v1/auth/*. login is nil when demo login is off.
type authHandlers struct {
	log   *slog.Logger
	login *app.DemoLogin
}

func (h authHandlers) disabled(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotImplemented, codes.Unimplemented,
		"demo login is only enabled in development (tandem dev); use a token from your Tandem operator")
}

func (h authHandlers) Login(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	if h.login == nil {
		h.disabled(w, r)
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if bodyTooLarge(r.Context()) {
			writeError(w, r, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "request body is too large")
			return
		}
		writeError(w, r, http.StatusBadRequest, codes.InvalidArgument, "read request body: %v", err)
		return
	}
	req, err := decodeLogin(data)
	if err == nil {
		var tok app.Token
		if tok, err = h.login.Login(r.Context(), req.Username); err == nil {
			if tok.Degraded != nil {
				h.log.WarnContext(r.Context(), "demo login without the user's organisation", "request_id", RequestIDFrom(r.Context()), "subject", tok.Principal.Subject, "err", tok.Degraded)
			}
			h.log.InfoContext(r.Context(), "demo login", "request_id", RequestIDFrom(r.Context()), "subject", tok.Principal.Subject)
			writeJSON(w, http.StatusOK, loginResponse{Token: tok.Token, TokenType: "Bearer", ExpiresAt: tok.ExpiresAt.UTC(), Principal: principalView(tok.Principal)})
			return
		}
	}
	if errors.Is(err, errBadBody) {
		writeError(w, r, http.StatusBadRequest, codes.InvalidArgument, "%s", strings.TrimPrefix(err.Error(), errBadBody.Error()+": "))
		return
	}
	st := status.Convert(grpcerr.ToStatus(h.log, err))
	writeStatus(w, r, st, httpStatus(st.Code()))
}

func (h authHandlers) Me(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		writeError(w, r, http.StatusUnauthorized, codes.Unauthenticated, "send a bearer token to know who you are")
		return
	}
	writeJSON(w, http.StatusOK, principalView(p))
}

func (h authHandlers) DemoUsers(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	if h.login == nil {
		h.disabled(w, r)
		return
	}
	users := []demoUserJSON{}
	for _, u := range h.login.Users() {
		users = append(users, demoUserJSON{
			Username: u.Username, Name: u.Name, Description: u.Description, OrganizationExternalID: u.ExternalID(),
			Principal: principalView(auth.Principal{Subject: u.Subject, Roles: u.Roles}),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}
