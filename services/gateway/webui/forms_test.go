package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func TestDecodePartnerQuery(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		want   partnerQuery
		errors []string
	}{
		{name: "empty", query: "", want: partnerQuery{}},
		{name: "text and terms", query: "text=+liver+fibrosis+&term=MESH:D008103|Liver+Cirrhosis&term=EDAM:topic_3308",
			want: partnerQuery{Text: "liver fibrosis", Terms: []termChoice{{"MESH:D008103", "Liver Cirrhosis"}, {"EDAM:topic_3308", "EDAM:topic_3308"}}}},
		{name: "filters", query: "text=x&kind=ORGANIZATION_KIND_UNIVERSITY&sector=SECTOR_PHARMA&sector=SECTOR_PHARMA&nuts=ith4&country=it&min_trl=4&exclude_partners=on",
			want: partnerQuery{Text: "x", Kinds: []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY}, Sectors: []profilesv1.Sector{profilesv1.Sector_SECTOR_PHARMA}, NUTS: "ITH4", Country: "IT", MinTRL: 4, ExcludePartners: true}},
		{name: "unknown enum", query: "text=x&kind=ORGANIZATION_KIND_SPACESHIP", want: partnerQuery{Text: "x"}, errors: []string{"kind"}},
		{name: "zero enum is no choice", query: "text=x&sector=SECTOR_UNSPECIFIED", want: partnerQuery{Text: "x"}, errors: []string{"sector"}},
		{name: "bad term id", query: "term=<script>|x", want: partnerQuery{}, errors: []string{"term"}},
		{name: "trl out of range", query: "text=x&min_trl=12", want: partnerQuery{Text: "x"}, errors: []string{"min_trl"}},
		{name: "bad region", query: "text=x&nuts=IT-4&country=ITA", want: partnerQuery{Text: "x"}, errors: []string{"country", "nuts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, errs := decodePartnerQuery(v)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query = %+v, want %+v", got, tt.want)
			}
			for _, f := range tt.errors {
				if _, ok := errs[f]; !ok {
					t.Errorf("no error for %s; errors %v", f, errs)
				}
			}
			if len(errs) != len(tt.errors) {
				t.Errorf("errors = %v, want fields %v", errs, tt.errors)
			}
		})
	}
}

func FuzzDecodePartnerQuery(f *testing.F) {
	for _, s := range []string{"", "text=liver&term=MESH:D008103|Liver", "kind=ORGANIZATION_KIND_COMPANY&min_trl=9&nuts=ITH44", "term=|&term=%ff%fe", "text=" + strings.Repeat("é", 2000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, _ := decodePartnerQuery(v)
		if utf8.RuneCountInString(q.Text) > 1000 || len(q.Terms) > maxRepeated+1 {
			t.Fatalf("unbounded query: %d runes, %d terms", utf8.RuneCountInString(q.Text), len(q.Terms))
		}
		for _, term := range q.Terms {
			if !validTermID(term.ID) {
				t.Fatalf("invalid term %q passed", term.ID)
			}
		}
		// What the page writes back (saved searches, feedback) decodes to
		// the same query.
		again, errs := decodePartnerQuery(q.encode())
		if len(errs) > 0 || !reflect.DeepEqual(again, q) {
			t.Fatalf("round trip: %+v (%v), want %+v", again, errs, q)
		}
	})
}

func TestDecodeEventForm(t *testing.T) {
	good := url.Values{
		"name": {"Brokerage day"}, "time_zone": {"Europe/Rome"}, "meeting_minutes": {"25"}, "break_minutes": {"5"}, "tables": {"3"},
		"day_date": {"2026-05-06", "", ""}, "day_start": {"09:00", "", ""}, "day_end": {"12:00", "", ""},
	}
	_, ev, errs := decodeEventForm(good)
	if len(errs) > 0 {
		t.Fatalf("errors %v", errs)
	}
	if len(ev.GetDays()) != 1 || len(ev.GetTables()) != 3 || ev.GetMeetingDuration().AsDuration().Minutes() != 25 || ev.GetTables()[2].GetId() != "T3" {
		t.Fatalf("event = %v", ev)
	}
	tests := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no name", func(v url.Values) { v.Set("name", " ") }, "name"},
		{"no day", func(v url.Values) { v["day_date"] = []string{""} }, "days[0]"},
		{"end before start", func(v url.Values) { v["day_end"] = []string{"08:00"} }, "days[0]"},
		{"bad date", func(v url.Values) { v["day_date"] = []string{"06/05/2026"} }, "days[0]"},
		{"unknown zone", func(v url.Values) { v.Set("time_zone", "Mars/Olympus") }, "time_zone"},
		{"too many tables", func(v url.Values) { v.Set("tables", "100000") }, "tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, xs := range good {
				v[k] = append([]string(nil), xs...)
			}
			tt.edit(v)
			_, _, errs := decodeEventForm(v)
			if _, ok := errs[tt.field]; !ok {
				t.Fatalf("errors = %v, want one for %s", errs, tt.field)
			}
		})
	}
}

