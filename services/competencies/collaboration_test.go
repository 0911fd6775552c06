package competencies_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func project(source, id string, year int32, orgs ...string) *competenciesv1.Collaboration {
	c := &competenciesv1.Collaboration{Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: "Project " + id,
		Acronym: "P" + id, Programme: "H2020", Call: "H2020-SC1-2016", Year: year, Source: source, SourceId: id,
		TermIds: []string{"EDAM:topic_0622", "EDAM:topic_0622"}}
	for i, o := range orgs {
		role := competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT
		if i == 0 {
			role = competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR
		}
		c.Participants = append(c.Participants, &competenciesv1.CollaborationParticipant{OrganizationId: o, Role: role})
	}
	return c
}

// put records c, waiting while the service has not yet learnt of its
// participants from the profiles events.
func put(t *testing.T, c competenciesv1.CompetenciesServiceClient, col *competenciesv1.Collaboration) *competenciesv1.PutCollaborationResponse {
	t.Helper()
	var res *competenciesv1.PutCollaborationResponse
	eventually(t, "put collaboration", func() error {
		var err error
		res, err = c.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: col})
		return err
	})
	return res
}

func participantIDs(c *competenciesv1.Collaboration) string {
	var ids []string
	for _, p := range c.GetParticipants() {
		ids = append(ids, p.GetOrganizationId())
	}
	return strings.Join(ids, ",")
}

// TestAnonymousParticipantsAreLeftOut: a project's title and partners are
// public elsewhere, so an anonymous organisation is not listed among a
// collaboration's participants, not even to its partners in it, nor are its
// collaborations listed by its id; it sees itself, and an admin sees it.
func TestAnonymousParticipantsAreLeftOut(t *testing.T) {
	t.Parallel()
	e := start(t)
	a, anon := "A"+ulid.Make().String()[:10], "N"+ulid.Make().String()[:10]
	e.organization(a, 1, profilesv1.Visibility_VISIBILITY_PUBLIC, "fvg")
	e.organization(anon, 1, profilesv1.Visibility_VISIBILITY_ANONYMOUS, "fvg")
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	col := put(t, admin, project("cordis", "101000001", 2021, a, anon)).GetCollaboration()
	onlyAnon := put(t, admin, project("cordis", "101000002", 2022, anon)).GetCollaboration()

	for _, c := range []struct {
		name string
		as   auth.Principal
		want string // participants shown of col
	}{
		{"a partner in the project", auth.Principal{Subject: "alice", Organization: a, Clusters: []string{"fvg"}}, a},
		{"an outsider", auth.Principal{Subject: "olga", Organization: "OTHER"}, a},
		{"the anonymous organisation itself", auth.Principal{Subject: "nina", Organization: anon}, a + "," + anon},
		{"the manager of its cluster", auth.Principal{Subject: "cm", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"fvg"}}, a + "," + anon},
		{"an admin", auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}, a + "," + anon},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := e.client(c.as)
			got, err := cl.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: col.GetId()})
			if err != nil || participantIDs(got.GetCollaboration()) != c.want {
				t.Fatalf("GetCollaboration: %v %v, want participants %s", got.GetCollaboration(), err, c.want)
			}
			if hidden := got.GetCollaboration().GetHiddenParticipants(); (hidden == 1) != (c.want == a) {
				t.Errorf("hidden participants = %d", hidden)
			}
			res, err := cl.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationId: anon})
			shows := c.want != a
			if err != nil || (len(res.GetCollaborations()) == 2) != shows || (!shows && len(res.GetCollaborations()) != 0) {
				t.Errorf("ListCollaborations of the anonymous organisation: %d, %v; want all: %v", len(res.GetCollaborations()), err, shows)
			}
			_, err = cl.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: onlyAnon.GetId()})
			if (err == nil) != shows || (!shows && code(err) != codes.NotFound) {
				t.Errorf("its own project: %v, want found: %v", err, shows)
			}
			if b, _ := proto.Marshal(got); !shows && strings.Contains(string(b), anon) {
				t.Errorf("the answer carries the anonymous organisation's id")
			}
		})
	}
}

func TestCollaborationLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	a, b, hidden := "A"+ulid.Make().String()[:10], "B"+ulid.Make().String()[:10], "H"+ulid.Make().String()[:10]
	e.organization(a, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	e.organization(b, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	e.organization(hidden, 1, profilesv1.Visibility_VISIBILITY_HIDDEN)
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	member := e.client(auth.Principal{Subject: "alice", Organization: a})

	first := put(t, admin, project("cordis", "115568", 2013, a, b, hidden))
	col := first.GetCollaboration()
	if !first.GetCreated() || !first.GetChanged() || col.GetId() != "cordis-115568" || col.GetVersion() != 1 ||
		len(col.GetTermIds()) != 1 || col.GetTerms()[0].GetLabel() == "" {
		t.Fatalf("first put: created %v changed %v, %v", first.GetCreated(), first.GetChanged(), col)
	}
	again := put(t, admin, project("cordis", "115568", 2013, a, b, hidden))
	if again.GetCreated() || again.GetChanged() || again.GetCollaboration().GetVersion() != 1 {
		t.Errorf("same put again: created %v changed %v version %d, want nothing changed", again.GetCreated(), again.GetChanged(), again.GetCollaboration().GetVersion())
	}
	changed := project("cordis", "115568", 2014, a, b, hidden)
	changed.Title = "Renamed"
	if res := put(t, admin, changed); res.GetCreated() || !res.GetChanged() || res.GetCollaboration().GetVersion() != 2 {
		t.Errorf("changed put: created %v changed %v version %d", res.GetCreated(), res.GetChanged(), res.GetCollaboration().GetVersion())
	}
	if _, err := admin.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: changed, ExpectedVersion: 1}); code(err) != codes.Aborted {
		t.Errorf("stale expected version: %v, want Aborted", err)
	}

	// Only admins and cluster managers record history.
	if _, err := member.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: project("cordis", "9", 2020, a, b)}); code(err) != codes.PermissionDenied {
		t.Errorf("member put: %v, want PermissionDenied", err)
	}
	bad := project("cordis", "10", 1200, a, a)
	bad.TermIds = nil
	bad.Kind = 0
	_, err := admin.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: bad})
	for _, f := range []string{"collaboration.kind", "collaboration.year", "collaboration.participants[1].organization_id"} {
		if code(err) != codes.InvalidArgument || !strings.Contains(violations(err), f) {
			t.Errorf("bad put: %v, want InvalidArgument naming %s (got %q)", err, f, violations(err))
		}
	}
	unknownTerm := project("cordis", "11", 2020, a)
	unknownTerm.TermIds = []string{"EDAM:topic_9999999"}
	if _, err := admin.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: unknownTerm}); code(err) != codes.InvalidArgument {
		t.Errorf("unknown term: %v, want InvalidArgument", err)
	}
	if _, err := admin.PutCollaboration(ctx(t), &competenciesv1.PutCollaborationRequest{Collaboration: project("cordis", "12", 2020, a, "nobody")}); code(err) != codes.FailedPrecondition {
		t.Errorf("unknown participant: %v, want FailedPrecondition", err)
	}

	// A hidden participant is not revealed to others, only counted.
	got, err := member.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: col.GetId()})
	if err != nil || participantIDs(got.GetCollaboration()) != a+","+b || got.GetCollaboration().GetHiddenParticipants() != 1 {
		t.Errorf("member's view: %v %v", got.GetCollaboration(), err)
	}
	got, err = admin.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: col.GetId()})
	if err != nil || participantIDs(got.GetCollaboration()) != a+","+b+","+hidden {
		t.Errorf("admin's view: %v %v", got.GetCollaboration(), err)
	}
	onlyHidden := put(t, admin, project("biotools", "tool_x.1", 2019, hidden)).GetCollaboration()
	if !strings.HasPrefix(onlyHidden.GetId(), "biotools-") {
		t.Errorf("id of a source id with punctuation: %q", onlyHidden.GetId())
	}
	if _, err := member.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: onlyHidden.GetId()}); code(err) != codes.NotFound {
		t.Errorf("collaboration of a hidden organisation only: %v, want NotFound", err)
	}
	if res, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationId: hidden}); err != nil || len(res.GetCollaborations()) != 0 {
		t.Errorf("list of a hidden organisation: %v %v, want nothing", res.GetCollaborations(), err)
	}

	// Listing: newest year first, paged.
	put(t, admin, project("cordis", "2", 2010, b, a))
	put(t, admin, project("cordis", "3", 2018, a))
	var years []int32
	token := ""
	for range 5 {
		res, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationId: a, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.GetCollaborations() {
			years = append(years, c.GetYear())
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if fmt.Sprint(years) != "[2018 2014 2010]" {
		t.Errorf("years listed for A: %v, want [2018 2014 2010]", years)
	}
	if _, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{}); code(err) != codes.InvalidArgument {
		t.Errorf("list without organisation: %v, want InvalidArgument", err)
	}

	// Several organisations in one paged call: every collaboration any of
	// them took part in, once, in the same order; the hidden one's alone
	// stays unlisted.
	put(t, admin, project("cordis", "4", 2016, b))
	var both []string
	token = ""
	for range 5 {
		res, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationIds: []string{a, b, hidden, a}, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.GetCollaborations() {
			both = append(both, fmt.Sprintf("%d:%s", c.GetYear(), participantIDs(c)))
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if want := fmt.Sprintf("[2018:%[1]s 2016:%[2]s 2014:%[1]s,%[2]s 2010:%[2]s,%[1]s]", a, b); fmt.Sprint(both) != want {
		t.Errorf("collaborations of A and B: %v, want %s", both, want)
	}
	if _, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationId: a, OrganizationIds: []string{b}}); code(err) != codes.InvalidArgument {
		t.Errorf("list by organization_id and organization_ids: %v, want InvalidArgument", err)
	}
	tooMany := make([]string, 1001)
	for i := range tooMany {
		tooMany[i] = a
	}
	if _, err := member.ListCollaborations(ctx(t), &competenciesv1.ListCollaborationsRequest{OrganizationIds: tooMany}); code(err) != codes.InvalidArgument || !strings.Contains(violations(err), "organization_ids") {
		t.Errorf("list of 1001 organisations: %v, want InvalidArgument naming organization_ids", err)
	}

	// Erasing an organisation removes it from every collaboration, and from
	// every stored and published event; a collaboration left empty is erased.
	e.eraseOrganization(hidden, 2)
	eventually(t, "erased participant removed", func() error {
		got, err := admin.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: col.GetId()})
		if err != nil {
			return err
		}
		if ids := participantIDs(got.GetCollaboration()); ids != a+","+b {
			return errors.New("participants " + ids)
		}
		if _, err := admin.GetCollaboration(ctx(t), &competenciesv1.GetCollaborationRequest{Id: onlyHidden.GetId()}); code(err) != codes.NotFound {
			return fmt.Errorf("collaboration of the erased organisation only: %v", err)
		}
		return nil
	})
	eventually(t, "no event names the erased organisation", func() error { return noEventNames(e.js, hidden) })
	eventually(t, "collaboration events", func() error {
		return countEvents(e.js, map[string]int{
			"tandem.competencies.v1.collaboration.upserted": 4, // the rolled-up project and the three others
			"tandem.competencies.v1.collaboration.erased":   1,
		})
	})
}

// noEventNames checks that no collaboration event on the stream mentions id.
func noEventNames(js jetstream.JetStream, id string) error {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(c, "TANDEM_COMPETENCIES", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"tandem.competencies.v1.collaboration.>"}})
	if err != nil {
		return err
	}
	info, err := cons.Info(c)
	if err != nil {
		return err
	}
	for range info.NumPending {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			return err
		}
		var ev proto.Message = &eventsv1.CollaborationUpserted{}
		if strings.Contains(m.Subject(), ".erased.") {
			ev = &eventsv1.CollaborationErased{}
		}
		if err := proto.Unmarshal(m.Data(), ev); err != nil {
			return err
		}
		if strings.Contains(m.Subject(), id) || strings.Contains(participantIDs(collabOf(ev)), id) {
			return fmt.Errorf("%s still names %s", m.Subject(), id)
		}
	}
	return nil
}

func collabOf(ev proto.Message) *competenciesv1.Collaboration {
	if u, ok := ev.(*eventsv1.CollaborationUpserted); ok {
		return u.GetCollaboration()
	}
	return nil
}
