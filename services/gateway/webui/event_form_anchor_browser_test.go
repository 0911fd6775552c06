package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEventFormSummaryLinksToFields: in Chromium, an error the service
// names on one item of a list links from the summary at the top of the
// event form to a control that exists, and following the link puts the
// focus on it: a table's name too long goes to the table names, a day's
// second session shorter than a meeting to the end of that day's break.
// The form with errors passes axe-core.
func TestEventFormSummaryLinksToFields(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	o := newUser(t, root, s.URL, "organiser")
	o.signIn("organizer")
	o.open("/events")
	o.typeInto("#f-name", "Trieste Partnering Day")
	fillDay(o)
	o.typeInto("#f-tables", "2")
	o.typeInto("#f-table_names", "Table 1\n"+strings.Repeat("Galilei ", 30))
	o.submit("#create-event")

	follow := func(o *user, what, link, want string) {
		o.t.Helper()
		o.expect("#problem", what)
		href := eval[string](o, `document.querySelector(`+jsString("#problem a[href='#"+link+"']")+`)?.getAttribute("href") || [...document.querySelectorAll("#problem a")].map(a => a.getAttribute("href")).join(" ")`)
		if href != "#"+link {
			o.t.Fatalf("the summary links to %q, want #%s", href, link)
		}
		if !eval[bool](o, `!!document.getElementById(`+jsString(link)+`)`) {
			o.t.Fatalf("the summary's link #%s names no element", link)
		}
		o.click(`#problem a[href="#` + link + `"]`)
		o.waitFor("focus on "+want, `document.activeElement && document.activeElement.id === `+jsString(want))
	}
	follow(o, "Tables by name (optional), line 2: longer than 200 characters", "f-table_names", "f-table_names")
	o.accessible()

	// The names fixed, a break leaving ten minutes before the end.
	o.typeInto("#f-table_names", "Table 1\nTable 2")
	o.set("#day-break-start-0", "10:00")
	o.set("#day-break-end-0", "10:20")
	o.submit("#create-event")
	follow(o, "shorter than one meeting", "day-break-end-0", "day-break-end-0")
	o.accessible()
	o.shot("event-form-error-link")

	t.Run("phone width", func(t *testing.T) {
		o := o.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		o.submit("#create-event")
		follow(o, "shorter than one meeting", "day-break-end-0", "day-break-end-0")
		o.accessible()
	})
}