// FuzzForms feeds arbitrary form bodies to every form decoder: none may
// panic, and what they pass on stays within the bounds the services expect.
func FuzzForms(f *testing.F) {
	for _, s := range []string{
		"name=Acme&website=https://acme.example&sector=SECTOR_PHARMA&visibility=VISIBILITY_PUBLIC&contact.consent_to_share=on&version=3",
		"orcid=0000-0002-1825-0097&bio=x&version=1",
		"term_id=&term_id=MESH:D008103&level=COMPETENCY_LEVEL_EXPERT&evidence_kind=EVIDENCE_KIND_PUBLICATION&evidence_year=2023&evidence_year=abc",
		"kind=COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER&title=x&term=EDAM:topic_0622|Genomics&trl=10&publish=on",
		"day_date=2026-02-30&day_start=25:00&day_end=09:00&tables=-1&meeting_minutes=9999",
		"candidate=org:01ABC&kind=FEEDBACK_KIND_DISMISSED",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, version, _ := decodeOrgForm(v)
		if version < 0 || utf8.RuneCountInString(o.GetDescription()) > maxText || utf8.RuneCountInString(o.GetName()) > 200 {
			t.Fatalf("org form out of bounds: %v", o)
		}
		p, _, _ := decodePersonForm(v)
		if utf8.RuneCountInString(p.GetBio()) > maxText {
			t.Fatal("person bio out of bounds")
		}
		_, comp, _ := decodeCompetencyForm(v)
		if comp.GetTermId() != "" && !validTermID(comp.GetTermId()) || len(comp.GetEvidence()) > maxEvidenceRows {
			t.Fatalf("competency out of bounds: %v", comp)
		}
		of, _ := decodeOfferForm(v)
		if trl := of.Profile.GetTrl(); trl < 0 || trl > 9 {
			t.Fatalf("trl %d", trl)
		}
		_, ev, _ := decodeEventForm(v)
		if len(ev.GetTables()) > 500 || len(ev.GetDays()) > eventDays {
			t.Fatalf("event out of bounds: %d tables, %d days", len(ev.GetTables()), len(ev.GetDays()))
		}
		if ref, ok := decodeCandidate(v.Get("candidate")); ok && profileKey(ref) == "" {
			t.Fatal("candidate without id")
		}
	})
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                     "/",
		"/events/1?done=x":     "/events/1?done=x",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"/ok\r\nSet-Cookie: x": "/",
		"events":               "/",
		"/./\\evil.example":    "/",
		"/.//evil.example":     "/evil.example",
		"/%5Cevil.example":     "/",
		"/%5cevil.example":     "/",
		"/%2F%2Fevil.example":  "/",
		"/\tevil":              "/",
		"/a\x00b":              "/",
		"/a\x7fb":              "/",
		"/\xffa":               "/",
		"/events/../x?y=1#z":   "/x?y=1#z",
		"/events/":             "/events/",
		"http:/x":              "/",
		"/@evil.example":       "/@evil.example",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/a?b=c", "/./\\x", "/%5Cx", "/a/../..//x", "/\tx", "/#//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the site", s, got)
		}
		if strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("safeNext(%q) = %q holds a character browsers rewrite", s, got)
		}
		// What http.Redirect makes of it stays on the site too.
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest(http.MethodGet, "/lang/en", nil), got, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.Contains(loc, "\\") {
			t.Fatalf("safeNext(%q) = %q redirects to %q", s, got, loc)
		}
	})
}

