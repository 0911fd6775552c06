package competencies_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
)

// env is one competencies service in-process, with a stand-in for the
// profiles service's event stream.
type env struct {
	t    testing.TB
	js   jetstream.JetStream
	addr string
	auth *auth.Signer
}

func start(t testing.TB, tune ...func(*competencies.Config)) *env {
	t.Helper()
	cfg := competencies.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.ExpiryInterval = 50 * time.Millisecond
	for _, f := range tune {
		f(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, js, err := natsx.Connect(ctx, cfg.NATSURL, "test-profiles", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	// The profiles service owns this stream; the test publishes its events.
	if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name: "TANDEM_PROFILES", Subjects: []string{"tandem.profiles.v1.>"}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	a := authtest.Default().Signer
	conn := runtimetest.Start(t, competencies.Options(cfg))
	return &env{t: t, js: js, addr: conn.Target(), auth: a}
}

// client returns a client that calls as p (no token when p.Subject is empty).
func (e *env) client(p auth.Principal) competenciesv1.CompetenciesServiceClient {
	e.t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if p.Subject != "" {
		tok, _, err := e.auth.Issue(p)
		if err != nil {
			e.t.Fatal(err)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	}
	conn, err := grpc.NewClient(e.addr, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = conn.Close() })
	return competenciesv1.NewCompetenciesServiceClient(conn)
}

func (e *env) publish(subject string, ev proto.Message, eventID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := natsx.Publish(ctx, e.js, subject, eventID, ev); err != nil {
		e.t.Fatal(err)
	}
}

// organization announces an organisation as the profiles service would.
func (e *env) organization(id string, version int64, vis profilesv1.Visibility, clusters ...string) {
	o := &profilesv1.Organization{Id: id, Name: "Org " + id, Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, CountryCode: "IT", Visibility: vis, Version: version}
	for _, c := range clusters {
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c})
	}
	id2 := ulid.Make().String()
	e.publish("tandem.profiles.v1.organization.upserted."+id, &eventsv1.OrganizationUpserted{EventId: id2, OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: version, Organization: o}, id2)
}

func (e *env) person(id, org string, version int64) {
	p := &profilesv1.Person{Id: id, OrganizationId: org, Name: "Person " + id, Version: version}
	eid := ulid.Make().String()
	e.publish("tandem.profiles.v1.person.upserted."+id, &eventsv1.PersonUpserted{EventId: eid, OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: version, Person: p}, eid)
}

func (e *env) eraseOrganization(id string, version int64) {
	eid := ulid.Make().String()
	e.publish("tandem.profiles.v1.organization.erased."+id, &eventsv1.OrganizationErased{EventId: eid, OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: version}, eid)
}

// eventually polls f until it returns nil or 20 s pass.
func eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 20s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func orgRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
}

func personRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}
}

func code(err error) codes.Code { return status.Code(err) }

// waitHolder publishes until the service knows the holder (the consumer is
// asynchronous): a publish stops failing with FailedPrecondition.
func waitHolder(t testing.TB, c competenciesv1.CompetenciesServiceClient, ref *profilesv1.ProfileRef) *competenciesv1.Competency {
	t.Helper()
	var got *competenciesv1.Competency
	eventually(t, "holder known", func() error {
		res, err := c.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: ref, TermId: "EDAM:topic_0622", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED,
		}})
		if err != nil {
			return err
		}
		got = res.GetCompetency()
		return nil
	})
	return got
}

