package ical_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"

	"github.com/tandem-cluster/tandem/services/meetings/ical"
)

var (
	stamp = time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	rome  = mustZone("Europe/Rome")
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// parse reads a calendar with a real iCalendar library (not ours).
func parse(t testing.TB, data []byte) *goical.Calendar {
	t.Helper()
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, data)
	}
	return cal
}

func meeting(uid string, seq int, start time.Time, summary string, cancelled bool) ical.Event {
	return ical.Event{UID: uid, Sequence: seq, Start: start, End: start.Add(25 * time.Minute), Stamp: stamp,
		Summary: summary, Location: "Table 12, Hall B", Description: "About: sequencing; TRL 4, lab validated\nSecond line", Cancelled: cancelled}
}

func TestRenderParses(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 5, 6, 9, 30, 0, 0, rome)
	long := strings.Repeat("Università di Trieste — biologia molecolare ", 6)
	data := ical.Render(ical.Calendar{Name: "Smart Health Brokerage Day", TimeZone: "Europe/Rome", Events: []ical.Event{
		meeting("m1@tandem", 0, start, "Meeting with "+long, false),
		meeting("m2@tandem", 2, start.Add(30*time.Minute), "Meeting with ICGEB", true),
	}})
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if len(line) > ical.MaxLineOctets {
			t.Errorf("line %d has %d octets: %q", i, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 character: %q", i, line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare line break", i)
		}
	}
	if !bytes.HasSuffix(data, []byte("END:VCALENDAR\r\n")) {
		t.Error("output does not end with END:VCALENDAR CRLF")
	}
	cal := parse(t, data)
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	tests := []struct {
		prop, want string
	}{
		{goical.PropUID, "m1@tandem"},
		{goical.PropSummary, "Meeting with " + long},
		{goical.PropLocation, "Table 12, Hall B"},
		{goical.PropDescription, "About: sequencing; TRL 4, lab validated\nSecond line"},
		{goical.PropStatus, "CONFIRMED"},
	}
	for _, tt := range tests {
		got, err := events[0].Props.Text(tt.prop)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q (%v), want %q", tt.prop, got, err, tt.want)
		}
	}
	gotStart, err := events[0].DateTimeStart(time.UTC)
	if err != nil || !gotStart.Equal(start) {
		t.Errorf("DTSTART = %v (%v), want %v", gotStart, err, start)
	}
	if st, _ := events[1].Props.Text(goical.PropStatus); st != "CANCELLED" {
		t.Errorf("cancelled meeting has STATUS %q", st)
	}
	for i, want := range []int{0, 2} {
		if seq, err := events[i].Props.Get(goical.PropSequence).Int(); err != nil || seq != want {
			t.Errorf("event %d SEQUENCE = %d (%v), want %d", i, seq, err, want)
		}
	}
}

// calendarClient imports files the way calendar clients do: entries are
// keyed by UID and a higher SEQUENCE replaces the stored one.
type calendarClient map[string]struct {
	seq    int
	start  time.Time
	status string
}

