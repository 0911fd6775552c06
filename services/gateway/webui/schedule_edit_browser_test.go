package webui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScheduleEditing walks the organiser's hand edits of a schedule in
// Chromium: a meeting moved with the keyboard (Move, then Move here) and by
// drag and drop, generating again asked first while a meeting is not
// locked, no place offered when a participant is away (the time
// saying why) and a move sent there anyway refused, lock
// and unlock, and the moved meeting kept in place by generating again.
func TestScheduleEditing(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	organizer := newUser(t, root, s.URL, "organiser")
	company := newUser(t, root, s.URL, "company member")
	researcher := newUser(t, root, s.URL, "researcher")
	organizer.signIn("organizer")
	company.signIn("company")
	researcher.signIn("researcher")
	eventPath := createOpenEvent(organizer, "Trieste Partnering Day")

	c, r, o := company, researcher, organizer
	c.open(eventPath)
	c.submit("#register")
	c.mustSucceed("registering the company")
	r.open(eventPath)
	r.submit("#register")
	r.mustSucceed("registering the institute")
	leaveAtTenAndAsk(r)
	acceptAndGenerate(c, o, eventPath)
	o.expect("#edit-hint", "Drag a meeting")
	cellOf := func() string {
		return eval[string](o, `document.querySelector("#schedule-grid .meeting").closest("td").dataset.to`)
	}
	start := cellOf()

	t.Run("keyboard move", func(t *testing.T) {
		o := o.in(t)
		o.submit("#schedule-grid .meeting a.move")
		o.waitFor("move mode", `!!document.querySelector("#moving")`)
		o.expect("#moving", "Tagliamentoomics")
		o.checkPage()
		o.shot("event-schedule-moving")
		// The first free place in another row than the meeting's.
		target := eval[string](o, `[...document.querySelectorAll("#schedule-grid button.move-here")].map(b => b.value).find(v => v.split("/")[0] !== `+jsString(start)+`.split("/")[0] && !v.split("/")[0].endsWith("T1000"))`)
		o.submit(`#schedule-grid button.move-here[value="` + target + `"]`)
		o.mustSucceed("moving the meeting")
		o.expect("#notice", "moved and locked")
		if got := cellOf(); got != target {
			t.Fatalf("the meeting is at %s, want %s", got, target)
		}
		o.expect("#schedule-grid .meeting", "Locked")
		start = target
	})

	t.Run("a move to when a participant is away is refused", func(t *testing.T) {
		o := o.in(t)
		o.open(eventPath)
		o.submit("#schedule-grid .meeting a.move")
		o.waitFor("move mode", `!!document.querySelector("#moving")`)
		// Nothing is offered from ten, and the times say why.
		o.expect("#moving", "Only the places the schedule would accept are offered")
		rows := eval[[][]string](o, `[...document.querySelectorAll("#schedule-grid tbody tr")].map(tr => [tr.querySelector("td").dataset.to.split("/")[0].slice(-4), tr.querySelector("th .why")?.textContent || "", String(tr.querySelectorAll("button.move-here").length)])`)
		for _, row := range rows {
			if away := row[0] >= "1000"; away != strings.Contains(row[1], "is away") || away != (row[2] == "0") {
				t.Errorf("the time %s says %q and offers %s places, want the institute away from ten only", row[0], row[1], row[2])
			}
		}
		o.accessible()
		o.shot("event-schedule-moving-offered")
		// A place sent anyway (a page left open) is refused with the reason.
		o.do("send ten anyway", chromedp.Evaluate[chromedp.Void](`(b => b.value = b.value.replace(/T0\d{3}\//, "T1000/"))(document.querySelector("#schedule-grid button.move-here"))`))
		o.submit("#schedule-grid button.move-here")
		o.expect("#edit-problem", "not possible")
		o.expect("#edit-problem", "is not available at")
		if cellOf() != start {
			t.Fatalf("a refused move moved the meeting to %s", cellOf())
		}
		o.shot("event-schedule-refused")
	})

	t.Run("drag and drop", func(t *testing.T) {
		o := o.in(t)
		o.open(eventPath)
		// Over a free place from ten, when the institute is away, the drag
		// shows no drop target and a drop sends nothing, as the keyboard
		// offers nothing there; over an allowed free place it is accepted.
		accepts := func(to string) []bool {
			return eval[[]bool](o, `(() => {
				window.tandemNotReloaded = true;
				const m = document.querySelector("#schedule-grid .meeting");
				const td = document.querySelector('#schedule-grid td[data-to="`+to+`"]');
				const dt = new DataTransfer();
				m.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
				const over = new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt});
				td.dispatchEvent(over);
				const marked = td.classList.contains("drop");
				const drop = new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt});
				if (!over.defaultPrevented) td.dispatchEvent(drop);
				m.dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
				return [over.defaultPrevented, marked, drop.defaultPrevented];
			})()`)
		}
		free := func(away bool) string {
			return eval[string](o, `[...document.querySelectorAll("#schedule-grid td[data-to]")].filter(td => !td.querySelector(".meeting")).map(td => td.dataset.to).find(v => v.split("/")[0].slice(-4) >= "1000" === `+strconv.FormatBool(away)+`)`)
		}
		if got := accepts(free(true)); got[0] || got[1] || got[2] {
			t.Errorf("a drop where the institute is away: accepted %v, want refused", got)
		}
		if !eval[bool](o, `window.tandemNotReloaded === true && !document.querySelector("#edit-problem")`) {
			t.Error("a refused drop was sent to the server")
		}
		if got := accepts(free(false)); !got[0] || !got[1] {
			t.Errorf("a drop on an allowed free place: accepted %v, want accepted", got)
		}
		// Another free place in an allowed row, dropped on by a real drag.
		target := eval[string](o, `[...document.querySelectorAll("#schedule-grid td[data-to]")].filter(td => !td.querySelector(".meeting")).map(td => td.dataset.to).find(v => v !== `+jsString(start)+` && !v.split("/")[0].endsWith("T1000"))`)
		o.drop(`(() => {
			const m = document.querySelector("#schedule-grid .meeting");
			const td = document.querySelector('#schedule-grid td[data-to="` + target + `"]');
			const dt = new DataTransfer();
			m.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
			td.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
			td.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
		})()`)
		o.expect("#notice", "moved and locked")
		o.mustSucceed("dropping the meeting")
		if got := cellOf(); got != target {
			t.Fatalf("after the drop the meeting is at %s, want %s", got, target)
		}
		start = target
	})

	t.Run("unlock, lock and generate again", func(t *testing.T) {
		o := o.in(t)
		o.open(eventPath)
		o.submit("#schedule-grid button.lock-toggle")
		o.expect("#notice", "unlocked")
		if o.has("#schedule-grid .meeting.locked") {
			t.Fatal("the meeting is still locked")
		}
		// Unlocked, the meeting would be planned afresh: generating asks
		// first, and keeping the schedule changes nothing.
		o.submit("#generate")
		o.expect("#confirm-box", "Generate the schedule again?")
		o.expect("#confirm-detail", "Meetings planned afresh: 1. Locked meetings that stay: 0.")
		o.accessible()
		o.shot("event-schedule-generate-again")
		o.submit("#keep")
		if got := cellOf(); got != start {
			t.Fatalf("keeping the schedule moved the meeting from %s to %s", start, got)
		}
		o.submit("#schedule-grid button.lock-toggle")
		o.expect("#notice", "is locked")
		o.submit("#generate") // all locked: nothing to lose, no question
		o.mustSucceed("generating again")
		if got := cellOf(); got != start {
			t.Fatalf("generating again moved the locked meeting from %s to %s", start, got)
		}
		o.expect("#schedule-grid .meeting", "Locked")
	})

	t.Run("editing the event says what moves first", func(t *testing.T) {
		o := o.in(t)
		o.open(eventPath)
		o.submit("#publish-schedule")
		o.mustSucceed("publishing")
		o.submit("#edit-event")
		if n := eval[int](o, `document.querySelectorAll(".day-row").length`); n != 2 {
			t.Fatalf("the edit form has %d day rows, want the event's day and an empty one", n)
		}
		o.submit("#add-day")
		if n := eval[int](o, `document.querySelectorAll(".day-row").length`); n < 3 || eval[string](o, `document.querySelector("#day-date-0").value`) == "" {
			t.Fatalf("after Add a day the form has %d day rows (want 3 or more) and keeps the first day: %s", n, o.text("#f-days"))
		}
		// Take away the meeting's slot: start later, or end sooner.
		slot, _, _ := strings.Cut(start, "/")
		if strings.HasSuffix(slot, "T0900") {
			o.set("#day-start-0", "09:30")
		} else {
			o.set("#day-end-0", "09:50")
		}
		o.submit("#save-event")
		o.expect("#confirm-h", "move meetings")
		o.expect("#confirm-items", "Tagliamentoomics")
		o.expect("#confirm-items", "moves")
		o.expect("#confirm-detail", "Meetings that move: 1.")
		o.checkPage()
		o.shot("event-edit-confirm")
		o.submit("#confirm")
		o.mustSucceed("saving the event")
		o.expect("#notice", "moved or cancelled")
		if got, _, _ := strings.Cut(cellOf(), "/"); got == slot {
			t.Fatalf("the meeting is still at %s", got)
		}
		// A change that breaks no meeting is saved at once.
		o.submit("#edit-event")
		o.typeInto("#f-venue", "Area Science Park, Basovizza")
		o.typeInto("#f-capacity", "40")
		o.set("#f-registration_closes_at", "2026-12-10T18:00")
		o.typeInto("#f-registration_questions", "* What do you offer at this event?\nWhat do you seek?")
		o.submit("#save-event")
		o.mustSucceed("saving the venue")
		o.expect("#notice", "The event was saved")
		o.expect("main", "Basovizza")
		o.expect("#registration-terms", "40 places")
		o.expect("#registration-terms", "Registration closes")
		// The participants list and its CSV have a column per question.
		o.open(eventPath + "/participants")
		o.expect("#participant-list thead", "What do you seek?")
		rows := csvRows(t, eval[string](o, `fetch(location.pathname + "?format=csv").then(r => r.text())`))
		if h := rows[0]; len(h) != 13 || h[8] != "status" || h[10] != "no_shows" || h[11] != "What do you offer at this event?" || h[12] != "What do you seek?" {
			t.Errorf("the participants CSV header is %q, want the status, check-in and absences, then the two questions last", h)
		}
	})

	t.Run("phone width", func(t *testing.T) {
		o := o.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer o.do("desktop screen", chromedp.ResetViewport())
		o.open(eventPath)
		o.open(eventPath + "?move=" + eval[string](o, `document.querySelector("#schedule-grid .meeting").dataset.m`))
		o.expect("#moving", "Tagliamentoomics")
		// On a phone too, nothing is offered from ten and the times say why.
		rows := eval[[][]string](o, `[...document.querySelectorAll("#schedule-grid tbody tr")].map(tr => [tr.querySelector("td").dataset.to.split("/")[0].slice(-4), tr.querySelector("th .why")?.textContent || "", String(tr.querySelectorAll("button.move-here").length)])`)
		for _, row := range rows {
			if row[0] >= "1000" && (!strings.Contains(row[1], "is away") || row[2] != "0") {
				t.Errorf("on a phone the time %s says %q and offers %s places, want the institute away", row[0], row[1], row[2])
			}
		}
		o.accessible()
	})
}

// drop runs a script that drags and drops, and waits for the page the
// drop's form sends to.
func (u *user) drop(script string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		u.t.Fatalf("%s: drag and drop: %v\npage: %s", u.name, err, u.bodyText())
	}
	u.checkPage()
}
