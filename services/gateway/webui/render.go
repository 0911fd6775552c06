package webui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/services/gateway/internal/reqcheck"
)

type pageTemplate struct {
	t *template.Template
}

var templateFuncs = template.FuncMap{
	"has":  contains,
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	// answers are a participant's answers in the event's question order.
	"answers": answerCells,
	"lower":   strings.ToLower,
	"query":   url.QueryEscape,
	"width": func(n, max int) int {
		if max <= 0 {
			return 0
		}
		return n * 100 / max
	},
	"list": func(xs ...any) []any { return xs },
	"int":  func(n int32) int { return int(n) },
	// profile is the profile page of a participant's organisation or
	// person, or "" when it has none to show.
	"profile": profileHref,
}

// contains reports whether the slice xs holds v (compared as strings, so
// enums match the form values they came from).
func contains(xs any, v any) bool {
	rv := reflect.ValueOf(xs)
	if rv.Kind() != reflect.Slice {
		return false
	}
	want := fmt.Sprint(v)
	for i := range rv.Len() {
		if fmt.Sprint(rv.Index(i).Interface()) == want {
			return true
		}
	}
	return false
}

// parseTemplates parses each page with the shared layout and partials.
func parseTemplates() (map[string]*pageTemplate, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", f)
		if err != nil {
			return nil, fmt.Errorf("webui: template %s: %w", name, err)
		}
		pages[name] = &pageTemplate{t: t}
	}
	return pages, nil
}

// view is what every page template receives.
type view struct {
	L        *Lang
	User     *user
	CSRF     string
	Path     string
	Title    string
	Notice   string
	Problem  *problem
	DevLogin bool
	// Messaging: the gateway reaches a messaging service, so the pages of
	// contact requests and messages exist.
	Messaging bool
	Unread    int
	Data      any
}

// Err is the violation message for a form field, if the service named it.
func (v *view) Err(field string) string {
	if v.Problem == nil {
		return ""
	}
	return v.Problem.Fields[field]
}

// problem is an error as the user should read it.
type problem struct {
	Message string
	Detail  string
	Fields  map[string]string
	// FieldList keeps the order the service gave, for the summary.
	FieldList []fieldProblem
	Code      codes.Code
}

type fieldProblem struct {
	Field, Label, Description string
	// To, when set, is the id of the control the field is edited in, for
	// forms whose controls the field's name does not tell (see Anchor).
	To string
}

// Anchor is the id of the control the error summary links to for the
// field. A list the form edits item by item links to the item's own
// control (an event's day, a competency's evidence row); a list edited in
// one control (NACE codes, table names, registration questions) to that
// control.
func (f fieldProblem) Anchor() string {
	if f.To != "" {
		return f.To
	}
	if m := dayField.FindStringSubmatch(f.Field); m != nil {
		switch {
		case m[2] == "":
			return "day-date-" + m[1]
		case m[2] == "0":
			return "day-start-" + m[1]
		default:
			return "day-break-end-" + m[1]
		}
	}
	if m := evidenceField.FindStringSubmatch(f.Field); m != nil {
		switch m[2] {
		case "url":
			return "f-evidence[" + m[1] + "].url"
		case "year":
			return "ev-year-" + m[1]
		case "reference":
			return "ev-ref-" + m[1]
		case "title":
			return "ev-title-" + m[1]
		}
		return "ev-kind-" + m[1]
	}
	if list, _, ok := strings.Cut(f.Field, "["); ok {
		if c, ok := listControl[list]; ok {
			return "f-" + c
		}
		return "f-" + list
	}
	return "f-" + f.Field
}

var (
	dayField      = regexp.MustCompile(`^days\[(\d+)\](?:\.sessions\[(\d+)\].*)?`)
	evidenceField = regexp.MustCompile(`^evidence\[(\d+)\](?:\.(\w+))?`)
	// listControl names the control of a list field whose form has
	// another name for it.
	listControl = map[string]string{"tables": "table_names"}
)

