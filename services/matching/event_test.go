package matching_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// dial returns a connection to a service started in-process that sends
// p's token with every call.
func (e *env) dial(target string, p auth.Principal) *grpc.ClientConn {
	e.t.Helper()
	tok, _, err := e.aut.Issue(p)
	if err != nil {
		e.t.Fatal(err)
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (e *env) asPrincipal(p auth.Principal) grpc.CallOption {
	e.t.Helper()
	tok, _, err := e.aut.Issue(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return grpc.PerRPCCredentials(auth.BearerToken(tok))
}

// TestInEventSuggestions runs the real profiles, competencies and meetings
// services with matching on one JetStream: five organisations share a
// competency, three register for a brokerage event, and "who should I meet
// here" lists only the other participants, also after one is erased and
// after Redis loses the projection.
func TestInEventSuggestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // creates the profiles and competencies streams with the same settings their services use
	ctx := e.ctx
	// Matching starts first, before the meetings stream exists.
	c := e.start()

	pcfg := profiles.DefaultConfig()
	pcfg.Common = runtimetest.Common(t)
	pcfg.NATSURL = e.cfg.NATSURL
	ccfg := competencies.DefaultConfig()
	ccfg.Common = runtimetest.Common(t)
	ccfg.NATSURL = e.cfg.NATSURL
	mcfg := meetings.DefaultConfig()
	mcfg.Common = runtimetest.Common(t)
	mcfg.NATSURL = e.cfg.NATSURL
	admin := auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	organizer := auth.Principal{Subject: "org-anna", Organization: "HOST", Roles: []auth.Role{auth.RoleOrganizer}}
	pc := profilesv1.NewProfilesServiceClient(e.dial(runtimetest.Start(t, profiles.Options(pcfg)).Target(), admin))
	cc := competenciesv1.NewCompetenciesServiceClient(e.dial(runtimetest.Start(t, competencies.Options(ccfg)).Target(), admin))
	meetTarget := runtimetest.Start(t, meetings.Options(mcfg)).Target()

	// Five organisations with RNA-Seq competence; the seeker needs RNA-Seq.
	names := []string{"Acme Diagnostics", "Istituto Genomico", "Bio Sequencing Lab", "Trieste Omics", "Adriatic Biobank"}
	orgs := make([]string, len(names))
	for i, name := range names {
		o, err := pc.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, Name: name, CountryCode: "IT", City: "Trieste",
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Description: name + " works on transcriptomics",
		}})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		orgs[i] = o.GetOrganization().GetId()
		if i == 0 {
			continue
		}
		// The competencies service learns of the organisation from its event.
		e.eventually("competency of "+name+" published", func() (bool, string) {
			_, err := cc.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{ClientRequestId: "comp-" + orgs[i], Competency: &competenciesv1.Competency{
				Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgs[i]}}, TermId: rnaSeq,
				Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT,
			}})
			if status.Code(err) == codes.FailedPrecondition {
				return false, err.Error()
			}
			if err != nil {
				t.Fatalf("publish competency of %s: %v", name, err)
			}
			return true, ""
		})
	}
	seeker, inB, inC, outD, outE := orgs[0], orgs[1], orgs[2], orgs[3], orgs[4]
	as := func(org string) grpc.CallOption {
		return e.asPrincipal(auth.Principal{Subject: "user-" + org, Organization: org, Roles: []auth.Role{auth.RoleMember}})
	}
	req := func(org, event string) *matchingv1.SuggestPartnersRequest {
		r := suggestReq(org)
		r.Need = &matchingv1.Need{TermIds: []string{rnaSeq}}
		r.Filter = &matchingv1.SuggestionFilter{EventId: event}
		return r
	}
	sameSet := func(want ...string) func([]string) bool {
		return func(got []string) bool {
			a, b := slices.Clone(got), slices.Clone(want)
			slices.Sort(a)
			slices.Sort(b)
			return slices.Equal(a, b)
		}
	}
	e.suggestUntil(c, req(seeker, ""), as(seeker), "all four with RNA-Seq suggested", sameSet(inB, inC, outD, outE))

	// The brokerage event: the seeker, B and C register.
	mc := meetingsv1.NewMeetingsServiceClient(e.dial(meetTarget, organizer))
	ev, err := mc.CreateEvent(ctx, &meetingsv1.CreateEventRequest{Event: &meetingsv1.Event{
		Name: "Smart Health Brokerage Day", Venue: "Area Science Park", TimeZone: "Europe/Rome",
		Days: []*meetingsv1.EventDay{{Date: &meetingsv1.Date{Year: 2025, Month: 5, Day: 6},
			Sessions: []*meetingsv1.Session{{Name: "Morning", StartTime: &meetingsv1.LocalTime{Hours: 9}, EndTime: &meetingsv1.LocalTime{Hours: 11}}}}},
		MeetingDuration: durationpb.New(25 * time.Minute), BreakDuration: durationpb.New(5 * time.Minute),
		Tables: []*meetingsv1.Table{{Id: "T1", Name: "Table 1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	eventID := ev.GetEvent().GetId()
	if _, err := mc.UpdateEvent(ctx, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: eventID, Status: meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN},
		ExpectedVersion: ev.GetEvent().GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}); err != nil {
		t.Fatal(err)
	}
	participant := map[string]string{}
	for _, org := range []string{seeker, inB, inC} {
		// The meetings service learns of the organisation from its event.
		e.eventually("registration of "+org, func() (bool, string) {
			res, err := mc.RegisterParticipant(ctx, &meetingsv1.RegisterParticipantRequest{EventId: eventID,
				Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}}}, as(org))
			if status.Code(err) == codes.NotFound {
				return false, err.Error()
			}
			if err != nil {
				t.Fatalf("register %s: %v", org, err)
			}
			participant[org] = res.GetParticipant().GetId()
			return true, ""
		})
	}

	e.suggestUntil(c, req(seeker, eventID), as(seeker), "only the other participants", sameSet(inB, inC))
	if res, err := c.SuggestPartners(ctx, req(seeker, ""), as(seeker)); err != nil || !sameSet(inB, inC, outD, outE)(ids(res)) {
		t.Errorf("without the event filter: %v %v, want all four", ids(res), err)
	}
	// Outsiders may not ask who attends; the organiser may, for anyone.
	if _, err := c.SuggestPartners(ctx, req(outD, eventID), as(outD)); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("non-participant seeker: %v, want FailedPrecondition saying it is not registered", err)
	}
	if res, err := c.SuggestPartners(ctx, req(outD, eventID), e.asPrincipal(organizer)); err != nil || !sameSet(inB, inC)(ids(res)) {
		t.Errorf("organiser for a non-participant: %v %v, want the participants with RNA-Seq", ids(res), err)
	}
	if _, err := c.SuggestPartners(ctx, req(seeker, "01JD0000000000000000000000"), as(seeker)); status.Code(err) != codes.NotFound {
		t.Errorf("unknown event: %v, want NotFound", err)
	}

	// Erasing C withdraws it from the event (meetings) and from matching.
	cur, err := pc.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: inC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: inC, ExpectedVersion: cur.GetOrganization().GetVersion(), Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	e.suggestUntil(c, req(seeker, eventID), as(seeker), "erased participant gone", sameSet(inB))
	rc, _ := testenv.Redis(t)
	aggregates := e.cfg.RedisPrefix + ":matching:aggregates"
	e.eventually("withdrawal projected", func() (bool, string) {
		n, err := rc.HExists(ctx, aggregates, "participant:"+participant[inC]).Result()
		return err == nil && !n, "registration of the erased organisation still in redis"
	})

	// Losing the projection rebuilds it, registrations included.
	if err := testenv.DeletePrefix(context.Background(), rc, e.cfg.RedisPrefix); err != nil {
		t.Fatal(err)
	}
	e.eventually("projection rebuilt", func() (bool, string) {
		ok, err := rc.HExists(ctx, aggregates, "participant:"+participant[inB]).Result()
		return err == nil && ok, "registration of B not rebuilt"
	})
	if ok, _ := rc.HExists(ctx, aggregates, "participant:"+participant[inC]).Result(); ok {
		t.Error("the erased organisation's registration came back with the rebuild")
	}
	fresh := e.start()
	for _, client := range []matchingv1.MatchingServiceClient{c, fresh} {
		e.suggestUntil(client, req(seeker, eventID), as(seeker), "same answer after the rebuild", sameSet(inB))
	}
}