func TestDecodeCandidate(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"org:01HZX", "org:01HZX"},
		{"person:01HZX", "person:01HZX"},
		{"org:", ""},
		{"team:01HZX", ""},
		{"org:../../etc", ""},
		{"org:" + strings.Repeat("A", 41), ""},
		{"org:anon-Ab_9-xY", "org:anon-Ab_9-xY"},
		{"person:anon-Ab_9-xY", "person:anon-Ab_9-xY"},
		{"org:anon-", ""},
		{"org:anon-a/b", ""},
		{"org:anon-" + strings.Repeat("A", 124), ""},
	}
	for _, tt := range tests {
		ref, ok := decodeCandidate(tt.in)
		if got := profileKey(ref); ok != (tt.want != "") || got != tt.want {
			t.Errorf("decodeCandidate(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// "We read your need as": each term read from the text links to the same
// query without it, and each removed term links back to the query with it.
func TestReadTermsRemoveAndRestore(t *testing.T) {
	q, errs := decodePartnerQuery(url.Values{"text": {"liver fibrosis biomarkers"}, "kind": {"ORGANIZATION_KIND_UNIVERSITY"}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fibrosis := termChoice{ID: "MESH:D005355", Label: "Fibrosis"}
	liver := termChoice{ID: "MESH:D008099", Label: "Liver"}
	read, removed := readTerms(q, []termChoice{fibrosis, liver})
	if len(read) != 2 || len(removed) != 0 {
		t.Fatalf("read %v, removed %v", read, removed)
	}
	follow := func(link string) partnerQuery {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil || u.Path != "/partners" {
			t.Fatalf("link %q", link)
		}
		q, errs := decodePartnerQuery(u.Query())
		if len(errs) > 0 {
			t.Fatalf("link %q: %v", link, errs)
		}
		return q
	}
	without := follow(read[0].Toggle)
	if got := without.need().GetExcludedTermIds(); !slices.Equal(got, []string{fibrosis.ID}) {
		t.Fatalf("removing Fibrosis asks with excluded terms %v", got)
	}
	if without.Text != q.Text || !slices.Equal(without.Kinds, q.Kinds) {
		t.Fatalf("removing a term lost the rest of the query: %+v", without)
	}
	// On the next page, the reading lacks Fibrosis, which can be put back.
	read, removed = readTerms(without, []termChoice{liver})
	if len(removed) != 1 || removed[0].ID != fibrosis.ID || removed[0].Label != "Fibrosis" {
		t.Fatalf("removed terms %v", removed)
	}
	both := follow(read[0].Toggle)
	if got := both.need().GetExcludedTermIds(); !slices.Equal(got, []string{fibrosis.ID, liver.ID}) {
		t.Fatalf("removing Liver too asks with excluded terms %v", got)
	}
	if got := follow(removed[0].Toggle).need().GetExcludedTermIds(); len(got) != 0 {
		t.Fatalf("putting Fibrosis back still excludes %v", got)
	}
}

// TestCompetencyFormKeepsEveryEvidenceRow: an edited competency with more
// evidence than the two rows a new one starts with keeps all of it, the
// form offers one empty row more, and the edit carries the version read.
func TestCompetencyFormKeepsEveryEvidenceRow(t *testing.T) {
	v := url.Values{"id": {"01COMP"}, "version": {"4"}, "term_id": {"MESH:D008103"}, "level": {"COMPETENCY_LEVEL_EXPERT"}}
	for i, title := range []string{"First paper", "", "Second paper", "Third paper"} {
		kind := "EVIDENCE_KIND_PUBLICATION"
		if title == "" {
			kind = ""
		}
		v["evidence_kind"] = append(v["evidence_kind"], kind)
		v["evidence_title"] = append(v["evidence_title"], title)
		v["evidence_reference"] = append(v["evidence_reference"], "")
		v["evidence_url"] = append(v["evidence_url"], "")
		v["evidence_year"] = append(v["evidence_year"], strconv.Itoa(2020+i))
	}
	v["evidence_year"][1] = ""
	f, comp, errs := decodeCompetencyForm(v)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := len(comp.GetEvidence()); got != 3 {
		t.Fatalf("%d evidence rows sent on, want 3", got)
	}
	if f.EditID != "01COMP" || f.Version != 4 {
		t.Errorf("edit of %q at version %d", f.EditID, f.Version)
	}
	if n := len(f.Evidence); n != 4 || !blankEvidence(f.Evidence[n-1]) {
		t.Errorf("the form shows %d rows, the last blank: %v", n, blankEvidence(f.Evidence[n-1]))
	}
	v.Set("evidence_kind", "x")
	v["evidence_title"] = make([]string, maxEvidenceRows+1)
	if _, _, errs := decodeCompetencyForm(v); errs["evidence"] == "" {
		t.Errorf("%d rows accepted", maxEvidenceRows+1)
	}
}

// TestEventFormOfRoundTrips checks that the edit form shows an event as it
// is: read back, the form gives the same days (five of them, one with a
// lunch break), sessions, lengths and named tables.
func TestEventFormOfRoundTrips(t *testing.T) {
	lt := func(h, m int32) *meetingsv1.LocalTime { return &meetingsv1.LocalTime{Hours: h, Minutes: m} }
	ev := &meetingsv1.Event{
		Name: "Smart Health Week", Venue: "Trieste", TimeZone: "Europe/Rome",
		MeetingDuration: durationpb.New(20 * time.Minute), BreakDuration: durationpb.New(10 * time.Minute), DefaultMaxMeetings: 8,
		Tables:   []*meetingsv1.Table{{Id: "T1", Name: "Table 1", Location: "Hall B"}, {Id: "T2", Name: "Galilei room"}},
		Capacity: 40, RegistrationClosesAt: timestamppb.New(time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)),
		RegistrationQuestions: []*meetingsv1.RegistrationQuestion{{Id: "Q1", Text: "What do you offer at this event?", Required: true}, {Id: "Q2", Text: "What do you seek?"}},
	}
	for d := int32(4); d <= 8; d++ {
		day := &meetingsv1.EventDay{Date: &meetingsv1.Date{Year: 2026, Month: 5, Day: d},
			Sessions: []*meetingsv1.Session{{Name: "Meetings", StartTime: lt(9, 0), EndTime: lt(12, 30)}}}
		if d == 5 {
			day.Sessions = []*meetingsv1.Session{{Name: "Morning", StartTime: lt(9, 0), EndTime: lt(12, 30)}, {Name: "Afternoon", StartTime: lt(13, 30), EndTime: lt(17, 0)}}
		}
		ev.Days = append(ev.Days, day)
	}
	f := eventFormOf(ev)
	if len(f.Days) != 6 || f.Days[5] != (dayForm{}) {
		t.Fatalf("form days = %v, want the 5 days and an empty row", f.Days)
	}
	v := url.Values{
		"name": {f.Name}, "venue": {f.Venue}, "time_zone": {f.TimeZone}, "meeting_minutes": {strconv.Itoa(f.MeetingMinutes)},
		"break_minutes": {strconv.Itoa(f.BreakMinutes)}, "tables": {strconv.Itoa(f.Tables)}, "table_names": {f.TableNames}, "max_meetings": {strconv.Itoa(f.MaxMeetings)},
		"capacity": {strconv.Itoa(f.Capacity)}, "registration_closes_at": {f.Closes}, "registration_questions": {f.Questions},
	}
	for _, d := range f.Days {
		v["day_date"] = append(v["day_date"], d.Date)
		v["day_start"] = append(v["day_start"], d.Start)
		v["day_end"] = append(v["day_end"], d.End)
		v["day_break_start"] = append(v["day_break_start"], d.BreakStart)
		v["day_break_end"] = append(v["day_break_end"], d.BreakEnd)
	}
	_, got, errs := decodeEventForm(v)
	if len(errs) > 0 {
		t.Fatalf("errors %v", errs)
	}
	if len(got.GetDays()) != 5 {
		t.Fatalf("days = %v", got.GetDays())
	}
	for i, d := range got.GetDays() {
		if !proto.Equal(d, ev.GetDays()[i]) {
			t.Errorf("day %d = %v, want %v", i, d, ev.GetDays()[i])
		}
	}
	for i, tb := range got.GetTables() {
		if !proto.Equal(tb, ev.GetTables()[i]) {
			t.Errorf("table %d = %v, want %v", i, tb, ev.GetTables()[i])
		}
	}
	if f.Closes != "2026-05-01T18:00" || !got.GetRegistrationClosesAt().AsTime().Equal(ev.GetRegistrationClosesAt().AsTime()) || got.GetCapacity() != 40 {
		t.Errorf("registration closes %q (%v), capacity %d; want 18:00 in Rome, the same instant, 40", f.Closes, got.GetRegistrationClosesAt().AsTime(), got.GetCapacity())
	}
	if len(got.GetRegistrationQuestions()) != 2 {
		t.Errorf("questions = %v", got.GetRegistrationQuestions())
	}
	for i, q := range got.GetRegistrationQuestions() {
		if !proto.Equal(q, ev.GetRegistrationQuestions()[i]) {
			t.Errorf("question %d = %v, want %v", i, q, ev.GetRegistrationQuestions()[i])
		}
	}
	if got.GetMeetingDuration().AsDuration() != 20*time.Minute || got.GetBreakDuration().AsDuration() != 10*time.Minute || got.GetDefaultMaxMeetings() != 8 {
		t.Errorf("settings = %v", got)
	}
}

// TestRegisterChoiceSurvivesARefusal: the event page shown again after a
// refused registration ticks the "Register as" choice the form sent, not
// the first one; a page shown afresh ticks the first.
func TestRegisterChoiceSurvivesARefusal(t *testing.T) {
	fresh := eventView{}
	if !fresh.RegisterChecked("org", 0) || fresh.RegisterChecked("person", 1) {
		t.Error("a fresh form does not tick the first choice only")
	}
	refused := eventView{posted: url.Values{"as": {"person"}}}
	if refused.RegisterChecked("org", 0) || !refused.RegisterChecked("person", 1) {
		t.Error("a refused form does not tick the choice it sent")
	}
}
