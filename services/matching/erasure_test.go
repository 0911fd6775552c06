package matching_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestErasureReachesEveryCopy: an organization and its person matched a
// saved search and got feedback with comments naming them; after both are
// erased, no stream message, bucket revision or Redis key of the test holds
// their names or city, and replaying the saved search's matches through
// WatchMatches shows nothing of them.
func TestErasureReachesEveryCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	e.suggestUntil(c, suggestReq("ACME"), e.as("ACME"), "seeded", contains("ICGEB"))
	secrets := []string{"Zanzibar Genomics", "Quokkaville", "Ottoline Fernsby"}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	search := &matchingv1.SavedSearch{Name: "RNA-Seq partners", Seeker: suggestReq("ACME").GetSeeker(), Need: &matchingv1.Need{TermIds: []string{rnaSeq}}, MinScore: 0.2}
	stream, err := c.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{SavedSearch: search}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	saved := first.GetSavedSearch()
	next := func(s matchingv1.MatchingService_WatchMatchesClient) *matchingv1.NewMatch {
		t.Helper()
		msg, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return msg.GetMatch()
	}
	e.comp("C5", "UNITS", rnaSeq, 1)
	before := next(stream)
	if before.GetSuggestion().GetCandidate().GetRef().GetOrganizationId() != "UNITS" {
		t.Fatalf("first match %v, want UNITS", before)
	}

	// The organization and its person appear, match, and get feedback.
	e.publish("SECRET", &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "SECRET", AggregateVersion: 1,
		Organization: &profilesv1.Organization{Id: "SECRET", Kind: institute, Name: "Zanzibar Genomics", CountryCode: "IT", NutsCode: "ITH44", City: "Quokkaville",
			Visibility: public, Description: "Zanzibar Genomics of Quokkaville sequences RNA", ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: cluster}}}})
	e.publish("P1", &eventsv1.PersonUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "P1", AggregateVersion: 1,
		Person: &profilesv1.Person{Id: "P1", OrganizationId: "SECRET", Name: "Ottoline Fernsby", Bio: "Ottoline Fernsby runs RNA-Seq in Quokkaville", Visibility: public}})
	e.comp("C6", "SECRET", rnaSeq, 1)
	e.publish("C7", &eventsv1.CompetencyPublished{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "C7", AggregateVersion: 1,
		Competency: &competenciesv1.Competency{Id: "C7", Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: "P1"}}, TermId: rnaSeq,
			Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1/y"}}}})
	var shown bool
	for !shown {
		m := next(stream)
		shown = m.GetSuggestion().GetCandidate().GetRef().GetOrganizationId() == "SECRET"
		if shown && m.GetSuggestion().GetCandidate().GetDisplayName() != "Zanzibar Genomics" {
			t.Fatalf("live match shows %q, want the name resolved when read", m.GetSuggestion().GetCandidate().GetDisplayName())
		}
	}
	cancel()
	for _, cand := range []*profilesv1.ProfileRef{
		{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "SECRET"}},
		{Ref: &profilesv1.ProfileRef_PersonId{PersonId: "P1"}},
	} {
		// The person may reach the read model after the match was pushed.
		e.eventually("feedback recorded", func() (bool, string) {
			_, err := c.RecordFeedback(e.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: suggestReq("ACME").GetSeeker(), Candidate: cand,
				Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED, Comment: "Called Ottoline Fernsby at Zanzibar Genomics in Quokkaville"}}, e.as("ACME"))
			return err == nil, fmt.Sprint(err)
		})
	}
	rdb := e.redis()
	if found, err := testenv.Leaks(e.ctx, e.js, rdb, e.cfg.RedisPrefix, secrets...); err != nil || len(found) == 0 {
		t.Fatalf("before the erasure the scan finds nothing (%v): it cannot find anything after", err)
	}

	// Erasure, as the profiles and competencies services publish it; they
	// purge their own streams of the aggregate's earlier events.
	e.publish("P1", &eventsv1.PersonErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "P1", AggregateVersion: 2})
	e.publish("SECRET", &eventsv1.OrganizationErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "SECRET", AggregateVersion: 2, ErasedPersonIds: []string{"P1"}})
	for stream, subjects := range map[string][]string{
		"TANDEM_PROFILES":     {"tandem.profiles.v1.organization.upserted.SECRET", "tandem.profiles.v1.person.upserted.P1"},
		"TANDEM_COMPETENCIES": {"tandem.competencies.v1.competency.published.C6", "tandem.competencies.v1.competency.published.C7"},
	} {
		st, err := e.js.Stream(e.ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			if err := st.Purge(e.ctx, jetstream.WithPurgeSubject(s)); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.eventually("nothing of the erased left", func() (bool, string) {
		found, err := testenv.Leaks(e.ctx, e.js, rdb, e.cfg.RedisPrefix, secrets...)
		if err != nil {
			return false, err.Error()
		}
		return len(found) == 0, strings.Join(found, "\n")
	})

	// Replaying the search's matches shows nothing of them: the next match
	// after UNITS's is one found after the erasure.
	rctx, rcancel := context.WithCancel(e.ctx)
	defer rcancel()
	again, err := c.WatchMatches(rctx, &matchingv1.WatchMatchesRequest{SavedSearchIds: []string{saved.GetId()}, ResumeAfterMatchId: before.GetId()}, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := again.Recv(); err != nil || msg.GetSavedSearch().GetId() != saved.GetId() {
		t.Fatalf("resumed stream starts with %v, %v", msg, err)
	}
	e.comp("C8", "SISSA", rnaSeq, 1)
	m := next(again)
	if got := m.GetSuggestion().GetCandidate().GetRef().GetOrganizationId(); got != "SISSA" {
		t.Fatalf("replay after the erasure shows %v, want the SISSA match found after it", m)
	}
	// The feedback itself stays, as ids: a contacted candidate is still a partner.
	if keys, err := e.feedbackKeys(); err != nil || len(keys) != 2 {
		t.Errorf("feedback entries after the erasure: %v, %v; want both kept without comments", keys, err)
	}
}

// redis returns a client of the test's Redis.
func (e *env) redis() *redis.Client {
	e.t.Helper()
	opt, err := redis.ParseURL(e.cfg.RedisURL)
	if err != nil {
		e.t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	e.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestHidingRemovesFeedbackComments: setting a person, then their
// organization, to hidden removes the comments of the feedback about each,
// from every bucket revision and stream message, as an erasure does; the
// feedback itself stays.
func TestHidingRemovesFeedbackComments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	hide := func(vis profilesv1.Visibility, version int64) {
		e.publish("SECRET", &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "SECRET", AggregateVersion: version,
			Organization: &profilesv1.Organization{Id: "SECRET", Kind: institute, Name: "Zanzibar Genomics", CountryCode: "IT", City: "Quokkaville",
				Visibility: vis, ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: cluster}}}})
	}
	hidePerson := func(vis profilesv1.Visibility, version int64) {
		e.publish("P1", &eventsv1.PersonUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: "P1", AggregateVersion: version,
			Person: &profilesv1.Person{Id: "P1", OrganizationId: "SECRET", Name: "Ottoline Fernsby", Visibility: vis}})
	}
	hide(public, 1)
	hidePerson(public, 1)
	e.comp("C6", "SECRET", rnaSeq, 1)
	aboutOrg, aboutPerson := "met them at the harbour stand", "her phone is 555-0199"
	for cand, comment := range map[*profilesv1.ProfileRef]string{
		{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "SECRET"}}: aboutOrg,
		{Ref: &profilesv1.ProfileRef_PersonId{PersonId: "P1"}}:                 aboutPerson,
	} {
		e.eventually("feedback recorded", func() (bool, string) {
			_, err := c.RecordFeedback(e.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: suggestReq("ACME").GetSeeker(), Candidate: cand,
				Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED, Comment: comment}}, e.as("ACME"))
			return err == nil, fmt.Sprint(err)
		})
	}
	leaks := func(want ...string) func() (bool, string) {
		return func() (bool, string) {
			found, err := testenv.Leaks(e.ctx, e.js, nil, "", aboutOrg, aboutPerson)
			if err != nil {
				return false, err.Error()
			}
			var holds []string
			for _, n := range []string{aboutOrg, aboutPerson} {
				if slices.ContainsFunc(found, func(f string) bool { return strings.Contains(f, fmt.Sprintf("%q", n)) }) {
					holds = append(holds, n)
				}
			}
			return slices.Equal(holds, want), strings.Join(found, "\n")
		}
	}
	e.eventually("both comments stored", leaks(aboutOrg, aboutPerson))
	hidePerson(profilesv1.Visibility_VISIBILITY_HIDDEN, 2)
	e.eventually("the hidden person's comment removed, the organization's kept", leaks(aboutOrg))
	hide(profilesv1.Visibility_VISIBILITY_HIDDEN, 2)
	e.eventually("no comment left", leaks())
	if keys, err := e.feedbackKeys(); err != nil || len(keys) != 2 {
		t.Errorf("feedback entries after hiding: %v, %v; want both kept without comments", keys, err)
	}
}
