package webui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
)

// TestCheckInCodeOnEventPage: in Chromium, on the event's day the
// company's own event page shows its check-in QR code, whose address
// checks it in, after which the code gives way; a participant whose
// registration predates check-in codes is offered one on its event page
// and gets it without registering again. At an event still to come the
// page shows no code. Desktop and phone widths, axe-core clean.
func TestCheckInCodeOnEventPage(t *testing.T) {
	s, o, c, r, eventPath := twoRegisteredWith(t, 0)

	c.open(eventPath)
	if !c.has("#my-checkin svg.qr[role=img][aria-label^='QR code to check in']") {
		t.Fatalf("the company's event page has no check-in QR code: %s", c.bodyText())
	}
	link := eval[string](c, `document.querySelector("#my-checkin .checkin-link").href`)
	if !strings.HasPrefix(link, c.base+eventPath+"/checkin/") || !strings.Contains(link, "code=") {
		t.Fatalf("the check-in address is %q", link)
	}
	c.checkPage()
	c.accessible()
	c.fitsPhone("#my-checkin svg.qr", "the QR code")
	c.open(strings.TrimPrefix(link, c.base))
	c.submit("#check-in")
	c.mustSucceed("checking in")
	c.open(eventPath)
	if c.has("#my-checkin") {
		t.Error("the event page still offers the check-in code after the check-in")
	}

	// The researcher registered before agendas carried a check-in code.
	r.open(eventPath)
	agenda := eval[string](r, `document.querySelector("#participant a[href*='/agenda/']").getAttribute("href")`)
	pid := agenda[strings.LastIndex(agenda, "/")+1:]
	forgetCheckInCode(t, s, pid)
	for deadline := time.Now().Add(30 * time.Second); ; {
		r.open(eventPath)
		if r.has("#get-checkin-code") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event page never offered a check-in code: %s", r.bodyText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.expect("#my-checkin", "no check-in code yet")
	if r.has("#my-checkin svg.qr") {
		t.Fatal("a QR code without a check-in code")
	}
	r.accessible()
	r.submit("#get-checkin-code")
	r.mustSucceed("getting the check-in code")
	r.expect("#notice", "check-in code is ready")
	if !r.has("#my-checkin svg.qr") || r.has("#get-checkin-code") {
		t.Fatalf("after asking, the event page shows no QR code: %s", r.text("#my-checkin"))
	}
	r.open(agenda)
	if !r.has(".checkin svg.qr") {
		t.Error("the printed agenda has no QR code after the code was issued")
	}

	// The organiser gets a code for a participant from the printable
	// agendas, on a phone and on a desktop.
	forgetCheckInCode(t, s, pid)
	button := ".get-checkin-code[aria-label*='Università degli Studi di Trieste']"
	for deadline := time.Now().Add(30 * time.Second); ; {
		o.open(eventPath + "/agendas")
		if o.has(button) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the printable agendas never offered the researcher a check-in code: %s", o.bodyText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	o.accessible()
	o.fitsPhone(button, "the button for a check-in code")
	o.submit(button)
	o.mustSucceed("getting the researcher's check-in code")
	o.expect("#notice", "check-in code is ready")
	if !strings.HasSuffix(o.location(), "#agenda-"+pid) {
		t.Errorf("after the code the organiser is at %s, want the researcher's agenda", o.location())
	}
	if !o.has("#checkin-"+pid+" svg.qr") || o.has(button) {
		t.Fatalf("after the organiser asked, the researcher's agenda shows no QR code: %s", o.text("#checkin-"+pid))
	}
	o.accessible()
	r.open(eventPath)
	if !r.has("#my-checkin svg.qr") {
		t.Error("the code the organiser got is not on the researcher's event page")
	}

	// An event a week ahead shows no code yet.
	later := createEventOn(o, "Gorizia Partnering Day", 7)
	r.open(later)
	r.submit("#register")
	r.mustSucceed("registering at the later event")
	if r.has("#my-checkin") {
		t.Error("the page of an event a week ahead shows a check-in code")
	}
}

// fitsPhone checks the page on a phone's screen, axe-core included, and
// that sel, named what, is no wider than the screen; then back to desktop.
func (u *user) fitsPhone(sel, what string) {
	u.t.Helper()
	u.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer u.do("desktop screen", chromedp.ResetViewport())
	u.checkPage()
	u.accessible()
	if eval[bool](u, `document.querySelector(`+jsString(sel)+`).getBoundingClientRect().right > window.innerWidth`) {
		u.t.Errorf("%s is wider than a phone's screen", what)
	}
}

// forgetCheckInCode stores participant pid as it was before registration
// set check-in codes, as the meetings service keeps it.
func forgetCheckInCode(t *testing.T, s *stack, pid string) {
	t.Helper()
	c := t.Context()
	store, err := eventkv.Open(c, s.JS, eventkv.Config{Bucket: "meetings", Stream: "TANDEM_MEETINGS", StreamSubjects: "tandem.meetings.v1.>", Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	cur, rev, err := store.Get(c, pid)
	if err != nil {
		t.Fatal(err)
	}
	// The participant as last stored: registered, or updated since.
	pa := cur.(interface {
		GetParticipant() *meetingsv1.Participant
	}).GetParticipant()
	pa.CheckInCode = ""
	pa.Version++
	if _, err := store.Update(c, pid, &eventsv1.ParticipantUpdated{
		EventId: fmt.Sprintf("legacy-%s-%d", pid, pa.GetVersion()), AggregateId: pid, AggregateVersion: pa.GetVersion(), ActorSubject: "system",
		BrokerageEventId: pa.GetEventId(), Participant: pa,
	}, rev); err != nil {
		t.Fatal(err)
	}
}
