package domain_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func TestFeedbackBookSaved(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	fb := func(id, cand string, kind matchingv1.FeedbackKind, minutes int) *matchingv1.Feedback {
		return &matchingv1.Feedback{Id: id, Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}},
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: cand}}, Kind: kind,
			CreatedAt: timestamppb.New(at.Add(time.Duration(minutes) * time.Minute))}
	}
	const saved, cleared = matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED, matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED
	tests := []struct {
		name  string
		feeds []*matchingv1.Feedback
		want  []string
	}{
		{"nothing saved", nil, nil},
		{"latest saved first", []*matchingv1.Feedback{fb("01A", "ICGEB", saved, 1), fb("01B", "SISSA", saved, 2)}, []string{"SISSA", "ICGEB"}},
		{"cleared is gone", []*matchingv1.Feedback{fb("01A", "ICGEB", saved, 1), fb("01B", "ICGEB", cleared, 2)}, nil},
		{"an older save replayed after a clear changes nothing", []*matchingv1.Feedback{fb("01B", "ICGEB", cleared, 2), fb("01A", "ICGEB", saved, 1)}, nil},
		{"saved again after a clear", []*matchingv1.Feedback{fb("01A", "ICGEB", saved, 1), fb("01B", "ICGEB", cleared, 2), fb("01C", "ICGEB", saved, 3)}, []string{"ICGEB"}},
		{"contact is not a save", []*matchingv1.Feedback{fb("01A", "ICGEB", matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED, 1)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			book := domain.NewFeedbackBook()
			for _, f := range tt.feeds {
				book.Apply(f)
			}
			var got []string
			for _, c := range book.Saved(domain.Seeker{Kind: domain.SeekOrg, ID: "ACME"}) {
				got = append(got, c.Ref.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("saved = %v, want %v", got, tt.want)
			}
		})
	}
}
