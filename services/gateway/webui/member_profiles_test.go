package webui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// retryUntilKnown repeats call while a service has not yet learnt of a
// profile from the profiles events (FailedPrecondition or NotFound).
func retryUntilKnown(t *testing.T, what string, call func() error) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		err := call()
		if err == nil {
			return
		}
		if c := status.Code(err); c != codes.FailedPrecondition && c != codes.NotFound || time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond) // polling interval: the service learns of profiles from their events
	}
}

// newOrg creates an organisation as an administrator would.
func newOrg(t *testing.T, s *stack, name string, vis profilesv1.Visibility) string {
	t.Helper()
	res, err := s.Profiles.CreateOrganization(s.admin(t), &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: "IT", NutsCode: "ITH44", City: "Trieste",
		Visibility: vis, Description: name + " works on liver diagnostics.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetOrganization().GetId()
}

// openEvent creates a brokerage day with open registration and registers
// the given profiles, as its organiser would.
func openEvent(t *testing.T, s *stack, name string, profiles ...*profilesv1.ProfileRef) *meetingsv1.Event {
	t.Helper()
	return openClusterEvent(t, s, name, nil, profiles...)
}

// openClusterEvent is openEvent for an event hosted by clusters.
func openClusterEvent(t *testing.T, s *stack, name string, clusters []string, profiles ...*profilesv1.ProfileRef) *meetingsv1.Event {
	t.Helper()
	ctx := s.admin(t)
	day := time.Now().AddDate(0, 1, 0)
	created, err := s.Meetings.CreateEvent(ctx, &meetingsv1.CreateEventRequest{Event: &meetingsv1.Event{ClusterIds: clusters,
		Name: name, Venue: "Area Science Park, Trieste", TimeZone: "Europe/Rome",
		Days: []*meetingsv1.EventDay{{
			Date:     &meetingsv1.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())},
			Sessions: []*meetingsv1.Session{{Name: "Morning", StartTime: &meetingsv1.LocalTime{Hours: 9}, EndTime: &meetingsv1.LocalTime{Hours: 11}}},
		}},
		MeetingDuration: durationpb.New(25 * time.Minute), BreakDuration: durationpb.New(5 * time.Minute),
		Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}, {Id: "T2", Name: "Table 2"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ev := created.GetEvent()
	opened, err := s.Meetings.UpdateEvent(ctx, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Status: meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN}, ExpectedVersion: ev.GetVersion(),
		UpdateMask: fieldMask("status"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		retryUntilKnown(t, "register "+p.String(), func() error {
			_, err := s.Meetings.RegisterParticipant(ctx, &meetingsv1.RegisterParticipantRequest{EventId: ev.GetId(), Profile: p})
			return err
		})
	}
	return opened.GetEvent()
}

// richProfiles: a profile page shows what the organisation can do, offers
// and did, with whom, who works there and where they go, and why the
// viewer might work with them; an anonymous partner in a project is not
// named, an anonymous organisation's page shows its card only, and a hidden
// organisation has no page.
func richProfiles(t *testing.T, s *stack, company, researcher *user) {
	ctx := s.admin(t)
	unitsID := demoOrg(t, s, "units")
	imaging := newOrg(t, s, "Liver Imaging Srl (test)", profilesv1.Visibility_VISIBILITY_PUBLIC)
	quiet := newOrg(t, s, "Quiet Hepatics Spa (test)", profilesv1.Visibility_VISIBILITY_ANONYMOUS)
	hidden := newOrg(t, s, "Hidden Fibrosis Lab (test)", profilesv1.Visibility_VISIBILITY_HIDDEN)
	retryUntilKnown(t, "put a collaboration", func() error {
		_, err := s.Comp.PutCollaboration(ctx, &competenciesv1.PutCollaborationRequest{Collaboration: &competenciesv1.Collaboration{
			Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: "Non-invasive staging of liver fibrosis", Acronym: "LIVSTAGE",
			Year: 2022, Programme: "Horizon Europe", Source: "test", SourceId: "livstage",
			Participants: []*competenciesv1.CollaborationParticipant{
				{OrganizationId: unitsID, Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR},
				{OrganizationId: imaging, Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT},
				{OrganizationId: quiet, Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT},
				{OrganizationId: hidden, Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT},
			},
		}})
		return err
	})
	retryUntilKnown(t, "publish evidence", func() error {
		_, err := s.Comp.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: orgRef(unitsID), TermId: "MESH:D008103", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT,
			Description: "Staging of liver fibrosis with serum biomarkers.",
			Evidence:    []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Title: "Serum markers of hepatic fibrosis", Year: 2023, Reference: "doi:10.1000/livstage"}},
		}})
		return err
	})
	ev := openEvent(t, s, "Liver Day (test)", orgRef(unitsID))

	c := company.in(t)
	c.open("/profiles/org/" + unitsID)
	c.mustSucceed("opening the university's profile")
	c.expect("#profile-competencies", "Serum markers of hepatic fibrosis")
	c.expect("#profile-collaborations", "LIVSTAGE")
	c.expect("#profile-collaborations", "Liver Imaging Srl (test)")
	c.expect("#profile-collaborations", "not shown")
	c.expect("#profile-events", "Liver Day (test)")
	c.expect("#profile-people", "Laura Bianchi")
	c.expect("#why", "Why you might work together")
	for _, secret := range []string{"Quiet Hepatics", "Hidden Fibrosis"} {
		if strings.Contains(c.bodyText(), secret) {
			t.Errorf("the profile page names %q, which is not to be seen", secret)
		}
	}
	if got := eval[string](c, `document.querySelector("#profile-events a").getAttribute("href")`); got != "/events/"+ev.GetId() {
		t.Errorf("the event links to %q", got)
	}
	// The reasons come from the matching service for this pair: look again
	// until it has read the profiles.
	deadline := time.Now().Add(60 * time.Second)
	for !c.has("#why .reasons li") {
		if time.Now().After(deadline) {
			t.Fatalf("no reason to work together: %s", c.text("#why"))
		}
		time.Sleep(200 * time.Millisecond) // a poll interval: the page is reloaded and checked
		c.open("/profiles/org/" + unitsID)
	}
	c.shot("profile-org")
	// A partner's name leads to its own profile; a person's to theirs.
	c.submit(`#profile-collaborations a[href="/profiles/org/` + imaging + `"]`)
	c.mustSucceed("following a project partner")
	c.expect("h1", "Liver Imaging Srl (test)")
	c.expect("#profile-collaborations", "LIVSTAGE")
	c.open("/profiles/org/" + unitsID)
	c.submit("#profile-people a")
	c.mustSucceed("opening a researcher's profile")
	c.expect("h1", "Laura Bianchi")
	c.expect("#person-org", "")

	// The anonymous organisation's page shows its card only: no name,
	// competencies, offers, people, projects or events.
	c.open("/profiles/org/" + quiet)
	c.expect("#anonymous-note", "anonymous")
	for _, sel := range []string{"#profile-competencies", "#profile-offers", "#profile-collaborations", "#profile-people", "#profile-events"} {
		if c.has(sel) {
			t.Errorf("the anonymous organisation's page shows %s", sel)
		}
	}
	if strings.Contains(c.bodyText(), "Quiet Hepatics") {
		t.Error("the anonymous organisation's page names it")
	}
	// The hidden one has no page at all.
	c.open("/profiles/org/" + hidden)
	c.expect("#problem", "Not found")

	r := researcher.in(t)
	r.open("/lang/it?next=" + "%2Fprofiles%2Forg%2F" + unitsID)
	r.expect("#profile-collaborations", "Progetti e collaborazioni")
	if r.has("#why") {
		t.Error("one's own organisation's page asks why to work with it")
	}
	r.open("/lang/en?next=%2F")
}

