package webui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// unimplemented is the start of the message the UI shows when a service
// answers Unimplemented; a journey through such a service is skipped, and
// says which.
const unimplemented = "This part of Tandem is not available yet"

func skipIfUnimplemented(u *user, what string) {
	u.t.Helper()
	if strings.Contains(u.bodyText(), unimplemented) {
		u.t.Skipf("%s: the service answers Unimplemented", what)
	}
}

// TestJourneys walks every journey of the issue through the UI, in one
// browser, against the real services: each subtest is one person doing one
// thing, in the order a real cluster would.
func TestJourneys(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	company := newUser(t, root, s.URL, "company member")
	researcher := newUser(t, root, s.URL, "researcher")
	organizer := newUser(t, root, s.URL, "organiser")
	manager := newUser(t, root, s.URL, "cluster manager")
	var eventPath string

	t.Run("sign in", func(t *testing.T) {
		c := company.in(t)
		c.open("/login")
		c.shot("login")
		c.key("\t") // keyboard users land on the skip link first
		if got := eval[string](c, `document.activeElement.className`); got != "skip" {
			t.Errorf("first Tab focuses %q, want the skip link", got)
		}
		c.submit("#login-company")
		c.waitFor("the start page", `!!document.querySelector(".tiles")`)
		c.shot("home")
		researcher.in(t).signIn("researcher")
		organizer.in(t).signIn("organizer")
		manager.in(t).signIn("cluster-manager")
	})

	t.Run("company edits its profile", func(t *testing.T) {
		c := company.in(t)
		c.open("/org")
		c.typeInto("#f-website", "carso-dx dot example")
		c.typeInto("#f-description", "Blood tests for liver disease; we look for biomarker research partners.")
		c.click("#vis-VISIBILITY_PUBLIC")
		c.click("#sector-SECTOR_DIGITAL_HEALTH")
		c.submit("#save-org")
		// The profiles service rejects the website; the UI names the field.
		c.waitFor("the website error", `!!document.querySelector("#e-website")`)
		c.expect("#problem", "Website")
		c.expect("#org-kind", "Company") // the kind, which the form does not edit, survives the refusal
		if got := eval[string](c, `document.querySelector("#f-website").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("website field aria-invalid = %q, want true", got)
		}
		c.typeInto("#f-website", "https://carso-dx.example")
		c.submit("#save-org")
		c.mustSucceed("saving the organisation")
		c.expect("#notice", "Saved")
		if got := eval[string](c, `document.querySelector("#f-description").value`); !strings.Contains(got, "biomarker research partners") {
			t.Errorf("description after save = %q", got)
		}
		if !eval[bool](c, `document.querySelector("#vis-VISIBILITY_PUBLIC").checked && document.querySelector("#sector-SECTOR_DIGITAL_HEALTH").checked && document.querySelector("#f-contact\\.consent_to_share").checked`) {
			t.Error("visibility, sector or consent not kept after save")
		}
		c.shot("organisation")
	})

	t.Run("researcher edits their profile", func(t *testing.T) {
		r := researcher.in(t)
		r.open("/me")
		r.typeInto("#f-orcid", "0000-0002-1825-0090") // wrong check digit
		r.typeInto("#f-bio", "Liver fibrosis, transcriptomics and biomarker discovery.")
		r.submit("#save-me")
		r.waitFor("the ORCID error", `!!document.querySelector("#e-orcid")`)
		r.typeInto("#f-orcid", "0000-0002-1825-0097")
		r.submit("#save-me")
		r.mustSucceed("saving the profile")
		r.expect("#notice", "Saved")
	})

	t.Run("researcher publishes competencies with evidence", func(t *testing.T) {
		r := researcher.in(t)
		r.open("/competencies")
		skipIfUnimplemented(r, "competencies")
		label := r.pickTerm("#f-term_id", "liver cirrhosis")
		if !eval[bool](r, `document.querySelector("input[name=term_id]").value.startsWith("MESH:")`) {
			t.Fatalf("choosing %q did not set a MeSH term id", label)
		}
		r.set("#f-level", "COMPETENCY_LEVEL_EXPERT")
		r.typeInto("#f-description", "Non-invasive staging of liver fibrosis.")
		r.set("#ev-kind-0", "EVIDENCE_KIND_PUBLICATION")
		r.typeInto("#ev-ref-0", "10.1000/liver.2023.42")
		r.typeInto("#ev-title-0", "Serum markers of hepatic fibrosis")
		r.typeInto("#ev-year-0", "2023")
		r.submit("#publish")
		r.mustSucceed("publishing a competency")
		r.expect("#my-competencies", label)
		r.expect("#my-competencies", "Serum markers of hepatic fibrosis")

		// Without choosing from the list, the UI offers the closest terms.
		r.typeInto("#f-term_id", "transcriptomics")
		r.submit("#publish")
		r.waitFor("term candidates", `document.querySelectorAll("input[id^=cand-]").length > 0`)
		r.click("#cand-0")
		r.submit("#publish")
		r.mustSucceed("publishing a second competency")
		r.expect("#my-competencies", "Transcriptomics")
		r.shot("competencies")
	})

	t.Run("researcher creates an offer and a company a request", func(t *testing.T) {
		r := researcher.in(t)
		r.open("/offers")
		skipIfUnimplemented(r, "cooperation profiles")
		r.set("#f-kind", "COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER")
		r.typeInto("#f-title", "Serum biomarker panel for liver fibrosis")
		r.typeInto("#f-summary", "A validated panel of serum markers that stages liver fibrosis without biopsy.")
		r.pickTerm("#f-term-search", "liver cirrhosis")
		r.click("#ocollab-COLLABORATION_TYPE_CONTRACT_RESEARCH")
		r.set("#f-trl", "4")
		r.click("#f-publish")
		r.submit("#create-offer")
		r.mustSucceed("creating an offer")
		r.expect("#my-offers", "Serum biomarker panel")
		r.expect("#my-offers", "Published")
		r.shot("offers")

		c := company.in(t)
		c.open("/offers")
		c.set("#f-kind", "COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST")
		c.typeInto("#f-title", "Organ-on-chip liver model wanted")
		c.typeInto("#f-summary", "We look for a partner with an organ-on-chip liver model to validate our tests.")
		c.pickTerm("#f-term-search", "organ-on-a-chip")
		c.click("#f-publish")
		c.submit("#create-offer")
		c.mustSucceed("creating a request")
		c.expect("#my-offers", "Organ-on-chip liver model wanted")
	})

	t.Run("company finds partners, saves, contacts and dismisses", func(t *testing.T) {
		// The demo data invents no contacts for real bodies: the
		// researcher's university gets a test one, to be shared on contact.
		ctx := s.admin(t)
		found, err := s.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: "tandem-demo:units", PageSize: 1})
		if err != nil || len(found.GetOrganizations()) != 1 {
			t.Fatalf("the researcher's university: %v, %v", found.GetOrganizations(), err)
		}
		units := found.GetOrganizations()[0]
		units.Contact = &profilesv1.Contact{Name: "Technology transfer office (test)", Email: "tto@units.example", ConsentToShare: true}
		if _, err := s.Profiles.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
			Organization: units, ExpectedVersion: units.GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"contact"}},
		}); err != nil {
			t.Fatal(err)
		}
		c := company.in(t)
		c.open("/partners")
		c.typeInto("#f-text", "liver fibrosis biomarkers")
		c.submit("#find")
		skipIfUnimplemented(c, "matching")
		// Matching learns of new profiles from their events: ask again until
		// the researcher's institute is among the suggestions.
		deadline := time.Now().Add(45 * time.Second)
		for !eval[bool](c, `[...document.querySelectorAll(".suggestion h3")].some(h => h.textContent.includes("Università degli Studi di Trieste"))`) {
			if time.Now().After(deadline) {
				t.Fatalf("the institute was never suggested: %s", c.bodyText())
			}
			c.submit("#find")
		}
		if !c.has(".suggestion .reasons li") {
			t.Fatal("suggestions come without explanations")
		}
		c.shot("partners")
		c.submit(`.suggestion button.secondary`) // save
		c.expect("#notice", "Saved to your list")
		c.submit(`.suggestion form:nth-of-type(2) button`) // contact
		c.waitFor("the contact request form", `!!document.querySelector("#contact-form")`)
		// The profile it is addressed to shows the contact details its
		// owner shares.
		c.submit("#contact-to")
		c.waitFor("the contact details", `!!document.querySelector("#contact-details")`)
		c.expect("#contact-details", "@")
	})

	t.Run("saved search gets new matches live", func(t *testing.T) {
		c := company.in(t)
		c.open("/partners?text=" + url.QueryEscape("liver fibrosis biomarkers"))
		skipIfUnimplemented(c, "matching")
		c.typeInto("#f-name", "Liver fibrosis biomarkers")
		c.submit("#save-search-button")
		skipIfUnimplemented(c, "saved searches")
		c.mustSucceed("saving the search")
		c.expect("#search-list", "Liver fibrosis biomarkers")
		c.waitFor("the live connection", `document.querySelector("#live-status").textContent.includes("Watching")`)

		// A new research group joins and publishes a matching competency.
		ctx := s.admin(t)
		org, err := s.Profiles.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL, Name: "Hepatology Research Hospital (test)",
			CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
			Description: "Clinical research on liver fibrosis and its biomarkers.",
		}})
		if err != nil {
			t.Fatal(err)
		}
		// Competencies learns of the new organisation from its event.
		deadline := time.Now().Add(45 * time.Second)
		for {
			_, err := s.Comp.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org.GetOrganization().GetId()}},
				TermId: "MESH:D008103", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Description: "Liver fibrosis biomarkers in patients.",
			}})
			if err == nil {
				break
			}
			if status.Code(err) != codes.FailedPrecondition || time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.waitFor("the new match", `document.querySelector("#live-matches").textContent.includes("Hepatology Research Hospital")`)
		c.shot("saved-searches")
	})

	t.Run("company dismisses a suggestion with a reason", func(t *testing.T) {
		c := company.in(t)
		c.open("/partners?text=" + url.QueryEscape("liver fibrosis biomarkers"))
		skipIfUnimplemented(c, "matching")
		if !c.has(".suggestion") {
			t.Skip("no suggestion to dismiss")
		}
		name := c.text(".suggestion h3")
		c.click(".suggestion details.dismiss summary")
		c.set(".suggestion details.dismiss select", "DISMISS_REASON_ALREADY_PARTNER")
		c.submit(".suggestion details.dismiss button")
		c.expect("#notice", "dismissed")
		if eval[bool](c, `[...document.querySelectorAll(".suggestion h3")].some(h => h.textContent === `+jsString(name)+`)`) {
			t.Errorf("%q is still suggested after being dismissed", name)
		}
	})

	t.Run("organiser creates and configures an event", func(t *testing.T) {
		o := organizer.in(t)
		o.open("/events")
		skipIfUnimplemented(o, "meetings")
		eventPath = createOpenEvent(o, "Smart Health Brokerage Day")
		o.expect("#event-status", "Registration open")
	})

	t.Run("participants register, set availability, request and answer", func(t *testing.T) {
		if eventPath == "" {
			t.Skip("no event")
		}
		c := company.in(t)
		c.open("/events")
		c.submit(`#event-list a`)
		// Suggestions are for participants: before registering, the page says so.
		c.expect("#suggest-status", "Register for this event")
		c.submit("#register")
		c.mustSucceed("registering the company")
		c.click(`#availability-form input[name=slot]`) // not available in the first slot
		c.submit("#save-availability")
		c.mustSucceed("setting availability")
		c.expect("#notice", "availability")

		r := researcher.in(t)
		r.open(eventPath)
		r.submit("#register")
		r.mustSucceed("registering the institute")
		// Matching learns of the registrations from the meetings events:
		// until it has, the section says suggestions are coming.
		company := `[...document.querySelectorAll("#event-suggestions .suggestion")].find(li => li.querySelector("h3").textContent.includes("Tagliamentoomics"))`
		deadline := time.Now().Add(45 * time.Second)
		for !eval[bool](r, `!!`+company) {
			if r.has("#suggest-status") {
				if got := r.text("#suggest-status"); !strings.Contains(got, "a few seconds after registration") {
					t.Fatalf("no in-event suggestion and no word why: %q", got)
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the company was never suggested at the event: %s", r.text("#suggestions"))
			}
			r.open(eventPath)
		}
		if !eval[bool](r, company+`.querySelectorAll(".reasons li").length > 0`) {
			t.Error("the in-event suggestion comes without explanations")
		}
		if eval[bool](r, `[...document.querySelectorAll("#event-suggestions h3")].some(h => h.textContent.includes("Università degli Studi di Trieste"))`) {
			t.Error("the institute is suggested to itself")
		}
		r.shot("event-suggestions")
		want := eval[string](r, company+`.querySelector("a.request-from-suggestion").dataset.to`)
		nth := eval[int](r, `[...document.querySelectorAll("#event-suggestions > li")].indexOf(`+company+`) + 1`)
		r.submit(fmt.Sprintf("#event-suggestions > li:nth-child(%d) a.request-from-suggestion", nth))
		if got := eval[string](r, `document.querySelector("#f-to").value`); got != want || want == "" {
			t.Fatalf("the request form asks %q, want the suggested participant %q", got, want)
		}
		if got := eval[string](r, `document.querySelector("#f-to").selectedOptions[0].textContent`); !strings.Contains(got, "Tagliamentoomics") {
			t.Fatalf("the request form asks %q, want the company", got)
		}
		r.set("#f-priority", "MEETING_PRIORITY_MUST")
		r.typeInto("#f-message", "We would like to discuss validating your blood tests.")
		r.submit("#send-request")
		r.mustSucceed("sending a meeting request")
		r.expect("#outgoing", "Tagliamentoomics")
		// Asked once, the company's card offers the request, not a second one.
		r.open(eventPath)
		if eval[bool](r, `!!`+company+` && !!`+company+`.querySelector("a.request-from-suggestion")`) {
			t.Error("the suggestion card still offers a request to a participant already asked")
		}

		c.open(eventPath)
		c.expect("#incoming", "Università degli Studi di Trieste")
		c.submit("#incoming button.accept")
		c.mustSucceed("accepting the request")
		c.expect("#incoming", "Accepted")
	})

	t.Run("organiser generates, reviews and publishes the schedule", func(t *testing.T) {
		if eventPath == "" {
			t.Skip("no event")
		}
		o := organizer.in(t)
		o.open(eventPath)
		o.expect("#fig-requests", "1")
		o.expect("#fig-acceptance", "100%")
		o.expect("#participants", "Tagliamentoomics")
		o.submit("#close-registration")
		o.mustSucceed("closing registration")
		o.submit("#generate")
		o.mustSucceed("generating the schedule")
		o.waitFor("a meeting in the grid", `document.querySelectorAll("#schedule-grid .meeting").length === 1`)
		o.expect("#schedule-grid", "Tagliamentoomics")
		o.expect("#schedule-grid", "Università degli Studi di Trieste")
		// The company is not available in the first slot: the meeting is not there.
		if eval[bool](o, `!!document.querySelector("#schedule-grid tbody tr:first-child .meeting")`) {
			t.Error("the meeting was placed in a slot the company is not available in")
		}
		o.click("#schedule-grid .who")
		if n := eval[int](o, `document.querySelectorAll("#schedule-grid .who.hl").length`); n != 1 {
			t.Errorf("highlighting a participant marks %d names, want 1", n)
		}
		o.shot("schedule-grid")
		o.submit("#publish-schedule")
		o.mustSucceed("publishing the schedule")
		o.expect("#event-status", "Schedule published")
		o.submit("#fill")
		o.mustSucceed("filling free slots")
		// Nothing new to place: the summary says the published meeting stays.
		o.expect("#fill-summary", "added meetings (marked New): 0")
		o.expect("#fill-summary", "kept where they were, none moved: 1")
		o.checked()
		o.open(eventPath + "/agendas")
		o.expect("main", "Tagliamentoomics")
		o.checked()
		ics := eval[string](o, `fetch(document.querySelector("a[download]").href).then(r => r.text())`)
		if !strings.HasPrefix(ics, "BEGIN:VCALENDAR") {
			t.Errorf("agenda download is not iCalendar: %.80q", ics)
		}
	})

	t.Run("participant sees and exports their agenda", func(t *testing.T) {
		if eventPath == "" {
			t.Skip("no event")
		}
		c := company.in(t)
		c.open(eventPath)
		c.expect("#my-agenda", "Università degli Studi di Trieste")
		ics := eval[string](c, `fetch(document.querySelector("#download-ics").href).then(r => r.text())`)
		if !strings.Contains(ics, "BEGIN:VEVENT") {
			t.Errorf("own calendar has no meeting: %.200q", ics)
		}
		c.shot("event-participant")
		c.checked()
	})

	t.Run("notification centre", func(t *testing.T) {
		if eventPath == "" {
			t.Skip("no event")
		}
		c := company.in(t)
		deadline := time.Now().Add(45 * time.Second)
		for {
			c.open("/notifications")
			body := c.bodyText()
			if strings.Contains(body, "asks to meet you") && strings.Contains(body, "is published") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("notifications never arrived: %s", body)
			}
		}
		c.shot("notifications")
		r := researcher.in(t)
		r.open("/notifications")
		r.expect("#notes", "answered your meeting request")
	})

	t.Run("cluster manager dashboard", func(t *testing.T) {
		m := manager.in(t)
		m.open("/dashboard")
		m.expect("#by-kind", "Company")
		m.expect("#by-sector", "Diagnostics")
		if !m.has("#coverage svg .row.unmet") {
			t.Errorf("the coverage chart highlights no unmet need: %s", m.text("#coverage"))
		}
		// The network follows the event streams: look again until the pair
		// that met (and that contacted each other) is drawn.
		deadline := time.Now().Add(45 * time.Second)
		for !m.has("#network svg line.edge title") {
			if time.Now().After(deadline) {
				t.Fatalf("the collaboration network shows no pair: %s", m.text("#network"))
			}
			m.open("/dashboard")
		}
		m.shot("dashboard")
		m.checked()
	})

	t.Run("Italian", func(t *testing.T) {
		c := company.in(t)
		c.open("/partners")
		c.submit("#lang-switch")
		if got := eval[string](c, `document.documentElement.lang`); got != "it" {
			t.Fatalf("after the switch the page is in %q", got)
		}
		c.expect("nav", "Trova partner")
		for _, p := range []string{"/", "/org", "/competencies", "/offers", "/events", "/notifications", "/searches"} {
			c.open(p)
		}
		if eventPath != "" {
			c.open(eventPath)
		}
		c.shot("partners-it")
		c.submit("#lang-switch")
	})

	t.Run("phone width", func(t *testing.T) {
		c := company.in(t)
		c.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		defer c.do("desktop screen", chromedp.ResetViewport())
		for _, p := range []string{"/", "/org", "/partners?text=liver", "/competencies", "/events", "/notifications"} {
			c.open(p)
		}
		if eventPath != "" {
			c.open(eventPath)
		}
		c.open("/partners?text=" + url.QueryEscape("liver fibrosis biomarkers"))
		c.shot("phone-partners")
	})
}

// admin returns a context that calls the services as an administrator.
func (s *stack) admin(t *testing.T) context.Context {
	t.Helper()
	tok, _, err := s.Authority.Issue(auth.Principal{Subject: "test-admin", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func jsString(s string) string {
	return "`" + strings.NewReplacer("`", "\\`", "\\", "\\\\", "${", "\\${").Replace(s) + "`"
}
