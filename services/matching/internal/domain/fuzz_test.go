package domain_test

import (
	"errors"
	"regexp"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

var validID = regexp.MustCompile(`^[A-Za-z0-9_=:-]{1,128}$`)

// FuzzParseSuggest feeds arbitrary wire bytes as a SuggestPartners request:
// parsing never panics, rejects with field violations only, and what it
// accepts is within bounds.
func FuzzParseSuggest(f *testing.F) {
	seeds := []*matchingv1.SuggestPartnersRequest{
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "01JD0000000000000000000000"}}, Need: &matchingv1.Need{Text: "liver fibrosis biomarkers", TermIds: []string{rnaSeq}}, Limit: 5},
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_PersonId{PersonId: "p1"}}, Filter: &matchingv1.SuggestionFilter{NutsPrefixes: []string{"ITH4"}, CountryCodes: []string{"IT"}, MinTrl: 4}},
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_CooperationProfileId{CooperationProfileId: "bad id!"}}, Limit: -1, LanguageCode: "it"},
		{Need: &matchingv1.Need{TermIds: []string{"EDAM:topic_317"}}, Diversity: 9},
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}, Filter: &matchingv1.SuggestionFilter{EventId: "01JD0000000000000000000000", CandidateType: matchingv1.CandidateType_CANDIDATE_TYPE_ANY}},
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}, Filter: &matchingv1.SuggestionFilter{EventId: "tandem.meetings.v1.>"}},
		{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_PersonId{PersonId: "p1"}}, Filter: &matchingv1.SuggestionFilter{EventId: "évènement 1"}},
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r matchingv1.SuggestPartnersRequest
		if proto.Unmarshal(data, &r) != nil {
			return
		}
		q, err := domain.ParseSuggest(&r, ontology())
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 {
				t.Fatalf("rejection is not a field violation: %v", err)
			}
			return
		}
		if q.Filter.EventID != r.GetFilter().GetEventId() || (q.Filter.EventID != "" && !validID.MatchString(q.Filter.EventID)) {
			t.Fatalf("accepted event id %q as %q", r.GetFilter().GetEventId(), q.Filter.EventID)
		}
		if !validID.MatchString(q.Seeker.ID) || q.Limit < 0 || len(q.Need.Text) > domain.MaxNeedText || len(q.Need.Terms) > domain.MaxNeedTerms {
			t.Fatalf("accepted out-of-bounds query %+v", q)
		}
		for _, term := range q.Need.Terms {
			if !ontology().Known(term) {
				t.Fatalf("accepted unknown term %q", term)
			}
		}
	})
}

// FuzzParseFeedback does the same for RecordFeedback requests.
func FuzzParseFeedback(f *testing.F) {
	seeker := &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}
	cand := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}}
	for _, s := range []*matchingv1.RecordFeedbackRequest{
		{Feedback: &matchingv1.Feedback{Seeker: seeker, Candidate: cand, Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED, DismissReason: matchingv1.DismissReason_DISMISS_REASON_TOO_FAR}, ClientRequestId: "r1"},
		{Feedback: &matchingv1.Feedback{Seeker: seeker, Candidate: cand, Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED}},
		{Feedback: &matchingv1.Feedback{Seeker: seeker, Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED, DismissReason: 3}},
		{},
	} {
		b, _ := proto.Marshal(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r matchingv1.RecordFeedbackRequest
		if proto.Unmarshal(data, &r) != nil {
			return
		}
		s, c, err := domain.ParseFeedback(&r)
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 {
				t.Fatalf("rejection is not a field violation: %v", err)
			}
			return
		}
		if !validID.MatchString(s.ID) || !validID.MatchString(c.ID) {
			t.Fatalf("accepted invalid ids %q %q", s.ID, c.ID)
		}
		if r.GetFeedback().GetKind() == matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED && r.GetFeedback().GetDismissReason() == 0 {
			t.Fatal("accepted a dismissal without reason")
		}
	})
}

// FuzzParseWatch checks WatchMatches requests, saved searches included.
func FuzzParseWatch(f *testing.F) {
	for _, s := range []*matchingv1.WatchMatchesRequest{
		{SavedSearch: &matchingv1.SavedSearch{Name: "RNA-Seq partners", Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}, MinScore: 0.3}},
		{SavedSearchIds: []string{"01A", "x y"}, ResumeAfterMatchId: "01B"},
		{SavedSearch: &matchingv1.SavedSearch{MinScore: 2}},
		{SavedSearch: &matchingv1.SavedSearch{Name: "Who to meet at the fair", Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}, Filter: &matchingv1.SuggestionFilter{EventId: "EV1"}}},
		{SavedSearch: &matchingv1.SavedSearch{Name: "bad event", Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}, Filter: &matchingv1.SuggestionFilter{EventId: "EV 1"}}},
	} {
		b, _ := proto.Marshal(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r matchingv1.WatchMatchesRequest
		if proto.Unmarshal(data, &r) != nil {
			return
		}
		err := domain.ParseWatch(&r, ontology())
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("rejection is not a field violation: %v", err)
			}
			return
		}
		if ss := r.GetSavedSearch(); ss != nil && (ss.GetName() == "" || ss.GetMinScore() < 0 || ss.GetMinScore() > 1 ||
			(ss.GetFilter().GetEventId() != "" && !validID.MatchString(ss.GetFilter().GetEventId()))) {
			t.Fatalf("accepted invalid saved search %v", ss)
		}
	})
}
