package webui_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The e-mail addresses the members give in their settings.
const (
	researcherMail = "laura.bianchi@units.example"
	companyMail    = "bd@company.example"
)

var mailLink = regexp.MustCompile(regexp.QuoteMeta(mailURL) + `(/messages/[0-9A-Za-z]+)`)

// mailedLink waits until the SMTP server received a mail to addr that
// contains want and says says, and returns the path of the conversation
// it links to.
func mailedLink(t *testing.T, s *stack, addr, want, says string) string {
	t.Helper()
	m := s.Mail.WaitMail(t, addr, want)
	if !strings.Contains(m.Data, says) {
		t.Errorf("the mail to %s does not say %q:\n%s", addr, says, m.Data)
	}
	link := mailLink.FindStringSubmatch(m.Data)
	if link == nil {
		t.Fatalf("the mail to %s links to no conversation:\n%s", addr, m.Data)
	}
	return link[1]
}

// wantsMail saves the person's e-mail settings: each notification at
// once, to addr, in lang.
func (u *user) wantsMail(addr, lang string) {
	u.t.Helper()
	u.open("/messages/settings")
	u.typeInto("#f-email", addr)
	u.click("#mode-EMAIL_MODE_IMMEDIATE")
	u.click("#lang-" + lang)
	u.submit("#save-settings")
	u.mustSucceed("saving e-mail settings")
}

