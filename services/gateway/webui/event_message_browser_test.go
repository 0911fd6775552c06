package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOrganiserMessagesParticipants: in Chromium, the organiser writes to
// the participants of an event. An empty message and an empty choice are
// refused beside their fields; a message to all reaches the company (read
// in Italian, in its messages and its notifications), which answers in the
// thread; a message written from the researcher's row reaches only the
// researcher, in its own thread. The form is checked with axe-core and at
// phone width.
func TestOrganiserMessagesParticipants(t *testing.T) {
	o, c, r, eventPath := twoRegistered(t)

	o.open(eventPath + "/participants")
	o.submit("#message-participants")
	o.expect("main", "All 2 participants")
	o.accessible()
	// Nothing written: the error is beside the message field.
	o.submit("#send-event-message")
	o.expect("#problem", "Message")
	o.expect("#e-text", "is required")
	// "Only those ticked" with none ticked: the error is beside the list.
	o.click("#to-chosen")
	o.typeInto("#f-text", "Welcome to Trieste: the doors open at 8:30 in Hall B.")
	o.submit("#send-event-message")
	o.expect("#e-participant", "Tick at least one participant")
	o.accessible()
	o.shot("event-message-refused")
	o.click("#to-all")
	o.submit("#send-event-message")
	o.mustSucceed("writing to all participants")
	o.expect("#notice", "Your message was sent")

	// The company reads it in Italian, in its messages and its
	// notifications, and answers in the thread.
	c.open("/lang/it?next=%2Fmessages")
	deadline := time.Now().Add(45 * time.Second)
	for !strings.Contains(c.text("main"), "Trieste Partnering Day") {
		if time.Now().After(deadline) {
			t.Fatalf("the company never got the organiser's message: %s", c.bodyText())
		}
		c.open("/messages")
	}
	c.expect("#conversations", "Smart Health")
	c.submit("#conversations h2 a")
	c.expect("#thread", "doors open at 8:30")
	c.typeInto("#f-text", "Grazie, ci saremo con due persone.")
	c.submit("#send")
	c.mustSucceed("answering the organiser")
	c.expect("#thread", "ci saremo")
	c.shot("event-message-thread-it")
	for c.open("/notifications"); !strings.Contains(c.text("main"), "Nuovo messaggio da"); c.open("/notifications") {
		if time.Now().After(deadline) {
			t.Fatalf("no notification of the organiser's message: %s", c.bodyText())
		}
	}
	c.accessible()

	// The organiser reads the answer, then writes to the researcher alone
	// from its row.
	o.open("/messages")
	o.submit("#conversations h2 a")
	o.waitFor("the company's answer", `document.querySelector("#thread").textContent.includes("ci saremo")`)
	o.open(eventPath + "/participants")
	o.submit(`#participant-list a.write[aria-label*="Trieste"]`)
	if !eval[bool](o, `document.querySelector("#to-chosen").checked && [...document.querySelectorAll("#recipients input:checked")].length === 1`) {
		t.Fatalf("writing from a row does not tick that participant alone: %s", o.bodyText())
	}
	o.typeInto("#f-text", "Your table is the Galilei room, Foyer.")
	o.submit("#send-event-message")
	o.mustSucceed("writing to the researcher")
	o.expect("#notice", "Your message was sent")

	r.open("/messages")
	for !strings.Contains(r.text("main"), "Trieste Partnering Day") {
		if time.Now().After(deadline) {
			t.Fatalf("the researcher never got the organiser's messages: %s", r.bodyText())
		}
		r.open("/messages")
	}
	r.submit("#conversations h2 a")
	r.expect("#thread", "doors open at 8:30")
	r.expect("#thread", "Galilei room")
	c.open("/messages")
	c.submit("#conversations h2 a")
	if strings.Contains(c.text("#thread"), "Galilei room") {
		t.Error("the message to the researcher alone reached the company")
	}

	t.Run("phone width", func(t *testing.T) {
		o := o.in(t)
		o.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		o.open(eventPath + "/message")
		o.expect("main", "All 2 participants")
		o.accessible()
		o.do("desktop screen", chromedp.ResetViewport())
		// The researcher reads the organiser's messages on a phone.
		r := r.in(t)
		r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer r.do("desktop screen", chromedp.ResetViewport())
		r.open("/messages")
		r.submit("#conversations h2 a")
		r.expect("#thread", "Galilei room")
		r.accessible()
	})
}
