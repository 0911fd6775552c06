package adapters

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// ChangeOf turns a domain event of the profiles, competencies or meetings
// service into a read-model change. ok is false for events matching does not use.
// cascade lists the people an organization's erasure takes along.
func ChangeOf(ev proto.Message) (c domain.Change, cascade []string, ok bool, err error) {
	switch e := ev.(type) {
	case *eventsv1.OrganizationUpserted:
		o := e.GetOrganization()
		if e.GetAggregateId() == "" || o == nil {
			return c, nil, false, fmt.Errorf("organization upserted without id or organization")
		}
		org := &domain.Org{
			ID: e.GetAggregateId(), Name: o.GetName(), ShortName: o.GetShortName(), Kind: o.GetKind(),
			Country: o.GetCountryCode(), NUTS: o.GetNutsCode(), City: o.GetCity(), Description: o.GetDescription(),
			Sectors: o.GetSectors(), Visibility: o.GetVisibility(), ExternalIDs: o.GetExternalIds(), Version: e.GetAggregateVersion(),
		}
		for _, m := range o.GetClusterMemberships() {
			org.Clusters = append(org.Clusters, m.GetClusterId())
		}
		return domain.Change{Key: domain.OrgKey(org.ID), Version: org.Version, Org: org}, nil, true, nil
	case *eventsv1.OrganizationErased:
		return domain.Change{Key: domain.OrgKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, e.GetErasedPersonIds(), e.GetAggregateId() != "", nil
	case *eventsv1.PersonUpserted:
		p := e.GetPerson()
		if e.GetAggregateId() == "" || p == nil {
			return c, nil, false, fmt.Errorf("person upserted without id or person")
		}
		pe := &domain.Person{ID: e.GetAggregateId(), OrgID: p.GetOrganizationId(), Name: p.GetName(), Bio: p.GetBio(), Visibility: p.GetVisibility(), Version: e.GetAggregateVersion()}
		return domain.Change{Key: domain.PersonKey(pe.ID), Version: pe.Version, Person: pe}, nil, true, nil
	case *eventsv1.PersonErased:
		return domain.Change{Key: domain.PersonKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, nil, e.GetAggregateId() != "", nil
	case *eventsv1.CompetencyPublished:
		cp := e.GetCompetency()
		h, hok := refOf(cp.GetHolder())
		if e.GetAggregateId() == "" || cp == nil || !hok {
			return c, nil, false, fmt.Errorf("competency published without id or holder")
		}
		comp := &domain.Competency{ID: e.GetAggregateId(), Holder: h, TermID: cp.GetTermId(), Label: cp.GetTerm().GetLabel(), Level: cp.GetLevel(), Description: cp.GetDescription(), Version: e.GetAggregateVersion()}
		for _, ev := range cp.GetEvidence() {
			if k := int(ev.GetKind()); k > 0 && k < len(comp.Evidence) {
				comp.Evidence[k]++
			}
		}
		return domain.Change{Key: domain.CompKey(comp.ID), Version: comp.Version, Comp: comp}, nil, true, nil
	case *eventsv1.CompetencyRetracted:
		return domain.Change{Key: domain.CompKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, nil, e.GetAggregateId() != "", nil
	case *eventsv1.CooperationProfileUpserted:
		cp := e.GetCooperationProfile()
		h, hok := refOf(cp.GetHolder())
		if e.GetAggregateId() == "" || cp == nil || !hok {
			return c, nil, false, fmt.Errorf("cooperation profile upserted without id or holder")
		}
		co := &domain.Coop{
			ID: e.GetAggregateId(), Holder: h, Kind: cp.GetKind(), Title: cp.GetTitle(), Summary: cp.GetSummary(),
			Description: cp.GetDescription() + " " + cp.GetAdvantagesAndInnovations(), PartnerSought: cp.GetPartnerSought(),
			PartnerKinds: cp.GetPartnerKinds(), TermIDs: cp.GetTermIds(), CollaborationTypes: cp.GetCollaborationTypes(),
			TRL: cp.GetTrl(), Status: cp.GetStatus(), Visibility: cp.GetVisibility(), Version: e.GetAggregateVersion(),
		}
		return domain.Change{Key: domain.CoopKey(co.ID), Version: co.Version, Coop: co}, nil, true, nil
	case *eventsv1.CollaborationUpserted:
		return collaboration(e.GetAggregateId(), e.GetAggregateVersion(), e.GetCollaboration())
	case *eventsv1.CollaborationErased:
		return domain.Change{Key: domain.CollabKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, nil, e.GetAggregateId() != "", nil
	case *eventsv1.BrokerageEventCreated:
		return brokerageEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.BrokerageEventUpdated:
		return brokerageEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.BrokerageEventStatusChanged:
		return brokerageEvent(e.GetAggregateId(), e.GetAggregateVersion(), e.GetEvent())
	case *eventsv1.ParticipantRegistered:
		return participant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetBrokerageEventId(), e.GetParticipant())
	case *eventsv1.ParticipantUpdated:
		return participant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetBrokerageEventId(), e.GetParticipant())
	case *eventsv1.ParticipantAvailabilitySet:
		return participant(e.GetAggregateId(), e.GetAggregateVersion(), e.GetBrokerageEventId(), e.GetParticipant())
	case *eventsv1.ParticipantWithdrawn:
		return domain.Change{Key: domain.ParticipantKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, nil, e.GetAggregateId() != "", nil
	case *eventsv1.CooperationProfileDeleted:
		return domain.Change{Key: domain.CoopKey(e.GetAggregateId()), Version: e.GetAggregateVersion(), Removed: true}, nil, e.GetAggregateId() != "", nil
	}
	return c, nil, false, nil
}

// FeedbackOf turns an organizer's no-show mark at a brokerage event into
// feedback of the party who came about the one who did not: NO_SHOW, or
// MET when the mark is taken back. Its id is the meetings event's, a ULID
// of the time of the mark, so a redelivery stores nothing new and the
// feedback book orders it among the seeker's own. ok is false for other
// events; the feedback is nil for a mark whose parties' profiles are
// unknown.
func FeedbackOf(ev proto.Message) (*matchingv1.Feedback, bool) {
	e, ok := ev.(*eventsv1.MeetingNoShowMarked)
	if !ok {
		return nil, false
	}
	present, pok := refOf(e.GetPresentProfile())
	_, aok := refOf(e.GetAbsentProfile())
	if !pok || !aok || e.GetEventId() == "" {
		return nil, true
	}
	seeker := &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: present.ID}}
	if present.Kind == domain.KindPerson {
		seeker = &matchingv1.Seeker{Seeker: &matchingv1.Seeker_PersonId{PersonId: present.ID}}
	}
	kind := matchingv1.FeedbackKind_FEEDBACK_KIND_NO_SHOW
	if !e.GetNoShow() {
		kind = matchingv1.FeedbackKind_FEEDBACK_KIND_MET
	}
	return &matchingv1.Feedback{Id: e.GetEventId(), Seeker: seeker, Candidate: e.GetAbsentProfile(), Kind: kind,
		RecordedBy: e.GetActorSubject(), CreatedAt: e.GetOccurredAt()}, true
}

var collabKinds = map[competenciesv1.CollaborationKind]domain.CollabKind{
	competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT:    domain.CollabProject,
	competenciesv1.CollaborationKind_COLLABORATION_KIND_CONSORTIUM: domain.CollabConsortium,
	competenciesv1.CollaborationKind_COLLABORATION_KIND_TOOL:       domain.CollabTool,
}

var collabRoles = map[competenciesv1.ParticipantRole]domain.CollabRole{
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR: domain.RoleCoordinator,
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT: domain.RoleParticipant,
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTNER:     domain.RolePartner,
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_CREDITED:    domain.RoleCredited,
}

// collaboration keeps a collaboration of the history with all its
// participants: the read model is internal, and what a suggestion may show
// of an organisation is decided when it is shown.
func collaboration(id string, version int64, col *competenciesv1.Collaboration) (domain.Change, []string, bool, error) {
	if id == "" || col == nil {
		return domain.Change{}, nil, false, fmt.Errorf("collaboration upserted without id or collaboration")
	}
	c := &domain.Collaboration{
		ID: id, Kind: collabKinds[col.GetKind()], Year: col.GetYear(), Programme: col.GetProgramme(), Call: col.GetCall(),
		Title: col.GetTitle(), Summary: col.GetSummary(), TermIDs: col.GetTermIds(), Version: version,
	}
	for _, p := range col.GetParticipants() {
		c.Members = append(c.Members, domain.CollabMember{OrgID: p.GetOrganizationId(), Role: collabRoles[p.GetRole()]})
	}
	if c.Title == "" {
		c.Title = col.GetAcronym()
	}
	return domain.Change{Key: domain.CollabKey(id), Version: version, Collab: c}, nil, true, nil
}

func brokerageEvent(id string, version int64, ev *meetingsv1.Event) (domain.Change, []string, bool, error) {
	if id == "" || ev == nil {
		return domain.Change{}, nil, false, fmt.Errorf("brokerage event without id or event")
	}
	be := &domain.BrokerageEvent{ID: id, Organizers: ev.GetOrganizerSubjects(), Version: version}
	return domain.Change{Key: domain.EventKey(id), Version: version, Event: be}, nil, true, nil
}

// participant keeps a registration; one that is not (or no longer)
// registered counts as withdrawn, so it never widens an event's candidates.
func participant(id string, version int64, eventID string, pa *meetingsv1.Participant) (domain.Change, []string, bool, error) {
	if eventID == "" {
		eventID = pa.GetEventId()
	}
	ref, ok := refOf(pa.GetProfile())
	if id == "" || eventID == "" || !ok {
		return domain.Change{}, nil, false, fmt.Errorf("participant without id, brokerage event or profile")
	}
	c := domain.Change{Key: domain.ParticipantKey(id), Version: version}
	if pa.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
		c.Removed = true
		return c, nil, true, nil
	}
	c.Participant = &domain.Participant{ID: id, EventID: eventID, Profile: ref, Version: version}
	return c, nil, true, nil
}

func refOf(r *profilesv1.ProfileRef) (domain.Ref, bool) {
	switch {
	case r.GetOrganizationId() != "":
		return domain.OrgRef(r.GetOrganizationId()), true
	case r.GetPersonId() != "":
		return domain.PersonRef(r.GetPersonId()), true
	}
	return domain.Ref{}, false
}
