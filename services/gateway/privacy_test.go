package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/gateway"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// system is every service started in-process on one JetStream, behind a
// gateway, with a way to call each as anyone over gRPC and HTTP.
type system struct {
	t        *testing.T
	ctx      context.Context
	base     string // the gateway's URL
	profiles string // gRPC targets
	matching string
	meetings string
	comp     string
	aut      *auth.Signer
	commons  []runtime.Common
}

func startSystem(t *testing.T) *system {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	first := runtimetest.Common(t)
	s := &system{t: t, ctx: ctx}
	common := func() runtime.Common {
		c := runtimetest.Common(t)
		c.NATSURL = first.NATSURL
		s.commons = append(s.commons, c)
		return c
	}
	pc, cc, mc, ec := profiles.DefaultConfig(), competencies.DefaultConfig(), matching.DefaultConfig(), meetings.DefaultConfig()
	pc.Common, cc.Common, mc.Common, ec.Common = common(), common(), common(), common()
	// Calls go to SERVING backends only (matching rebuilds its index
	// first); a test starts once every one serves.
	targets := []*string{&s.profiles, &s.comp, &s.matching, &s.meetings}
	for i, o := range []runtime.Options{profiles.Options(pc), competencies.Options(cc), matching.Options(mc), meetings.Options(ec)} {
		conn := runtimetest.Start(t, o)
		runtimetest.WaitServing(t, conn)
		*targets[i] = conn.Target()
	}
	s.base = s.startGateway()
	a := authtest.Default().Signer
	s.aut = a
	return s
}

// startGateway starts a gateway on the system's services and returns its
// URL; a second one is a replica, or the first one restarted.
func (s *system) startGateway() string {
	s.t.Helper()
	return gatewayWith(s.t, s.profiles, func(c *gateway.Config) {
		c.Common = runtimetest.Common(s.t)
		c.Common.NATSURL = s.commons[0].NATSURL
		s.commons = append(s.commons, c.Common)
		c.Competencies, c.Matching, c.Meetings = s.comp, s.matching, s.meetings
	})
}

// createOrg creates an organisation as an admin and returns its id.
func (s *system) createOrg(name, city string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, clusters ...string) string {
	s.t.Helper()
	o := &profilesv1.Organization{Kind: kind, Name: name, CountryCode: "IT", City: city, Visibility: vis, Description: name + " works on transcriptomics and RNA sequencing"}
	for _, c := range clusters {
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c})
	}
	pc := profilesv1.NewProfilesServiceClient(s.conn(s.profiles, &auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}))
	res, err := pc.CreateOrganization(s.ctx, &profilesv1.CreateOrganizationRequest{Organization: o})
	if err != nil {
		s.t.Fatalf("create %s: %v", name, err)
	}
	return res.GetOrganization().GetId()
}

