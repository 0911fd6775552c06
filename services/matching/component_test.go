package matching_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestPublishedCompetencyChangesSuggestions goes end to end: events on
// JetStream, the durable consumers, the Redis projection, the index and
// SuggestPartners over gRPC.
func TestPublishedCompetencyChangesSuggestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	res := e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded cluster suggested", func(got []string) bool { return len(got) == 2 })
	if ids(res)[0] != "ICGEB" || ids(res)[1] != "UNITS" {
		t.Fatalf("top = %v, want ICGEB (exact RNA-Seq) then UNITS (broader)", topK(res))
	}
	if slices.Contains(ids(res), "SISSA") {
		t.Fatalf("SISSA suggested before it has a matching competency: %v", topK(res))
	}
	e.comp("C4", "SISSA", rnaSeq, 1)
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "new competency suggested", contains("SISSA"))

	// Retracting it takes SISSA out again.
	e.publish("C4", &eventsv1.CompetencyRetracted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "C4", AggregateVersion: 2})
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "retracted competency gone", func(got []string) bool { return !slices.Contains(got, "SISSA") })
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	if _, err := c.SuggestPartners(e.ctx, suggestReq("ACME")); status.Code(err) != codes.Unauthenticated {
		t.Errorf("anonymous call: %v, want Unauthenticated", err)
	}
	if _, err := c.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ICGEB")); status.Code(err) != codes.PermissionDenied {
		t.Errorf("seeking for another organization: %v, want PermissionDenied", err)
	}
	bad := suggestReq("ACME")
	bad.Need = &matchingv1.Need{TermIds: []string{"EDAM:topic_317"}}
	_, err := c.SuggestPartners(e.ctx, bad, e.as("ACME"))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("unknown term: %v, want InvalidArgument suggesting terms", err)
	}
}

// TestTenancy: a caller seeks, explains, watches and records feedback for
// their own organization, a cluster manager for the members of the clusters
// they manage, an admin for anyone; and feedback names a candidate the
// seeker could be shown.
func TestTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.org("HIDDEN", "Hidden Lab", institute, profilesv1.Visibility_VISIBILITY_HIDDEN, 1)
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	e.eventually("hidden organization known", func() (bool, string) {
		// Seeking for it as an admin succeeds once the read model has it.
		_, err := c.SuggestPartners(e.ctx, suggestReq("HIDDEN"), e.asPrincipal(auth.Principal{Subject: "admin", Roles: []auth.Role{auth.RoleAdmin}}))
		return err == nil, fmt.Sprint(err)
	})
	manager := func(clusters ...string) grpc.CallOption {
		return e.asPrincipal(auth.Principal{Subject: "cm", Organization: "CLMGR", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: clusters})
	}
	admin := e.asPrincipal(auth.Principal{Subject: "admin", Roles: []auth.Role{auth.RoleAdmin}})
	acme := suggestReq("ACME").GetSeeker()
	icgeb := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}}
	feedback := func(cand string) *matchingv1.RecordFeedbackRequest {
		return &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: acme,
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: cand}}, Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_MET}}
	}
	watch := func(as grpc.CallOption) error {
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		s, err := c.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{SavedSearch: &matchingv1.SavedSearch{Name: "w", Seeker: acme, Need: &matchingv1.Need{TermIds: []string{rnaSeq}}}}, as)
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}
	for _, tc := range []struct {
		name string
		as   grpc.CallOption
		want codes.Code
	}{
		{"member of the organization", e.as("ACME"), codes.OK},
		{"member of another organization", e.as("ICGEB"), codes.PermissionDenied},
		{"manager of the organization's cluster", manager(cluster), codes.OK},
		{"manager of another cluster", manager("OTHER"), codes.PermissionDenied},
		{"manager of no cluster", manager(), codes.PermissionDenied},
		{"admin", admin, codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.SuggestPartners(e.ctx, suggestReq("ACME"), tc.as); status.Code(err) != tc.want {
				t.Errorf("SuggestPartners: %v, want %v", err, tc.want)
			}
			if _, err := c.ExplainMatch(e.ctx, &matchingv1.ExplainMatchRequest{Seeker: acme, Candidate: icgeb}, tc.as); status.Code(err) != tc.want {
				t.Errorf("ExplainMatch: %v, want %v", err, tc.want)
			}
			if err := watch(tc.as); status.Code(err) != tc.want {
				t.Errorf("WatchMatches with a new search: %v, want %v", err, tc.want)
			}
			if _, err := c.RecordFeedback(e.ctx, feedback("ICGEB"), tc.as); status.Code(err) != tc.want {
				t.Errorf("RecordFeedback: %v, want %v", err, tc.want)
			}
		})
	}
	// A manager of another cluster cannot seek for an unknown organization
	// either, and is told the same as for a known one.
	_, errUnknown := c.SuggestPartners(e.ctx, suggestReq("NOSUCH"), manager("OTHER"))
	_, errHidden := c.SuggestPartners(e.ctx, suggestReq("HIDDEN"), manager("OTHER"))
	if status.Code(errUnknown) != codes.PermissionDenied || status.Code(errHidden) != codes.PermissionDenied {
		t.Errorf("manager of another cluster seeking for unknown: %v; for hidden: %v; want PermissionDenied both", errUnknown, errHidden)
	}

	// Feedback on a candidate that does not exist, or that the seeker may
	// not see, is refused alike and changes nothing.
	_, errMissing := c.RecordFeedback(e.ctx, feedback("NOSUCH"), e.as("ACME"))
	_, errHiddenCand := c.RecordFeedback(e.ctx, feedback("HIDDEN"), e.as("ACME"))
	if status.Code(errMissing) != codes.NotFound || status.Code(errHiddenCand) != codes.NotFound {
		t.Fatalf("feedback on a missing candidate: %v; on a hidden one: %v; want NotFound both", errMissing, errHiddenCand)
	}
	if status.Convert(errMissing).Message() != strings.Replace(status.Convert(errHiddenCand).Message(), "HIDDEN", "NOSUCH", 1) {
		t.Errorf("missing and hidden told apart: %q vs %q", status.Convert(errMissing).Message(), status.Convert(errHiddenCand).Message())
	}
	keys, err := e.feedbackKeys()
	if err != nil {
		t.Fatal(err)
	}
	// Only the three accepted MET feedbacks (member, manager, admin) are stored.
	if len(keys) != 3 {
		t.Errorf("stored feedback: %d entries, want 3", len(keys))
	}
}

