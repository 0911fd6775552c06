package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestOnTheDay: in Chromium, at an event held yesterday (its meeting over).
// The company's printed agenda carries a QR code of its check-in address;
// following it asks first, then checks the company in, and the agenda says
// so instead of the code. The researcher's page with a wrong code is
// refused. The organiser checks the researcher in from the participants
// who have not arrived, marks it absent from its meeting on the "On the
// day" page, takes that back and marks it again; the event's figures
// count the check-ins and the absence beside a bar per slot, and the
// event report (CSV) names the absent party. Desktop and phone widths,
// axe-core clean.
func TestOnTheDay(t *testing.T) {
	o, c, r, eventPath := twoRegisteredOn(t, -1)
	companyID := eval[string](r, `[...document.querySelectorAll("#f-to option")].find(o => o.textContent.includes("Tagliamentoomics")).value`)
	r.set("#f-to", companyID)
	r.submit("#send-request")
	r.mustSucceed("sending the request")
	acceptAndPublish(c, o, eventPath)
	o.expect("#fig-checkins", "0 / 2")
	o.expect("#load-chart", "1 / 3")

	// The company checks itself in with the QR code of its agenda.
	c.open(eventPath)
	c.open(eval[string](c, `document.querySelector("#participant a[href*='/agenda/']").getAttribute("href")`))
	if !c.has(".checkin svg.qr[role=img][aria-label^='QR code to check in']") {
		t.Fatalf("the printed agenda has no check-in QR code: %s", c.bodyText())
	}
	link := eval[string](c, `document.querySelector(".checkin-link").href`)
	if !strings.HasPrefix(link, c.base+"/events/") || !strings.Contains(link, "/checkin/") || !strings.Contains(link, "code=") {
		t.Fatalf("the check-in address is %q", link)
	}
	c.accessible()
	c.shot("event-agenda-checkin")
	c.open(strings.TrimPrefix(link, c.base))
	c.expect("#checkin", "Check in Tagliamentoomics")
	c.accessible()
	c.submit("#check-in")
	c.mustSucceed("checking in")
	c.expect("#notice", "Checked in")
	c.expect(".checked-in", "Checked in on")
	if c.has(".checkin svg.qr") {
		t.Error("the agenda still offers the QR code after the check-in")
	}

	// The researcher's page with a code that is not its own is refused.
	r.open(eventPath)
	agenda := eval[string](r, `document.querySelector("#participant a[href*='/agenda/']").getAttribute("href")`)
	pid := agenda[strings.LastIndex(agenda, "/")+1:]
	r.open(eventPath + "/checkin/" + pid + "?code=NOTTHECODE")
	r.submit("#check-in")
	r.expect("main", "not the one printed on your agenda")

	// The organiser checks the researcher in from those not arrived yet.
	o.open(eventPath + "/participants?show=not_checked_in")
	if strings.Contains(o.text("#participant-list"), "Tagliamentoomics") {
		t.Error("the checked-in company is listed among those not arrived")
	}
	o.submit("#participant-list button.check-in")
	o.mustSucceed("checking the researcher in")
	o.expect("#notice", "Checked in")
	o.open(eventPath + "/participants?show=checked_in")
	if n := eval[int](o, `document.querySelectorAll("#participant-list .checked-in").length`); n != 2 {
		t.Errorf("%d participants listed as checked in, want 2", n)
	}

	// On the day: the meeting that has begun; the researcher did not come.
	o.open(eventPath)
	o.open(eval[string](o, `document.querySelector("#day-link").getAttribute("href")`))
	o.expect("#arrivals", "Participants checked in: 2 / 2")
	o.expect("#day-meetings", "Tagliamentoomics")
	absentResearcher := "#day-meetings button.mark-absent:not([aria-label*='Tagliamentoomics'])"
	o.submit(absentResearcher)
	o.mustSucceed("marking the researcher absent")
	o.expect("#notice", "Marked as absent")
	if n := eval[int](o, `document.querySelectorAll("#day-meetings .tag.absent").length`); n != 1 {
		t.Fatalf("%d parties shown absent, want 1: %s", n, o.text("#day-meetings"))
	}
	o.accessible()
	o.shot("event-on-the-day")
	o.submit("#day-meetings button.undo-absent")
	o.expect("#notice", "taken back")
	if o.has("#day-meetings .tag.absent") {
		t.Error("the absence is still shown after taking it back")
	}
	o.submit(absentResearcher)
	o.mustSucceed("marking the researcher absent again")

	// The figures, the load chart and the report.
	o.open(eventPath)
	o.expect("#fig-checkins", "2 / 2")
	o.expect("#fig-noshows", "1")
	if n := eval[int](o, `document.querySelectorAll("#load-chart tbody tr").length`); n < 2 {
		t.Errorf("the load chart has %d slots", n)
	}
	if w := eval[string](o, `[...document.querySelectorAll("#load-chart rect.bar-fg")].map(r => r.getAttribute("width")).join(",")`); !strings.Contains(w, "33") {
		t.Errorf("the bars are %s wide, want one slot at 33 (1 of 3 tables)", w)
	}
	o.accessible()
	rows := csvRows(t, eval[string](o, `fetch(document.querySelector("#report-csv").href).then(r => r.text())`))
	if len(rows) != 2 || rows[0][7] != "absent" || rows[1][6] != "confirmed" || rows[1][7] == "" || strings.Contains(rows[1][7], "Tagliamentoomics") {
		t.Errorf("the event report = %q, want the meeting with the researcher absent", rows)
	}
	pdf := eval[string](o, `fetch(document.querySelector("#report-pdf").href).then(async r => r.headers.get("Content-Type") + "\n" + await r.text())`)
	if !strings.HasPrefix(pdf, "application/pdf\n%PDF-") || !strings.Contains(pdf, "(Absent)Tj") || !strings.Contains(pdf, "Tagliamentoomics") {
		t.Errorf("the PDF report begins %.60q and lacks the absence column or the company", pdf)
	}

	// At an event still to come, check-in is refused, saying when it opens.
	later := createEventOn(o, "Trieste Partnering Day 2", 7)
	c.open(later)
	c.submit("#register")
	c.mustSucceed("registering the company for the later event")
	o.open(later + "/participants")
	o.submit("#participant-list button.check-in")
	o.expect("main", "Check-in opens on the event's first day.")

	// On a phone.
	o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	o.open(eventPath + "/day")
	o.expect("#day-meetings", "Absent")
	o.accessible()
	o.shot("phone-event-on-the-day")
	o.open(eventPath)
	o.expect("#fig-noshows", "1")
	o.accessible()
	r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	r.open(agenda)
	r.expect("main", "Checked in on")
	r.accessible()
}

// acceptAndGenerate has the company accept its one incoming request, and
// the organiser close registration and generate the schedule.
func acceptAndGenerate(c, o *user, eventPath string) {
	c.t.Helper()
	c.open(eventPath)
	c.submit("#incoming button.accept")
	c.mustSucceed("accepting the request")
	o.open(eventPath)
	o.submit("#close-registration")
	o.submit("#generate")
	o.mustSucceed("generating the schedule")
}
