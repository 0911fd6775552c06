package webui_test

import (
	"strings"
	"testing"
)

// TestErrorsBesideFieldsAndPartnerLinks: in Chromium, the organiser's
// participants table links each participant's name to its profile page;
// and on the member forms the services' field violations stand beside
// their fields: a NACE code on the organisation form (read in Italian),
// an evidence row with neither reference, title nor URL, an evidence row
// without a kind and a year out of range on the competency form, the
// summary's link for the year putting the focus on that row's year. Each page
// with errors passes axe-core.
func TestErrorsBesideFieldsAndPartnerLinks(t *testing.T) {
	o, c, r, eventPath := twoRegistered(t)

	o.open(eventPath + "/participants")
	o.submit(`#participant-list a.profile[href^="/profiles/org/"]`)
	if !strings.HasPrefix(o.location(), "/profiles/org/") {
		t.Fatalf("the participant's name led to %s", o.location())
	}
	o.expect("h1", "Tagliamentoomics")

	// The organisation form, in Italian: the bad NACE code is named beside
	// the NACE field, which keeps what was typed.
	c.open("/lang/it?next=%2Forg")
	c.typeInto("#f-nace_codes", "72.11, 99.999")
	c.submit("#save-org")
	c.expect("#problem", "NACE")
	c.expect("#e-nace_codes", "deve essere un codice NACE Rev. 2")
	c.expect("#org-kind", "Azienda")
	if v := eval[string](c, `document.querySelector("#f-nace_codes").value`); !strings.Contains(v, "99.999") {
		t.Errorf("the NACE field lost what was typed: %q", v)
	}
	if eval[string](c, `document.querySelector("#f-nace_codes").getAttribute("aria-invalid")`) != "true" {
		t.Error("the NACE field is not marked invalid")
	}
	c.accessible()
	c.shot("organisation-errors-it")

	// The competency form: each evidence row's problem beside that row.
	r.open("/competencies")
	r.pickTerm("#f-term_id", "liver cirrhosis")
	r.set("#ev-kind-0", "EVIDENCE_KIND_PUBLICATION")
	r.typeInto("#ev-title-1", "Serum markers of hepatic fibrosis")
	r.typeInto("#ev-year-1", "1700")
	r.submit("#publish")
	r.expect("#problem", "Evidence")
	if !r.has("#e-evidence-1-year") {
		t.Fatalf("no error beside the second row's year: %s", r.bodyText())
	}
	// The summary's link for the year goes to the second row's year.
	r.click(`#problem a[href="#ev-year-1"]`)
	r.waitFor("focus on the second row's year", `document.activeElement && document.activeElement.id === "ev-year-1"`)
	r.typeInto("#ev-year-1", "2023")
	r.submit("#publish")
	r.expect("#e-evidence-0", "needs a reference, a title or a url")
	r.expect("#e-evidence-1-kind", "required")
	r.shot("competency-errors")
	r.accessible()
}
