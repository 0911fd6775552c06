package domain

import (
	"maps"
	"slices"
	"strconv"

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
	Dismissed map[string]string // id -> why ("dismissed on <date>"), for ExplainMatch's reasons
	Partners  map[string]bool
}

// AppendKey appends q in a canonical form to b: every field in order,
// strings quoted, lists with their length, maps by sorted key, so two
// queries have the same key exactly when they ask the same. It is the key
// of kept answers, made on every ask without a need; encoding/json gave the
// same in 4 µs and a dozen allocations a call.
func (q *Query) AppendKey(b []byte) []byte {
	str := func(s string) { b = strconv.AppendQuote(b, s) }
	num := func(n int64) { b = strconv.AppendInt(append(b, ' '), n, 10) }
	strs := func(ss []string) {
		if ss == nil {
			b = append(b, 'n')
			return
		}
		num(int64(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	enums := func(n int, at func(int) int64, isNil bool) {
		if isNil {
			b = append(b, 'n')
			return
		}
		num(int64(n))
		for i := range n {
			num(at(i))
		}
	}
	flag := func(v bool) {
		if v {
			b = append(b, 't')
		} else {
			b = append(b, 'f')
		}
	}
	num(int64(q.Seeker.Kind))
	str(q.Seeker.ID)
	str(q.Need.Text)
	strs(q.Need.Terms)
	strs(q.Need.ExcludedTerms)
	f := &q.Filter
	num(int64(f.CandidateType))
	enums(len(f.Kinds), func(i int) int64 { return int64(f.Kinds[i]) }, f.Kinds == nil)
	enums(len(f.Sectors), func(i int) int64 { return int64(f.Sectors[i]) }, f.Sectors == nil)
	strs(f.NUTSPrefixes)
	strs(f.Countries)
	strs(f.Clusters)
	enums(len(f.CollaborationTypes), func(i int) int64 { return int64(f.CollaborationTypes[i]) }, f.CollaborationTypes == nil)
	flag(f.ExcludeExistingPartners)
	strs(f.CandidateIDs)
	strs(f.ExcludeIDs)
	num(int64(f.MinTRL))
	str(f.EventID)
	num(int64(q.Limit))
	num(int64(q.Diversity))
	str(q.Viewer.Subject)
	str(q.Viewer.Org)
	strs(q.Viewer.Clusters)
	flag(q.Viewer.Admin)
	str(q.Lang)
	if q.Dismissed == nil {
		b = append(b, 'n')
	} else {
		num(int64(len(q.Dismissed)))
		for _, k := range slices.Sorted(maps.Keys(q.Dismissed)) {
			str(k)
			str(q.Dismissed[k])
		}
	}
	if q.Partners == nil {
		b = append(b, 'n')
	} else {
		num(int64(len(q.Partners)))
		for _, k := range slices.Sorted(maps.Keys(q.Partners)) {
			str(k)
			flag(q.Partners[k])
		}
	}
	return b
}
