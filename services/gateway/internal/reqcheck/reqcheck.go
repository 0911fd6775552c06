// Package reqcheck refuses request text that no service could take before
// any handler decodes it: bytes that are not UTF-8 (protobuf strings must
// be) and control characters where they mean nothing. Each refusal names
// the parameter, so the client knows what to fix.
package reqcheck

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one refused part of a request.
type Problem struct {
	// Field names the parameter: "path", a query key, a form field.
	Field string
	// Kind is NotUTF8, ControlChar or Malformed.
	Kind        Kind
	Description string
}

// Kind says what is wrong, for callers that translate the description.
type Kind int

const (
	NotUTF8 Kind = iota + 1
	ControlChar
	Malformed
)

// Request checks the path and the query string of r.
func Request(r *http.Request) *Problem {
	if p := text("path", r.URL.Path, false); p != nil {
		return p
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &Problem{Field: "query", Kind: Malformed, Description: "the query string is malformed: " + err.Error()}
	}
	return checkValues(values, false, "query")
}

// Form checks parsed form values. Text areas may hold line breaks and
// tabs; other control characters are refused.
func Form(v url.Values) *Problem {
	return checkValues(v, true, "form")
}

// checkValues checks keys and values; a value of an empty key is named
// by unnamed.
func checkValues(v url.Values, multiline bool, unnamed string) *Problem {
	for _, key := range slices.Sorted(maps.Keys(v)) {
		vals := v[key]
		if p := text("parameter name "+printable(key), key, false); p != nil {
			return p
		}
		field := key
		if field == "" {
			field = unnamed
		}
		for _, s := range vals {
			if p := text(field, s, multiline); p != nil {
				return p
			}
		}
	}
	return nil
}

func text(field, s string, multiline bool) *Problem {
	if !utf8.ValidString(s) {
		return &Problem{Field: field, Kind: NotUTF8, Description: "is not valid UTF-8 text"}
	}
	for _, r := range s {
		if !unicode.IsControl(r) || multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		return &Problem{Field: field, Kind: ControlChar, Description: fmt.Sprintf("holds the control character %U", r)}
	}
	return nil
}

// printable shows a parameter name safely in an error message.
func printable(s string) string {
	q := strconv.QuoteToASCII(s)
	return strings.Trim(q, `"`)
}
