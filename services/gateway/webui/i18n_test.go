package webui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
)

// usedKeys collects every message key the templates and the Go code name
// literally, plus the keys they build from enums and demo users.
func usedKeys(t *testing.T) []string {
	t.Helper()
	keys := map[string]bool{}
	add := func(re *regexp.Regexp, src string, prefix string) {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix the code completes, e.g. "enum."
			}
			keys[prefix+m[1]] = true
		}
	}
	tmplPatterns := []*regexp.Regexp{
		regexp.MustCompile(`L\.T "([a-z_.0-9]+)"`),
		regexp.MustCompile(`\.F "[^"]*" "([a-z_.0-9]+)"`),
		regexp.MustCompile(`"hint=([a-z_.0-9]+)"`),
	}
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		for _, re := range tmplPatterns {
			add(re, string(b), "")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goPatterns := []struct {
		re     *regexp.Regexp
		prefix string
	}{
		{regexp.MustCompile(`\.T\("([a-z_.0-9]+)"`), ""},
		{regexp.MustCompile(`render\("[a-z]+", "([a-z_.0-9]+)"`), ""},
		{regexp.MustCompile(`(?:Title|Text): +"([a-z_.0-9]+)"`), ""},
		{regexp.MustCompile(`errs\.add\([^,]+, "([a-z_.0-9]+)"\)`), ""},
		{regexp.MustCompile(`redirect\([^\n]*, "([a-z_]+)"\)`), "done."},
		{regexp.MustCompile(`backToEvent\([^\n]*, "([a-z_]+)"\)`), "done."},
		{regexp.MustCompile(`Kind: "([a-z_]+)"`), "note."},
		{regexp.MustCompile(`"hint=([a-z_.0-9]+)"`), ""},
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "catalog.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range goPatterns {
			add(p.re, string(b), p.prefix)
		}
	}
	for _, d := range app.DefaultDemoUsers() {
		keys["login.user."+d.Username] = true
	}
	for _, v := range visibilityChoices {
		keys["hint."+v.String()] = true
	}
	for _, e := range uiEnums() {
		vals := e.Values()
		for i := range vals.Len() {
			keys["enum."+string(vals.Get(i).Name())] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// uiEnums are the enums the pages show.
func uiEnums() []protoreflect.EnumDescriptor {
	return []protoreflect.EnumDescriptor{
		profilesv1.OrganizationKind(0).Descriptor(), profilesv1.SizeBand(0).Descriptor(), profilesv1.Sector(0).Descriptor(), profilesv1.Visibility(0).Descriptor(),
		competenciesv1.CompetencyLevel(0).Descriptor(), competenciesv1.EvidenceKind(0).Descriptor(), competenciesv1.CooperationProfileKind(0).Descriptor(),
		competenciesv1.CollaborationType(0).Descriptor(), competenciesv1.DevelopmentStage(0).Descriptor(), competenciesv1.IprStatus(0).Descriptor(),
		competenciesv1.CooperationProfileStatus(0).Descriptor(),
		matchingv1.DismissReason(0).Descriptor(), matchingv1.CandidateType(0).Descriptor(),
		meetingsv1.EventStatus(0).Descriptor(), meetingsv1.MeetingPriority(0).Descriptor(), meetingsv1.MeetingRequestStatus(0).Descriptor(),
		meetingsv1.ScheduleStatus(0).Descriptor(),
	}
}

func TestEveryKeyIsTranslated(t *testing.T) {
	keys := usedKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the extraction is broken", len(keys))
	}
	for _, cat := range []struct {
		lang string
		m    map[string]string
	}{{"en", catalogEN}, {"it", catalogIT}} {
		for _, k := range keys {
			if strings.TrimSpace(cat.m[k]) == "" {
				t.Errorf("%s: no translation for %q", cat.lang, k)
			}
		}
	}
}

func TestCatalogsMatch(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for k, en := range catalogEN {
		it, ok := catalogIT[k]
		if !ok {
			t.Errorf("it: missing %q", k)
			continue
		}
		if a, b := verbs.FindAllString(en, -1), verbs.FindAllString(it, -1); !slices.Equal(a, b) {
			t.Errorf("%q: format verbs differ: en %v, it %v", k, a, b)
		}
	}
	for k := range catalogIT {
		if _, ok := catalogEN[k]; !ok {
			t.Errorf("en: missing %q", k)
		}
	}
}

func TestMissingKeyIsVisible(t *testing.T) {
	if got := langFor("it").T("no.such.key"); !strings.Contains(got, missingMark) {
		t.Fatalf("T(missing) = %q, want the missing mark", got)
	}
}

func TestPickLanguage(t *testing.T) {
	tests := []struct{ cookie, header, want string }{
		{"", "", "en"},
		{"", "it-IT,it;q=0.9,en;q=0.8", "it"},
		{"", "de-DE,de;q=0.9", "en"},
		{"", "de;q=0.9,it;q=0.5", "it"},
		{"en", "it-IT", "en"},
		{"it", "en-GB", "it"},
		{"fr", "it", "it"},
		{"", "garbage;;;q=x", "en"},
	}
	for _, tt := range tests {
		if got := pickLanguage(tt.cookie, tt.header); got != tt.want {
			t.Errorf("pickLanguage(%q, %q) = %q, want %q", tt.cookie, tt.header, got, tt.want)
		}
	}
}

func FuzzPickLanguage(f *testing.F) {
	for _, s := range []string{"", "it-IT,it;q=0.9", "en;q=0.1,it;q=0.2", "*", "zz-ZZ;q=1.5", strings.Repeat("it,", 2000)} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, cookie, header string) {
		if got := pickLanguage(cookie, header); !slices.Contains(languages, got) {
			t.Fatalf("pickLanguage = %q, not a UI language", got)
		}
	})
}

