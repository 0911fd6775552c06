package webui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestOrganiserPlacesUnscheduledRequest: in Chromium, a request accepted
// after the schedule was made is listed under "Accepted requests without a
// place"; the organiser chooses "Place", a place when the institute is
// away is not offered, its time saying why, and sent anyway is refused with
// the reason (in Italian for an Italian reader), and
// a free place in time holds it: the meeting is in the grid, locked, the
// list is empty and the figures count it. The page passes axe-core, also
// at phone width.
func TestOrganiserPlacesUnscheduledRequest(t *testing.T) {
	o, c, _, eventPath := scheduledThenAsked(t)
	if o.has("#schedule-grid .meeting") || o.has("#unplaced") {
		t.Fatalf("the schedule made before any acceptance holds something: %s", o.bodyText())
	}
	// Accepted now: the schedule does not hold it.
	c.open(eventPath)
	c.submit("#incoming button.accept")
	c.mustSucceed("accepting the request")

	o.open(eventPath)
	o.expect("#unplaced", "Accepted requests without a place (1)")
	o.expect("#unplaced", "Tagliamentoomics")
	o.submit("#unplaced a.place")
	o.waitFor("place mode", `!!document.querySelector("#placing")`)
	o.expect("#placing", "choose a free place")
	o.accessible()
	o.shot("event-schedule-placing")

	// At ten the institute is away: no place is offered then, the time
	// says why (in Italian for an Italian reader), and a place sent anyway
	// (a page left open, a drop) is refused with the reason, nothing placed.
	o.open("/lang/it?next=" + "%2F" + eventPath[1:])
	o.submit("#unplaced a.place")
	o.waitFor("place mode", `!!document.querySelector("#placing")`)
	o.expect("#placing", "Sono proposti solo i posti che il programma accetterebbe")
	offered := eval[[]string](o, `[...document.querySelectorAll("#schedule-grid button.place-here")].map(b => b.value.split("/")[0].slice(-4))`)
	if len(offered) == 0 || slices.ContainsFunc(offered, func(at string) bool { return at >= "1000" }) {
		t.Errorf("places offered at %v, want some, none from ten when the institute is away", offered)
	}
	rows := eval[[][]string](o, `[...document.querySelectorAll("#schedule-grid tbody tr")].map(tr => [tr.querySelector("td").dataset.to.split("/")[0].slice(-4), tr.querySelector("th .why")?.textContent || ""])`)
	for _, row := range rows {
		if away := row[0] >= "1000"; away != strings.Contains(row[1], "non è disponibile") {
			t.Errorf("the time %s says %q, want the institute away from ten only", row[0], row[1])
		}
	}
	o.do("send ten anyway", chromedp.Evaluate[chromedp.Void](`(b => b.value = b.value.replace(/T0900\//, "T1000/").replace(/T0930\//, "T1000/"))(document.querySelector("#schedule-grid button.place-here"))`))
	o.submit("#schedule-grid button.place-here")
	o.expect("#edit-problem", "non è disponibile")
	o.shot("event-schedule-place-refused-it")
	if o.has("#schedule-grid .meeting") {
		t.Fatal("a refused placement placed the meeting")
	}
	o.open("/lang/en?next=" + "%2F" + eventPath[1:])

	// At nine it fits: placed and locked, the list empty, the figures on.
	o.submit("#unplaced a.place")
	o.waitFor("place mode", `!!document.querySelector("#placing")`)
	target := eval[string](o, `[...document.querySelectorAll("#schedule-grid button.place-here")].map(b => b.value).find(v => v.split("/")[0].endsWith("T0900"))`)
	o.submit(`#schedule-grid button.place-here[value="` + target + `"]`)
	o.mustSucceed("placing the meeting")
	o.expect("#notice", "The meeting was placed")
	if got := eval[string](o, `document.querySelector("#schedule-grid .meeting").closest("td").dataset.to`); got != target {
		t.Errorf("the meeting is at %s, want %s", got, target)
	}
	o.expect("#schedule-grid .meeting", "Locked")
	if o.has("#unplaced") {
		t.Errorf("the placed request is still listed as without a place: %s", o.text("#unplaced"))
	}
	o.expect("#fig-placed", "1 /")
	o.expect("#fig-without", "0")
	o.accessible()

	t.Run("phone width", func(t *testing.T) {
		o := o.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		o.open(eventPath)
		o.expect("#schedule-grid .meeting", "Locked")
		o.accessible()
	})
}

// scheduledThenAsked is twoRegistered where the researcher, there at nine
// and half past only, asks the company (leaveAtTenAndAsk) and the
// organiser closes registration and makes the schedule before an answer.
func scheduledThenAsked(t *testing.T) (o, c, r *user, eventPath string) {
	t.Helper()
	o, c, r, eventPath = twoRegistered(t)
	leaveAtTenAndAsk(r)
	o.open(eventPath)
	o.submit("#close-registration")
	o.submit("#generate")
	o.mustSucceed("generating the schedule")
	return o, c, r, eventPath
}

// leaveAtTenAndAsk has the researcher, on the event page, say the
// institute is there at 09:00 and 09:30 only and ask the company to meet.
func leaveAtTenAndAsk(r *user) {
	r.t.Helper()
	r.do("leave at ten", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#availability-form input[name=slot]")].forEach((b, i) => b.checked = i < 2)`))
	r.submit("#save-availability")
	r.mustSucceed("saving availability")
	companyID := eval[string](r, `[...document.querySelectorAll("#f-to option")].find(o => o.textContent.includes("Tagliamentoomics")).value`)
	r.set("#f-to", companyID)
	r.submit("#send-request")
	r.mustSucceed("sending the request")
}