// TestRebuildAfterFlush loses the projection in Redis (only this test's
// keys) and checks that a new replica rebuilds it from JetStream and answers
// the same.
func TestRebuildAfterFlush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.comp("C4", "SISSA", rnaSeq, 1)
	// An erased organization must stay erased after the rebuild.
	e.org("GONE", "Gone Lab", institute, public, 1)
	e.comp("C5", "GONE", rnaSeq, 1)
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", func(got []string) bool { return slices.Contains(got, "SISSA") && slices.Contains(got, "GONE") })
	e.publish("GONE", &eventsv1.OrganizationErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "GONE", AggregateVersion: 2})
	before := e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "erased gone", func(got []string) bool { return !slices.Contains(got, "GONE") })

	rc, _ := testenv.Redis(t)
	if err := testenv.DeletePrefix(context.Background(), rc, e.cfg.RedisPrefix); err != nil {
		t.Fatal(err)
	}
	// The running replica notices and rebuilds; a fresh replica starts from
	// the rebuilt projection.
	e.eventually("projection rebuilt in redis", func() (bool, string) {
		n, err := rc.HLen(e.ctx, e.cfg.RedisPrefix+":matching:aggregates").Result()
		return err == nil && n >= 10, "aggregates in redis"
	})
	fresh := e.start()
	want := strings.Join(topK(before), " ")
	for _, client := range []matchingv1.MatchingServiceClient{c, fresh} {
		e.eventually("identical top-k after rebuild", func() (bool, string) {
			res, err := client.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ACME"))
			if err != nil {
				return false, err.Error()
			}
			got := strings.Join(topK(res), " ")
			return got == want, got + " want " + want
		})
	}
}

// TestReplicasAgreeAndErase runs two replicas on one NATS and Redis.
func TestReplicasAgreeAndErase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.start(), e.start()
	e.seedCluster()
	e.comp("C4", "SISSA", rnaSeq, 1)
	// Replaying an event (new event id, same version) changes nothing.
	e.comp("C4", "SISSA", rnaSeq, 1)
	// Each replica applies the events at its own pace: both are asked
	// again until each has every seeded candidate, and then must give the
	// same ranking with the same scores.
	seeded := func(got []string) bool {
		return slices.Contains(got, "ICGEB") && slices.Contains(got, "SISSA") && slices.Contains(got, "UNITS")
	}
	e.eventually("replicas agree", func() (bool, string) {
		ra, err := a.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ACME"))
		if err != nil {
			return false, err.Error()
		}
		rb, err := b.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ACME"))
		if err != nil {
			return false, err.Error()
		}
		return seeded(ids(ra)) && seeded(ids(rb)) && slices.Equal(topK(ra), topK(rb)),
			strings.Join(topK(rb), " ") + " vs " + strings.Join(topK(ra), " ")
	})
	e.publish("ICGEB", &eventsv1.OrganizationErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "ICGEB", AggregateVersion: 2})
	for _, c := range []matchingv1.MatchingServiceClient{a, b} {
		e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "erased everywhere", func(got []string) bool { return len(got) > 0 && !slices.Contains(got, "ICGEB") })
		_, err := c.ExplainMatch(e.ctx, &matchingv1.ExplainMatchRequest{Seeker: suggestReq("ACME").GetSeeker(), Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}}}, e.as("ACME"))
		if status.Code(err) != codes.NotFound {
			t.Errorf("explain erased candidate: %v, want NotFound", err)
		}
	}
}