// problemFrom turns a service error into a message for the user, with the
// field violations of an InvalidArgument mapped to the form fields.
func problemFrom(l *Lang, err error) *problem {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return &problem{Message: l.T("error.internal"), Code: codes.Internal}
	}
	p := &problem{Code: st.Code(), Fields: map[string]string{}}
	switch st.Code() {
	case codes.InvalidArgument:
		p.Message = l.T("error.invalid")
		for _, d := range st.Details() {
			br, ok := d.(*errdetails.BadRequest)
			if !ok {
				continue
			}
			for _, fv := range br.GetFieldViolations() {
				field, desc := formField(fv.GetField()), violationText(l, fv.GetDescription())
				if _, dup := p.Fields[field]; !dup {
					p.Fields[field] = desc
				}
				// An item of a list ("nace_codes[1]", "evidence[0].year")
				// also marks the list, for forms with one control for it.
				if i := strings.IndexByte(field, '['); i > 0 {
					if _, dup := p.Fields[field[:i]]; !dup {
						p.Fields[field[:i]] = desc
					}
				}
				p.FieldList = append(p.FieldList, fieldProblem{Field: field, Label: fieldLabel(l, field), Description: desc})
			}
		}
		if len(p.FieldList) == 0 {
			p.Detail = st.Message()
		}
	case codes.Unimplemented:
		p.Message = l.T("error.unimplemented")
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		p.Message = l.T("error.unavailable")
	case codes.NotFound:
		p.Message = l.T("error.not_found")
	case codes.PermissionDenied:
		p.Message = l.T("error.permission")
		p.Detail = st.Message()
	case codes.Aborted:
		p.Message = l.T("error.conflict")
	case codes.FailedPrecondition:
		p.Message = l.T("error.precondition")
		p.Detail = st.Message()
	case codes.AlreadyExists:
		p.Message = l.T("error.exists")
		p.Detail = st.Message()
	case codes.Unauthenticated:
		p.Message = l.T("error.signed_out")
	case codes.ResourceExhausted:
		p.Message = l.T("error.busy")
	default:
		p.Message = l.T("error.internal")
	}
	return p
}

// formField maps an API field path ("organization.contact.email",
// "competency.evidence[0].url") to the form field that carries it.
func formField(apiField string) string {
	f := apiField
	for _, prefix := range []string{"organization.", "person.", "competency.", "cooperation_profile.", "event.", "feedback.", "saved_search.", "settings."} {
		if strings.HasPrefix(f, prefix) {
			f = strings.TrimPrefix(f, prefix)
			break
		}
	}
	return f
}

// fieldLabel names a field in the user's language; unknown fields show
// their path, which still tells the user where to look.
func fieldLabel(l *Lang, field string) string {
	base := field
	if i := strings.IndexByte(base, '['); i > 0 {
		base = base[:i]
		// An item of a list typed one a line names its control and line.
		if c, ok := listControl[base]; ok {
			if n, err := strconv.Atoi(field[i+1 : i+strings.IndexByte(field[i:], ']')]); err == nil {
				return l.T("field."+c) + l.T("form.line_n", n+1)
			}
		}
	}
	key := "field." + base
	if _, ok := l.m[key]; ok {
		return l.T(key)
	}
	return field
}

func (c *call) newView(title string, data any) *view {
	return &view{
		L: c.L, User: c.user, CSRF: c.csrf, Path: c.r.URL.RequestURI(), Title: c.L.T(title),
		DevLogin: c.ui.opts.DemoLogin != nil, Messaging: c.ui.opts.Messaging != nil, Data: data, Notice: c.notice(),
		Unread: c.ui.unread(c.user),
	}
}

// notice translates the "done" flag a redirect after a successful form
// carries; only known keys show.
func (c *call) notice() string {
	key := c.r.URL.Query().Get("done")
	if key == "" {
		return ""
	}
	full := "done." + key
	if _, ok := c.L.m[full]; !ok {
		return ""
	}
	return c.L.T(full)
}

// render writes page name with data; prob, when set, shows above the form.
func (c *call) render(name, title string, data any, prob *problem) error {
	v := c.newView(title, data)
	v.Problem = prob
	status := http.StatusOK
	if prob != nil {
		status = httpStatus(prob.Code)
	}
	return c.write(status, name, v)
}

// renderNamed is render with a title that is already text, such as an
// event's name, instead of a catalog key.
func (c *call) renderNamed(name, title string, data any) error {
	return c.renderNamedStatus(http.StatusOK, name, title, data)
}

// renderNamedStatus is renderNamed with an HTTP status other than 200.
func (c *call) renderNamedStatus(status int, name, title string, data any) error {
	v := c.newView("", data)
	v.Title = title
	if c.problem != nil {
		v.Problem = c.problem
		status = httpStatus(c.problem.Code)
	}
	return c.write(status, name, v)
}

