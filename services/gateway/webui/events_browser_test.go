package webui_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goical "github.com/emersion/go-ical"
)

// TestEventRequests walks the request journeys of a brokerage day in
// Chromium, on desktop and phone widths: a participant who asks the same
// partner twice keeps the first request and is taken to edit it.
func TestEventRequests(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	organizer := newUser(t, root, s.URL, "organiser")
	company := newUser(t, root, s.URL, "company member")
	researcher := newUser(t, root, s.URL, "researcher")
	organizer.signIn("organizer")
	company.signIn("company")
	researcher.signIn("researcher")
	eventPath := createOpenEvent(organizer, "Trieste Life Sciences Partnering")

	company.open(eventPath)
	company.submit("#register")
	company.mustSucceed("registering the company")
	r := researcher
	r.open(eventPath)
	r.submit("#register")
	r.mustSucceed("registering the institute")

	t.Run("a second request to the same partner edits the first", func(t *testing.T) {
		r := r.in(t)
		// A second tab, opened before the first request, keeps offering the
		// company.
		stale := r.tab()
		stale.open(eventPath)
		r.open(eventPath)
		companyID := eval[string](r, `[...document.querySelectorAll("#f-to option")].find(o => o.textContent.includes("Tagliamentoomics")).value`)
		r.set("#f-to", companyID)
		r.set("#f-priority", "MEETING_PRIORITY_MUST")
		r.typeInto("#f-message", "We must discuss validating your blood tests.")
		r.submit("#send-request")
		r.mustSucceed("sending the first request")
		r.expect("#outgoing", "We must discuss validating your blood tests.")
		// The company is no longer offered for a new request.
		if eval[bool](r, `[...document.querySelectorAll("#f-to option")].some(o => o.value === `+jsString(companyID)+`)`) {
			t.Error("the request form still offers the company already asked")
		}

		// Sending from the older tab keeps the first request and opens its
		// edit form.
		r = stale
		r.set("#f-to", companyID)
		r.set("#f-priority", "MEETING_PRIORITY_WANT")
		r.typeInto("#f-message", "Hello again")
		r.submit("#send-request")
		r.expect("#notice", "already asked")
		if n := eval[int](r, `document.querySelectorAll("#outgoing > li").length`); n != 1 {
			t.Fatalf("the researcher has %d outgoing requests, want the first only", n)
		}
		r.expect("#outgoing", "Must meet")
		r.expect("#outgoing", "We must discuss validating your blood tests.")
		if !r.has("#outgoing details.edit-request[open] textarea") {
			t.Fatalf("the first request's edit form is not open: %s", r.text("#outgoing"))
		}
		if got := eval[string](r, `document.querySelector("#outgoing details[open] textarea").value`); got != "We must discuss validating your blood tests." {
			t.Errorf("the edit form holds %q, want the first message", got)
		}
		r.shot("event-request-edit")

		r.typeInto("#outgoing details[open] textarea", "We must discuss validating your blood tests, and a pilot.")
		r.submit("#outgoing details[open] button.save-request")
		r.mustSucceed("editing the request")
		r.expect("#notice", "changed")
		r.expect("#outgoing", "a pilot.")
		r.expect("#outgoing", "Must meet")

		c := company.in(t)
		c.open(eventPath)
		c.expect("#incoming", "a pilot.")
		if n := eval[int](c, `document.querySelectorAll("#incoming > li").length`); n != 1 {
			t.Errorf("the company received %d requests, want 1", n)
		}
	})

	t.Run("the organiser searches, filters and exports participants and requests", func(t *testing.T) {
		o := organizer.in(t)
		o.open(eventPath)
		o.expect("#all-participants", "All 2 participants")
		o.submit("#all-participants")
		o.expect("h1", "Participants")
		o.expect("#participant-list", "Tagliamentoomics")
		o.expect("#participant-list", "Università degli Studi di Trieste")
		o.expect("#list-count", "1–2 of 2")
		o.checkPage()
		o.typeInto("#f-q", "tagliamento")
		o.submit("#apply-filter")
		if n := eval[int](o, `document.querySelectorAll("#participant-list tbody tr").length`); n != 1 {
			t.Errorf("searching one name lists %d participants", n)
		}
		o.expect("#participant-list", "Tagliamentoomics")
		eval[bool](o, `(document.querySelector("#f-q").value = "") === ""`)
		o.set("#f-show", "no_requests")
		o.submit("#apply-filter")
		o.expect("#list-empty", "Nothing matches")
		o.shot("event-participants")
		rows := csvRows(t, eval[string](o, `fetch(document.querySelector("#csv").href).then(r => r.text())`))
		if len(rows) != 1 || rows[0][1] != "name" {
			t.Errorf("the CSV of no participant = %q, want its header only", rows)
		}
		o.open(eventPath + "/participants")
		rows = csvRows(t, eval[string](o, `fetch(document.querySelector("#csv").href).then(r => r.text())`))
		if len(rows) != 3 || rows[1][4] != "1" && rows[2][4] != "1" {
			t.Errorf("the CSV of all participants = %q, want two rows, one with a request sent", rows)
		}

		o.open(eventPath)
		o.submit("#all-requests")
		o.expect("#request-list", "a pilot.")
		o.set("#f-show", "accepted")
		o.submit("#apply-filter")
		o.expect("#list-empty", "Nothing matches")
		o.set("#f-show", "pending")
		o.submit("#apply-filter")
		o.expect("#request-list", "Must meet")
		rows = csvRows(t, eval[string](o, `fetch(document.querySelector("#csv").href).then(r => r.text())`))
		if len(rows) != 2 || rows[1][5] != "MUST" || !strings.Contains(rows[1][8], "a pilot") {
			t.Errorf("the CSV of pending requests = %q", rows)
		}

		// A participant is not shown the organiser's lists.
		c := company.in(t)
		c.open(eventPath + "/participants")
		c.expect("main", "Only the event's organisers")
	})

	t.Run("cancelling a published meeting asks first, tells the other party and reaches calendars", func(t *testing.T) {
		c := company.in(t)
		o := organizer.in(t)
		acceptAndPublish(c, o, eventPath)
		o.waitFor("the meeting in the grid", `document.querySelectorAll("#schedule-grid .meeting").length === 1`)
		o.expect("#schedule-grid thead", "Galilei room")
		o.expect("#schedule-grid thead", "Foyer")

		r := r.in(t)
		r.open(eventPath)
		r.expect("#my-agenda", "Tagliamentoomics")
		r.expect("#my-agenda", "Hall B")
		before := calendarEvents(t, eval[string](r, `fetch(document.querySelector("#download-ics").href).then(r => r.text())`))
		if len(before) != 1 || before[0].status == "CANCELLED" {
			t.Fatalf("before cancelling, the calendar holds %+v, want one confirmed meeting", before)
		}

		// The first click only asks; "keep it" changes nothing.
		r.submit("#my-agenda button.cancel-meeting")
		r.expect("#confirm-h", "Cancel this meeting?")
		r.expect("#confirm", "Cancel meeting")
		r.expect("#confirm-box", "calendars that imported it remove it")
		r.checkPage()
		r.shot("event-confirm-cancel")
		r.submit("#keep")
		r.expect("#my-agenda", "Tagliamentoomics")
		r.submit("#my-agenda button.cancel-meeting")
		r.submit("#confirm")
		r.mustSucceed("cancelling the meeting")
		r.expect("#notice", "Cancelled")
		if !r.has("#agenda-empty") {
			t.Errorf("the cancelled meeting is still on the agenda: %s", r.text("#participant"))
		}

		// The calendar's update has the same UID, a higher SEQUENCE and
		// STATUS:CANCELLED: a calendar that imported the meeting removes it.
		after := calendarEvents(t, eval[string](r, `fetch(document.querySelector("#download-ics").href).then(r => r.text())`))
		if len(after) != 1 || after[0].uid != before[0].uid || after[0].status != "CANCELLED" || after[0].sequence <= before[0].sequence {
			t.Errorf("after cancelling, the calendar holds %+v; want %s cancelled with a sequence above %d", after, before[0].uid, before[0].sequence)
		}

		// The other party is told; the organiser's grid no longer has it.
		deadline := time.Now().Add(45 * time.Second)
		for {
			c.open("/notifications")
			if strings.Contains(c.bodyText(), "was cancelled") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the company was never told of the cancellation: %s", c.bodyText())
			}
		}
		c.expect("main", "Università degli Studi di Trieste")
		o.open(eventPath)
		if n := eval[int](o, `document.querySelectorAll("#schedule-grid .meeting").length`); n != 0 {
			t.Errorf("the organiser's grid still shows %d meetings", n)
		}
	})

	t.Run("closing the event asks first", func(t *testing.T) {
		o := organizer.in(t)
		o.open(eventPath)
		o.submit("#close-event")
		o.expect("#confirm-h", "Close this event?")
		o.submit("#keep")
		o.expect("#event-status", "Schedule published")
		o.submit("#close-event")
		o.submit("#confirm")
		o.mustSucceed("closing the event")
		o.expect("#event-status", "Closed")
	})

	t.Run("phone width", func(t *testing.T) {
		r := r.in(t)
		r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer r.do("desktop screen", chromedp.ResetViewport())
		r.open(eventPath)
		r.checkPage()
		r.accessible()
		r.open(eventPath + "/agenda/" + eval[string](r, `document.querySelector("#participant input[name=participant]").value`))
		// The organiser's list of requests on a phone.
		o := organizer.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer o.do("desktop screen", chromedp.ResetViewport())
		o.open(eventPath + "/requests")
		o.expect("#request-list", "Tagliamentoomics")
		o.accessible()
	})
}

