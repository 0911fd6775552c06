package webui_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// watchGridOnPhone opens the organiser's grid of meetings on a phone,
// waits until it follows the schedule live and marks the page, so a
// reload shows; it returns what puts the desktop screen back.
func watchGridOnPhone(o *user, eventPath string, meetings int) func() {
	o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	o.open(eventPath)
	o.waitFor("the meetings in the grid", `document.querySelectorAll("#schedule-grid .meeting").length === `+strconv.Itoa(meetings))
	o.waitFor("the grid's live updates", `document.querySelector("#schedule-grid").getAttribute("data-live-open") === "1"`)
	eval[bool](o, `(window.tandemNotReloaded = true)`)
	return func() { o.do("desktop screen", chromedp.ResetViewport()) }
}

// seesMeetingAt waits until the grid watched by watchGridOnPhone shows its
// meeting at target (slot/table), what it waits for, without a reload.
func seesMeetingAt(o *user, what, target string) {
	o.t.Helper()
	o.waitFor(what, `(() => { const m = document.querySelector("#schedule-grid .meeting"); return !!m && m.closest("td").dataset.to === `+jsString(target)+`; })()`)
	if !eval[bool](o, `window.tandemNotReloaded === true`) {
		o.t.Error("the organiser's page was reloaded")
	}
}

// TestGridShowsCancellationLive: in Chromium, the organiser's published
// grid, open on a phone, drops a meeting the researcher cancels, without
// a reload, and says so in a status line (the other party's badge counts
// it live too); the researcher cancels on a phone, asked first; the pages
// stay free of axe violations. Someone who does not organise the event gets no live grid.
func TestGridShowsCancellationLive(t *testing.T) {
	o, c, r, eventPath := oneMeetingPublished(t)

	defer watchGridOnPhone(o, eventPath, 1)()

	// The company, on another page, is told live too.
	c.open("/events")
	c.waitFor("the company's live notifications", `document.querySelector("#unread").getAttribute("data-live-open") === "1"`)
	unread := eval[string](c, `document.querySelector("#unread").textContent`)

	// The researcher cancels on a phone.
	r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	r.open(eventPath)
	r.submit("#my-agenda button.cancel-meeting")
	r.expect("#confirm-h", "Cancel this meeting?")
	r.accessible()
	r.submit("#confirm")
	r.mustSucceed("cancelling the meeting")
	r.expect("#notice", "Cancelled")
	r.accessible()
	r.do("desktop screen", chromedp.ResetViewport())

	o.waitFor("the cancelled meeting to leave the grid", `document.querySelectorAll("#schedule-grid .meeting").length === 0`)
	if !eval[bool](o, `window.tandemNotReloaded === true`) {
		t.Error("the organiser's page was reloaded")
	}
	o.expect("#grid-live", "was cancelled")
	c.waitFor("the company's badge to count the cancellation", `document.querySelector("#unread").textContent !== `+jsString(unread))
	o.checkPage()
	o.accessible()

	// A participant's page has no live grid, and the stream refuses it.
	r.open(eventPath)
	if r.has("#schedule-grid[data-live]") {
		t.Error("a participant's page follows the organiser's grid")
	}
	if code := eval[float64](r, `fetch(location.pathname + "/grid/live").then(r => { const s = r.status; r.body && r.body.cancel(); return s; })`); code != 403 {
		t.Errorf("a participant's grid stream = %v, want 403", code)
	}
}

// TestGridShowsMovesLive: in Chromium, the organiser's published grid,
// open on a phone, shows a meeting moved from another tab in its new
// place, without a reload, and says so in a status line; the page stays
// free of axe violations.
func TestGridShowsMovesLive(t *testing.T) {
	o, _, _, eventPath := oneMeetingPublished(t)

	defer watchGridOnPhone(o, eventPath, 1)()
	cell := `document.querySelector("#schedule-grid .meeting").closest("td").dataset.to`
	start := eval[string](o, cell)

	// The same organiser moves the meeting in another tab.
	other := o.tab()
	other.open(eventPath)
	other.submit("#schedule-grid .meeting a.move")
	other.waitFor("move mode", `!!document.querySelector("#moving")`)
	target := eval[string](other, `[...document.querySelectorAll("#schedule-grid button.move-here")].map(b => b.value).find(v => v !== `+jsString(start)+`) || ""`)
	if target == "" {
		t.Fatal("no place to move the meeting to")
	}
	other.submit(`#schedule-grid button.move-here[value="` + target + `"]`)
	other.mustSucceed("moving the meeting")

	seesMeetingAt(o, "the meeting in its new place", target)
	if n := eval[float64](o, `document.querySelectorAll("#schedule-grid .meeting").length`); n != 1 {
		t.Errorf("%v meetings in the grid after the move, want 1", n)
	}
	o.expect("#grid-live", "was moved")
	o.checkPage()
	o.accessible()
}

// TestGridShowsPlacementLive: in Chromium, the organiser's grid of a
// schedule under review, open on a phone, shows a request placed from
// another tab, without a reload, and says the schedule changed; axe-core
// clean.
func TestGridShowsPlacementLive(t *testing.T) {
	o, c, _, eventPath := scheduledThenAsked(t)
	c.open(eventPath)
	c.submit("#incoming button.accept")
	c.mustSucceed("accepting the request")

	defer watchGridOnPhone(o, eventPath, 0)()
	other := o.tab()
	other.open(eventPath)
	other.submit("#unplaced a.place")
	other.waitFor("place mode", `!!document.querySelector("#placing")`)
	target := eval[string](other, `[...document.querySelectorAll("#schedule-grid button.place-here")].map(b => b.value).find(v => v.split("/")[0].endsWith("T0900")) || ""`)
	if target == "" {
		t.Fatal("no place at nine offered")
	}
	other.submit(`#schedule-grid button.place-here[value="` + target + `"]`)
	other.mustSucceed("placing the meeting")

	seesMeetingAt(o, "the placed meeting in the grid", target)
	o.expect("#grid-live", "The schedule was changed")
	o.checkPage()
	o.accessible()
}
