package webui

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestDayFigures: check-ins count the registered participants who
// arrived (not the withdrawn), absences the no-show marks of meetings not
// cancelled, and each slot's bar is its share of the tables in use.
func TestDayFigures(t *testing.T) {
	at := timestamppb.Now()
	reg, gone := meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED, meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
	parts := []*meetingsv1.Participant{{Id: "a", Status: reg, CheckedInAt: at}, {Id: "b", Status: reg}, {Id: "c", Status: gone, CheckedInAt: at}}
	meetings := []*meetingsv1.Meeting{
		{Id: "m1", SlotId: "s1", ParticipantIds: []string{"a", "b"}, NoShowParticipantIds: []string{"b"}},
		{Id: "m2", SlotId: "s1", ParticipantIds: []string{"a", "c"}},
		{Id: "m3", SlotId: "s2", ParticipantIds: []string{"b", "c"}, NoShowParticipantIds: []string{"c"}, Status: meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED},
	}
	f := eventFigures(parts, nil, &meetingsv1.Schedule{}, meetings)
	if f.CheckedIn != 1 || f.NoShows != 1 {
		t.Errorf("check-ins %d and absences %d, want 1 and 1", f.CheckedIn, f.NoShows)
	}
	ev := &meetingsv1.Event{Slots: []*meetingsv1.Slot{{Id: "s1"}, {Id: "s2"}, {Id: "s3"}}, Tables: []*meetingsv1.Table{{Id: "T1"}, {Id: "T2"}, {Id: "T3"}}}
	var got []int
	for _, l := range slotLoads(ev, meetings) {
		got = append(got, l.Meetings, l.Pct)
	}
	if want := []int{2, 66, 0, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("slot loads (meetings, percent) = %v, want %v", got, want)
	}
	if slotLoads(ev, nil) != nil {
		t.Error("an event without meetings has a load chart")
	}
}

// TestQRCodeSVG: the QR code is an SVG labelled for screen readers, with
// its label escaped, and dark modules inside a quiet zone of four.
func TestQRCodeSVG(t *testing.T) {
	svg, err := qrSVG("https://tandem.example/events/E/checkin/P?code=ABC", `QR code to check in "A&B" <Ltd>`)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.HasPrefix(s, "<svg ") || !strings.Contains(s, `role="img"`) || !strings.Contains(s, `aria-label="QR code to check in &#34;A&amp;B&#34; &lt;Ltd&gt;"`) {
		t.Fatalf("svg = %.300s", s)
	}
	if !strings.Contains(s, "M4 4h1v1h-1z") || strings.Contains(s, "M3 ") {
		t.Errorf("the finder pattern does not start at the quiet zone's edge: %.400s", s)
	}
}

// TestReportPDF: the PDF report is one PDF document holding the event's
// name, its figures under Italian labels for an Italian reader, and each
// meeting with who did not come, Italian letters included.
func TestReportPDF(t *testing.T) {
	ev := &meetingsv1.Event{Name: "Giornata di partenariato", Venue: "Area Science Park", TimeZone: "Europe/Rome",
		Slots: []*meetingsv1.Slot{{Id: "s1", StartTime: timestamppb.New(time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC))}}, Tables: []*meetingsv1.Table{{Id: "T1", Name: "Tavolo 1"}}}
	m := &meetingsv1.Meeting{Id: "m1", SlotId: "s1", TableId: "T1", StartTime: ev.Slots[0].StartTime, ParticipantIds: []string{"a", "b"}, NoShowParticipantIds: []string{"b"},
		Status: meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED}
	rows := reportRows(organized{event: ev, meetings: []*meetingsv1.Meeting{m}, names: map[string]string{"a": "Tagliamentoomics", "b": "Università degli Studi di Trieste"}, tables: map[string]string{"T1": "Tavolo 1"}})
	var buf bytes.Buffer
	l := langFor("it")
	if err := writeReportPDF(&buf, l, ev, figures{Participants: 2, CheckedIn: 1, NoShows: 1}, slotLoads(ev, []*meetingsv1.Meeting{m}), rows); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasPrefix(out, []byte("%PDF-")) || !bytes.Contains(out[len(out)-10:], []byte("%%EOF")) {
		t.Fatalf("not one PDF document: %q ... %q", out[:min(20, len(out))], out[max(0, len(out)-20):])
	}
	for _, want := range []string{"Giornata di partenariato", l.T("event.checked_in"), "1 / 2", l.T("event.no_shows"), "Tagliamentoomics", "Universit\xe0 degli Studi di Trieste", "Tavolo 1"} {
		w := []byte(want)
		if !bytes.Contains(out, w) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
}
