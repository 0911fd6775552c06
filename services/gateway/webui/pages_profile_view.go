package webui

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// A profile page shows an organisation or a person as the viewer may see
// them: what they can do (competencies with evidence), what they offer and
// seek, what they did with whom, who works there, the events they attend,
// and why the viewer and they might work together. Each service applies
// its own visibility rules to what it returns; the page adds one of its
// own: of an anonymous profile it shows only its card, never its
// competencies and offers (the competencies service lists nothing of it by
// its id: evidence and offers would name it), its people, its partners in
// projects or its events.

// profileSectionRows bounds each list on a profile page.
const profileSectionRows = 50

type profileCard struct {
	Org       *profilesv1.Organization
	Person    *profilesv1.Person
	Contacted bool
	// ContactHref opens a contact request to this profile; empty on one's
	// own profile or without the messaging service.
	ContactHref string
	// Own: the profile is the viewer's organisation or the viewer.
	Own bool
	// Anonymous: the viewer may see the profile only without its identity.
	Anonymous bool
	// PersonOrg is the name of a person's organisation, when visible.
	PersonOrg string

	Competencies   []profileCompetency
	Offers         []*competenciesv1.CooperationProfile
	Collaborations []profileCollaboration
	People         []*profilesv1.Person
	Events         []*meetingsv1.Event
	// Why explains the pair of viewer and profile; WhyNot says why the
	// matching service would not suggest it.
	Why      *matchingv1.Suggestion
	WhyNot   []string
	Problems []*problem
}

// profileCompetency is a competency with its holder when that is one of an
// organisation's people.
type profileCompetency struct {
	*competenciesv1.Competency
	HolderName, HolderHref string
}

// profileCollaboration is a project or consortium with the partners the
// viewer may see by name.
type profileCollaboration struct {
	*competenciesv1.Collaboration
	Partners []profileLink
	// Unnamed counts partners the viewer may not see.
	Unnamed int
}

type profileLink struct{ Name, Href string }

// profileView shows another organisation or person as the services let the
// user see it; contact details appear only with the owner's consent.
func (u *UI) profileView(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	card := profileCard{Contacted: c.r.URL.Query().Get("contacted") == "1"}
	id := c.r.PathValue("id")
	var ref *profilesv1.ProfileRef
	switch c.r.PathValue("kind") {
	case "org":
		if !validProfileID(id) {
			return u.notFound(c)
		}
		res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: id})
		if err != nil {
			return err
		}
		card.Org = res.GetOrganization()
		card.Anonymous = card.Org.GetName() == ""
		ref = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	case "person":
		if !validProfileID(id) {
			return u.notFound(c)
		}
		res, err := u.opts.Profiles.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: id})
		if err != nil {
			return err
		}
		card.Person = res.GetPerson()
		card.Anonymous = card.Person.GetName() == ""
		ref = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}
	default:
		return u.notFound(c)
	}
	card.Own = c.mine(ref)
	if !card.Own && u.opts.Messaging != nil {
		card.ContactHref = "/messages/new?to=" + url.QueryEscape(candidateValue(ref))
	}
	u.fillProfile(ctx, c, ref, &card)
	title := card.Org.GetName()
	if card.Person != nil {
		title = card.Person.GetName()
	}
	if title == "" {
		title = c.L.T("profile.anonymous")
	}
	return c.renderNamed("profile", title, card)
}

// validProfileID keeps ids that are not profile ids away from the services.
func validProfileID(id string) bool {
	return id != "" && len(id) <= 40 && isAlnum(strings.ToUpper(id))
}

