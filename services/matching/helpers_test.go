package matching_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching"
)

const (
	rnaSeq     = "EDAM:topic_3170"
	proteomics = "EDAM:topic_0121"
	cluster    = "CLFVG"
)

// env is one test's infrastructure: a JetStream server with the profiles
// and competencies streams, an isolated Redis prefix, and a client that
// publishes events as those services would.
type env struct {
	t   testing.TB
	ctx context.Context
	cfg matching.Config
	js  jetstream.JetStream
	aut *auth.Signer
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cfg := matching.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.ProjectionCheck = 50 * time.Millisecond
	nc, js, err := natsx.Connect(ctx, cfg.NATSURL, "test-publisher", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e := &env{t: t, ctx: ctx, cfg: cfg, js: js, aut: authtest.Default().Signer}
	e.stream("TANDEM_PROFILES", "tandem.profiles.v1.>")
	e.stream("TANDEM_COMPETENCIES", "tandem.competencies.v1.>")
	return e
}

// stream creates a stream another service (or matching itself) owns, as it would.
func (e *env) stream(name, subjects string) {
	e.t.Helper()
	if _, err := natsx.EnsureStream(e.ctx, e.js, jetstream.StreamConfig{Name: name, Subjects: []string{subjects}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) start() matchingv1.MatchingServiceClient {
	e.t.Helper()
	return matchingv1.NewMatchingServiceClient(runtimetest.Start(e.t, matching.Options(e.cfg)))
}

// as returns call credentials of a member of org (in the cluster).
func (e *env) as(org string, roles ...auth.Role) grpc.CallOption {
	e.t.Helper()
	if len(roles) == 0 {
		roles = []auth.Role{auth.RoleMember}
	}
	tok, _, err := e.aut.Issue(auth.Principal{Subject: "user-" + org, Organization: org, Roles: roles, Clusters: []string{cluster}})
	if err != nil {
		e.t.Fatal(err)
	}
	return grpc.PerRPCCredentials(auth.BearerToken(tok))
}

// publish publishes ev as its owning service would, on its subject plus key.
func (e *env) publish(key string, ev proto.Message) {
	e.t.Helper()
	subject, err := eventkv.Subject(ev, key)
	if err != nil {
		e.t.Fatal(err)
	}
	id := ev.ProtoReflect().Get(ev.ProtoReflect().Descriptor().Fields().ByName("event_id")).String()
	if _, err := natsx.Publish(e.ctx, e.js, subject, id, ev); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) org(id, name string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, version int64) {
	e.publish(id, &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: version,
		Organization: &profilesv1.Organization{Id: id, Kind: kind, Name: name, CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Visibility: vis,
			Description: name, ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: cluster}}}})
}

func (e *env) comp(id, holder, term string, version int64) string {
	ev := &eventsv1.CompetencyPublished{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: version,
		Competency: &competenciesv1.Competency{Id: id, Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: holder}}, TermId: term,
			Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1/x"}}}}
	e.publish(id, ev)
	return ev.EventId
}

func (e *env) request(id, holder, title string, terms ...string) {
	e.publish(id, &eventsv1.CooperationProfileUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: 1,
		CooperationProfile: &competenciesv1.CooperationProfile{Id: id, Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: holder}},
			Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST, Title: title, Summary: title, TermIds: terms,
			Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED}})
}

const (
	company   = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	institute = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	public    = profilesv1.Visibility_VISIBILITY_PUBLIC
)

// seedCluster publishes a company with an RNA-Seq request and three
// research organizations.
func (e *env) seedCluster() {
	e.org("ACME", "Acme Diagnostics", company, public, 1)
	e.request("REQ1", "ACME", "RNA-Seq service", rnaSeq)
	e.org("ICGEB", "ICGEB", institute, public, 1)
	e.comp("C1", "ICGEB", rnaSeq, 1)
	e.org("UNITS", "University of Trieste", profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, public, 1)
	e.comp("C2", "UNITS", "EDAM:topic_3168", 1)
	e.org("SISSA", "SISSA", institute, public, 1)
	e.comp("C3", "SISSA", proteomics, 1)
}

func suggestReq(org string) *matchingv1.SuggestPartnersRequest {
	return &matchingv1.SuggestPartnersRequest{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: org}}, Diversity: matchingv1.Diversity_DIVERSITY_NONE}
}

// topK renders a response as "id:score" for comparison.
func topK(res *matchingv1.SuggestPartnersResponse) []string {
	var out []string
	for _, s := range res.GetSuggestions() {
		out = append(out, fmt.Sprintf("%s:%.4f", s.GetCandidate().GetRef().GetOrganizationId()+s.GetCandidate().GetRef().GetPersonId(), s.GetScore()))
	}
	return out
}

func ids(res *matchingv1.SuggestPartnersResponse) []string {
	var out []string
	for _, s := range res.GetSuggestions() {
		out = append(out, s.GetCandidate().GetRef().GetOrganizationId()+s.GetCandidate().GetRef().GetPersonId())
	}
	return out
}

// eventually polls until ok or the test's deadline; never a fixed sleep.
func (e *env) eventually(what string, ok func() (bool, string)) {
	e.t.Helper()
	var last string
	for {
		var done bool
		if done, last = ok(); done {
			return
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("%s: never happened; last: %s", what, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// suggestUntil polls SuggestPartners until cond holds and returns the answer.
func (e *env) suggestUntil(c matchingv1.MatchingServiceClient, req *matchingv1.SuggestPartnersRequest, as grpc.CallOption, what string, cond func([]string) bool) *matchingv1.SuggestPartnersResponse {
	e.t.Helper()
	var res *matchingv1.SuggestPartnersResponse
	e.eventually(what, func() (bool, string) {
		r, err := c.SuggestPartners(e.ctx, req, as)
		if err != nil {
			return false, err.Error()
		}
		res = r
		return cond(ids(r)), fmt.Sprint(topK(r))
	})
	return res
}

func contains(id string) func([]string) bool {
	return func(got []string) bool { return slices.Contains(got, id) }
}

// feedbackKeys lists the stored feedback's keys.
func (e *env) feedbackKeys() ([]string, error) {
	kv, err := e.js.KeyValue(e.ctx, "matching_feedback")
	if err != nil {
		return nil, err
	}
	keys, err := kv.Keys(e.ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	return keys, err
}