func TestTermRPCsArePublic(t *testing.T) {
	t.Parallel()
	e := start(t)
	anon := e.client(auth.Principal{})
	res, err := anon.SearchTerms(ctx(t), &competenciesv1.SearchTermsRequest{Query: "rna seq"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetMatches()) == 0 || res.GetMatches()[0].GetTerm().GetId() != "EDAM:topic_3170" {
		t.Fatalf("first match of %q = %v, want EDAM:topic_3170", "rna seq", res.GetMatches())
	}
	if len(res.GetMatches()[0].GetParents()) == 0 {
		t.Error("match has no parents")
	}

	// Paging: the second page continues the first without overlap.
	p1, err := anon.SearchTerms(ctx(t), &competenciesv1.SearchTermsRequest{Query: "sequencing", PageSize: 3})
	if err != nil || p1.GetNextPageToken() == "" {
		t.Fatalf("page 1: %v, token %q", err, p1.GetNextPageToken())
	}
	p2, err := anon.SearchTerms(ctx(t), &competenciesv1.SearchTermsRequest{Query: "sequencing", PageSize: 3, PageToken: p1.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p1.GetMatches() {
		for _, b := range p2.GetMatches() {
			if a.GetTerm().GetId() == b.GetTerm().GetId() {
				t.Errorf("%s on both pages", a.GetTerm().GetId())
			}
		}
	}

	// Filters by source and branch.
	mesh, err := anon.SearchTerms(ctx(t), &competenciesv1.SearchTermsRequest{Query: "proteomics", Sources: []competenciesv1.TermSource{competenciesv1.TermSource_TERM_SOURCE_MESH}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mesh.GetMatches() {
		if m.GetTerm().GetSource() != competenciesv1.TermSource_TERM_SOURCE_MESH {
			t.Errorf("source filter let %s through", m.GetTerm().GetId())
		}
	}

	term, err := anon.GetTerm(ctx(t), &competenciesv1.GetTermRequest{Id: "EDAM:topic_3170"})
	if err != nil {
		t.Fatal(err)
	}
	if term.GetTerm().GetLabel() != "RNA-Seq" || len(term.GetAncestors()) == 0 || term.GetAncestors()[0].GetDistance() != 1 {
		t.Errorf("GetTerm RNA-Seq = %v", term)
	}
	if len(term.GetLinkedTerms()) == 0 {
		t.Errorf("RNA-Seq has no linked MeSH term")
	}
	obsolete, err := anon.GetTerm(ctx(t), &competenciesv1.GetTermRequest{Id: "EDAM:topic_0134"})
	if err != nil || !obsolete.GetTerm().GetObsolete() {
		t.Errorf("obsolete term: %v, %v", obsolete, err)
	}
	if _, err := anon.GetTerm(ctx(t), &competenciesv1.GetTermRequest{Id: "EDAM:topic_9999"}); code(err) != codes.NotFound {
		t.Errorf("unknown term: %v, want NotFound", err)
	}

	rr, err := anon.ResolveTerms(ctx(t), &competenciesv1.ResolveTermsRequest{Texts: []string{"mass spec", "liver fibrosis"}, MaxCandidates: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := rr.GetResolutions()[0].GetCandidates()[0].GetTerm().GetId(); got != "MESH:D013058" {
		t.Errorf("mass spec resolves first to %s", got)
	}
	if got := rr.GetResolutions()[1].GetCandidates()[0].GetTerm().GetId(); got != "MESH:D008103" {
		t.Errorf("liver fibrosis resolves first to %s", got)
	}

	// Protected RPCs need a token.
	if _, err := anon.ListCompetencies(ctx(t), &competenciesv1.ListCompetenciesRequest{}); code(err) != codes.Unauthenticated {
		t.Errorf("anonymous list: %v, want Unauthenticated", err)
	}
}

func TestCompetencyLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	org, other := ulid.Make().String(), ulid.Make().String()
	person := ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC, "cluster1")
	e.organization(other, 1, profilesv1.Visibility_VISIBILITY_HIDDEN)
	e.person(person, org, 1)
	member := e.client(auth.Principal{Subject: "alice", Organization: org, Roles: []auth.Role{auth.RoleMember}})
	outsider := e.client(auth.Principal{Subject: "bob", Organization: other, Roles: []auth.Role{auth.RoleMember}})
	manager := e.client(auth.Principal{Subject: "carol", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"cluster1"}})

	first := waitHolder(t, member, orgRef(org))
	if first.GetVersion() != 1 || first.GetTerm().GetLabel() != "Genomics" || first.GetId() == "" {
		t.Fatalf("published %v", first)
	}

	// Re-publishing the same content changes nothing.
	same, err := member.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
		Holder: orgRef(org), TermId: "EDAM:topic_0622", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED}})
	if err != nil || same.GetChanged() || same.GetCompetency().GetVersion() != 1 {
		t.Fatalf("identical publish: changed=%v version=%d err=%v", same.GetChanged(), same.GetCompetency().GetVersion(), err)
	}

	// A change with evidence bumps the version; a stale expected version is Aborted.
	ev := []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1038/nature15393", Url: "https://doi.org/10.1038/nature15393", Year: 2015}}
	upd, err := member.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{ExpectedVersion: 1, Competency: &competenciesv1.Competency{
		Holder: orgRef(org), TermId: "EDAM:topic_0622", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Evidence: ev}})
	if err != nil || !upd.GetChanged() || upd.GetCompetency().GetVersion() != 2 || upd.GetCompetency().GetId() != first.GetId() {
		t.Fatalf("update: %v %v", upd, err)
	}
	_, err = member.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{ExpectedVersion: 1, Competency: &competenciesv1.Competency{
		Holder: orgRef(org), TermId: "EDAM:topic_0622", Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_BASIC}})
	if code(err) != codes.Aborted {
		t.Errorf("stale publish: %v, want Aborted", err)
	}

	cases := []struct {
		name   string
		client competenciesv1.CompetenciesServiceClient
		comp   *competenciesv1.Competency
		want   codes.Code
	}{
		{"unknown term", member, &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_317"}, codes.InvalidArgument},
		{"obsolete term", member, &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0134"}, codes.InvalidArgument},
		{"no holder", member, &competenciesv1.Competency{TermId: "EDAM:topic_0622"}, codes.InvalidArgument},
		{"bad evidence url", member, &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0121",
			Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE, Reference: "x", Url: "ftp://x"}}}, codes.InvalidArgument},
		{"unknown holder", member, &competenciesv1.Competency{Holder: orgRef(ulid.Make().String()), TermId: "EDAM:topic_0622"}, codes.FailedPrecondition},
		{"other organisation", outsider, &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0121"}, codes.PermissionDenied},
		{"cluster manager", manager, &competenciesv1.Competency{Holder: orgRef(org), TermId: "MESH:D013058"}, codes.OK},
		{"person of the organisation", member, &competenciesv1.Competency{Holder: personRef(person), TermId: "EDAM:topic_3170"}, codes.OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: tc.comp})
			if code(err) != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	// The unknown term's error names the closest terms.
	_, err = member.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_317"}})
	if !strings.Contains(violations(err), "EDAM:topic_3170") {
		t.Errorf("unknown term error %q does not suggest EDAM:topic_3170", violations(err))
	}

	// Lists: by holder, by organisation (with its people), by term with descendants.
	list := func(c competenciesv1.CompetenciesServiceClient, req *competenciesv1.ListCompetenciesRequest) []string {
		t.Helper()
		res, err := c.ListCompetencies(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range res.GetCompetencies() {
			ids = append(ids, c.GetTermId())
		}
		return ids
	}
	if got := list(member, &competenciesv1.ListCompetenciesRequest{Holder: orgRef(org)}); len(got) != 2 {
		t.Errorf("holder list = %v, want 2", got)
	}
	if got := list(member, &competenciesv1.ListCompetenciesRequest{OrganizationId: org}); len(got) != 3 {
		t.Errorf("organisation list = %v, want 3 (with the person's)", got)
	}
	if got := list(outsider, &competenciesv1.ListCompetenciesRequest{TermId: "EDAM:topic_3168", IncludeDescendants: true}); len(got) != 1 || got[0] != "EDAM:topic_3170" {
		t.Errorf("descendants of Sequencing = %v, want the RNA-Seq one", got)
	}

	// Paging walks everything once.
	seen := map[string]bool{}
	tok := ""
	for {
		res, err := member.ListCompetencies(ctx(t), &competenciesv1.ListCompetenciesRequest{PageSize: 1, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.GetCompetencies() {
			if seen[c.GetId()] {
				t.Fatalf("%s twice", c.GetId())
			}
			seen[c.GetId()] = true
		}
		if tok = res.GetNextPageToken(); tok == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("paged %d competencies, want 3", len(seen))
	}

	// Retract: only the holder's side; then it is gone.
	if _, err := outsider.RetractCompetency(ctx(t), &competenciesv1.RetractCompetencyRequest{Id: first.GetId()}); code(err) != codes.PermissionDenied {
		t.Errorf("outsider retract: %v", err)
	}
	if _, err := member.RetractCompetency(ctx(t), &competenciesv1.RetractCompetencyRequest{Id: first.GetId(), ExpectedVersion: 1}); code(err) != codes.Aborted {
		t.Errorf("stale retract: %v", err)
	}
	if _, err := member.RetractCompetency(ctx(t), &competenciesv1.RetractCompetencyRequest{Id: first.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.RetractCompetency(ctx(t), &competenciesv1.RetractCompetencyRequest{Id: first.GetId()}); code(err) != codes.NotFound {
		t.Errorf("second retract: %v, want NotFound", err)
	}
	if got := list(member, &competenciesv1.ListCompetenciesRequest{Holder: orgRef(org)}); len(got) != 1 {
		t.Errorf("after retract = %v, want 1", got)
	}

	// Every change reached the event stream.
	want := map[string]int{"tandem.competencies.v1.competency.published": 4, "tandem.competencies.v1.competency.retracted": 1}
	eventually(t, "events relayed", func() error { return countEvents(e.js, want) })
}

func violations(err error) string {
	var b strings.Builder
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				b.WriteString(v.GetField() + ": " + v.GetDescription() + "\n")
			}
		}
	}
	return b.String()
}

// countEvents checks the number of events per subject prefix on the
// competencies stream.
func countEvents(js jetstream.JetStream, want map[string]int) error {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(c, "TANDEM_COMPETENCIES")
	if err != nil {
		return err
	}
	for prefix, n := range want {
		info, err := s.Info(c, jetstream.WithSubjectFilter(prefix+".>"))
		if err != nil {
			return err
		}
		got := 0
		for _, k := range info.State.Subjects {
			got += int(k)
		}
		if got != n {
			return errors.New(prefix + ": " + strconv.Itoa(got) + " events, want " + strconv.Itoa(n))
		}
	}
	return nil
}

func TestCooperationProfileLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	org, other := ulid.Make().String(), ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	e.organization(other, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	owner := e.client(auth.Principal{Subject: "alice", Organization: org})
	reader := e.client(auth.Principal{Subject: "bob", Organization: other})
	waitHolder(t, owner, orgRef(org))

	draft := &competenciesv1.CooperationProfile{
		Holder: orgRef(org), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
		Title: "Organ-on-chip liver model", Summary: "A microfluidic liver model for toxicity testing.",
		TermIds:            []string{"LOCAL:organ-on-chip", "MESH:D008103"},
		CollaborationTypes: []competenciesv1.CollaborationType{competenciesv1.CollaborationType_COLLABORATION_TYPE_LICENSING},
		Trl:                4,
	}
	res, err := owner.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: draft, ClientRequestId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	p := res.GetCooperationProfile()
	if p.GetStatus() != competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT || p.GetVersion() != 1 || len(p.GetTerms()) != 2 {
		t.Fatalf("created %v", p)
	}
	again, err := owner.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: draft, ClientRequestId: "req-1"})
	if err != nil || again.GetCooperationProfile().GetId() != p.GetId() {
		t.Fatalf("retried create: %v %v, want id %s", again, err, p.GetId())
	}

	// Drafts are the holder's only.
	if _, err := reader.GetCooperationProfile(ctx(t), &competenciesv1.GetCooperationProfileRequest{Id: p.GetId()}); code(err) != codes.NotFound {
		t.Errorf("reader sees a draft: %v", err)
	}
	statusMask := &fieldmaskpb.FieldMask{Paths: []string{"status"}}
	set := func(c competenciesv1.CompetenciesServiceClient, s competenciesv1.CooperationProfileStatus, version int64) (*competenciesv1.CooperationProfile, error) {
		r, err := c.UpdateCooperationProfile(ctx(t), &competenciesv1.UpdateCooperationProfileRequest{
			CooperationProfile: &competenciesv1.CooperationProfile{Id: p.GetId(), Status: s}, ExpectedVersion: version, UpdateMask: statusMask})
		return r.GetCooperationProfile(), err
	}
	if _, err := set(reader, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, 1); code(err) != codes.PermissionDenied {
		t.Errorf("reader publishes: %v", err)
	}
	if _, err := set(owner, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED, 1); code(err) != codes.FailedPrecondition {
		t.Errorf("draft -> closed: %v, want FailedPrecondition", err)
	}
	pub, err := set(owner, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, 1)
	if err != nil || pub.GetVersion() != 2 || pub.GetPublishedAt() == nil || pub.GetTitle() != draft.GetTitle() {
		t.Fatalf("publish: %v %v", pub, err)
	}
	if _, err := set(owner, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED, 1); code(err) != codes.Aborted {
		t.Errorf("stale close: %v, want Aborted", err)
	}

	// Visible to others now; list filters.
	listed := func(req *competenciesv1.ListCooperationProfilesRequest) int {
		t.Helper()
		r, err := reader.ListCooperationProfiles(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		return len(r.GetCooperationProfiles())
	}
	checks := []struct {
		name string
		req  *competenciesv1.ListCooperationProfilesRequest
		want int
	}{
		{"all published", &competenciesv1.ListCooperationProfilesRequest{}, 1},
		{"by ancestor term", &competenciesv1.ListCooperationProfilesRequest{TermIds: []string{"MESH:D008107"}}, 1},
		{"other term", &competenciesv1.ListCooperationProfilesRequest{TermIds: []string{"EDAM:topic_3170"}}, 0},
		{"kind", &competenciesv1.ListCooperationProfilesRequest{Kinds: []competenciesv1.CooperationProfileKind{competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST}}, 0},
		{"min trl", &competenciesv1.ListCooperationProfilesRequest{MinTrl: 5}, 0},
		{"query", &competenciesv1.ListCooperationProfilesRequest{Query: "toxicity"}, 1},
		{"collaboration", &competenciesv1.ListCooperationProfilesRequest{CollaborationTypes: []competenciesv1.CollaborationType{competenciesv1.CollaborationType_COLLABORATION_TYPE_LICENSING}}, 1},
	}
	for _, c := range checks {
		if got := listed(c.req); got != c.want {
			t.Errorf("%s: %d profiles, want %d", c.name, got, c.want)
		}
	}
	closed, err := set(owner, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED, 2)
	if err != nil || closed.GetStatus() != competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED {
		t.Fatalf("close: %v %v", closed, err)
	}
	if _, err := set(owner, competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, 3); code(err) != codes.FailedPrecondition {
		t.Errorf("closed -> published: %v, want FailedPrecondition", err)
	}

	// A published profile expires after its deadline; the server moves it.
	soon := proto.Clone(draft).(*competenciesv1.CooperationProfile)
	soon.Status = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
	soon.Deadline = timestamppb.New(time.Now().Add(300 * time.Millisecond))
	cr, err := owner.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: soon})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "expiry", func() error {
		r, err := owner.GetCooperationProfile(ctx(t), &competenciesv1.GetCooperationProfileRequest{Id: cr.GetCooperationProfile().GetId()})
		if err != nil {
			return err
		}
		if r.GetCooperationProfile().GetStatus() != competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_EXPIRED {
			return errors.New(r.GetCooperationProfile().GetStatus().String())
		}
		return nil
	})
	past := proto.Clone(draft).(*competenciesv1.CooperationProfile)
	past.Deadline = timestamppb.New(time.Now().Add(-time.Hour))
	if _, err := owner.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: past}); code(err) != codes.InvalidArgument {
		t.Errorf("past deadline: %v", err)
	}
	bad := proto.Clone(draft).(*competenciesv1.CooperationProfile)
	bad.TermIds = []string{"MESH:D99"}
	if _, err := owner.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: bad}); code(err) != codes.InvalidArgument {
		t.Errorf("unknown term: %v", err)
	}
}