// TestTableNames: numbered tables read in the user's language; names the
// organiser chose stay as written.
func TestTableNames(t *testing.T) {
	it, en := langFor("it"), langFor("en")
	for name, want := range map[string]string{"Table 12": "Tavolo 12", "Table A": "Table A", "Sala Nobile": "Sala Nobile", "Table ": "Table ", "Table 3b": "Table 3b"} {
		if got := it.Table(name); got != want {
			t.Errorf("Italian %q = %q, want %q", name, got, want)
		}
	}
	if got := en.Table("Table 4"); got != "Table 4" {
		t.Errorf("English %q", got)
	}
}

// TestPluralForms: a count of one reads in the singular in both languages
// ("1 partner in 1 collaboration", "1 nuova notifica"), other counts in
// the plural, and every plural wording belongs to a message.
func TestPluralForms(t *testing.T) {
	en, it := langFor("en"), langFor("it")
	for _, tt := range []struct {
		l    *Lang
		key  string
		args []any
		want string
	}{
		{en, "dashboard.link_org_counts", []any{1, 1}, "1 partner in 1 collaboration"},
		{en, "dashboard.link_org_counts", []any{1, 3}, "1 partner in 3 collaborations"},
		{en, "dashboard.link_org_counts", []any{2, 1}, "2 partners in 1 collaboration"},
		{en, "dashboard.link_org_counts", []any{0, 0}, "0 partners in 0 collaborations"},
		{it, "dashboard.link_org_counts", []any{2, 1}, "2 partner in 1 collaborazione"},
		{it, "dashboard.link_org_counts", []any{1, 5}, "1 partner in 5 collaborazioni"},
		{en, "home.unread", []any{1}, "1 new notification"},
		{en, "home.unread", []any{21}, "21 new notifications"},
		{it, "home.unread", []any{1}, "1 nuova notifica"},
		{it, "home.unread", []any{11}, "11 nuove notifiche"},
		{it, "event.capacity", []any{int32(1)}, "1 posto"},
		{en, "event.slots", []any{1, 2}, "1 meeting slot, 2 tables"},
		{it, "event.slots", []any{8, 1}, "8 slot di incontro, 1 tavolo"},
		{it, "home.awaiting", []any{1}, "1 richiesta di contatto attende la tua risposta"},
	} {
		if got := tt.l.T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s %s%v = %q, want %q", tt.l.Code, tt.key, tt.args, got, tt.want)
		}
	}
	// No message with counts reads a plural noun after "1" when every
	// count is one.
	pluralAfterOne := map[string]*regexp.Regexp{
		"en": regexp.MustCompile(`\b1 (?:new |open |confirmed |meeting )?(partners|requests|notifications|meetings|slots|tables|places|participants|pairs|collaborations|links|members|events|organisations|people)\b`),
		"it": regexp.MustCompile(`\b1 (?:nuove )?(richieste|notifiche|incontri|tavoli|posti|partecipanti|coppie|collaborazioni|legami|membri|eventi|organizzazioni|persone)\b`),
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for _, l := range []*Lang{en, it} {
		for k, s := range l.m {
			if strings.Contains(k, ".one") || !strings.Contains(s, "%d") {
				continue
			}
			var args []any
			for _, v := range verb.FindAllString(s, -1) {
				if strings.HasSuffix(v, "d") {
					args = append(args, 1)
				} else {
					args = append(args, "X")
				}
			}
			if got := l.T(k, args...); pluralAfterOne[l.Code].MatchString(got) {
				t.Errorf("%s %s with counts of one: %q", l.Code, k, got)
			}
		}
	}
	for k := range pluralMessages {
		base := k
		for strings.HasSuffix(base, ".one") || strings.HasSuffix(base, ".other") {
			base = base[:strings.LastIndex(base, ".")]
		}
		if _, ok := messages[base]; !ok {
			if _, ok := eventMessages[base]; !ok {
				t.Errorf("plural wording %q has no message %q", k, base)
			}
		}
	}
}

// TestTermLabelsInItalian: Italian pages name the terms of the vocabulary's
// Italian glossary in Italian; other terms, and English pages, keep the
// vocabulary's label.
func TestTermLabelsInItalian(t *testing.T) {
	it, en := langFor("it"), langFor("en")
	liver := &competenciesv1.TermRef{Id: "MESH:D008103", Label: "Liver Cirrhosis"}
	if got := it.TermLabel(liver); got != "Fibrosi epatica" {
		t.Errorf("Italian %s = %q", liver.Id, got)
	}
	if got := en.TermLabel(liver); got != "Liver Cirrhosis" {
		t.Errorf("English %s = %q", liver.Id, got)
	}
	if got := it.Label("EDAM:topic_9999", "Something"); got != "Something" {
		t.Errorf("a term the glossary lacks = %q", got)
	}
	if got := it.Label("EDAM:topic_9999", ""); got != "EDAM:topic_9999" {
		t.Errorf("a term without a label = %q", got)
	}
}
