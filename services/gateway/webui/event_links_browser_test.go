package webui_test

import (
	"strings"
	"testing"
)

// TestEventNamesLinkToProfiles: in Chromium, the organiser's event page
// (its first participants and requests) and the full requests list link
// each participant's name to its profile page, as the participants list
// does; following the company's name in the requests list opens its
// profile. Both pages pass axe-core.
func TestEventNamesLinkToProfiles(t *testing.T) {
	o, _, r, eventPath := twoRegistered(t)
	leaveAtTenAndAsk(r)

	hrefs := func(sel string) []string {
		return eval[[]string](o, `[...document.querySelectorAll(`+jsString(sel)+`)].map(a => a.getAttribute("href") + " " + a.textContent)`)
	}
	wantLinks := func(where, sel string, n int) {
		t.Helper()
		got := hrefs(sel)
		if len(got) != n {
			t.Errorf("%s: %d names link to profiles (%q), want %d", where, len(got), got, n)
		}
		for _, h := range got {
			if !strings.HasPrefix(h, "/profiles/") {
				t.Errorf("%s: a name links to %q, not a profile page", where, h)
			}
		}
	}
	o.open(eventPath)
	wantLinks("the event page's participants", "#participants td a.profile", 2)
	wantLinks("the event page's requests", "#requests td a.profile", 2)
	o.accessible()

	o.open(eventPath + "/requests")
	wantLinks("the requests list", "#request-list td a.profile", 2)
	o.accessible()
	o.submit(`#request-list td:nth-child(2) a.profile`)
	if !strings.HasPrefix(o.location(), "/profiles/") {
		t.Fatalf("the company's name led to %s", o.location())
	}
	o.expect("h1", "Tagliamentoomics")
}