func TestEraseRemovesEverythingHeld(t *testing.T) {
	t.Parallel()
	e := start(t)
	org, keep := ulid.Make().String(), ulid.Make().String()
	person := ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	e.organization(keep, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	e.person(person, org, 1)
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	waitHolder(t, admin, orgRef(org))
	waitHolder(t, admin, orgRef(keep))
	waitHolder(t, admin, personRef(person))
	if _, err := admin.CreateCooperationProfile(ctx(t), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
		Holder: orgRef(org), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_OFFER, Title: "Offer",
	}}); err != nil {
		t.Fatal(err)
	}

	e.eraseOrganization(org, 2)
	eid := ulid.Make().String()
	e.publish("tandem.profiles.v1.person.erased."+person, &eventsv1.PersonErased{EventId: eid, AggregateId: person, AggregateVersion: 2, OrganizationId: org}, eid)
	// A stale upsert arriving after the erasure brings nothing back.
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)

	eventually(t, "erased holder's competencies gone", func() error {
		res, err := admin.ListCompetencies(ctx(t), &competenciesv1.ListCompetenciesRequest{})
		if err != nil {
			return err
		}
		if n := len(res.GetCompetencies()); n != 1 {
			return errors.New(strconv.Itoa(n) + " competencies left, want the other organisation's 1")
		}
		return nil
	})
	res, err := admin.ListCooperationProfiles(ctx(t), &competenciesv1.ListCooperationProfilesRequest{Statuses: []competenciesv1.CooperationProfileStatus{competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT}})
	if err != nil || len(res.GetCooperationProfiles()) != 0 {
		t.Errorf("profiles after erase: %v %v", res.GetCooperationProfiles(), err)
	}
	if _, err := admin.PublishCompetency(ctx(t), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{Holder: orgRef(org), TermId: "EDAM:topic_0622"}}); code(err) != codes.FailedPrecondition {
		t.Errorf("publish for erased holder: %v, want FailedPrecondition", err)
	}
	want := map[string]int{
		// The erase purges the earlier events of each erased aggregate.
		"tandem.competencies.v1.competency.published":         1,
		"tandem.competencies.v1.competency.retracted":         2,
		"tandem.competencies.v1.cooperation_profile.deleted":  1,
		"tandem.competencies.v1.cooperation_profile.upserted": 0,
	}
	eventually(t, "erase events", func() error { return countEvents(e.js, want) })
}
