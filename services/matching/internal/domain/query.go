package domain

import (
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// SeekerKind says what seeks partners.
type SeekerKind int

// Kinds of seeker.
const (
	SeekOrg SeekerKind = iota + 1
	SeekPerson
	SeekCoop
)

// Seeker is who seeks.
type Seeker struct {
	Kind SeekerKind
	ID   string
}

// Key identifies the seeker in feedback.
func (s Seeker) Key() string {
	switch s.Kind {
	case SeekOrg:
		return "org:" + s.ID
	case SeekPerson:
		return "person:" + s.ID
	case SeekCoop:
		return "coop:" + s.ID
	}
	return ""
}

// Filter restricts candidates; see matchingv1.SuggestionFilter.
type Filter struct {
	CandidateType           matchingv1.CandidateType
	Kinds                   []profilesv1.OrganizationKind
	Sectors                 []profilesv1.Sector
	NUTSPrefixes            []string
	Countries               []string
	Clusters                []string
	CollaborationTypes      []competenciesv1.CollaborationType
	ExcludeExistingPartners bool
	CandidateIDs            []string
	ExcludeIDs              []string
	MinTRL                  int32
	// EventID restricts candidates to the participants of a brokerage event.
	EventID string
}

// Viewer is the caller, for visibility.
type Viewer struct {
	Subject  string
	Org      string
	Clusters []string
	Admin    bool
}

// Need is what is sought on top of the seeker's own requests.
type Need struct {
	Text  string
	Terms []string
	// ExcludedTerms are terms the text must not be read as.
	ExcludedTerms []string
}

// Query is one SuggestPartners or ExplainMatch question.
type Query struct {
	Seeker    Seeker
	Need      Need
	Filter    Filter
	Limit     int
	Diversity matchingv1.Diversity
	Viewer    Viewer
	Lang      string
	// Dismissed and Partners are candidate ids from the seeker's feedback.
	Dismissed map[string]string // id -> when, for ExplainMatch's reasons
	Partners  map[string]bool
}