// fillProfile reads the sections of a profile page in parallel. A section
// whose service fails is left out with a note; the rest still shows.
func (u *UI) fillProfile(ctx context.Context, c *call, ref *profilesv1.ProfileRef, card *profileCard) {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	fail := func(err error) {
		if err == nil {
			return
		}
		if status.Code(err) != codes.Unauthenticated {
			c.ui.log.Warn("profile section", "err", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range card.Problems {
			if p.Code == status.Code(err) {
				return // one note per kind of failure
			}
		}
		card.Problems = append(card.Problems, problemFrom(c.L, err))
	}
	orgID := ref.GetOrganizationId()
	if !card.Anonymous {
		wg.Go(func() {
			req := &competenciesv1.ListCompetenciesRequest{PageSize: profileSectionRows, Holder: ref}
			if orgID != "" {
				req = &competenciesv1.ListCompetenciesRequest{PageSize: profileSectionRows, OrganizationId: orgID}
			}
			res, err := u.opts.Competencies.ListCompetencies(ctx, req)
			fail(err)
			for _, comp := range res.GetCompetencies() {
				card.Competencies = append(card.Competencies, profileCompetency{Competency: comp})
			}
		})
		wg.Go(func() {
			req := &competenciesv1.ListCooperationProfilesRequest{PageSize: profileSectionRows, Holder: ref}
			if orgID != "" {
				req = &competenciesv1.ListCooperationProfilesRequest{PageSize: profileSectionRows, OrganizationId: orgID}
			}
			res, err := u.opts.Competencies.ListCooperationProfiles(ctx, req)
			fail(err)
			card.Offers = res.GetCooperationProfiles()
		})
	}
	if seeker := c.seeker(); seeker != nil && !card.Own {
		wg.Go(func() {
			res, err := u.opts.Matching.ExplainMatch(ctx, &matchingv1.ExplainMatchRequest{Seeker: seeker, Candidate: ref, LanguageCode: c.L.Code})
			if status.Code(err) == codes.NotFound || status.Code(err) == codes.FailedPrecondition {
				return // matching does not know the pair (yet): no reasons to show
			}
			fail(err)
			if len(res.GetSuggestion().GetExplanations()) > 0 {
				card.Why = res.GetSuggestion()
			}
			card.WhyNot = res.GetExclusionReasons()
		})
	}
	if !card.Anonymous {
		wg.Go(func() {
			res, err := u.opts.Meetings.ListEvents(ctx, &meetingsv1.ListEventsRequest{ParticipantProfile: ref, PageSize: profileSectionRows})
			fail(err)
			card.Events = res.GetEvents()
		})
		if orgID != "" {
			wg.Go(func() {
				res, err := u.opts.Profiles.ListPeople(ctx, &profilesv1.ListPeopleRequest{OrganizationId: orgID, PageSize: profileSectionRows})
				fail(err)
				for _, p := range res.GetPeople() {
					if p.GetName() != "" {
						card.People = append(card.People, p)
					}
				}
			})
			wg.Go(func() {
				res, err := u.opts.Competencies.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationId: orgID, PageSize: profileSectionRows})
				fail(err)
				for _, col := range res.GetCollaborations() {
					card.Collaborations = append(card.Collaborations, profileCollaboration{Collaboration: col, Unnamed: int(col.GetHiddenParticipants())})
				}
			})
		}
	}
	wg.Wait()
	u.nameProfileSections(c, ref, card)
}

// nameProfileSections names the people who hold an organisation's
// competencies, a person's organisation and the partners of each
// collaboration, as the viewer may see them; partners without a visible
// name are counted, not shown.
func (u *UI) nameProfileSections(c *call, ref *profilesv1.ProfileRef, card *profileCard) {
	var refs []*profilesv1.ProfileRef
	for _, comp := range card.Competencies {
		if comp.GetHolder().GetPersonId() != "" && ref.GetOrganizationId() != "" {
			refs = append(refs, comp.GetHolder())
		}
	}
	orgRef := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	for _, col := range card.Collaborations {
		for _, p := range col.GetParticipants() {
			if p.GetOrganizationId() != ref.GetOrganizationId() {
				refs = append(refs, orgRef(p.GetOrganizationId()))
			}
		}
	}
	if card.Person != nil && card.Person.GetOrganizationId() != "" && !card.Anonymous {
		refs = append(refs, orgRef(card.Person.GetOrganizationId()))
	}
	names := c.names(refs)
	for i, comp := range card.Competencies {
		if h := comp.GetHolder(); h.GetPersonId() != "" && ref.GetOrganizationId() != "" {
			if n := names[profileKey(h)]; n != "" {
				card.Competencies[i].HolderName, card.Competencies[i].HolderHref = n, profileHref(h)
			}
		}
	}
	for i, col := range card.Collaborations {
		for _, p := range col.GetParticipants() {
			if p.GetOrganizationId() == ref.GetOrganizationId() {
				continue
			}
			r := orgRef(p.GetOrganizationId())
			if n := names[profileKey(r)]; n != "" {
				card.Collaborations[i].Partners = append(card.Collaborations[i].Partners, profileLink{Name: n, Href: profileHref(r)})
			} else {
				card.Collaborations[i].Unnamed++
			}
		}
	}
	if card.Person != nil {
		card.PersonOrg = names[profileKey(orgRef(card.Person.GetOrganizationId()))]
	}
}
