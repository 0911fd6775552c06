package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/redis/go-redis/v9"
)

// TestErasureLeavesNoPage: an organisation and its person that asked for a
// meeting (a notification), got feedback with a comment naming them (an
// edge of the cluster's network) and were suggested, are erased, or set to
// hidden; then no page of the web UI shows their names (but an admin's, of
// the hidden), on the running gateway nor on one started afterwards (a
// restart replays the streams); after the erasure no stream message, bucket
// revision or Redis key holds them.
func TestErasureLeavesNoPage(t *testing.T) {
	t.Parallel()
	for _, hide := range []bool{false, true} {
		t.Run(map[bool]string{false: "erased", true: "hidden"}[hide], func(t *testing.T) {
			t.Parallel()
			erasedOrHidden(t, hide)
		})
	}
}

func erasedOrHidden(t *testing.T, hide bool) {
	s := startSystem(t)
	root := &auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	pc := profilesv1.NewProfilesServiceClient(s.conn(s.profiles, root))
	create := func(name, city string, kind profilesv1.OrganizationKind, clusters ...string) string {
		return s.createOrg(name, city, kind, profilesv1.Visibility_VISIBILITY_PUBLIC, clusters...)
	}
	c1 := create("Smart Health Cluster", "Trieste", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER)
	mine := create("Member Company", "Trieste", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, c1)
	const orgName, personName = "Egret Erased Bio", "Ottoline Fernsby"
	later := create("Later Lab", "Trieste", profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, c1)
	erased := create(orgName, "Quokkaville", profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, c1)
	if _, err := pc.CreatePerson(s.ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: erased, Name: personName,
		Bio: personName + " leads RNA sequencing at " + orgName}}); err != nil {
		t.Fatal(err)
	}
	member := &auth.Principal{Subject: "member", Organization: mine, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}
	theirs := &auth.Principal{Subject: "theirs", Organization: erased, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}
	laterMember := &auth.Principal{Subject: "later", Organization: later, Roles: []auth.Role{auth.RoleMember}, Clusters: []string{c1}}
	manager := &auth.Principal{Subject: "cm1", Organization: c1, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{c1}}

	// They ask the member company for a meeting at a brokerage event.
	eventID := s.openEvent(&auth.Principal{Subject: "organiser", Organization: c1, Roles: []auth.Role{auth.RoleOrganizer}, Clusters: []string{c1}})
	register := func(p *auth.Principal) string {
		mc := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, p))
		var id string
		s.eventually("registered "+p.Subject, func() (bool, string) {
			res, err := mc.RegisterParticipant(s.ctx, &meetingsv1.RegisterParticipantRequest{EventId: eventID,
				Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: p.Organization}}})
			id = res.GetParticipant().GetId()
			return err == nil, fmt.Sprint(err)
		})
		return id
	}
	to, from, laterFrom := register(member), register(theirs), register(laterMember)
	request := func(p *auth.Principal, from string) {
		t.Helper()
		if _, err := meetingsv1.NewMeetingsServiceClient(s.conn(s.meetings, p)).RequestMeeting(s.ctx, &meetingsv1.RequestMeetingRequest{
			EventId: eventID, FromParticipantId: from, ToParticipantId: to, Message: "Let us talk about RNA sequencing"}); err != nil {
			t.Fatal(err)
		}
	}
	request(theirs, from)
	// The member company contacted them, and says so in a comment.
	mc := matchingv1.NewMatchingServiceClient(s.conn(s.matching, member))
	s.eventually("feedback recorded", func() (bool, string) {
		_, err := mc.RecordFeedback(s.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{
			Seeker:    &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: mine}},
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: erased}},
			Kind:      matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED, Comment: "Called " + personName + " at " + orgName}})
		return err == nil, fmt.Sprint(err)
	})

	// The pages that show them while they exist.
	type pageAs struct {
		who  *auth.Principal
		path string
	}
	pages := []pageAs{
		{member, "/notifications"},
		{member, "/partners?text=RNA+sequencing"},
		{member, "/profiles/org/" + erased},
		{member, "/events/" + eventID},
		{manager, "/dashboard"},
		{root, "/dashboard"},
		{root, "/profiles/org/" + erased},
	}
	showing := func(base string) []string {
		var out []string
		for _, p := range pages {
			body := string(uiPage(t, base, p.path, s.token(p.who)).body)
			for _, n := range []string{orgName, personName, "Quokkaville"} {
				if strings.Contains(body, n) {
					out = append(out, fmt.Sprintf("%s as %s shows %q", p.path, p.who.Subject, n))
				}
			}
		}
		return out
	}
	s.eventually("every page shows them before the erasure", func() (bool, string) {
		found := strings.Join(showing(s.base), "\n")
		for _, p := range pages {
			if !strings.Contains(found, p.path+" as "+p.who.Subject+" shows "+fmt.Sprintf("%q", orgName)) {
				return false, "missing on " + p.path + " as " + p.who.Subject + ":\n" + found
			}
		}
		return true, ""
	})

	if hide {
		// The admin still sees a hidden organisation; nobody else does.
		pages = slices.DeleteFunc(pages, func(p pageAs) bool { return p.who == root })
		if _, err := pc.UpdateOrganization(s.ctx, &profilesv1.UpdateOrganizationRequest{Organization: &profilesv1.Organization{Id: erased, Visibility: profilesv1.Visibility_VISIBILITY_HIDDEN},
			ExpectedVersion: 1, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"visibility"}}}); err != nil {
			t.Fatal(err)
		}
	} else if _, err := pc.EraseOrganization(s.ctx, &profilesv1.EraseOrganizationRequest{Id: erased}); err != nil {
		t.Fatal(err)
	}
	s.eventually("no page shows them after the change", func() (bool, string) {
		found := showing(s.base)
		return len(found) == 0, strings.Join(found, "\n")
	})
	// A gateway started now replays the notifications up to one sent
	// after the erasure, and names nobody erased.
	request(laterMember, laterFrom)
	restarted := s.startGateway()
	s.eventually("the restarted gateway replays the notifications", func() (bool, string) {
		r := uiPage(t, restarted, "/notifications", s.token(member))
		return r.status == 200 && strings.Contains(string(r.body), "Later Lab asks to meet you"), fmt.Sprintf("%d", r.status)
	})
	if found := showing(restarted); len(found) != 0 {
		t.Errorf("a gateway started after the erasure shows them:\n%s", strings.Join(found, "\n"))
	}

	if hide {
		return
	}
	// Nor does any stream, bucket or Redis key.
	_, js, err := natsx.Connect(s.ctx, s.commons[0].NATSURL, "erasure-pages-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.eventually("nothing of them left in storage", func() (bool, string) {
		var all []string
		for _, c := range s.commons {
			opt, err := redis.ParseURL(c.RedisURL)
			if err != nil {
				return false, err.Error()
			}
			rdb := redis.NewClient(opt)
			found, err := testenv.Leaks(s.ctx, js, rdb, c.RedisPrefix, orgName, personName, "Quokkaville")
			_ = rdb.Close()
			if err != nil {
				return false, err.Error()
			}
			all = append(all, found...)
		}
		return len(all) == 0, strings.Join(all, "\n")
	})
	if _, err := pc.GetOrganization(s.ctx, &profilesv1.GetOrganizationRequest{Id: erased}); status.Code(err) != codes.NotFound {
		t.Errorf("GetOrganization after the erasure: %v, want NotFound", err)
	}
}
