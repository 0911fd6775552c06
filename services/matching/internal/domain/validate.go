package domain

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Bounds on request sizes, so one request cannot make scoring expensive.
const (
	MaxNeedText   = 2000
	MaxNeedTerms  = 50
	MaxListFilter = 100
	MaxComment    = 2000
	MaxName       = 200
)

var (
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9_=:-]{1,128}$`)
	termPattern = regexp.MustCompile(`^[A-Za-z]+:[A-Za-z0-9_.-]{1,120}$`)
	nutsPattern = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z]{0,3}$`)
	ccPattern   = regexp.MustCompile(`^[A-Z]{2}$`)
	langPattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)
)

type violations []grpcerr.Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, grpcerr.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return grpcerr.Invalid(v...)
}

// seekerOf converts and checks a seeker.
func seekerOf(s *matchingv1.Seeker, field string, v *violations) Seeker {
	var out Seeker
	switch k := s.GetSeeker().(type) {
	case *matchingv1.Seeker_OrganizationId:
		out = Seeker{SeekOrg, k.OrganizationId}
	case *matchingv1.Seeker_PersonId:
		out = Seeker{SeekPerson, k.PersonId}
	case *matchingv1.Seeker_CooperationProfileId:
		out = Seeker{SeekCoop, k.CooperationProfileId}
	default:
		v.add(field, "set one of organization_id, person_id, cooperation_profile_id")
		return out
	}
	if !idPattern.MatchString(out.ID) {
		v.add(field, "id %q is not a valid id", clip(out.ID))
	}
	return out
}