func fieldMask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// researcherEdits: a researcher corrects a competency and an offer in
// place, and retracts each only after saying yes to what that means.
func researcherEdits(t *testing.T, s *stack, researcher *user) {
	ctx := s.admin(t)
	me := researcherRef(t, s)
	retryUntilKnown(t, "publish a competency", func() error {
		_, err := s.Comp.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: me, TermId: "MESH:D008103", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_INTERMEDIATE,
			Description: "Liver biopsies.",
		}})
		return err
	})
	if _, err := s.Comp.CreateCooperationProfile(ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
		Holder: me, Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
		Title: "Fibrosis scoring service", Summary: "Histological scoring of liver fibrosis.", TermIds: []string{"MESH:D008103"},
		Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}}); err != nil {
		t.Fatal(err)
	}

	r := researcher.in(t)
	r.open("/competencies")
	r.submit("#my-competencies .edit-competency")
	r.mustSucceed("opening a competency to edit")
	r.expect("#editing-term", "Liver")
	r.typeInto("#f-description", "Liver biopsies and serum markers of fibrosis.")
	// Three pieces of evidence: the form always has one more empty row.
	for i, title := range []string{"Fibrosis cohort study", "Serum marker validation"} {
		r.set(fmt.Sprintf("#ev-kind-%d", i), "EVIDENCE_KIND_PUBLICATION")
		r.typeInto(fmt.Sprintf("#ev-title-%d", i), title)
	}
	r.submit("#publish")
	r.mustSucceed("saving the edited competency")
	r.expect("#notice", "was changed")
	r.submit("#my-competencies .edit-competency")
	r.set("#ev-kind-2", "EVIDENCE_KIND_PATENT")
	r.typeInto("#ev-title-2", "Fibrosis marker patent")
	r.submit("#publish")
	r.mustSucceed("adding a third piece of evidence")
	r.expect("#my-competencies", "Fibrosis marker patent")
	r.expect("#my-competencies", "Serum marker validation")
	r.expect("#my-competencies", "serum markers of fibrosis")
	if n := eval[int](r, `document.querySelectorAll("#my-competencies .card").length`); n != 1 {
		t.Errorf("editing left %d competencies, want the one", n)
	}
	// Retracting asks first; "keep" changes nothing.
	r.submit("#my-competencies .retract")
	r.expect("#confirm-box", "no longer be shown")
	r.shot("retract-competency")
	r.submit("#keep")
	r.expect("#my-competencies", "Fibrosis marker patent")
	r.submit("#my-competencies .retract")
	r.submit("#confirm")
	r.mustSucceed("retracting a competency")
	r.expect("#notice", "retracted")
	if r.has("#my-competencies") {
		t.Error("the retracted competency is still listed")
	}

	r.open("/offers")
	r.submit("#my-offers .edit-offer")
	r.mustSucceed("opening an offer to edit")
	if got := eval[string](r, `document.querySelector("#f-title").value`); got != "Fibrosis scoring service" {
		t.Fatalf("the edit form shows title %q", got)
	}
	r.typeInto("#f-title", "Fibrosis scoring with digital pathology")
	r.set("#f-trl", "6")
	r.submit("#save-offer")
	r.mustSucceed("saving the edited offer")
	r.expect("#notice", "was changed")
	r.expect("#my-offers", "digital pathology")
	r.expect("#my-offers", "TRL 6")
	r.expect("#my-offers", "Liver")
	r.submit("#my-offers .retract-offer")
	r.expect("#confirm-box", "no longer listed")
	r.submit("#confirm")
	r.mustSucceed("retracting an offer")
	r.expect("#my-offers", "Closed")
	if r.has("#my-offers .edit-offer") {
		t.Error("a closed offer can still be edited")
	}
}

