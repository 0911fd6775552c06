package webui

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// BenchmarkEventPage renders the organiser's view of a regional brokerage
// day: 200 participants, 3 days of 12 slots, 30 tables and a full schedule.
// The page is server-rendered in one response, so this is most of the work
// a page view costs the gateway beyond the service calls.
func BenchmarkEventPage(b *testing.B) {
	ui, ev, v, meetings := benchEvent(b, 3, 12, 30, 200)
	req := httptest.NewRequest("GET", "/events/e1", nil)
	b.ReportAllocs()
	for b.Loop() {
		v.Grid = buildGrid(ev, meetings)
		w := httptest.NewRecorder()
		c := &call{ui: ui, w: w, r: req, L: langFor("it"), user: &user{}}
		if err := c.render("event", "event.title", v, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventPageLargeGrid renders the organiser's editable grid of 60
// slots × 700 tables (42,000 meetings) whole, as before paging, and as the
// page of 20 tables it now is; bytes/page is the HTML sent.
func BenchmarkEventPageLargeGrid(b *testing.B) {
	ui, ev, v, meetings := benchEvent(b, 1, 60, 700, 2000)
	v.Edit = &gridEdit{Review: true, Version: 1}
	req := httptest.NewRequest("GET", "/events/e1", nil)
	for _, bc := range []struct {
		name   string
		window bool
	}{{"all-700-tables", false}, {"20-tables", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				v.Grid = buildGrid(ev, meetings)
				if bc.window {
					v.Grid.window(ev.GetId(), "", "", 0)
					v.Grid.dropRows(langFor("en"), ev, v.Edit, v.Participants, meetings)
				}
				w := httptest.NewRecorder()
				c := &call{ui: ui, w: w, r: req, L: langFor("en"), user: &user{}}
				if err := c.render("event", "event.title", v, nil); err != nil {
					b.Fatal(err)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// benchEvent is an organiser's view of an event of days × slotsPerDay
// slots and tables tables, every cell holding a meeting of two of the
// participants.
func benchEvent(b *testing.B, days, slotsPerDay, tables, participants int) (*UI, *meetingsv1.Event, eventView, []*meetingsv1.Meeting) {
	pages, err := parseTemplates()
	if err != nil {
		b.Fatal(err)
	}
	ui := &UI{pages: pages, hub: newHub()}
	start := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	ev := &meetingsv1.Event{Id: "e1", Name: "Brokerage day", TimeZone: "Europe/Rome", Status: meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING, OrganizerSubjects: []string{"o"}}
	for i := range tables {
		ev.Tables = append(ev.Tables, &meetingsv1.Table{Id: fmt.Sprintf("T%d", i+1), Name: fmt.Sprintf("Table %d", i+1)})
	}
	for d := range days {
		for s := range slotsPerDay {
			at := start.AddDate(0, 0, d).Add(time.Duration(s) * 30 * time.Minute)
			ev.Slots = append(ev.Slots, &meetingsv1.Slot{Id: at.Format("20060102T1504"), DayIndex: int32(d), StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(25 * time.Minute))})
		}
	}
	v := eventView{Event: ev, Organizer: true, Names: map[string]string{}}
	for i := range participants {
		id := fmt.Sprintf("p%04d", i)
		v.Names[id] = fmt.Sprintf("Participant %d S.r.l.", i)
		v.Participants = append(v.Participants, &meetingsv1.Participant{Id: id, DisplayName: v.Names[id], Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}})
	}
	var meetings []*meetingsv1.Meeting
	for si, s := range ev.Slots {
		for ti, t := range ev.Tables {
			a, c := (si*7+ti*2)%participants, (si*7+ti*2+1)%participants
			meetings = append(meetings, &meetingsv1.Meeting{Id: fmt.Sprintf("m%d-%d", si, ti), SlotId: s.GetId(), TableId: t.GetId(), Status: meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL,
				ParticipantIds: []string{fmt.Sprintf("p%04d", a), fmt.Sprintf("p%04d", c)}})
		}
	}
	v.Schedule = &meetingsv1.Schedule{Id: "s1", Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL, Stats: &meetingsv1.ScheduleStats{}}
	return ui, ev, v, meetings
}
