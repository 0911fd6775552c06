package meetings_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/adapters"
)

// forgetCheckInCode stores participant pa as it was before registration
// set check-in codes, and waits until the service reads it so.
func (e *env) forgetCheckInCode(t *testing.T, pa *meetingsv1.Participant) *meetingsv1.Participant {
	t.Helper()
	c := ctx(t)
	store, err := adapters.Open(c, e.jetStream(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	cur, rev, err := store.Aggregates.Get(c, pa.GetId())
	if err != nil {
		t.Fatal(err)
	}
	old := cur.(*eventsv1.ParticipantRegistered).GetParticipant()
	old.CheckInCode = ""
	old.Version++
	if _, err := store.Aggregates.Update(c, pa.GetId(), &eventsv1.ParticipantUpdated{
		EventId: "legacy-" + pa.GetId(), AggregateId: pa.GetId(), AggregateVersion: old.GetVersion(), ActorSubject: "system",
		BrokerageEventId: pa.GetEventId(), Participant: old,
	}, rev); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		got := must[*meetingsv1.GetAgendaResponse](t)(e.as(organizer).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: pa.GetEventId(), ParticipantId: pa.GetId()})).GetParticipant()
		if got.GetVersion() == old.GetVersion() {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service still reads %s at version %d, want %d", pa.GetId(), got.GetVersion(), old.GetVersion())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIssueCheckInCode: a participant registered before agendas carried a
// check-in code gets one on asking, without registering again; reading its
// agenda issues nothing; asking again keeps the code; an organiser may ask
// for anyone, another participant for nobody; the code issued checks the
// participant in.
func TestIssueCheckInCode(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	ev := e.openEvent(t, brokerageDay(0)) // 6 May 2025: the day has come
	a := e.forgetCheckInCode(t, e.register(t, ev.GetId(), "ORGA"))
	b := e.forgetCheckInCode(t, e.register(t, ev.GetId(), "ORGB"))
	asA := e.as(member("ORGA"))
	agenda := func() *meetingsv1.Participant {
		return must[*meetingsv1.GetAgendaResponse](t)(asA.GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})).GetParticipant()
	}
	if got := agenda(); got.GetCheckInCode() != "" || got.GetVersion() != a.GetVersion() {
		t.Fatalf("reading the agenda changed the participant: %v, want version %d and no code", got, a.GetVersion())
	}

	_, err := e.as(member("ORGB")).IssueCheckInCode(c, &meetingsv1.IssueCheckInCodeRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = asA.IssueCheckInCode(c, &meetingsv1.IssueCheckInCodeRequest{EventId: ev.GetId()})
	wantField(t, err, codes.InvalidArgument, "participant_id")

	first := must[*meetingsv1.IssueCheckInCodeResponse](t)(asA.IssueCheckInCode(c, &meetingsv1.IssueCheckInCodeRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	code := first.GetParticipant().GetCheckInCode()
	if !first.GetIssuedNow() || len(code) < 26 || first.GetParticipant().GetVersion() != a.GetVersion()+1 {
		t.Fatalf("first issue = %v, want a new code of 26 characters or more at version %d", first, a.GetVersion()+1)
	}
	again := must[*meetingsv1.IssueCheckInCodeResponse](t)(asA.IssueCheckInCode(c, &meetingsv1.IssueCheckInCodeRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	if again.GetIssuedNow() || again.GetParticipant().GetCheckInCode() != code || again.GetParticipant().GetVersion() != first.GetParticipant().GetVersion() {
		t.Fatalf("asking again = %v, want code %q kept and nothing changed", again, code)
	}
	if got := agenda().GetCheckInCode(); got != code {
		t.Fatalf("the agenda shows code %q, want %q", got, code)
	}

	byOrg := must[*meetingsv1.IssueCheckInCodeResponse](t)(e.as(organizer).IssueCheckInCode(c, &meetingsv1.IssueCheckInCodeRequest{EventId: ev.GetId(), ParticipantId: b.GetId()}))
	if !byOrg.GetIssuedNow() || byOrg.GetParticipant().GetCheckInCode() == "" || byOrg.GetParticipant().GetCheckInCode() == code {
		t.Fatalf("the organiser's issue for B = %v, want a code of B's own", byOrg)
	}

	in := must[*meetingsv1.CheckInParticipantResponse](t)(asA.CheckInParticipant(c, &meetingsv1.CheckInParticipantRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), CheckInCode: code}))
	if !in.GetCheckedInNow() {
		t.Fatalf("check-in with the issued code = %v, want checked in now", in)
	}
}
