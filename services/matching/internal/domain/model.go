// Package domain is the matching service's read model and scoring: what a
// candidate is, how a seeker's needs meet a candidate's competencies and
// offers, and why. It knows nothing of NATS, Redis or gRPC.
package domain

import (
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// RefKind tells an organization from a person.
type RefKind byte

// Kinds of profile.
const (
	KindOrg    RefKind = 'o'
	KindPerson RefKind = 'p'
)

// Ref points at an organization or a person.
type Ref struct {
	Kind RefKind
	ID   string
}

// OrgRef and PersonRef build refs.
func OrgRef(id string) Ref    { return Ref{KindOrg, id} }
func PersonRef(id string) Ref { return Ref{KindPerson, id} }

// Org is what matching keeps of an organization.
type Org struct {
	ID, Name, ShortName string
	Kind                profilesv1.OrganizationKind
	Country, NUTS, City string
	Description         string
	Sectors             []profilesv1.Sector
	Clusters            []string
	Visibility          profilesv1.Visibility
	ExternalIDs         map[string]string
	Version             int64
}

// Person is what matching keeps of a person.
type Person struct {
	ID, OrgID, Name, Bio string
	Visibility           profilesv1.Visibility
	Version              int64
}

// Competency is a holder's competence in one term.
type Competency struct {
	ID          string
	Holder      Ref
	TermID      string
	Label       string
	Level       competenciesv1.CompetencyLevel
	Description string
	// Evidence counts items per competenciesv1.EvidenceKind.
	Evidence [7]int32
	Version  int64
}

// Coop is a cooperation profile: an offer or a request.
type Coop struct {
	ID                 string
	Holder             Ref
	Kind               competenciesv1.CooperationProfileKind
	Title, Summary     string
	Description        string
	PartnerSought      string
	PartnerKinds       []profilesv1.OrganizationKind
	TermIDs            []string
	CollaborationTypes []competenciesv1.CollaborationType
	TRL                int32
	Status             competenciesv1.CooperationProfileStatus
	Visibility         profilesv1.Visibility
	Version            int64
}

// IsOffer reports whether the profile offers something (as opposed to
// seeking it).
func (c *Coop) IsOffer() bool {
	return c.Kind == competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER ||
		c.Kind == competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_OFFER
}

// Matchable reports whether the profile takes part in matching.
func (c *Coop) Matchable() bool {
	return c.Status == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED &&
		c.Visibility != profilesv1.Visibility_VISIBILITY_HIDDEN
}

// KindLabel names the profile kind for explanations.
func (c *Coop) KindLabel() string {
	switch c.Kind {
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER:
		return "technology offer"
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST:
		return "technology request"
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_OFFER:
		return "business offer"
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_REQUEST:
		return "business request"
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_RESEARCH_PARTNER_SEARCH:
		return "R&D partner search"
	}
	return "cooperation profile"
}

// Side is the industry or research side of a pair.
type Side int

// Sides.
const (
	SideOther Side = iota
	SideIndustry
	SideResearch
)

// SideOf places an organization kind on a side.
func SideOf(k profilesv1.OrganizationKind) Side {
	switch k {
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY:
		return SideIndustry
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
		profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
		profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL:
		return SideResearch
	}
	return SideOther
}

// KindLabel names an organization kind for explanations.
func KindLabel(k profilesv1.OrganizationKind) string {
	switch k {
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY:
		return "company"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY:
		return "university"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE:
		return "research institute"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL:
		return "research hospital"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_SCIENCE_PARK:
		return "science park"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY:
		return "public body"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_TRAINING_BODY:
		return "training body"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER:
		return "cluster"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_ASSOCIATION:
		return "association"
	case profilesv1.OrganizationKind_ORGANIZATION_KIND_HEALTHCARE_PROVIDER:
		return "healthcare provider"
	}
	return "organization"
}

// levelStrength weighs a competency by its stated level.
func levelStrength(l competenciesv1.CompetencyLevel) float32 {
	switch l {
	case competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_BASIC:
		return 0.6
	case competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED:
		return 0.9
	case competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT:
		return 1
	}
	return 0.8
}