// refOf converts and checks a profile ref.
func refOf(r *profilesv1.ProfileRef, field string, v *violations) Ref {
	var out Ref
	switch k := r.GetRef().(type) {
	case *profilesv1.ProfileRef_OrganizationId:
		out = OrgRef(k.OrganizationId)
	case *profilesv1.ProfileRef_PersonId:
		out = PersonRef(k.PersonId)
	default:
		v.add(field, "set organization_id or person_id")
		return out
	}
	if !idPattern.MatchString(out.ID) {
		v.add(field, "id %q is not a valid id", clip(out.ID))
	}
	return out
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func checkNeed(n *matchingv1.Need, field string, ont Ontology, v *violations) Need {
	out := Need{Text: strings.TrimSpace(n.GetText())}
	if !utf8.ValidString(n.GetText()) {
		v.add(field+".text", "must be UTF-8")
	}
	if len(n.GetText()) > MaxNeedText {
		v.add(field+".text", "at most %d bytes", MaxNeedText)
	}
	if len(n.GetTermIds()) > MaxNeedTerms {
		v.add(field+".term_ids", "at most %d terms", MaxNeedTerms)
		return out
	}
	for i, t := range n.GetTermIds() {
		f := fmt.Sprintf("%s.term_ids[%d]", field, i)
		switch {
		case !termPattern.MatchString(t):
			v.add(f, "%q is not a term id such as EDAM:topic_3170", clip(t))
		case ont != nil && !ont.Known(t):
			msg := fmt.Sprintf("unknown term %s", t)
			if c := ont.Closest(t); len(c) > 0 {
				msg += "; did you mean " + strings.Join(c, ", ") + "?"
			}
			v.add(f, "%s", msg)
		default:
			out.Terms = append(out.Terms, t)
		}
	}
	if len(n.GetExcludedTermIds()) > MaxNeedTerms {
		v.add(field+".excluded_term_ids", "at most %d terms", MaxNeedTerms)
		return out
	}
	for i, t := range n.GetExcludedTermIds() {
		// An excluded term only has to look like one: excluding a term the
		// vocabulary has since dropped is harmless.
		if !termPattern.MatchString(t) {
			v.add(fmt.Sprintf("%s.excluded_term_ids[%d]", field, i), "%q is not a term id such as EDAM:topic_3170", clip(t))
			continue
		}
		out.ExcludedTerms = append(out.ExcludedTerms, t)
	}
	return out
}

func checkLang(l, field string, v *violations) {
	if l != "" && (!langPattern.MatchString(l) || len(l) > 35) {
		v.add(field, "%q is not a BCP 47 language tag", clip(l))
	}
}

func checkFilter(f *matchingv1.SuggestionFilter, v *violations) Filter {
	out := Filter{
		CandidateType: f.GetCandidateType(), ExcludeExistingPartners: f.GetExcludeExistingPartners(), MinTRL: f.GetMinTrl(),
	}
	if _, ok := matchingv1.CandidateType_name[int32(out.CandidateType)]; !ok {
		v.add("filter.candidate_type", "unknown value %d", out.CandidateType)
	}
	lists := map[string]int{
		"filter.kinds": len(f.GetKinds()), "filter.sectors": len(f.GetSectors()), "filter.nuts_prefixes": len(f.GetNutsPrefixes()),
		"filter.country_codes": len(f.GetCountryCodes()), "filter.cluster_ids": len(f.GetClusterIds()),
		"filter.collaboration_types": len(f.GetCollaborationTypes()), "filter.candidate_ids": len(f.GetCandidateIds()),
		"filter.exclude_candidate_ids": len(f.GetExcludeCandidateIds()),
	}
	for name, n := range lists {
		if n > MaxListFilter {
			v.add(name, "at most %d values", MaxListFilter)
		}
	}
	for i, k := range f.GetKinds() {
		if _, ok := profilesv1.OrganizationKind_name[int32(k)]; !ok || k == 0 {
			v.add(fmt.Sprintf("filter.kinds[%d]", i), "unknown organization kind %d", k)
		}
	}
	out.Kinds = f.GetKinds()
	for i, s := range f.GetSectors() {
		if _, ok := profilesv1.Sector_name[int32(s)]; !ok || s == 0 {
			v.add(fmt.Sprintf("filter.sectors[%d]", i), "unknown sector %d", s)
		}
	}
	out.Sectors = f.GetSectors()
	for i, p := range f.GetNutsPrefixes() {
		if !nutsPattern.MatchString(p) {
			v.add(fmt.Sprintf("filter.nuts_prefixes[%d]", i), "%q is not a NUTS code such as ITH4", clip(p))
		}
	}
	out.NUTSPrefixes = f.GetNutsPrefixes()
	for i, c := range f.GetCountryCodes() {
		if !ccPattern.MatchString(c) {
			v.add(fmt.Sprintf("filter.country_codes[%d]", i), "%q is not an ISO 3166-1 alpha-2 code", clip(c))
		}
	}
	out.Countries = f.GetCountryCodes()
	for i, c := range f.GetClusterIds() {
		if !idPattern.MatchString(c) {
			v.add(fmt.Sprintf("filter.cluster_ids[%d]", i), "not a valid id")
		}
	}
	out.Clusters = f.GetClusterIds()
	for i, c := range f.GetCollaborationTypes() {
		if _, ok := competenciesv1.CollaborationType_name[int32(c)]; !ok || c == 0 {
			v.add(fmt.Sprintf("filter.collaboration_types[%d]", i), "unknown collaboration type %d", c)
		}
	}
	out.CollaborationTypes = f.GetCollaborationTypes()
	for i, c := range f.GetCandidateIds() {
		if !idPattern.MatchString(c) {
			v.add(fmt.Sprintf("filter.candidate_ids[%d]", i), "not a valid id")
		}
	}
	out.CandidateIDs = f.GetCandidateIds()
	for i, c := range f.GetExcludeCandidateIds() {
		if !idPattern.MatchString(c) {
			v.add(fmt.Sprintf("filter.exclude_candidate_ids[%d]", i), "not a valid id")
		}
	}
	out.ExcludeIDs = f.GetExcludeCandidateIds()
	if out.MinTRL < 0 || out.MinTRL > 9 {
		v.add("filter.min_trl", "must be 0 to 9")
	}
	if id := f.GetEventId(); id != "" && !idPattern.MatchString(id) {
		v.add("filter.event_id", "%q is not a valid id", clip(id))
	}
	out.EventID = f.GetEventId()
	return out
}

// ParseSuggest checks a SuggestPartners request and turns it into a query
// (viewer and feedback are filled by the caller).
func ParseSuggest(r *matchingv1.SuggestPartnersRequest, ont Ontology) (Query, error) {
	var v violations
	q := Query{Seeker: seekerOf(r.GetSeeker(), "seeker", &v), Need: checkNeed(r.GetNeed(), "need", ont, &v),
		Filter: checkFilter(r.GetFilter(), &v), Limit: int(r.GetLimit()), Diversity: r.GetDiversity(), Lang: r.GetLanguageCode()}
	if r.GetLimit() < 0 {
		v.add("limit", "must not be negative")
	}
	if _, ok := matchingv1.Diversity_name[int32(r.GetDiversity())]; !ok {
		v.add("diversity", "unknown value %d", r.GetDiversity())
	}
	checkLang(r.GetLanguageCode(), "language_code", &v)
	return q, v.err()
}

// ParseExplain checks an ExplainMatch request.
func ParseExplain(r *matchingv1.ExplainMatchRequest, ont Ontology) (Query, Ref, error) {
	var v violations
	q := Query{Seeker: seekerOf(r.GetSeeker(), "seeker", &v), Need: checkNeed(r.GetNeed(), "need", ont, &v), Lang: r.GetLanguageCode(),
		Filter: Filter{CandidateType: matchingv1.CandidateType_CANDIDATE_TYPE_ANY}}
	c := refOf(r.GetCandidate(), "candidate", &v)
	checkLang(r.GetLanguageCode(), "language_code", &v)
	return q, c, v.err()
}

// ParseSavedPartners checks a ListSavedPartners request; the query it
// returns scores saved candidates against the seeker's own profile.
func ParseSavedPartners(r *matchingv1.ListSavedPartnersRequest) (Query, error) {
	var v violations
	q := Query{Seeker: seekerOf(r.GetSeeker(), "seeker", &v), Lang: r.GetLanguageCode(),
		Filter: Filter{CandidateType: matchingv1.CandidateType_CANDIDATE_TYPE_ANY}}
	checkLang(r.GetLanguageCode(), "language_code", &v)
	return q, v.err()
}

// ParseFeedback checks a RecordFeedback request.
func ParseFeedback(r *matchingv1.RecordFeedbackRequest) (Seeker, Ref, error) {
	var v violations
	f := r.GetFeedback()
	if f == nil {
		v.add("feedback", "required")
		return Seeker{}, Ref{}, v.err()
	}
	s := seekerOf(f.GetSeeker(), "feedback.seeker", &v)
	c := refOf(f.GetCandidate(), "feedback.candidate", &v)
	switch f.GetKind() {
	case matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED, matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED,
		matchingv1.FeedbackKind_FEEDBACK_KIND_MET, matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED:
		if f.GetDismissReason() != 0 {
			v.add("feedback.dismiss_reason", "only for DISMISSED")
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED:
		if _, ok := matchingv1.DismissReason_name[int32(f.GetDismissReason())]; !ok || f.GetDismissReason() == 0 {
			v.add("feedback.dismiss_reason", "required for DISMISSED")
		}
	default:
		v.add("feedback.kind", "set SAVED, CONTACTED, MET, DISMISSED or CLEARED")
	}
	if len(f.GetComment()) > MaxComment || !utf8.ValidString(f.GetComment()) {
		v.add("feedback.comment", "at most %d bytes of UTF-8", MaxComment)
	}
	if len(r.GetClientRequestId()) > 128 {
		v.add("client_request_id", "at most 128 bytes")
	}
	return s, c, v.err()
}

// ParseSavedSearch checks a search to save.
func ParseSavedSearch(s *matchingv1.SavedSearch, ont Ontology) error {
	var v violations
	if s.GetName() == "" || len(s.GetName()) > MaxName || !utf8.ValidString(s.GetName()) {
		v.add("saved_search.name", "1 to %d bytes of UTF-8", MaxName)
	}
	seekerOf(s.GetSeeker(), "saved_search.seeker", &v)
	checkNeed(s.GetNeed(), "saved_search.need", ont, &v)
	checkFilter(s.GetFilter(), &v)
	if s.GetMinScore() < 0 || s.GetMinScore() > 1 || s.GetMinScore() != s.GetMinScore() {
		v.add("saved_search.min_score", "must be in [0, 1]")
	}
	return v.err()
}

// ParseWatch checks a WatchMatches request.
func ParseWatch(r *matchingv1.WatchMatchesRequest, ont Ontology) error {
	var v violations
	if r.GetSavedSearch() != nil {
		if err := ParseSavedSearch(r.GetSavedSearch(), ont); err != nil {
			return err
		}
	}
	if len(r.GetSavedSearchIds()) > MaxListFilter {
		v.add("saved_search_ids", "at most %d", MaxListFilter)
	}
	for i, id := range r.GetSavedSearchIds() {
		if !idPattern.MatchString(id) {
			v.add(fmt.Sprintf("saved_search_ids[%d]", i), "not a valid id")
		}
	}
	if id := r.GetResumeAfterMatchId(); id != "" && !idPattern.MatchString(id) {
		v.add("resume_after_match_id", "not a valid id")
	}
	if len(r.GetClientRequestId()) > 128 {
		v.add("client_request_id", "at most 128 bytes")
	}
	checkLang(r.GetLanguageCode(), "language_code", &v)
	return v.err()
}

// QueryOfSavedSearch turns a stored search into a query; stored searches
// were validated when saved.
func QueryOfSavedSearch(s *matchingv1.SavedSearch, ont Ontology) Query {
	var v violations
	return Query{Seeker: seekerOf(s.GetSeeker(), "", &v), Need: checkNeed(s.GetNeed(), "", ont, &v), Filter: checkFilter(s.GetFilter(), &v)}
}

// ParseSeeker checks a seeker on its own.
func ParseSeeker(s *matchingv1.Seeker, field string) (Seeker, error) {
	var v violations
	out := seekerOf(s, field, &v)
	return out, v.err()
}
