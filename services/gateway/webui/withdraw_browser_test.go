package webui_test

import (
	"strings"
	"testing"
	"time"
)

// TestOrganiserWithdrawsParticipant: in Chromium, the organiser withdraws
// the company from the participants list; the confirmation page says that
// its one open request will be cancelled, "No, keep it" changes nothing,
// after the confirmed withdrawal the company stays listed as withdrawn
// (shown by the "Withdrawn" filter, not by "Taking part"), the cancelled
// request counts neither in the researcher's row nor in the event's
// figures, and the institute that asked for the meeting is told the
// request was cancelled.
func TestOrganiserWithdrawsParticipant(t *testing.T) {
	o, _, r, eventPath := twoRegistered(t)
	companyID := eval[string](r, `[...document.querySelectorAll("#f-to option")].find(o => o.textContent.includes("Tagliamentoomics")).value`)
	r.set("#f-to", companyID)
	r.submit("#send-request")
	r.mustSucceed("sending the request")

	o.open(eventPath + "/participants")
	withdrawCompany := `[...document.querySelectorAll("#participant-list tbody tr")].find(tr => tr.textContent.includes("Tagliamentoomics")).querySelector("button.withdraw")`
	o.waitFor("a Withdraw button on the company's row", "!!"+withdrawCompany)
	// Asked first, and "No, keep it" leaves the company registered.
	o.submit("button[aria-label^='Withdraw Tagliamentoomics']")
	o.expect("#confirm-box", "Withdraw this participant from the event?")
	o.expect("#confirm-detail", "1 open request and 0 confirmed meetings will be cancelled")
	o.expect("#confirm-detail", "Tagliamentoomics")
	o.checkPage()
	o.submit("#keep")
	o.waitFor("the company still withdrawable", "!!"+withdrawCompany)

	o.submit("button[aria-label^='Withdraw Tagliamentoomics']")
	o.submit("#confirm")
	o.mustSucceed("withdrawing the company")
	o.expect("#notice", "The participant was withdrawn")
	// The company stays listed, marked withdrawn and with nothing left to
	// do; the researcher's cancelled request is no longer counted.
	o.expect(`#participant-list tr.withdrawn`, "Tagliamentoomics")
	o.expect(`#participant-list tr.withdrawn .tag`, "Withdrawn")
	if eval[bool](o, "!!"+withdrawCompany) {
		t.Error("the withdrawn company can be withdrawn again")
	}
	sent := `[...document.querySelectorAll("#participant-list tbody tr")].find(tr => tr.textContent.includes("Trieste")).cells[2].textContent`
	if got := eval[string](o, sent); got != "0" {
		t.Errorf("the researcher's cancelled request still counts: sent %s", got)
	}
	o.checkPage()
	o.accessible()
	o.shot("event-participants-withdrawn")
	// Filters: those taking part, and the withdrawn.
	o.set("#f-show", "registered")
	o.submit("#apply-filter")
	if strings.Contains(o.text("#participant-list"), "Tagliamentoomics") {
		t.Error("the withdrawn company is listed among those taking part")
	}
	o.set("#f-show", "withdrawn")
	o.submit("#apply-filter")
	o.expect("#participant-list", "Tagliamentoomics")
	if strings.Contains(o.text("#participant-list"), "Trieste") {
		t.Error("the researcher is listed among the withdrawn")
	}
	o.open(eventPath)
	o.expect("#fig-requests", "0")

	// The institute's request is cancelled, and it is told.
	deadline := time.Now().Add(45 * time.Second)
	for {
		r.open("/notifications")
		if strings.Contains(r.bodyText(), "was cancelled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the institute was never told its request was cancelled: %s", r.bodyText())
		}
	}
	r.expect("main", "Tagliamentoomics")
}

// twoRegistered starts the stack and Chromium, signs the organiser, the
// company member and the researcher in, and registers the company and the
// university at a new open event, whose path it returns.
func twoRegistered(t *testing.T) (o, c, r *user, eventPath string) {
	t.Helper()
	return twoRegisteredOn(t, 7)
}

// twoRegisteredOn is twoRegistered for an event days from today.
func twoRegisteredOn(t *testing.T, days int) (o, c, r *user, eventPath string) {
	t.Helper()
	_, o, c, r, eventPath = twoRegisteredWith(t, days)
	return o, c, r, eventPath
}

// twoRegisteredWith is twoRegisteredOn that also returns the stack.
func twoRegisteredWith(t *testing.T, days int) (s *stack, o, c, r *user, eventPath string) {
	t.Helper()
	root := browser(t)
	s = startStack(t)
	o = newUser(t, root, s.URL, "organiser")
	c = newUser(t, root, s.URL, "company member")
	r = newUser(t, root, s.URL, "researcher")
	o.signIn("organizer")
	c.signIn("company")
	r.signIn("researcher")
	eventPath = createEventOn(o, "Trieste Partnering Day", days)
	c.open(eventPath)
	c.submit("#register")
	c.mustSucceed("registering the company")
	r.open(eventPath)
	r.submit("#register")
	r.mustSucceed("registering the institute")
	return s, o, c, r, eventPath
}
