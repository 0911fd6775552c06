package matching_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestNamedMatchEventsAreSwept: a match event of the format before
// references only (the candidate's name, city and explanation in the
// stream, out of an erasure's reach) is deleted when matching starts; one
// with a reference and a score stays.
func TestNamedMatchEventsAreSwept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream("TANDEM_MATCHING", "tandem.matching.v1.>")
	ref := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "EGRET"}}
	publish := func(sg *matchingv1.Suggestion) string {
		id := ulid.Make().String()
		ev := &eventsv1.MatchFound{EventId: id, OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: 1, OwnerSubject: "user-ACME",
			Match: &matchingv1.NewMatch{Id: id, SavedSearchId: "S1", Suggestion: sg, MatchedAt: timestamppb.Now()}}
		if _, err := natsx.Publish(e.ctx, e.js, "tandem.matching.v1.match.found."+id, id, ev); err != nil {
			t.Fatal(err)
		}
		return id
	}
	named := publish(&matchingv1.Suggestion{Score: 0.7, Candidate: &matchingv1.CandidateSummary{Ref: ref, DisplayName: "Egret Genomics", City: "Quokkaville"},
		Explanations: []*matchingv1.ExplanationItem{{Text: "Egret Genomics works on RNA-Seq"}}})
	refOnly := publish(&matchingv1.Suggestion{Score: 0.7, Candidate: &matchingv1.CandidateSummary{Ref: ref}})

	e.start()
	st, err := e.js.Stream(e.ctx, "TANDEM_MATCHING")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.GetLastMsgForSubject(e.ctx, "tandem.matching.v1.match.found."+named)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the match event with names is still stored: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := st.GetLastMsgForSubject(e.ctx, "tandem.matching.v1.match.found."+refOnly); err != nil {
		t.Errorf("the reference-only match event is gone: %v", err)
	}
}
