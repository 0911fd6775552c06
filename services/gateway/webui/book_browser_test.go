package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSelfBookingReachesLiveGrid: in Chromium, at an event where
// participants book free slots themselves, the company accepts the
// request the institute sent from a phone once registration closed. The
// organiser makes no schedule. The company's event page offers the times
// when both are available (not ten, when the institute is away); the
// company books nine on a phone and the meeting is on both agendas, while
// the organiser's grid, open on a phone (there with no meeting before the
// booking), shows it without a reload and says a meeting was added; the
// institute is told in its notifications. Desktop and phone widths,
// axe-core clean.
func TestSelfBookingReachesLiveGrid(t *testing.T) {
	o, c, r, eventPath := twoRegistered(t)
	o.open(eventPath + "/edit")
	o.click("#f-booking_mode")
	o.submit("#save-event")
	o.mustSucceed("letting participants book free slots")
	o.expect("#notice", "The event was saved")

	// The institute sets its times and asks the company on a phone.
	r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	r.open(eventPath)
	leaveAtTenAndAsk(r)
	r.expect("#outgoing", "Tagliamentoomics")
	r.accessible()
	r.do("desktop screen", chromedp.ResetViewport())
	o.open(eventPath)
	o.submit("#close-registration")
	c.open(eventPath)
	c.submit("#incoming button.accept")
	c.mustSucceed("accepting the request")

	// The organiser makes no schedule: the grid shows the bookings, which
	// the participants made, not a published schedule.
	defer watchGridOnPhone(o, eventPath, 0)()
	o.expect("#schedule-status", "Booked by participants")
	if o.has("#publish-schedule") {
		t.Error("the organiser is offered to publish a schedule that does not exist")
	}

	// The company is offered nine and half past nine, not ten.
	c.open(eventPath)
	c.expect("#book", "Università degli Studi di Trieste")
	offered := eval[string](c, `[...document.querySelectorAll("#book select option")].map(o => o.value).join(",")`)
	slots := strings.Split(offered, ",")
	if len(slots) != 2 || !strings.HasSuffix(slots[0], "T0900") || !strings.HasSuffix(slots[1], "T0930") {
		t.Fatalf("the company is offered %q, want nine and half past nine only", offered)
	}
	c.accessible()
	c.shot("event-self-booking")

	c.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	c.open(eventPath)
	c.accessible()
	c.set("#book select", slots[0])
	c.submit("#book button.book")
	c.mustSucceed("booking nine")
	c.expect("#notice", "The meeting is booked")
	c.expect("#my-agenda", "Università degli Studi di Trieste")
	if c.has("#book") {
		t.Errorf("booking is still offered for the booked meeting: %s", c.text("#book"))
	}
	c.checkPage()
	c.accessible()
	c.do("desktop screen", chromedp.ResetViewport())

	// The organiser's grid shows it live.
	o.waitFor("the booked meeting in the grid at nine", `(() => { const m = document.querySelector("#schedule-grid .meeting"); return !!m && m.closest("td").dataset.to.startsWith(`+jsString(slots[0]+"/")+`); })()`)
	if !eval[bool](o, `window.tandemNotReloaded === true`) {
		t.Error("the organiser's page was reloaded")
	}
	o.expect("#grid-live", "was added")
	o.expect("#schedule-grid", "Tagliamentoomics")
	o.checkPage()
	o.accessible()

	// The institute has it on its agenda, on a desktop.
	r.open(eventPath)
	r.expect("#my-agenda", "Tagliamentoomics")
	if r.has("#book") {
		t.Error("the institute is offered to book a meeting already booked")
	}
	r.accessible()

	// The institute is told of the booking.
	for deadline := time.Now().Add(45 * time.Second); ; {
		r.open("/notifications")
		if strings.Contains(r.text("main"), "meeting with Tagliamentoomics") && strings.Contains(r.text("main"), "was booked") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the institute was never told of the booking: %s", r.bodyText())
		}
	}
}