func (c calendarClient) importFile(t *testing.T, data []byte) {
	t.Helper()
	for _, e := range parse(t, data).Events() {
		uid, _ := e.Props.Text(goical.PropUID)
		seq, err := e.Props.Get(goical.PropSequence).Int()
		if err != nil {
			t.Fatal(err)
		}
		status, _ := e.Props.Text(goical.PropStatus)
		start, err := e.DateTimeStart(time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if old, ok := c[uid]; ok && old.seq >= seq {
			continue
		}
		c[uid] = struct {
			seq    int
			start  time.Time
			status string
		}{seq, start, status}
	}
}

func TestMovedMeetingReplacesTheEntry(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 5, 6, 9, 30, 0, 0, rome)
	before := ical.Render(ical.Calendar{Events: []ical.Event{
		meeting("m1@tandem", 0, start, "Meeting with A", false),
		meeting("m2@tandem", 0, start.Add(time.Hour), "Meeting with B", false),
	}})
	moved := start.Add(2 * time.Hour)
	after := ical.Render(ical.Calendar{Events: []ical.Event{
		meeting("m1@tandem", 1, moved, "Meeting with A", false),
		meeting("m2@tandem", 1, start.Add(time.Hour), "Meeting with B", true),
	}})
	c := calendarClient{}
	c.importFile(t, before)
	c.importFile(t, after)
	if len(c) != 2 {
		t.Fatalf("calendar holds %d entries after the update, want 2", len(c))
	}
	if !c["m1@tandem"].start.Equal(moved) {
		t.Errorf("m1 starts %v, want the new time %v", c["m1@tandem"].start, moved)
	}
	if c["m2@tandem"].status != "CANCELLED" {
		t.Errorf("m2 is %q, want CANCELLED", c["m2@tandem"].status)
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in string }{
		{""}, {"SHORT:x"}, {strings.Repeat("a", 75)}, {strings.Repeat("a", 76)}, {strings.Repeat("é", 100)},
		{strings.Repeat("a", 74) + "€€€"}, {strings.Repeat("🧬", 40)},
	}
	for _, tt := range tests {
		out := ical.Fold(tt.in)
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("Fold(%q) does not end with CRLF", tt.in)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		var joined strings.Builder
		for i, l := range lines {
			if len(l) > ical.MaxLineOctets || !utf8.ValidString(l) {
				t.Fatalf("Fold(%q) line %d = %q (%d octets)", tt.in, i, l, len(l))
			}
			if i > 0 {
				if !strings.HasPrefix(l, " ") {
					t.Fatalf("continuation line %d does not start with a space", i)
				}
				l = l[1:]
			}
			joined.WriteString(l)
		}
		if joined.String() != tt.in {
			t.Fatalf("unfolding gives %q, want %q", joined.String(), tt.in)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\b`, `a\\b`},
		{"a;b,c", `a\;b\,c`},
		{"line1\r\nline2\nline3", `line1\nline2\nline3`},
		{"bell\x07tab\t", "belltab "},
		{"bad\xffbyte", "badbyte"},
	}
	for _, tt := range tests {
		if got := ical.Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRender feeds arbitrary names, places and texts (participants type
// them) through the writer: the output must parse with a real iCalendar
// library, keep every line within 75 octets, and give back the text.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "Meeting with ICGEB", "a;b,c\\d", "x\r\ny", strings.Repeat("ü", 80), "\x00\x1f\x7f", "END:VCALENDAR\r\nBEGIN:VEVENT", ":;=\"", "\xff\xfe"} {
		f.Add(s, s, "m1@tandem", 3)
	}
	f.Fuzz(func(t *testing.T, text, location, uid string, seq int) {
		if uid == "" || strings.TrimSpace(ical.Escape(uid)) == "" {
			uid = "m@tandem"
		}
		start := time.Date(2025, 5, 6, 9, 30, 0, 0, time.UTC)
		data := ical.Render(ical.Calendar{Name: text, Events: []ical.Event{{
			UID: uid, Sequence: seq, Start: start, End: start.Add(25 * time.Minute), Stamp: stamp,
			Summary: text, Location: location, Description: text,
			Organizer: ical.Party{Name: location, URI: "urn:tandem:event:e1"},
			Attendees: []ical.Party{{Name: text, URI: "urn:tandem:participant:p1"}},
		}}})
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
			if len(line) > ical.MaxLineOctets {
				t.Fatalf("line of %d octets", len(line))
			}
		}
		events := parse(t, data).Events()
		if len(events) != 1 {
			t.Fatalf("%d events, want 1", len(events))
		}
		want := strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n").Replace(ical.Escape(text))
		got, err := events[0].Props.Text(goical.PropSummary)
		if err != nil || got != want {
			t.Fatalf("SUMMARY = %q (%v), want %q", got, err, want)
		}
		for prop, name := range map[string]string{goical.PropOrganizer: location, goical.PropAttendee: text} {
			p := events[0].Props.Get(prop)
			if p == nil {
				t.Fatalf("no %s", prop)
			}
			if cn := p.Params.Get(goical.ParamCommonName); cn != ical.ParamValue(name) {
				t.Fatalf("%s CN = %q, want %q", prop, cn, ical.ParamValue(name))
			}
		}
	})
}

func TestCancelledMeetingFile(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 5, 6, 9, 30, 0, 0, rome)
	invite := ical.Render(ical.Calendar{Events: []ical.Event{meeting("m1@tandem", 0, start, "Meeting with A", false)}})
	cancel := ical.Render(ical.Calendar{Events: []ical.Event{meeting("m1@tandem", 1, start, "Meeting with A", true)}})
	tests := []struct {
		name   string
		data   []byte
		method string
		status string
		seq    int
	}{
		{"invitation", invite, "PUBLISH", "CONFIRMED", 0},
		{"cancellation", cancel, "CANCEL", "CANCELLED", 1},
	}
	for _, tt := range tests {
		cal := parse(t, tt.data)
		if m, err := cal.Props.Text(goical.PropMethod); err != nil || m != tt.method {
			t.Errorf("%s: METHOD = %q (%v), want %s", tt.name, m, err, tt.method)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%s: %d events, want 1", tt.name, len(events))
		}
		if st, _ := events[0].Props.Text(goical.PropStatus); st != tt.status {
			t.Errorf("%s: STATUS = %q, want %s", tt.name, st, tt.status)
		}
		if seq, err := events[0].Props.Get(goical.PropSequence).Int(); err != nil || seq != tt.seq {
			t.Errorf("%s: SEQUENCE = %d (%v), want %d", tt.name, seq, err, tt.seq)
		}
	}
	c := calendarClient{}
	c.importFile(t, invite)
	c.importFile(t, cancel)
	if c["m1@tandem"].status != "CANCELLED" || c["m1@tandem"].seq != 1 {
		t.Errorf("after the cancellation the entry is %+v, want CANCELLED at SEQUENCE 1", c["m1@tandem"])
	}
	// An agenda with a cancelled and a confirmed meeting stays a PUBLISH.
	both := parse(t, ical.Render(ical.Calendar{Events: []ical.Event{
		meeting("m1@tandem", 1, start, "Meeting with A", true),
		meeting("m2@tandem", 0, start.Add(time.Hour), "Meeting with B", false),
	}}))
	if m, _ := both.Props.Text(goical.PropMethod); m != "PUBLISH" {
		t.Errorf("agenda METHOD = %q, want PUBLISH", m)
	}
}

// TestOrganizerAndAttendees: each meeting names who runs the event and
// its two parties, with their names as CN and a URI as the address.
func TestOrganizerAndAttendees(t *testing.T) {
	t.Parallel()
	e := meeting("m1@tandem", 0, time.Date(2025, 5, 6, 9, 30, 0, 0, rome), "Meeting with ICGEB", false)
	e.Organizer = ical.Party{Name: `Cluster "Smart Health"; FVG`, URI: "urn:tandem:event:E1"}
	e.Attendees = []ical.Party{{Name: "ICGEB, Trieste", URI: "urn:tandem:participant:P1"}, {Name: "Elettra", URI: "urn:tandem:participant:P2"}, {Name: "no address"}}
	ev := parse(t, ical.Render(ical.Calendar{Events: []ical.Event{e}})).Events()[0]
	org := ev.Props.Get(goical.PropOrganizer)
	if org == nil || org.Value != "urn:tandem:event:E1" || org.Params.Get(goical.ParamCommonName) != "Cluster 'Smart Health'; FVG" {
		t.Fatalf("ORGANIZER = %+v", org)
	}
	var got []string
	for _, a := range ev.Props.Values(goical.PropAttendee) {
		got = append(got, a.Params.Get(goical.ParamCommonName)+" <"+a.Value+">")
	}
	want := []string{"ICGEB, Trieste <urn:tandem:participant:P1>", "Elettra <urn:tandem:participant:P2>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ATTENDEE = %q, want %q", got, want)
	}
}