func (c *call) write(status int, name string, v *view) error {
	pt, ok := c.ui.pages[name]
	if !ok {
		return fmt.Errorf("webui: no template %q", name)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("webui: render %s: %w", name, err)
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", c.L.Code)
	c.w.WriteHeader(status)
	_, err := c.w.Write(buf.Bytes())
	return err
}

type messageView struct {
	Title, Text string
	Problem     *problem
}

// renderStatus writes the plain message page.
func (c *call) renderStatus(status int, name string, m messageView) {
	v := c.newView(m.Title, m)
	v.Problem = m.Problem
	if err := c.write(status, name, v); err != nil {
		c.ui.log.Error("render message", "err", err)
	}
}

func httpStatus(code codes.Code) int {
	switch code {
	case codes.InvalidArgument, codes.FailedPrecondition:
		return http.StatusUnprocessableEntity
	case codes.NotFound:
		return http.StatusNotFound
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Aborted, codes.AlreadyExists:
		return http.StatusConflict
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable, codes.DeadlineExceeded:
		return http.StatusServiceUnavailable
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// fail answers a request whose handler gave up: a lapsed session goes back
// to sign-in, anything else becomes a message page.
func (c *call) fail(err error) {
	if status.Code(err) == codes.Unauthenticated {
		c.ui.clearCookie(c.w, sessionCookie)
		http.Redirect(c.w, c.r, "/login?next="+url.QueryEscape(c.r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	var prob *problem
	if _, ok := status.FromError(err); ok && !errors.Is(err, errTemplate) {
		prob = problemFrom(c.L, err)
	}
	if prob == nil || prob.Code == codes.Internal || prob.Code == codes.Unknown {
		c.ui.log.Error("web page failed", "path", c.r.URL.Path, "err", err)
		prob = &problem{Message: c.L.T("error.internal"), Code: codes.Internal}
	}
	c.renderStatus(httpStatus(prob.Code), "message", messageView{Title: "error.title", Problem: prob})
}

var errTemplate = errors.New("template")

// badInput answers a request whose path, query or form holds text no
// service could take, naming the parameter.
func (c *call) badInput(p *reqcheck.Problem) {
	desc := c.L.T("error.text_control")
	switch p.Kind {
	case reqcheck.NotUTF8:
		desc = c.L.T("error.text_utf8")
	case reqcheck.Malformed:
		desc = c.L.T("error.bad_form")
	}
	field := formField(p.Field)
	prob := &problem{
		Message:   c.L.T("error.invalid"),
		Fields:    map[string]string{field: desc},
		FieldList: []fieldProblem{{Field: field, Label: fieldLabel(c.L, field), Description: desc}},
		Code:      codes.InvalidArgument,
	}
	c.renderStatus(http.StatusBadRequest, "message", messageView{Title: "error.title", Problem: prob})
}

// redirect ends a successful form post (post, redirect, get).
func (c *call) redirect(to, done string) error {
	if done != "" {
		// The notice goes in the query, before any #fragment.
		base, frag, _ := strings.Cut(to, "#")
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		to = base + sep + "done=" + url.QueryEscape(done)
		if frag != "" {
			to += "#" + frag
		}
	}
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
	return nil
}

func (u *UI) notFound(c *call) error {
	c.renderStatus(http.StatusNotFound, "message", messageView{Title: "error.title", Problem: &problem{Message: c.L.T("error.page_not_found"), Code: codes.NotFound}})
	return nil
}

// control is one labelled form control as the "input" partial draws it.
type control struct {
	Name, Label, Hint, Type, Err string
	Value                        any
	Required, Area               bool
}

// F describes a form control: name is the API field path it edits, label a
// message key; opts are "type=email", "hint=<key>", "required", "area".
func (v *view) F(name, label string, value any, opts ...string) control {
	f := control{Name: name, Label: v.L.T(label), Type: "text", Value: value, Err: v.Err(name)}
	for _, o := range opts {
		switch {
		case o == "required":
			f.Required = true
		case o == "area":
			f.Area = true
		case strings.HasPrefix(o, "type="):
			f.Type = strings.TrimPrefix(o, "type=")
		case strings.HasPrefix(o, "hint="):
			f.Hint = v.L.T(strings.TrimPrefix(o, "hint="))
		}
	}
	return f
}
