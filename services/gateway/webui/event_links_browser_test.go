package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEventNamesLinkToProfiles: in Chromium, the organiser's event page
// (its first participants and requests) and the full requests list link
// each participant's name to its profile page, as the participants list
// does; following the company's name in the requests list opens its
// profile. Both pages pass axe-core.
func TestEventNamesLinkToProfiles(t *testing.T) {
	o, _, r, eventPath := twoRegistered(t)
	leaveAtTenAndAsk(r)

	hrefs := func(o *user, sel string) []string {
		return eval[[]string](o, `[...document.querySelectorAll(`+jsString(sel)+`)].map(a => a.getAttribute("href") + " " + a.textContent)`)
	}
	wantLinks := func(o *user, where, sel string, n int) {
		o.t.Helper()
		got := hrefs(o, sel)
		if len(got) != n {
			o.t.Errorf("%s: %d names link to profiles (%q), want %d", where, len(got), got, n)
		}
		for _, h := range got {
			if !strings.HasPrefix(h, "/profiles/") {
				o.t.Errorf("%s: a name links to %q, not a profile page", where, h)
			}
		}
	}
	o.open(eventPath)
	wantLinks(o, "the event page's participants", "#participants td a.profile", 2)
	wantLinks(o, "the event page's requests", "#requests td a.profile", 2)
	o.accessible()

	o.open(eventPath + "/requests")
	wantLinks(o, "the requests list", "#request-list td a.profile", 2)
	o.accessible()
	o.submit(`#request-list td:nth-child(2) a.profile`)
	if !strings.HasPrefix(o.location(), "/profiles/") {
		t.Fatalf("the company's name led to %s", o.location())
	}
	o.expect("h1", "Tagliamentoomics")

	t.Run("phone width", func(t *testing.T) {
		o := o.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		o.open(eventPath + "/requests")
		wantLinks(o, "the requests list on a phone", "#request-list td a.profile", 2)
		o.accessible()
		o.open(eventPath)
		wantLinks(o, "the event page's requests on a phone", "#requests td a.profile", 2)
		o.accessible()
	})
}