// internalID is an id of the services (a ULID) in text a person reads.
var internalID = regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{26}\b`)

// checked runs axe-core on the open page and fails on an internal id in
// its text, titles, labels or options.
func (u *user) checked() {
	u.t.Helper()
	u.accessible()
	text := eval[string](u, `document.body.innerText + " " + [...document.querySelectorAll("[title],[aria-label],[placeholder],option")].map(e => (e.getAttribute("title")||"") + " " + (e.getAttribute("aria-label")||"") + " " + (e.getAttribute("placeholder")||"") + " " + e.textContent).join(" ")`)
	if id := internalID.FindString(text); id != "" {
		u.t.Errorf("%s: %s shows the internal id %s", u.name, u.location(), id)
	}
}

func TestInternalIDPattern(t *testing.T) {
	for text, want := range map[string]bool{
		"With 01M97HXP4E0Y17T1ZJ48BYRGGN":           true,
		"/profiles/org/01M97HXP4E0Y17T1ZJ48BYRGGN":  true,
		"Tagliamentoomics S.r.l.s. (demo 026)":      false,
		"ORGANIZATION_KIND_UNIVERSITY_AND_HOSPITAL": false,
	} {
		if got := internalID.MatchString(text); got != want {
			t.Errorf("%q: internal id found %v, want %v", text, got, want)
		}
	}
}

// walkJourneys walks each journey once in lang ("en" or "it"), at phone
// or desktop width, checking ids and what members wrote rather than the
// UI's words, so that it reads the same in either language; each
// journey's pages pass axe-core and show no internal id:
//   - the company arrives at /partners, finds the university suggested
//     without typing, opens its profile and sends a contact request;
//   - the university follows the link in the e-mail it received through
//     the SMTP server and accepts with an answer;
//   - the researcher edits an offer and retracts it after confirming;
//   - the company filters the marketplace and expresses interest in a
//     listing;
//   - the cluster manager drills down from the coverage table to who
//     needs a term.
func walkJourneys(t *testing.T, s *stack, lang string, phone bool, company, researcher, manager *user) {
	width := "desktop"
	if phone {
		width = "phone"
	}
	mark := lang + "-" + width // what members write carries it, to find this walk's messages
	c, r, m := company.in(t), researcher.in(t), manager.in(t)
	for _, u := range []*user{c, r, m} {
		if phone {
			u.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			defer u.do("desktop screen", chromedp.ResetViewport())
		}
		u.open("/lang/" + lang + "?next=%2F")
		defer u.open("/lang/en?next=%2F")
	}
	unitsID := demoOrg(t, s, "units")

	// The company arrives and contacts a partner.
	c.open("/partners")
	partner := `.suggestion h3 a[href="/profiles/org/` + unitsID + `"]`
	if !c.has(partner) {
		t.Fatalf("the university is not suggested on arrival: %s", c.bodyText())
	}
	c.checked()
	c.submit(partner)
	c.submit("#contact-link")
	c.typeInto("#f-topic", "Fibrosis panel "+mark)
	c.typeInto("#f-message", "Could we validate our tests with your cohorts? "+mark)
	c.submit("#send-contact")
	c.mustSucceed("sending a contact request")
	if !c.has("#notice") {
		t.Error("sending a contact request says nothing")
	}
	c.expect("#thread", "your cohorts? "+mark)
	c.checked()

	// The other side answers from the e-mail.
	path := mailedLink(t, s, researcherMail, "your cohorts? "+mark, "vorrebbe mettersi in contatto con voi")
	r.open(path)
	r.expect("#thread", "your cohorts? "+mark)
	r.typeInto("#f-message", "Gladly, "+mark)
	r.checked()
	r.submit("#accept")
	r.mustSucceed("accepting the contact request")
	if !r.has("#notice") {
		t.Error("accepting says nothing")
	}
	r.expect("#thread", "Gladly, "+mark)
	r.checked()
	if lang == "it" && phone {
		r.shot("phone-thread-it")
	}
	c.open(path)
	c.expect("#thread", "Gladly, "+mark)

	// The researcher edits an offer, then retracts it after confirming.
	title := "Fibrosis scoring " + mark
	offer, err := s.Comp.CreateCooperationProfile(s.admin(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
		Holder: researcherRef(t, s), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
		Title: title, Summary: "Histological scoring of liver fibrosis.", TermIds: []string{"MESH:D008103"},
		Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := offer.GetCooperationProfile().GetId()
	edit := `#my-offers a.edit-offer[href^="/offers?edit=` + id + `"]`
	r.open("/offers")
	r.submit(edit)
	r.mustSucceed("opening an offer to edit")
	if got := eval[string](r, `document.querySelector("#f-title").value`); got != title {
		t.Fatalf("the edit form shows title %q, want %q", got, title)
	}
	r.typeInto("#f-title", "Digital pathology "+mark)
	r.set("#f-trl", "6")
	r.checked()
	r.submit("#save-offer")
	r.mustSucceed("saving the edited offer")
	r.expect("#my-offers", "Digital pathology "+mark)
	r.expect("#my-offers", "TRL 6")
	r.submit(`#my-offers form:has(input[name=id][value="` + id + `"]) .retract-offer`)
	if !r.has("#confirm-box") {
		t.Fatalf("retracting an offer does not ask first: %s", r.bodyText())
	}
	r.checked()
	r.submit("#confirm")
	r.mustSucceed("retracting an offer")
	if r.has(edit) {
		t.Error("a retracted offer can still be edited")
	}

	// The company browses the marketplace and expresses interest.
	c.open("/marketplace")
	c.click("#mkind-COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER")
	c.submit("#market-search")
	c.mustSucceed("filtering the marketplace")
	listing := "#listings .listing:has(.interest)"
	if !c.has(listing) {
		t.Fatalf("no technology offer to express interest in: %s", c.bodyText())
	}
	c.checked()
	about := strings.TrimSpace(c.text(listing + " h3"))
	c.submit(listing + " .interest")
	if got := eval[string](c, `document.querySelector("#f-topic").value`); got != about {
		t.Errorf("the contact request is about %q, want the listing %q", got, about)
	}
	c.typeInto("#f-message", "Interested in this offer, "+mark)
	c.submit("#send-contact")
	c.mustSucceed("expressing interest")
	c.expect("#thread", "Interested in this offer, "+mark)
	c.checked()

	// The manager drills down from the coverage of a term to who needs it.
	const liver = "MESH:D008103"
	m.open("/dashboard")
	m.checked()
	drill := `a.drill[href="/dashboard/need/` + liver + `"]`
	if !m.has(drill) {
		t.Fatalf("the coverage table has no drill-down for %s: %s", liver, m.bodyText())
	}
	m.click(fmt.Sprintf("details:has(%s) summary", drill))
	m.submit(drill)
	m.mustSucceed("drilling down from a need")
	m.expect("#who-needs", "Serum biomarkers of liver fibrosis wanted")
	m.expect("#who-needs", "Tagliamentoomics")
	m.checked()
}

// researcherRef is the demo researcher's own profile.
func researcherRef(t *testing.T, s *stack) *profilesv1.ProfileRef {
	t.Helper()
	people, err := s.Profiles.ListPeople(s.admin(t), &profilesv1.ListPeopleRequest{Query: "Laura Bianchi", OrganizationId: demoOrg(t, s, "units")})
	if err != nil || len(people.GetPeople()) == 0 {
		t.Fatalf("the researcher's profile: %v", err)
	}
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: people.GetPeople()[0].GetId()}}
}
