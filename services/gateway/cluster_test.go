package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// TestClusterTrial is the production shape in one process: a NATS cluster of
// three, two replicas of each service started at the same moment with R3
// streams and buckets (they race to declare them), and a gateway that
// balances over both replicas of each. A member's journey goes through it:
// organisations created and read back, a competency that turns into a
// suggestion, a brokerage event with a meeting request; with one NATS server
// stopped, writes and reads still work.
func TestClusterTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster and ten servers; skipped with -short")
	}
	t.Parallel()
	servers := testenv.JetStreamCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	s := &system{t: t, ctx: ctx, aut: authtest.Default().Signer}
	rc, prefix := testenv.Redis(t)
	// Replicas of a service share their Redis state; services do not.
	common := func(service string) runtime.Common {
		c := runtime.Common{
			GRPCAddr: "127.0.0.1:0", NATSURL: testenv.ClientURLs(servers),
			RedisURL:    fmt.Sprintf("redis://%s/%d", rc.Options().Addr, rc.Options().DB),
			RedisPrefix: prefix + service + ":", AuthPublicKeys: authtest.PublicKeys(t, authtest.Default()), LogLevel: "warn",
			StartupTimeout: 2 * time.Minute, ShutdownTimeout: 10 * time.Second,
		}
		s.commons = append(s.commons, c)
		return c
	}
	const r3 = 3
	options := map[string]func(runtime.Common) runtime.Options{
		"profiles": func(cm runtime.Common) runtime.Options {
			c := profiles.DefaultConfig()
			c.Common, c.Replicas = cm, r3
			return profiles.Options(c)
		},
		"competencies": func(cm runtime.Common) runtime.Options {
			c := competencies.DefaultConfig()
			c.Common, c.Replicas = cm, r3
			return competencies.Options(c)
		},
		"matching": func(cm runtime.Common) runtime.Options {
			c := matching.DefaultConfig()
			c.Common, c.Replicas = cm, r3
			return matching.Options(c)
		},
		"meetings": func(cm runtime.Common) runtime.Options {
			c := meetings.DefaultConfig()
			c.Common, c.Replicas = cm, r3
			return meetings.Options(c)
		},
	}
	// Every replica of every service starts at once.
	targets := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, opts := range options {
		for range 2 {
			o := opts(common(name))
			wg.Go(func() {
				target := runtimetest.Start(t, o).Target()
				mu.Lock()
				targets[name] = append(targets[name], target)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// The gateway resolves each service to both replicas, as it resolves a
	// headless Service.
	balanced := func(name string) string {
		r := manual.NewBuilderWithScheme("clustertrial" + name)
		var addrs []resolver.Address
		for _, a := range targets[name] {
			addrs = append(addrs, resolver.Address{Addr: a})
		}
		r.InitialState(resolver.State{Addresses: addrs})
		resolver.Register(r)
		return r.Scheme() + ":///" + name
	}
	s.profiles, s.comp, s.matching, s.meetings = balanced("profiles"), balanced("competencies"), balanced("matching"), balanced("meetings")
	s.base = s.startGateway()

	// Organisations are created and read back through the HTTP API.
	root := &auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	admin := s.token(root)
	create := func(name, kind string) string {
		t.Helper()
		var id string
		s.eventually("create "+name, func() (bool, string) {
			r := do(t, "POST", s.base+"/v1/organizations", jsonHeader(admin), strings.NewReader(fmt.Sprintf(
				`{"organization":{"name":%q,"kind":%q,"countryCode":"IT","visibility":"VISIBILITY_PUBLIC","description":"RNA sequencing and transcriptomics"},"clientRequestId":%q}`, name, kind, name)))
			if m := regexp.MustCompile(`"id":\s*"([^"]+)"`).FindSubmatch(r.body); r.status == http.StatusOK && m != nil {
				id = string(m[1])
				return true, ""
			}
			return false, fmt.Sprintf("%d %s", r.status, r.body)
		})
		return id
	}
	company := create("Trial Biotech", "ORGANIZATION_KIND_COMPANY")
	lab := create("Trial Sequencing Lab", "ORGANIZATION_KIND_RESEARCH_INSTITUTE")
	for range 10 { // both replicas of profiles answer, from the same R3 buckets
		for _, id := range []string{company, lab} {
			if r := do(t, "GET", s.base+"/v1/organizations/"+id, jsonHeader(admin), nil); r.status != http.StatusOK {
				t.Fatalf("read %s back: %d %s", id, r.status, r.body)
			}
		}
	}

	// The lab's competency makes it a suggestion for the company.
	cc := competenciesv1.NewCompetenciesServiceClient(s.conn(s.comp, root))
	s.eventually("competency published", func() (bool, string) {
		_, err := cc.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
			Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: lab}}, TermId: "EDAM:topic_3170",
			Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT, Description: "RNA-Seq of patient samples"}})
		return err == nil, fmt.Sprint(err)
	})
	member := &auth.Principal{Subject: "trial-member", Organization: company, Roles: []auth.Role{auth.RoleMember}}
	s.eventually("the lab suggested to the company, by either replica of matching", func() (bool, string) {
		for range 4 {
			r := do(t, "POST", s.base+"/v1/matching/suggestions", jsonHeader(s.token(member)),
				strings.NewReader(`{"seeker":{"organizationId":"`+company+`"},"need":{"termIds":["EDAM:topic_3170"]},"limit":5}`))
			if r.status != http.StatusOK || !strings.Contains(string(r.body), "Trial Sequencing Lab") {
				return false, fmt.Sprintf("%d %s", r.status, r.body)
			}
		}
		return true, ""
	})

	// A brokerage event: both register, the company asks the lab to meet.
	eventID := s.openEvent(&auth.Principal{Subject: "trial-organiser", Roles: []auth.Role{auth.RoleAdmin}})
	participant := map[string]string{}
	for _, org := range []string{company, lab} {
		mc := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, root))
		s.eventually("registered", func() (bool, string) {
			res, err := mc.RegisterParticipant(ctx, &meetingsv1.RegisterParticipantRequest{EventId: eventID,
				Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}}})
			participant[org] = res.GetParticipant().GetId()
			return err == nil, fmt.Sprint(err)
		})
	}
	if _, err := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, root)).RequestMeeting(ctx, &meetingsv1.RequestMeetingRequest{
		EventId: eventID, FromParticipantId: participant[company], ToParticipantId: participant[lab], Message: "RNA-Seq for our trial?"}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", s.base+"/v1/events/"+eventID+"/participants", jsonHeader(admin), nil); r.status != http.StatusOK ||
		!strings.Contains(string(r.body), participant[company]) || !strings.Contains(string(r.body), participant[lab]) {
		t.Fatalf("participants: %d %s", r.status, r.body)
	}

	// Every stream and bucket is R3.
	_, js := testenv.Connect(t, testenv.ClientURLs(servers))
	for name := range js.StreamNames(ctx).Name() {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas, want 3", name, r)
		}
	}

	// One NATS server stops: the system still takes writes and reads.
	servers[0].Shutdown()
	third := create("Trial After Failover", "ORGANIZATION_KIND_COMPANY")
	s.eventually("read after failover", func() (bool, string) {
		r := do(t, "GET", s.base+"/v1/organizations/"+third, jsonHeader(admin), nil)
		return r.status == http.StatusOK, fmt.Sprintf("%d %s", r.status, r.body)
	})
}