// token is p's bearer token; "" for the anonymous caller.
func (s *system) token(p *auth.Principal) string {
	s.t.Helper()
	if p == nil {
		return ""
	}
	tok, _, err := s.aut.Issue(*p)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// conn dials target calling as p (nil: without a token).
func (s *system) conn(target string, p *auth.Principal) *grpc.ClientConn {
	s.t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if p != nil {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(s.token(p))))
	}
	c, err := grpc.NewClient(target, opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

func (s *system) eventually(what string, ok func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		done, last := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: never happened; last: %s", what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpStatus = map[codes.Code]int{
	codes.OK: http.StatusOK, codes.NotFound: http.StatusNotFound, codes.PermissionDenied: http.StatusForbidden,
	codes.Unauthenticated: http.StatusUnauthorized,
}

// TestAuthorizationAndPrivacyTable runs every role against organisations of
// every visibility, over gRPC and over HTTP through the gateway: who may
// read a profile, and see its name; who may seek partners for it, explain a
// pair and record feedback as it; and that
// hidden, erased and missing read alike. It then checks that nothing of the
// erased organisation is left in any stream, bucket or Redis key.
func TestAuthorizationAndPrivacyTable(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	root := &auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	pc := profilesv1.NewProfilesServiceClient(s.conn(s.profiles, root))
	create := func(name string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, clusters ...string) string {
		return s.createOrg(name, "Trieste", kind, vis, clusters...)
	}
	const (
		cluster = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
		company = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		lab     = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	)
	c1 := create("Smart Health Cluster", cluster, profilesv1.Visibility_VISIBILITY_PUBLIC)
	c2 := create("Other Cluster", cluster, profilesv1.Visibility_VISIBILITY_PUBLIC)
	mine := create("Member Company", company, profilesv1.Visibility_VISIBILITY_PUBLIC, c1)
	research := create("Research Lab", lab, profilesv1.Visibility_VISIBILITY_PUBLIC, c2)
	names := map[string]string{
		"public": "Pelican Public Bio", "cluster": "Cormorant Cluster Bio", "hidden": "Heron Hidden Bio",
		"anonymous": "Albatross Anonymous Bio", "erased": "Egret Erased Bio",
	}
	ids := map[string]string{
		"public":    create(names["public"], company, profilesv1.Visibility_VISIBILITY_PUBLIC, c1),
		"cluster":   create(names["cluster"], company, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, c1),
		"hidden":    create(names["hidden"], company, profilesv1.Visibility_VISIBILITY_HIDDEN, c1),
		"anonymous": create(names["anonymous"], company, profilesv1.Visibility_VISIBILITY_ANONYMOUS, c1),
		"erased":    create(names["erased"], company, profilesv1.Visibility_VISIBILITY_PUBLIC, c1),
	}
	ids["missing"] = "01J00000000000000000000000"

	// The erased one is known to matching, gets feedback naming it, and is erased.
	mcRoot := matchingv1.NewMatchingServiceClient(s.conn(s.matching, root))
	seeker := func(id string) *matchingv1.Seeker {
		return &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: id}}
	}
	for _, v := range []string{"public", "cluster", "hidden", "anonymous", "erased"} {
		s.eventually("matching knows "+v, func() (bool, string) {
			_, err := mcRoot.SuggestPartners(s.ctx, &matchingv1.SuggestPartnersRequest{Seeker: seeker(ids[v]), Limit: 1})
			return err == nil, fmt.Sprint(err)
		})
	}
	s.eventually("matching knows the member company", func() (bool, string) {
		_, err := mcRoot.RecordFeedback(s.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: seeker(mine),
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: ids["erased"]}},
			Kind:      matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED, Comment: "Spoke to " + names["erased"]}})
		return err == nil, fmt.Sprint(err)
	})
	_, js, err := natsx.Connect(s.ctx, s.commons[0].NATSURL, "privacy-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	leaks := func() ([]string, error) {
		var all []string
		for _, c := range s.commons {
			opt, err := redis.ParseURL(c.RedisURL)
			if err != nil {
				return nil, err
			}
			rdb := redis.NewClient(opt)
			found, err := testenv.Leaks(s.ctx, js, rdb, c.RedisPrefix, names["erased"])
			_ = rdb.Close()
			if err != nil {
				return nil, err
			}
			all = append(all, found...)
		}
		return all, nil
	}
	if found, err := leaks(); err != nil || len(found) == 0 {
		t.Fatalf("before the erasure the scan finds nothing (%v), so it could not find anything after", err)
	}
	if _, err := pc.EraseOrganization(s.ctx, &profilesv1.EraseOrganizationRequest{Id: ids["erased"]}); err != nil {
		t.Fatal(err)
	}
	s.eventually("matching forgets the erased", func() (bool, string) {
		_, err := mcRoot.SuggestPartners(s.ctx, &matchingv1.SuggestPartnersRequest{Seeker: seeker(ids["erased"]), Limit: 1})
		return status.Code(err) == codes.NotFound, fmt.Sprint(err)
	})

	roles := []struct {
		name string
		p    *auth.Principal
	}{
		{"admin", root},
		{"manager of the cluster", &auth.Principal{Subject: "cm1", Organization: c1, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c1}}},
		{"manager of another cluster", &auth.Principal{Subject: "cm2", Organization: c2, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c2}}},
		{"company member", &auth.Principal{Subject: "member", Organization: mine, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}},
		{"researcher", &auth.Principal{Subject: "researcher", Organization: research, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c2}}},
		{"anonymous caller", nil},
	}
	const (
		ok     = codes.OK
		nf     = codes.NotFound
		denied = codes.PermissionDenied
		unauth = codes.Unauthenticated
	)
	// Reading an organisation: the code, and whether its name is shown.
	type read struct {
		code codes.Code
		name bool
	}
	reads := map[string][6]read{ // by visibility, then role in the order above
		"public":    {{ok, true}, {ok, true}, {ok, true}, {ok, true}, {ok, true}, {unauth, false}},
		"cluster":   {{ok, true}, {ok, true}, {nf, false}, {ok, true}, {nf, false}, {unauth, false}},
		"hidden":    {{ok, true}, {nf, false}, {nf, false}, {nf, false}, {nf, false}, {unauth, false}},
		"anonymous": {{ok, true}, {ok, false}, {ok, false}, {ok, false}, {ok, false}, {unauth, false}},
		"erased":    {{nf, false}, {nf, false}, {nf, false}, {nf, false}, {nf, false}, {unauth, false}},
		"missing":   {{nf, false}, {nf, false}, {nf, false}, {nf, false}, {nf, false}, {unauth, false}},
	}
	// Seeking partners for the organisation (tenancy: one's own, a managed
	// cluster's member, or as admin).
	seeks := map[string][6]codes.Code{
		"public":    {ok, ok, denied, denied, denied, unauth},
		"cluster":   {ok, ok, denied, denied, denied, unauth},
		"hidden":    {ok, ok, denied, denied, denied, unauth},
		"anonymous": {ok, ok, denied, denied, denied, unauth},
		"erased":    {nf, denied, denied, denied, denied, unauth},
		"missing":   {nf, denied, denied, denied, denied, unauth},
	}
	var notFound []string // the messages of every NotFound read, to compare
	for i, role := range roles {
		pcAs := profilesv1.NewProfilesServiceClient(s.conn(s.profiles, role.p))
		mcAs := matchingv1.NewMatchingServiceClient(s.conn(s.matching, role.p))
		tok := s.token(role.p)
		for _, vis := range []string{"public", "cluster", "hidden", "anonymous", "erased", "missing"} {
			id, name := ids[vis], names[vis]
			t.Run(role.name+"/"+vis, func(t *testing.T) {
				want := reads[vis][i]
				res, err := pcAs.GetOrganization(s.ctx, &profilesv1.GetOrganizationRequest{Id: id})
				if status.Code(err) != want.code {
					t.Errorf("gRPC GetOrganization: %v, want %v", err, want.code)
				}
				if shown := name != "" && res.GetOrganization().GetName() == name; shown != want.name {
					t.Errorf("gRPC GetOrganization shows the name: %v, want %v", shown, want.name)
				}
				if status.Code(err) == codes.NotFound {
					notFound = append(notFound, strings.ReplaceAll(status.Convert(err).Message(), id, "ID"))
				}
				r := do(t, "GET", s.base+"/v1/organizations/"+id, jsonHeader(tok), nil)
				if r.status != httpStatus[want.code] {
					t.Errorf("GET /v1/organizations/%s: %d %s, want %d", vis, r.status, r.body, httpStatus[want.code])
				}
				if shown := name != "" && strings.Contains(string(r.body), name); shown != want.name {
					t.Errorf("GET /v1/organizations/%s shows the name: %v, want %v: %s", vis, shown, want.name, r.body)
				}

				wantSeek := seeks[vis][i]
				_, err = mcAs.SuggestPartners(s.ctx, &matchingv1.SuggestPartnersRequest{Seeker: seeker(id), Limit: 3})
				if status.Code(err) != wantSeek {
					t.Errorf("gRPC SuggestPartners for it: %v, want %v", err, wantSeek)
				}
				r = do(t, "POST", s.base+"/v1/matching/suggestions", jsonHeader(tok), strings.NewReader(`{"seeker":{"organizationId":"`+id+`"},"limit":3}`))
				if r.status != httpStatus[wantSeek] {
					t.Errorf("POST /v1/matching/suggestions for it: %d %s, want %d", r.status, r.body, httpStatus[wantSeek])
				}
				if name != "" && vis != "public" && vis != "cluster" && strings.Contains(string(r.body), name) && i != 0 {
					t.Errorf("suggestions for it show its name: %s", r.body)
				}

				// Explaining a pair and recording feedback as it follow the same rule.
				cand := `{"organizationId":"` + research + `"}`
				_, err = mcAs.ExplainMatch(s.ctx, &matchingv1.ExplainMatchRequest{Seeker: seeker(id), Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: research}}})
				if status.Code(err) != wantSeek {
					t.Errorf("gRPC ExplainMatch for it: %v, want %v", err, wantSeek)
				}
				r = do(t, "POST", s.base+"/v1/matching/explanations", jsonHeader(tok), strings.NewReader(`{"seeker":{"organizationId":"`+id+`"},"candidate":`+cand+`}`))
				if r.status != httpStatus[wantSeek] {
					t.Errorf("POST /v1/matching/explanations for it: %d %s, want %d", r.status, r.body, httpStatus[wantSeek])
				}
				_, err = mcAs.RecordFeedback(s.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: seeker(id),
					Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: research}}, Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED}})
				if status.Code(err) != wantSeek {
					t.Errorf("gRPC RecordFeedback as it: %v, want %v", err, wantSeek)
				}
				r = do(t, "POST", s.base+"/v1/matching/feedback", jsonHeader(tok), strings.NewReader(`{"feedback":{"seeker":{"organizationId":"`+id+`"},"candidate":`+cand+`,"kind":"FEEDBACK_KIND_SAVED"}}`))
				if r.status != httpStatus[wantSeek] {
					t.Errorf("POST /v1/matching/feedback as it: %d %s, want %d", r.status, r.body, httpStatus[wantSeek])
				}
			})
		}
	}
	// The anonymous organisation's competencies: listed to others under an
	// opaque reference and without evidence, never with its id; its id
	// lists nothing of it; the reference lists it again.
	ccRoot := competenciesv1.NewCompetenciesServiceClient(s.conn(s.comp, root))
	s.eventually("competencies knows the anonymous organisation", func() (bool, string) {
		_, err := ccRoot.PublishCompetency(s.ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: ids["anonymous"]}}, TermId: "EDAM:topic_3170",
			Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1000/albatross", Title: "Our RNA-seq paper"}}}})
		return err == nil, fmt.Sprint(err)
	})
	// Offers marked public of the hidden and the anonymous organisation: an
	// offer's visibility narrows its holder's, never widens it.
	for _, v := range []string{"hidden", "anonymous"} {
		res, err := ccRoot.CreateCooperationProfile(s.ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: ids[v]}}, Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER,
			Title: "RNA-seq offer of the " + v, Summary: "Sequencing.", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ccRoot.UpdateCooperationProfile(s.ctx, &competenciesv1.UpdateCooperationProfileRequest{CooperationProfile: &competenciesv1.CooperationProfile{
			Id: res.GetCooperationProfile().GetId(), Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED},
			ExpectedVersion: 1, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
			t.Fatal(err)
		}
	}
	seesID := [6]codes.Code{ok, ok, denied, denied, denied, unauth} // ok: sees the id; denied: sees a reference
	for i, role := range roles {
		t.Run(role.name+"/competencies of the anonymous", func(t *testing.T) {
			tok := s.token(role.p)
			if role.p == nil {
				if r := do(t, "GET", s.base+"/v1/competencies", jsonHeader(""), nil); r.status != http.StatusUnauthorized {
					t.Errorf("GET /v1/competencies without a token: %d", r.status)
				}
				return
			}
			cc := competenciesv1.NewCompetenciesServiceClient(s.conn(s.comp, role.p))
			var ref string
			s.eventually("the competency listed", func() (bool, string) {
				res, err := cc.ListCompetencies(s.ctx, &competenciesv1.ListCompetenciesRequest{TermId: "EDAM:topic_3170", PageSize: 500})
				for _, c := range res.GetCompetencies() {
					if h := c.GetHolder().GetOrganizationId(); h == ids["anonymous"] || anonref.Is(h) {
						ref = h
					}
				}
				return ref != "", fmt.Sprint(res, err)
			})
			wantID := seesID[i] == ok
			if (ref == ids["anonymous"]) != wantID {
				t.Errorf("gRPC ListCompetencies shows the holder as %q, want its id: %v", ref, wantID)
			}
			r := do(t, "GET", s.base+"/v1/competencies?termId=EDAM:topic_3170&pageSize=500", jsonHeader(tok), nil)
			body := string(r.body)
			if r.status != http.StatusOK || strings.Contains(body, ids["anonymous"]) != wantID || strings.Contains(body, "10.1000/albatross") != wantID || strings.Contains(body, ref) != true {
				t.Errorf("GET /v1/competencies: %d %s; want the id and evidence shown: %v", r.status, body, wantID)
			}
			// The offers: both with their holders to those who see the id;
			// to the others, the anonymous one's without holder, the hidden
			// one's not at all.
			coops := do(t, "GET", s.base+"/v1/cooperation-profiles?pageSize=500", jsonHeader(tok), nil)
			cb := string(coops.body)
			if coops.status != http.StatusOK || strings.Contains(cb, ids["hidden"]) != wantID || strings.Contains(cb, ids["anonymous"]) != wantID ||
				strings.Contains(cb, "offer of the hidden") != wantID || !strings.Contains(cb, "offer of the anonymous") {
				t.Errorf("GET /v1/cooperation-profiles: %d %s; want the holders shown: %v", coops.status, cb, wantID)
			}
			if wantID {
				return
			}
			cres, err := cc.ListCooperationProfiles(s.ctx, &competenciesv1.ListCooperationProfilesRequest{PageSize: 500})
			if err != nil || strings.Contains(cres.String(), ids["hidden"]) || strings.Contains(cres.String(), ids["anonymous"]) {
				t.Errorf("gRPC ListCooperationProfiles: %v %v, want no hidden or anonymous holder", cres, err)
			}
			for q, want := range map[string]bool{"holder.organizationId=" + ids["anonymous"]: false, "organizationId=" + ids["anonymous"]: false, "holder.organizationId=" + ref: true} {
				r := do(t, "GET", s.base+"/v1/competencies?"+q, jsonHeader(tok), nil)
				if r.status != http.StatusOK || strings.Contains(string(r.body), "EDAM:topic_3170") != want || strings.Contains(string(r.body), ids["anonymous"]) {
					t.Errorf("GET /v1/competencies?%s: %d %s, want it listed: %v", q, r.status, r.body, want)
				}
			}
			res, err := cc.ListCompetencies(s.ctx, &competenciesv1.ListCompetenciesRequest{Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: ids["anonymous"]}}})
			if err != nil || len(res.GetCompetencies()) != 0 {
				t.Errorf("gRPC ListCompetencies by the anonymous id: %v %v, want nothing", res, err)
			}
		})
	}

	for _, m := range notFound[1:] {
		if m != notFound[0] {
			t.Errorf("NotFound messages differ, so hidden, erased and missing can be told apart: %q vs %q", m, notFound[0])
		}
	}

	// Nothing of the erased organisation is left: not in a stream, a
	// bucket, nor any service's Redis keys.
	s.eventually("nothing of the erased left", func() (bool, string) {
		found, err := leaks()
		if err != nil {
			return false, err.Error()
		}
		return len(found) == 0, strings.Join(found, "\n")
	})
}
