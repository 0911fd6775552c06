package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRegistrationAnswerErrorsLinkToTheirQuestions: in Chromium, answers
// the meetings service refuses (one too long, then a required one left
// blank) bring back the event page with the registration form as filled
// in; the error summary links the error to its question's box, which
// exists on that page and takes the focus, and the error also stands next
// to the box. Desktop and phone widths, no axe violation.
func TestRegistrationAnswerErrorsLinkToTheirQuestions(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	o := newUser(t, root, s.URL, "organiser")
	r := newUser(t, root, s.URL, "researcher")
	o.signIn("organizer")
	r.signIn("researcher")
	eventPath := createOpenEvent(o, "Trieste Partnering Day")
	o.open(eventPath)
	o.submit("#edit-event")
	o.typeInto("#f-registration_questions", "* What do you offer at this event?\nWhat do you seek?")
	o.submit("#save-event")
	o.mustSucceed("adding registration questions")

	r.open(eventPath)
	boxes := eval[[]string](r, `[...document.querySelectorAll("#register-form textarea")].map(t => t.id)`)
	if len(boxes) != 2 {
		t.Fatalf("the registration form has boxes %v, want two", boxes)
	}
	long := strings.Repeat("Sequencing services. ", 100) // over 2,000 characters
	r.typeInto("#"+boxes[0], "   ")                      // blank, though the browser lets it through
	r.typeInto("#"+boxes[1], long)
	r.submit("#register")

	// check finds the one error of the question of box, linked, focused
	// and shown next to the box, with what was typed kept.
	check := func(r *user, box, question string) {
		r.t.Helper()
		r.expect("#problem", question)
		links := eval[[]string](r, `[...document.querySelectorAll("#problem a")].map(a => a.getAttribute("href"))`)
		if strings.Join(links, " ") != "#"+box {
			r.t.Fatalf("the summary links to %v, want #%s", links, box)
		}
		if !r.has("#register-form #" + box) {
			r.t.Fatalf("the page with the summary has no box #%s: %s", box, r.bodyText())
		}
		r.click(`#problem a[href="#` + box + `"]`)
		r.waitFor("focus on "+box, `document.activeElement && document.activeElement.id === `+jsString(box))
		if !r.has("#e-"+box) || eval[string](r, `document.getElementById(`+jsString(box)+`).getAttribute("aria-invalid")`) != "true" {
			r.t.Errorf("the box #%s has no error next to it", box)
		}
		r.accessible()
	}
	// The service checks each answer first: the long one is refused.
	check(r, boxes[1], "What do you seek?: longer than 2000 characters")
	if got := eval[string](r, `document.getElementById(`+jsString(boxes[1])+`).value`); len(got) < 2000 {
		t.Errorf("the long answer was not kept: %d characters", len(got))
	}
	r.shot("event-register-answer-errors")
	// Shortened, the required answer left blank is refused next.
	r.typeInto("#"+boxes[1], "Sequencing services.")
	r.submit("#register")
	check(r, boxes[0], "What do you offer at this event?")

	t.Run("phone width", func(t *testing.T) {
		r := r.in(t)
		r.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer r.do("desktop screen", chromedp.ResetViewport())
		r.submit("#register")
		check(r, boxes[0], "What do you offer at this event?")
	})
}
