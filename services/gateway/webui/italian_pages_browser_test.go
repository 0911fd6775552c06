package webui_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// englishUI are English words of the UI's own text; on an Italian page
// they betray a string the catalogue, a service or the vocabulary left in
// English.
var englishUI = regexp.MustCompile(`(?i)\b(the|and|your|their|with|of|to|for|is|are|not|none|yet|partners|meetings|requests?|required|search|find|save|offers?|needs?|members|events?|organisations?|organizations?|people|shown|answers|shares?|broader|narrower|same|terms?|competency|liver|cirrhosis)\b`)

// TestItalianPagesSpeakItalian walks the member and manager pages in
// Italian, at desktop and phone width, once members have published: no
// English is left but what members wrote themselves, the vocabulary's
// terms read by their Italian labels (in the lists and in the reasons to
// work together), and axe-core finds no serious or critical violation.
func TestItalianPagesSpeakItalian(t *testing.T) {
	root := browser(t)
	s := startStack(t)
	company := newUser(t, root, s.URL, "company member")
	manager := newUser(t, root, s.URL, "cluster manager")
	researcher := newUser(t, root, s.URL, "researcher") // signing in makes the demo university
	for key, u := range map[string]*user{"company": company, "cluster-manager": manager, "researcher": researcher} {
		u.open("/lang/it")
		u.signIn(key)
	}
	ctx := s.admin(t)
	companyID, unitsID := demoOrg(t, s, "company-026"), demoOrg(t, s, "units")
	const liver = "MESH:D008103" // Liver Cirrhosis; "Fibrosi epatica" in the Italian glossary
	// What members wrote stays as they wrote it, in English here.
	written := []string{"Staging of liver fibrosis with serum biomarkers.", "Serum biomarkers of liver fibrosis wanted",
		"We look for validated serum markers to stage liver fibrosis.", "Public university of Trieste."}
	retryUntilKnown(t, "publish a competency", func() error {
		_, err := s.Comp.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: orgRef(unitsID), TermId: liver, Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Description: written[0],
		}})
		return err
	})
	if _, err := s.Comp.CreateCooperationProfile(ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
		Holder: orgRef(companyID), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST,
		Title: written[1], Summary: written[2], TermIds: []string{liver},
		Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}}); err != nil {
		t.Fatal(err)
	}
	italianOnly := func(u *user) {
		u.t.Helper()
		text := u.bodyText()
		for _, w := range written {
			text = strings.ReplaceAll(text, w, "")
		}
		// Demo organisations describe themselves in English, reasons quote
		// the words of descriptions, and the footer names the U.S. National
		// Library of Medicine.
		text = regexp.MustCompile(`Fictional [^\n]*|'[\pL-]+'|MeSH \(U\.S\. National Library of Medicine\)`).ReplaceAllString(text, "")
		if m := englishUI.FindAllString(text, 5); len(m) > 0 {
			u.t.Errorf("%s: English on the Italian page %s: %q\npage: %s", u.name, u.location(), m, text)
		}
		u.accessible()
	}

	t.Run("member, desktop", func(t *testing.T) {
		c := company.in(t)
		// Matching learns of the competency from its event: look again
		// until the reasons to work together name the term.
		deadline := time.Now().Add(60 * time.Second)
		for {
			c.open("/partners?q=" + "biomarcatori+fibrosi+epatica")
			if eval[bool](c, `[...document.querySelectorAll(".suggestion .reasons")].some(e => e.innerText.includes("'Fibrosi epatica'"))`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no reason names 'Fibrosi epatica': %s", c.bodyText())
			}
			time.Sleep(200 * time.Millisecond) // polling interval
		}
		italianOnly(c)
		for _, p := range []string{"/", "/marketplace", "/offers", "/profiles/org/" + unitsID, "/partners/saved", "/messages", "/notifications"} {
			c.open(p)
			italianOnly(c)
		}
		c.open("/profiles/org/" + unitsID)
		c.expect(".competency h3", "Fibrosi epatica")
		c.open("/marketplace")
		c.expect("main", "Fibrosi epatica")
	})

	t.Run("manager, phone", func(t *testing.T) {
		m := manager.in(t)
		m.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		for _, p := range []string{"/", "/dashboard", "/dashboard/need/" + liver, "/marketplace", "/events"} {
			m.open(p)
			italianOnly(m)
		}
		m.open("/dashboard/need/" + liver)
		m.expect("h1", "Fibrosi epatica")
	})
}