// participantDirectory: at an event, a participant browses and searches who
// is there, with their offers and reasons to meet, and asks one of them for
// a meeting; anonymous and hidden participants are not listed to them.
func participantDirectory(t *testing.T, s *stack, company *user) {
	unitsID, companyID := demoOrg(t, s, "units"), demoOrg(t, s, "company-026")
	visible := newOrg(t, s, "Hepatic Devices Srl (test)", profilesv1.Visibility_VISIBILITY_PUBLIC)
	quiet := newOrg(t, s, "Silent Liver Spa (test)", profilesv1.Visibility_VISIBILITY_ANONYMOUS)
	hidden := newOrg(t, s, "Unseen Hepatology Lab (test)", profilesv1.Visibility_VISIBILITY_HIDDEN)
	retryUntilKnown(t, "publish an offer", func() error {
		_, err := s.Comp.CreateCooperationProfile(s.admin(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: orgRef(visible), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
			Title: "Elastography probes for liver stiffness", Summary: "Non-invasive measurement of liver fibrosis.", TermIds: []string{"MESH:D008103"},
			Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}})
		return err
	})
	ev := openEvent(t, s, "Liver Partnering Day (test)", orgRef(companyID), orgRef(unitsID), orgRef(visible), orgRef(quiet), orgRef(hidden))

	c := company.in(t)
	c.open("/events/" + ev.GetId())
	c.submit("#directory-link")
	c.mustSucceed("opening the participant directory")
	c.expect("#directory", "Università degli Studi di Trieste")
	c.expect("#directory", "Hepatic Devices Srl (test)")
	c.expect("#list-count", "of 3")
	for _, secret := range []string{"Silent Liver", "Unseen Hepatology"} {
		if strings.Contains(c.bodyText(), secret) {
			t.Errorf("the directory lists %q", secret)
		}
	}
	// The university's offer and the reasons to meet it: matching reads
	// the registrations from their events, so look again until it has.
	deadline := time.Now().Add(60 * time.Second)
	for !c.has(".directory-entry:has(a[href='/profiles/org/" + unitsID + "']) .reasons li") {
		if time.Now().After(deadline) {
			t.Fatalf("no reason to meet the university: %s", c.text("#directory"))
		}
		time.Sleep(200 * time.Millisecond) // a poll interval: the page is reloaded and checked
		c.open("/events/" + ev.GetId() + "/directory")
	}
	c.expect(".directory-entry:has(a[href='/profiles/org/"+visible+"']) .offers", "Elastography probes for liver stiffness")
	c.set("#f-sort", "best_match")
	c.submit("#apply-filter")
	if first := c.text("#directory .directory-entry h2"); !strings.Contains(first, "Trieste") {
		t.Errorf("best match first lists %q first", first)
	}
	c.shot("event-directory")
	c.typeInto("#f-q", "hepatic")
	c.submit("#apply-filter")
	c.mustSucceed("searching the directory")
	c.expect("#list-count", "of 1")
	c.expect("#directory", "Hepatic Devices Srl (test)")
	c.submit("#directory .request-meeting")
	c.mustSucceed("asking for a meeting from the directory")
	if got := eval[string](c, `document.querySelector("#f-to").selectedOptions[0].textContent`); got != "Hepatic Devices Srl (test)" {
		t.Errorf("the meeting request form asks %q, not the participant chosen in the directory", got)
	}
}