func TestFeedbackDismissesDurably(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	fb := &matchingv1.RecordFeedbackRequest{ClientRequestId: "dismiss-1", Feedback: &matchingv1.Feedback{
		Seeker: suggestReq("ACME").GetSeeker(), Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}},
		Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED, DismissReason: matchingv1.DismissReason_DISMISS_REASON_COMPETITOR}}
	r1, err := c.RecordFeedback(e.ctx, fb, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.RecordFeedback(e.ctx, fb, e.as("ACME"))
	if err != nil || r2.GetFeedback().GetId() != r1.GetFeedback().GetId() {
		t.Fatalf("retry recorded anew: %v vs %v (%v)", r2.GetFeedback().GetId(), r1.GetFeedback().GetId(), err)
	}
	res, err := c.SuggestPartners(e.ctx, suggestReq("ACME"), e.as("ACME"))
	if err != nil || slices.Contains(ids(res), "ICGEB") {
		t.Fatalf("dismissed candidate suggested: %v %v", topK(res), err)
	}
	// Feedback is in JetStream: a new replica knows it too.
	fresh := e.start()
	res = e.suggestUntil(fresh, suggestReq("ACME"), e.as("ACME"), "new replica serves", contains("UNITS"))
	if slices.Contains(ids(res), "ICGEB") {
		t.Fatalf("new replica forgot the dismissal: %v", topK(res))
	}
	// And the event went out on TANDEM_MATCHING.
	e.eventually("feedback event published", func() (bool, string) {
		st, err := e.js.Stream(e.ctx, "TANDEM_MATCHING")
		if err != nil {
			return false, err.Error()
		}
		_, err = st.GetLastMsgForSubject(e.ctx, "tandem.matching.v1.feedback.recorded."+r1.GetFeedback().GetId())
		return err == nil, "no feedback.recorded event"
	})
	bad := &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: fb.GetFeedback().GetSeeker(), Candidate: fb.GetFeedback().GetCandidate(), Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED}}
	if _, err := c.RecordFeedback(e.ctx, bad, e.as("ACME")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("dismissal without reason: %v", err)
	}
}

// TestWatchMatches saves a search and receives a match when a new
// competency makes a candidate fit it.
func TestWatchMatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	stream, err := c.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{SavedSearch: &matchingv1.SavedSearch{
		Name: "RNA-Seq partners", Seeker: suggestReq("ACME").GetSeeker(), Need: &matchingv1.Need{TermIds: []string{rnaSeq}}, MinScore: 0.2}}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	saved := first.GetSavedSearch()
	if saved.GetId() == "" || saved.GetOwnerSubject() != "user-ACME" {
		t.Fatalf("first message %v, want the stored search", first)
	}
	trigger := e.comp("C4", "SISSA", rnaSeq, 1)
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	m := msg.GetMatch()
	if m.GetSavedSearchId() != saved.GetId() || m.GetSuggestion().GetCandidate().GetRef().GetOrganizationId() != "SISSA" || m.GetTriggerEventId() != trigger {
		t.Fatalf("match %v, want SISSA for search %s triggered by %s", m, saved.GetId(), trigger)
	}
	cancel()

	// A reconnecting client resumes after a match it saw and misses nothing.
	second := e.comp("C5", "UNITS", rnaSeq, 1)
	rctx, rcancel := context.WithCancel(e.ctx)
	defer rcancel()
	again, err := c.WatchMatches(rctx, &matchingv1.WatchMatchesRequest{SavedSearchIds: []string{saved.GetId()}, ResumeAfterMatchId: m.GetId()}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := again.Recv(); err != nil || msg.GetSavedSearch().GetId() != saved.GetId() {
		t.Fatalf("resumed stream starts with %v, %v", msg, err)
	}
	msg, err = again.Recv()
	if err != nil || msg.GetMatch().GetTriggerEventId() != second || msg.GetMatch().GetSuggestion().GetCandidate().GetRef().GetOrganizationId() != "UNITS" {
		t.Fatalf("resumed stream got %v, %v; want the UNITS match", msg, err)
	}
	// Someone else cannot watch it.
	other, err := c.WatchMatches(e.ctx, &matchingv1.WatchMatchesRequest{SavedSearchIds: []string{saved.GetId()}}, e.as("ICGEB"))
	if err == nil {
		_, err = other.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Errorf("watching another user's search: %v, want NotFound", err)
	}
}