func csvRows(t *testing.T, data string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, data)
	}
	return rows
}

// tab opens a second tab for the same person (same cookies).
func (u *user) tab() *user {
	u.t.Helper()
	ctx, cancel := chromedp.NewContext(u.ctx)
	u.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		u.t.Fatalf("new tab: %v", err)
	}
	c := *u
	c.ctx = ctx
	return &c
}

// calEvent is a VEVENT as a real iCalendar parser reads it.
type calEvent struct {
	uid, status string
	sequence    int
}

func calendarEvents(t *testing.T, data string) []calEvent {
	t.Helper()
	cal, err := goical.NewDecoder(strings.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("the calendar does not parse: %v\n%s", err, data)
	}
	var out []calEvent
	for _, ev := range cal.Events() {
		uid, _ := ev.Props.Text(goical.PropUID)
		st, _ := ev.Props.Text(goical.PropStatus)
		var seq int
		if p := ev.Props.Get(goical.PropSequence); p != nil {
			seq, _ = p.Int()
		}
		out = append(out, calEvent{uid: uid, status: st, sequence: seq})
	}
	return out
}

// fillDay fills the event form's first day, a week from now, 09:00 to
// 10:30, with meetings of 25 minutes.
func fillDay(o *user) {
	o.t.Helper()
	rome, _ := time.LoadLocation("Europe/Rome")
	o.set("#day-date-0", time.Now().In(rome).AddDate(0, 0, 7).Format("2006-01-02"))
	o.set("#day-start-0", "09:00")
	o.set("#day-end-0", "10:30")
	o.typeInto("#f-meeting_minutes", "25")
}

// createOpenEvent creates a one-day event with three tables a week ahead
// through the web UI, opens its registration and returns its path.
func createOpenEvent(o *user, name string) string {
	o.t.Helper()
	return createEventOn(o, name, 7)
}

// createEventOn is createOpenEvent with the day days from today (negative:
// in the past, its meetings over).
func createEventOn(o *user, name string, days int) string {
	o.t.Helper()
	o.open("/events")
	o.typeInto("#f-name", name)
	o.typeInto("#f-venue", "Area Science Park, Trieste")
	fillDay(o)
	rome, _ := time.LoadLocation("Europe/Rome")
	o.set("#day-date-0", time.Now().In(rome).AddDate(0, 0, days).Format("2006-01-02"))
	o.typeInto("#f-break_minutes", "5")
	o.typeInto("#f-tables", "3")
	o.typeInto("#f-table_names", "Table 1, Hall B\nTable 2, Hall B\nGalilei room, Foyer")
	o.submit("#create-event")
	o.mustSucceed("creating the event")
	o.expect("#notice", "draft")
	path := o.location()
	if i := strings.Index(path, "?"); i > 0 {
		path = path[:i]
	}
	o.submit("#open-registration")
	o.mustSucceed("opening registration")
	return path
}
