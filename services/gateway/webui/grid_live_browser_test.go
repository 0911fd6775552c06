package webui_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestGridShowsCancellationLive: in Chromium, the organiser's published
// grid, open on a phone, drops a meeting the researcher cancels, without
// a reload, and says so in a status line (the other party's badge counts
// it live too); the page stays free of axe
// violations. Someone who does not organise the event gets no live grid.
func TestGridShowsCancellationLive(t *testing.T) {
	o, c, r, eventPath := oneMeetingPublished(t)

	o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer o.do("desktop screen", chromedp.ResetViewport())
	o.open(eventPath)
	o.waitFor("the meeting in the grid", `document.querySelectorAll("#schedule-grid .meeting").length === 1`)
	o.waitFor("the grid's live updates", `document.querySelector("#schedule-grid").getAttribute("data-live-open") === "1"`)
	eval[bool](o, `(window.tandemNotReloaded = true)`)

	// The company, on another page, is told live too.
	c.open("/events")
	c.waitFor("the company's live notifications", `document.querySelector("#unread").getAttribute("data-live-open") === "1"`)
	unread := eval[string](c, `document.querySelector("#unread").textContent`)

	r.open(eventPath)
	r.submit("#my-agenda button.cancel-meeting")
	r.submit("#confirm")
	r.mustSucceed("cancelling the meeting")

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
