package meetings_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func orgRef(org string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}}
}

// TestRegistrationDeadlineAndCapacity checks that participants register
// only between registration_opens_at and registration_closes_at and only
// while places are left, also when they register at the same moment,
// while organizers may still add participants.
func TestRegistrationDeadlineAndCapacity(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	orgs := []string{"ORGA", "ORGB", "ORGC", "ORGD", "ORGE", "ORGF", "ORGG", "ORGH"}
	e.known(t, orgs...)
	reg := func(as meetingsv1.MeetingsServiceClient, eventID, org string) error {
		_, err := as.RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{EventId: eventID, Profile: orgRef(org)})
		return err
	}

	t.Run("capacity", func(t *testing.T) {
		ev := brokerageDay(0)
		ev.Capacity = 3
		ev = e.openEvent(t, ev)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			ok   int
			full int
		)
		for _, org := range orgs[:7] {
			wg.Go(func() {
				err := reg(e.as(member(org)), ev.GetId(), org)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case status.Code(err) == codes.FailedPrecondition && strings.Contains(err.Error(), "full"):
					full++
				default:
					t.Errorf("register %s: %v", org, err)
				}
			})
		}
		wg.Wait()
		if ok != 3 || full != 4 {
			t.Fatalf("%d registered and %d refused as full, want 3 and 4", ok, full)
		}
		// An organizer may still add a participant.
		if err := reg(e.as(organizer), ev.GetId(), "ORGH"); err != nil {
			t.Fatalf("the organizer adding a participant to a full event: %v", err)
		}
		list := must[*meetingsv1.ListParticipantsResponse](t)(e.as(organizer).ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()}))
		if n := len(list.GetParticipants()); n != 4 {
			t.Fatalf("%d participants, want 3 and the organizer's", n)
		}
		// A negative capacity is refused.
		_, err := e.as(organizer).UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(), Capacity: -1}, UpdateMask: mask("capacity")})
		wantCode(t, err, codes.InvalidArgument)
	})

	t.Run("questions", func(t *testing.T) {
		ev := brokerageDay(0)
		ev.RegistrationQuestions = []*meetingsv1.RegistrationQuestion{
			{Id: "Q1", Text: "What do you offer at this event?", Required: true}, {Id: "Q2", Text: "What do you seek?"},
		}
		ev = e.openEvent(t, ev)
		ans := func(q, text string) *meetingsv1.RegistrationAnswer {
			return &meetingsv1.RegistrationAnswer{QuestionId: q, Text: text}
		}
		regWith := func(org string, as ...*meetingsv1.RegistrationAnswer) error {
			_, err := e.as(member(org)).RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{EventId: ev.GetId(), Profile: orgRef(org), Answers: as})
			return err
		}
		for _, tt := range []struct {
			name    string
			answers []*meetingsv1.RegistrationAnswer
		}{
			{"no answer to the required question", nil},
			{"a blank answer", []*meetingsv1.RegistrationAnswer{ans("Q1", "  ")}},
			{"an unknown question", []*meetingsv1.RegistrationAnswer{ans("Q1", "Assays"), ans("Q9", "x")}},
			{"a question answered twice", []*meetingsv1.RegistrationAnswer{ans("Q1", "Assays"), ans("Q1", "Samples")}},
		} {
			if err := regWith("ORGA", tt.answers...); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "answers") {
				t.Errorf("%s: %v, want INVALID_ARGUMENT naming answers", tt.name, err)
			}
		}
		if err := regWith("ORGA", ans("Q1", "Validated blood assays"), ans("Q2", "Hospital partners")); err != nil {
			t.Fatal(err)
		}
		if err := regWith("ORGB", ans("Q1", "Sequencing")); err != nil {
			t.Fatal(err)
		}
		// Organizers see the answers; another participant does not.
		byOrg := func(as meetingsv1.MeetingsServiceClient) map[string][]*meetingsv1.RegistrationAnswer {
			out := map[string][]*meetingsv1.RegistrationAnswer{}
			for _, p := range must[*meetingsv1.ListParticipantsResponse](t)(as.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})).GetParticipants() {
				out[p.GetProfile().GetOrganizationId()] = p.GetAnswers()
			}
			return out
		}
		if got := byOrg(e.as(organizer)); len(got["ORGA"]) != 2 || got["ORGA"][0].GetText() != "Validated blood assays" || len(got["ORGB"]) != 1 {
			t.Fatalf("the organizer sees answers %v", got)
		}
		if got := byOrg(e.as(member("ORGB"))); len(got["ORGA"]) != 0 || len(got["ORGB"]) != 1 {
			t.Fatalf("participant B sees answers %v, want only its own", got)
		}
		// Questions are checked when set.
		_, err := e.as(organizer).UpdateEvent(c, &meetingsv1.UpdateEventRequest{Event: &meetingsv1.Event{Id: ev.GetId(),
			RegistrationQuestions: []*meetingsv1.RegistrationQuestion{{Id: "Q1", Text: "a"}, {Id: "Q1", Text: "b"}}}, UpdateMask: mask("registration_questions")})
		wantCode(t, err, codes.InvalidArgument)
	})

	t.Run("deadline", func(t *testing.T) {
		now := time.Now()
		for _, tt := range []struct {
			name         string
			opens, close time.Time
			want         string
		}{
			{"closed", now.Add(-2 * time.Hour), now.Add(-time.Hour), "closed at"},
			{"not yet open", now.Add(time.Hour), now.Add(2 * time.Hour), "opens at"},
		} {
			ev := brokerageDay(0)
			ev.RegistrationOpensAt, ev.RegistrationClosesAt = timestamppb.New(tt.opens), timestamppb.New(tt.close)
			ev = e.openEvent(t, ev)
			err := reg(e.as(member("ORGA")), ev.GetId(), "ORGA")
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: registering = %v, want FAILED_PRECONDITION saying %q", tt.name, err, tt.want)
			}
			if err := reg(e.as(organizer), ev.GetId(), "ORGB"); err != nil {
				t.Errorf("%s: the organizer adding a participant: %v", tt.name, err)
			}
		}
		// Within the window, registration works.
		ev := brokerageDay(0)
		ev.RegistrationClosesAt = timestamppb.New(now.Add(time.Hour))
		ev = e.openEvent(t, ev)
		if err := reg(e.as(member("ORGA")), ev.GetId(), "ORGA"); err != nil {
			t.Fatal(fmt.Errorf("registering before the deadline: %w", err))
		}
	})
}
