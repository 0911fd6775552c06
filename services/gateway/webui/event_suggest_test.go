package webui

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func TestSuggestState(t *testing.T) {
	for _, tc := range []struct {
		name       string
		registered bool
		err        error
		message    string
		problem    bool
	}{
		{"answered", true, nil, "", false},
		{"matching has not seen the event", true, status.Error(codes.NotFound, "event"), "event.suggest_wait", false},
		{"matching has not seen the registration", true, status.Error(codes.FailedPrecondition, "seeker"), "event.suggest_wait", false},
		{"not registered", false, status.Error(codes.FailedPrecondition, "seeker"), "event.suggest_register", false},
		{"service down", true, status.Error(codes.Unavailable, "down"), "", true},
		{"not a status", true, errors.New("boom"), "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, bad := suggestState(tc.registered, tc.err)
			if msg != tc.message || bad != tc.problem {
				t.Errorf("suggestState = %q, %v; want %q, %v", msg, bad, tc.message, tc.problem)
			}
			if msg != "" {
				if _, ok := messages[msg]; !ok {
					t.Errorf("%q is not in the catalogue", msg)
				}
			}
		})
	}
}

func TestMatchSuggestions(t *testing.T) {
	org := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	person := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}
	}
	sg := func(ref *profilesv1.ProfileRef) *matchingv1.Suggestion {
		return &matchingv1.Suggestion{Candidate: &matchingv1.CandidateSummary{Ref: ref}}
	}
	me := &meetingsv1.Participant{Id: "P-ME", Profile: org("ME")}
	parts := []*meetingsv1.Participant{
		me,
		{Id: "P-A", Profile: org("A")},
		{Id: "P-B", Profile: person("B")},
		{Id: "P-C", Profile: person("C")}, // a person of organisation C-ORG
	}
	for _, tc := range []struct {
		name string
		in   []*matchingv1.Suggestion
		want []string
	}{
		{"none", nil, nil},
		{"order kept", []*matchingv1.Suggestion{sg(person("B")), sg(org("A"))}, []string{"P-B", "P-A"}},
		{"never oneself", []*matchingv1.Suggestion{sg(org("ME")), sg(org("A"))}, []string{"P-A"}},
		{"organisation registered only through a person", []*matchingv1.Suggestion{sg(org("C-ORG")), sg(person("C"))}, []string{"P-C"}},
		{"a person id is not an organisation id", []*matchingv1.Suggestion{sg(org("B"))}, nil},
		{"no candidate", []*matchingv1.Suggestion{{}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := matchSuggestions(me, parts, tc.in)
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ParticipantID)
			}
			if len(ids) != len(tc.want) {
				t.Fatalf("participants %v, want %v", ids, tc.want)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("participants %v, want %v", ids, tc.want)
				}
			}
		})
	}
}