// homePages: each role's home page greets the person by name and lists
// what needs their attention; no internal id shows.
func homePages(t *testing.T, s *stack, root context.Context, company, researcher *user) {
	companyID := demoOrg(t, s, "company-026")
	if _, err := s.Comp.CreateCooperationProfile(s.admin(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
		Holder: orgRef(companyID), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_OFFER,
		Title: "Distribution of liver assays", Summary: "We distribute diagnostic assays in Friuli Venezia Giulia.",
		Deadline: timestamppb.New(time.Now().AddDate(0, 0, 10)),
		Status:   competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}}); err != nil {
		t.Fatal(err)
	}
	c := company.in(t)
	c.open("/")
	c.expect("#hello", "Giulia Rossi")
	c.expect("#attention .expiring", "Distribution of liver assays")
	c.expect("#attention", "Liver Partnering Day (test)")
	c.shot("home-company")
	r := researcher.in(t)
	r.open("/")
	r.expect("#hello", "Laura Bianchi")
	organizer := newUser(t, root, s.URL, "organiser")
	manager := newUser(t, root, s.URL, "cluster manager")
	organizer.in(t).signIn("organizer")
	manager.in(t).signIn("cluster-manager")
	o := organizer.in(t)
	o.open("/")
	o.expect("#hello", "Marco Esposito")
	m := manager.in(t)
	m.open("/lang/it?next=%2F")
	m.expect("#hello", "Ciao, Chiara Ferrari")
	for _, u := range []*user{c, r, o, m} {
		if body := u.bodyText(); strings.Contains(body, "demo-") {
			t.Errorf("%s's home page shows an internal id: %s", u.name, body)
		}
	}
}
