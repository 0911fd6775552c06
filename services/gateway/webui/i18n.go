package webui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

// languages the UI speaks, the first being the fallback. The first cluster
// Tandem serves is in Italy.
var languages = []string{"en", "it"}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Italian})

// missingMark wraps keys that have no translation, so tests (and users)
// notice them instead of reading a silent fallback.
const missingMark = "⟦"

// Lang translates the UI's strings into one language.
type Lang struct {
	Code string
	tag  language.Tag
	m    map[string]string
}

// T translates key; with args the translation is a fmt format. Counts
// choose the plural form: when the catalogue has key with a suffix naming
// each integer argument's CLDR plural category in the language (".one" for
// "%d partner", ".one.other" for "%d partner in %d collaborations"), that
// wording is used; key itself holds the form where every count is "other".
func (l *Lang) T(key string, args ...any) string {
	s, ok := l.m[key]
	if !ok {
		return missingMark + key + "⟧"
	}
	if len(args) == 0 {
		return s
	}
	if forms := l.pluralSuffix(args); forms != "" {
		if p, ok := l.m[key+forms]; ok {
			s = p
		}
	}
	return fmt.Sprintf(s, args...)
}

// pluralSuffix names the plural category of each integer argument, e.g.
// ".one.other"; "" when there is no integer or every one is "other".
func (l *Lang) pluralSuffix(args []any) string {
	var b strings.Builder
	special := false
	for _, a := range args {
		var n int64
		switch v := a.(type) {
		case int:
			n = int64(v)
		case int32:
			n = int64(v)
		case int64:
			n = v
		default:
			continue
		}
		if n < 0 {
			n = -n
		}
		// Integers have no visible fraction: v, w, f and t are 0.
		form := plural.Cardinal.MatchPlural(l.tag, int(n), 0, 0, 0, 0)
		name := pluralNames[form]
		if name == "" {
			name = "other"
		}
		special = special || name != "other"
		b.WriteString("." + name)
	}
	if !special {
		return ""
	}
	return b.String()
}

// pluralNames are the CLDR names of the plural categories.
var pluralNames = map[plural.Form]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// E translates an enum value by its proto name, e.g. "enum.SECTOR_PHARMA".
func (l *Lang) E(v protoreflect.Enum) string {
	d := v.Descriptor().Values().ByNumber(v.Number())
	if d == nil {
		return l.T("enum.unknown")
	}
	return l.T("enum." + string(d.Name()))
}

// Table names a table in the language: tables an event numbered for its
// organiser are stored as "Table N" and read "Tavolo N" in Italian; names
// the organiser chose stay as written.
func (l *Lang) Table(name string) string {
	n, ok := strings.CutPrefix(name, "Table ")
	if !ok || n == "" || strings.TrimLeft(n, "0123456789") != "" {
		return name
	}
	return l.T("event.table_n", n)
}

// TermLabel names a vocabulary term in the language: in Italian, the label
// of the glossary shipped with the vocabulary when it names the term, else
// the vocabulary's (English) label, else the id.
func (l *Lang) TermLabel(t termNamed) string {
	return l.Label(t.GetId(), t.GetLabel())
}

// termNamed is a term or a reference to one.
type termNamed interface {
	GetId() string
	GetLabel() string
}

// Label is TermLabel for a term known by its id and English label.
func (l *Lang) Label(id, label string) string {
	if l.Code == "it" {
		if it := vocab.ItalianLabel(id); it != "" {
			return it
		}
	}
	if label == "" {
		return id
	}
	return label
}

// Other is the other language, for the switch.
func (l *Lang) Other() string {
	if l.Code == "it" {
		return "en"
	}
	return "it"
}

// When formats an instant in the event's (or the server's) time zone.
func (l *Lang) When(ts *timestamppb.Timestamp, tz string) string {
	if ts == nil || !ts.IsValid() || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return ""
	}
	t := ts.AsTime()
	if loc, ok := location(tz); ok {
		t = t.In(loc)
	}
	if l.Code == "it" {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// Clock formats the wall-clock time of an instant in tz.
func (l *Lang) Clock(ts *timestamppb.Timestamp, tz string) string {
	if ts == nil {
		return ""
	}
	t := ts.AsTime()
	if loc, ok := location(tz); ok {
		t = t.In(loc)
	}
	return t.Format("15:04")
}

// Day formats the date of an instant in tz.
func (l *Lang) Day(ts *timestamppb.Timestamp, tz string) string {
	if ts == nil {
		return ""
	}
	t := ts.AsTime()
	if loc, ok := location(tz); ok {
		t = t.In(loc)
	}
	if l.Code == "it" {
		return t.Format("02/01/2006")
	}
	return t.Format("Mon 2 Jan 2006")
}

// Percent formats a share in [0, 1].
func (l *Lang) Percent(f float64) string {
	s := fmt.Sprintf("%.0f%%", f*100)
	return s
}

// Number formats a decimal with one digit, with the language's separator.
func (l *Lang) Number(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if l.Code == "it" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// location loads a time zone; the empty name means the server's own.
func location(tz string) (*time.Location, bool) {
	if tz == "" {
		return nil, false
	}
	l, err := time.LoadLocation(tz)
	return l, err == nil
}

func langFor(code string) *Lang {
	if code == "it" {
		return &Lang{Code: "it", tag: language.Italian, m: catalogIT}
	}
	return &Lang{Code: "en", tag: language.English, m: catalogEN}
}

// pickLanguage chooses the language from the switch cookie, else from the
// browser's Accept-Language header.
func pickLanguage(cookie, acceptLanguage string) string {
	if cookie == "en" || cookie == "it" {
		return cookie
	}
	if len(acceptLanguage) > 4096 {
		acceptLanguage = acceptLanguage[:4096]
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, idx, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return languages[idx]
}

func (u *UI) language(r *http.Request) *Lang {
	var cookie string
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	return langFor(pickLanguage(cookie, r.Header.Get("Accept-Language")))
}
