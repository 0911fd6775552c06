package webui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// demoOrg finds the id of a demo user's organisation by its slug.
func demoOrg(t *testing.T, s *stack, slug string) string {
	t.Helper()
	found, err := s.Profiles.ListOrganizations(s.admin(t), &profilesv1.ListOrganizationsRequest{ExternalId: "tandem-demo:" + slug, PageSize: 1})
	if err != nil || len(found.GetOrganizations()) != 1 {
		t.Fatalf("demo organisation %s: %v, %v", slug, found.GetOrganizations(), err)
	}
	return found.GetOrganizations()[0].GetId()
}

func orgRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
}

// TestMemberJourneys walks a company member's arrival: suggestions without
// typing anything, partner names that lead to profiles, and saved partners.
func TestMemberJourneys(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	company := newUser(t, root, s.URL, "company member")
	researcher := newUser(t, root, s.URL, "researcher")
	manager := newUser(t, root, s.URL, "cluster manager")

	t.Run("sign in", func(t *testing.T) {
		company.in(t).signIn("company")
		researcher.in(t).signIn("researcher")
		manager.in(t).signIn("cluster-manager")
	})

	t.Run("partners page opens with suggestions", func(t *testing.T) {
		// The company states a technology request and the university a
		// competency on the same term, as members do; the company then
		// types nothing.
		ctx := s.admin(t)
		companyID, unitsID := demoOrg(t, s, "company-026"), demoOrg(t, s, "units")
		liver := "MESH:D008103"
		deadline := time.Now().Add(45 * time.Second)
		for {
			_, err := s.Comp.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: orgRef(unitsID), TermId: liver, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT,
				Description: "Staging of liver fibrosis with serum biomarkers.",
			}})
			if err == nil {
				break
			}
			if status.Code(err) != codes.FailedPrecondition || time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // polling interval: competencies learns of the organisation from its event
		}
		if _, err := s.Comp.CreateCooperationProfile(ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(companyID), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST,
			Title: "Serum biomarkers of liver fibrosis wanted", Summary: "We look for validated serum markers to stage liver fibrosis.",
			TermIds: []string{liver}, Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}}); err != nil {
			t.Fatal(err)
		}
		c := company.in(t)
		// Matching learns of the demo profiles and of the request from
		// their events: look again until the read model has them (until
		// then the page suggests from the organisation's description).
		deadline = time.Now().Add(60 * time.Second)
		fromProfile := fmt.Sprintf(`!!document.querySelector(".suggestion h3 a") && (document.querySelector("#from-profile")?.innerText ?? "").includes(%q)`,
			"from your organisation's profile")
		for {
			c.open("/partners")
			if eval[bool](c, fromProfile) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no suggestion on arrival: %s", c.bodyText())
			}
			time.Sleep(200 * time.Millisecond) // a poll interval, not synchronisation: the page is reloaded and checked
		}
		c.expect("#from-profile", "from your organisation's profile")
		if c.has("#empty-need") {
			t.Error("arrival says the need was empty though nothing was submitted")
		}
		if c.has("#save-search") {
			t.Error("arrival offers to save a search with nothing in it")
		}
		// Pressing the button with nothing typed shows the same
		// suggestions and says why.
		c.submit("#find")
		c.expect("#empty-need", "did not describe a need")
		if !c.has(".suggestion .reasons li") {
			t.Error("suggestions on arrival come without explanations")
		}
		href := eval[string](c, `document.querySelector(".suggestion h3 a").getAttribute("href")`)
		if !strings.HasPrefix(href, "/profiles/") {
			t.Fatalf("partner name links to %q, want a profile page", href)
		}
		name := c.text(".suggestion h3 a")
		c.submit(".suggestion h3 a")
		c.mustSucceed("opening the partner's profile")
		c.expect("main", strings.TrimSpace(name))
	})

	t.Run("rich profile pages", func(t *testing.T) { richProfiles(t, s, company, researcher) })

	t.Run("researcher edits and retracts", func(t *testing.T) { researcherEdits(t, s, researcher) })

	t.Run("participant directory", func(t *testing.T) { participantDirectory(t, s, company) })

	t.Run("home pages by role", func(t *testing.T) { homePages(t, s, root, company, researcher) })

	t.Run("save a partner and find it again", func(t *testing.T) {
		c := company.in(t)
		c.open("/partners")
		name := strings.TrimSpace(c.text(".suggestion h3"))
		c.submit(`.suggestion button.secondary`) // save
		c.expect("#notice", "Saved to your list")
		c.open("/partners/saved")
		c.mustSucceed("listing saved partners")
		c.expect("#saved-partners", name)
		c.shot("saved-partners")
		c.submit("#saved-partners .card button")
		c.expect("#notice", "Removed")
		if strings.Contains(c.text("main"), name) {
			t.Errorf("%q is still listed after removing it", name)
		}
		c.expect("#no-saved", "not saved any partner")
	})

	t.Run("contact a partner, the other side answers in Italian", func(t *testing.T) {
		// Both sides want e-mail at once: the university in Italian.
		r := researcher.in(t)
		r.open("/lang/it?next=%2F")
		r.wantsMail(researcherMail, "it")
		c := company.in(t)
		c.wantsMail(companyMail, "en")
		// "Contact" on a suggestion opens a contact request to it.
		c.open("/partners")
		c.submit(`.suggestion form input[value="FEEDBACK_KIND_CONTACTED"] ~ button`)
		if loc := c.location(); !strings.HasPrefix(loc, "/messages/new?to=") {
			t.Fatalf("Contact leads to %s, want a contact request form", loc)
		}
		c.expect("#contact-form", "")
		// The university is contacted from its profile page.
		unitsID := demoOrg(t, s, "units")
		c.open("/profiles/org/" + unitsID)
		c.submit("#contact-link")
		c.submit("#send-contact")
		c.expect("#problem", "Message")
		c.typeInto("#f-topic", "Liver fibrosis biomarkers")
		c.typeInto("#f-message", "We look for validated serum markers to stage liver fibrosis. Could we talk?")
		c.submit("#send-contact")
		c.mustSucceed("sending a contact request")
		c.expect("#notice", "contact request was sent")
		c.expect("#thread", "validated serum markers")
		c.expect("#waiting", "Waiting")
		c.shot("contact-request")

		// The request reaches the university by e-mail, through the SMTP
		// server, in Italian, with a link to the conversation.
		path := mailedLink(t, s, researcherMail, "validated serum markers", "vorrebbe mettersi in contatto con voi")
		r.open("/messages")
		r.expect("#awaiting", "1 richiesta di contatto attende la tua risposta")
		if got := eval[string](r, `document.querySelector("#conversations li.awaiting h2 a").getAttribute("href")`); got != path {
			t.Errorf("the mail links to %s, the list to %s", path, got)
		}
		r.open(path)
		r.expect("#thread", "validated serum markers")
		r.typeInto("#f-message", "Volentieri: misuriamo la fibrosi con marcatori sierici.")
		r.submit("#accept")
		r.mustSucceed("accepting the contact request")
		r.expect("#notice", "Hai accettato")
		r.expect("#conversation-status", "Accettata")
		r.expect("#thread", "marcatori sierici")
		r.shot("thread-it")
		// The answer reaches the company by e-mail, in English.
		mailedLink(t, s, companyMail, "marcatori sierici", "accepted your contact request")

		// The notification centre follows the messaging events: look again
		// until the answer is in.
		deadline := time.Now().Add(30 * time.Second)
		for c.open("/notifications"); !strings.Contains(c.text("main"), "answered your contact request"); c.open("/notifications") {
			if time.Now().After(deadline) {
				t.Fatalf("no notification of the answer: %s", c.bodyText())
			}
			time.Sleep(200 * time.Millisecond) // a poll interval: the page is reloaded and checked
		}
		c.open("/messages")
		c.submit("#conversations h2 a")
		c.expect("#thread", "marcatori sierici")
		c.typeInto("#f-text", "Shall we meet at the brokerage day?")
		c.submit("#send")
		c.mustSucceed("writing in the thread")
		c.expect("#thread", "brokerage day")

		r.open("/messages")
		r.submit("#conversations h2 a")
		r.expect("#thread", "brokerage day")
	})

	t.Run("browse the marketplace and express interest", func(t *testing.T) {
		// The university publishes an offer with a deadline, as researchers do.
		if _, err := s.Comp.CreateCooperationProfile(s.admin(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(demoOrg(t, s, "units")), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
			Title: "Staging liver fibrosis with serum markers", Summary: "Validated cohorts and assays for non-invasive staging of liver fibrosis.",
			TermIds: []string{"MESH:D008103"}, Trl: 6, Deadline: timestamppb.New(time.Now().AddDate(1, 0, 0)),
			CollaborationTypes: []competenciesv1.CollaborationType{competenciesv1.CollaborationType_COLLABORATION_TYPE_CONTRACT_RESEARCH},
			Status:             competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}}); err != nil {
			t.Fatal(err)
		}
		c := company.in(t)
		c.open("/marketplace")
		if !c.has("#listings .listing") {
			t.Fatalf("the marketplace lists nothing: %s", c.bodyText())
		}
		c.click("#mkind-COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER")
		c.click("#market-form details summary")
		c.typeInto("#f-nuts", "ITH4")
		c.click("#mcollab-COLLABORATION_TYPE_CONTRACT_RESEARCH")
		c.set("#f-open_until", time.Now().AddDate(0, 6, 0).Format(time.DateOnly))
		c.submit("#market-search")
		c.mustSucceed("filtering the marketplace")
		if !c.has("#listings .listing") {
			t.Fatalf("no technology offer in ITH4: %s", c.bodyText())
		}
		for _, kind := range eval[[]string](c, `[...document.querySelectorAll("#listings .listing .kind")].map(e => e.textContent)`) {
			if kind != "Technology offer" {
				t.Errorf("a %q is listed under technology offers", kind)
			}
		}
		c.shot("marketplace")
		title := strings.TrimSpace(c.text("#listings .listing:has(.interest) h3"))
		c.submit("#listings .listing:has(.interest) .interest")
		if got := eval[string](c, `document.querySelector("#f-topic").value`); got != title {
			t.Errorf("the contact request is about %q, want the listing %q", got, title)
		}
		c.typeInto("#f-message", "We are interested in this offer for our diagnostics line.")
		c.submit("#send-contact")
		c.mustSucceed("expressing interest")
		c.expect("#notice", "contact request was sent")

		c.open("/marketplace?open_until=not-a-date")
		c.expect("#problem", "date")
	})

	t.Run("e-mail settings", func(t *testing.T) {
		c := company.in(t)
		c.open("/messages/settings")
		c.typeInto("#f-email", "not-an-address")
		c.submit("#save-settings")
		c.expect("#e-email", "")
		c.typeInto("#f-email", companyMail)
		c.click("#mode-EMAIL_MODE_DIGEST")
		c.submit("#save-settings")
		c.mustSucceed("saving e-mail settings")
		if !eval[bool](c, `document.querySelector("#mode-EMAIL_MODE_DIGEST").checked`) {
			t.Error("the digest setting did not stay")
		}
	})

	t.Run("accessibility", func(t *testing.T) {
		// axe-core finds no serious or critical violation on the pages of
		// members, in English and in Italian, and no page shows an internal id.
		c, r := company.in(t), researcher.in(t)
		pages := []string{"/", "/partners", "/partners/saved", "/marketplace", "/messages", "/messages/settings", "/notifications",
			"/profiles/org/" + demoOrg(t, s, "units"), "/competencies", "/offers", "/events"}
		for _, path := range pages {
			c.open(path)
			c.checked()
		}
		c.axeCatches()
		r.open("/lang/it?next=%2F")
		for _, path := range pages {
			r.open(path)
			r.checked()
		}
		r.open("/lang/en?next=%2F")
	})

	t.Run("phone width", func(t *testing.T) {
		// Every page checks that nothing is wider than the screen.
		c := researcher.in(t)
		c.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		for _, path := range []string{"/partners", "/partners/saved", "/marketplace", "/messages/settings", "/messages"} {
			c.open(path)
		}
		c.submit("#conversations h2 a")
		c.mustSucceed("opening a conversation on a phone")
		if !c.has("#thread .message") {
			t.Errorf("the conversation shows no message: %s", c.bodyText())
		}
		c.do("desktop screen", chromedp.ResetViewport())
	})

	// Each journey again, in English and Italian, at desktop and phone
	// width, the other side answering from its e-mail.
	for _, lang := range []string{"en", "it"} {
		for _, phone := range []bool{false, true} {
			name := map[bool]string{false: "desktop", true: "phone"}[phone]
			t.Run("journeys in "+lang+" on a "+name, func(t *testing.T) {
				walkJourneys(t, s, lang, phone, company, researcher, manager)
			})
		}
	}
}
