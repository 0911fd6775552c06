package webui_test

import (
	"net/url"
	"strings"
	"testing"
)

// fetchFeed fetches a calendar feed address from the page without the
// session cookie, as a calendar app would, and returns status and body.
func fetchFeed(u *user, address string) (int, string) {
	u.t.Helper()
	res := eval[[]any](u, `fetch(`+jsString(address)+`, {credentials: "omit"}).then(async r => [r.status, await r.text()])`)
	return int(res[0].(float64)), res[1].(string)
}

// oneMeetingPublished registers the company and the researcher (see
// twoRegistered); the researcher asks the company, which accepts, and the
// organiser publishes a schedule holding their one meeting.
func oneMeetingPublished(t *testing.T) (o, c, r *user, eventPath string) {
	t.Helper()
	o, c, r, eventPath = twoRegistered(t)
	companyID := eval[string](r, `[...document.querySelectorAll("#f-to option")].find(o => o.textContent.includes("Tagliamentoomics")).value`)
	r.set("#f-to", companyID)
	r.submit("#send-request")
	r.mustSucceed("sending the request")
	acceptAndPublish(c, o, eventPath)
	return o, c, r, eventPath
}

// acceptAndPublish has c accept its request and the organiser o close
// registration, schedule and publish.
func acceptAndPublish(c, o *user, eventPath string) {
	c.t.Helper()
	acceptAndGenerate(c, o, eventPath)
	o.submit("#publish-schedule")
	o.mustSucceed("publishing the schedule")
}

// TestCalendarFeedSubscription: in Chromium, a participant makes a private
// calendar address on the event page; fetched without a session it serves
// the agenda with the organiser and both parties; a cancellation reaches
// it as STATUS:CANCELLED at a higher SEQUENCE; a new address (asked
// first) retires the old one, and turning it off retires it too. Phone and
// desktop widths, no axe violation.
func TestCalendarFeedSubscription(t *testing.T) {
	_, c, r, eventPath := oneMeetingPublished(t)

	r.open(eventPath)
	r.expect("#calendar-feed", "private address")
	r.submit("#feed-make")
	r.mustSucceed("making a calendar address")
	first := eval[string](r, `document.querySelector("#feed-url").value`)
	if !strings.Contains(first, "/calendar-feeds/") || strings.Contains(r.location(), "calendar-feeds") {
		t.Fatalf("feed address %q (page %s)", first, r.location())
	}
	r.expect("#feed-url-hint", "shown only this once")
	r.expect("#feed-active", "made on")
	r.checkPage()
	r.accessible()
	r.shot("event-calendar-feed")
	r.fitsPhone("#feed-url", "the calendar address")

	code, body := fetchFeed(r, first)
	before := calendarEvents(t, body)
	if code != 200 || len(before) != 1 || before[0].status != "CONFIRMED" {
		t.Fatalf("the feed without a session = %d %+v\n%s", code, before, body)
	}
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, want := range []string{`ORGANIZER;CN=`, `ATTENDEE;CN="Tagliamentoomics`, `ATTENDEE;CN="Università degli Studi di Trieste`} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("the feed lacks %s:\n%s", want, body)
		}
	}

	// The company cancels: the feed carries the cancellation.
	c.open(eventPath)
	c.submit("#my-agenda button.cancel-meeting")
	c.submit("#confirm")
	c.mustSucceed("cancelling the meeting")
	code, body = fetchFeed(r, first)
	after := calendarEvents(t, body)
	if code != 200 || len(after) != 1 || after[0].uid != before[0].uid || after[0].status != "CANCELLED" || after[0].sequence <= before[0].sequence {
		t.Errorf("after the cancellation the feed = %d %+v, want %s cancelled above sequence %d", code, after, before[0].uid, before[0].sequence)
	}

	// A new address asks first, then retires the old one.
	r.open(eventPath)
	if r.has("#feed-url") {
		t.Error("the address is shown again after the page that made it")
	}
	r.submit("#feed-new")
	r.expect("#confirm-box", "stops working")
	r.checkPage()
	r.submit("#confirm")
	r.mustSucceed("making a new calendar address")
	second := eval[string](r, `document.querySelector("#feed-url").value`)
	if second == first {
		t.Fatal("the new address is the old one")
	}
	if code, _ := fetchFeed(r, first); code != 404 {
		t.Errorf("the replaced address answers %d, want 404", code)
	}
	if code, _ := fetchFeed(r, second); code != 200 {
		t.Errorf("the new address answers %d", code)
	}

	// Turning it off asks first; the address then answers 404.
	r.open(eventPath)
	r.submit("#feed-revoke")
	r.expect("#confirm-box", "no more updates")
	r.submit("#confirm")
	r.mustSucceed("turning the calendar address off")
	r.expect("#notice", "is off")
	r.expect("#calendar-feed", "Make a private address")
	if code, _ := fetchFeed(r, second); code != 404 {
		t.Errorf("the revoked address answers %d, want 404", code)
	}

	// Italian.
	r.open("/lang/it?next=" + url.QueryEscape(eventPath))
	r.expect("#calendar-feed", "indirizzo privato")
}
