package reqcheck

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzRequest(f *testing.F) {
	for _, s := range []string{"query=rna", "query=%ff", "a=b&c=%00", "%zz", "q=%C3%A9", "x=%E2%80%8B", "k=a;b", "=%0a"} {
		f.Add("/v1/terms", s)
	}
	f.Add("/v1/organizations/%ff", "")
	f.Fuzz(func(t *testing.T, path, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path, r.URL.RawQuery = path, query
		p := Request(r)
		if p != nil {
			if p.Field == "" || p.Description == "" || !utf8.ValidString(p.Field) || strings.ContainsFunc(p.Field, unicode.IsControl) {
				t.Fatalf("problem %+v does not name a printable field", p)
			}
			return
		}
		// What passes is text the services can take.
		ok := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) }
		if !ok(path) {
			t.Fatalf("path %q passed", path)
		}
		values, err := url.ParseQuery(query)
		if err != nil {
			t.Fatalf("malformed query %q passed", query)
		}
		for k, vs := range values {
			for _, v := range vs {
				if !ok(k) || !ok(v) {
					t.Fatalf("query %q passed with %q=%q", query, k, v)
				}
			}
		}
	})
}

func TestFormKeepsLineBreaks(t *testing.T) {
	if p := Form(url.Values{"description": {"two\r\nlines\tand a tab"}}); p != nil {
		t.Errorf("line breaks refused: %+v", p)
	}
	for _, v := range []string{"a\x00", "a\x1b[31m", "\xff", "a\u0085"} {
		if p := Form(url.Values{"name": {v}}); p == nil || p.Field != "name" {
			t.Errorf("Form(name=%q) = %+v, want a problem naming name", v, p)
		}
	}
}
