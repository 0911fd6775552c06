package meetings_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/meetings/meetingstest"
)

// env is one running meetings service with its JetStream.
type env struct {
	t       testing.TB
	addr    string
	natsURL string
	auth    *auth.Signer
	// announce: no profiles service runs, so the tests announce the
	// organisations they register on its stream themselves.
	announce bool
	mu       sync.Mutex
	clients  map[string]meetingsv1.MeetingsServiceClient
}

func start(t testing.TB) *env {
	t.Helper()
	cfg := meetings.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	return startWith(t, cfg)
}

// replica starts a second instance of the service on e's JetStream, as a
// second replica would run.
func (e *env) replica(t *testing.T) *env {
	t.Helper()
	cfg := meetings.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.NATSURL = e.natsURL
	return startWith(t, cfg)
}

func startWith(t testing.TB, cfg meetings.Config) *env {
	t.Helper()
	conn := runtimetest.Start(t, meetings.Options(cfg))
	a := authtest.Default().Signer
	return &env{t: t, addr: conn.Target(), natsURL: cfg.NATSURL, auth: a, announce: true, clients: map[string]meetingsv1.MeetingsServiceClient{}}
}

// known announces organisations, as the profiles service would, and waits
// until the meetings service knows them, so they may register.
func (e *env) known(t testing.TB, orgs ...string) {
	t.Helper()
	if err := meetingstest.KnownOrganizations(ctx(t), e.natsURL, orgs...); err != nil {
		t.Fatal(err)
	}
}

// as returns a client calling with p's token (p.Subject "" means no token).
func (e *env) as(p auth.Principal) meetingsv1.MeetingsServiceClient {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := fmt.Sprintf("%+v", p)
	if c, ok := e.clients[key]; ok {
		return c
	}
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
	c := meetingsv1.NewMeetingsServiceClient(conn)
	e.clients[key] = c
	return c
}

var (
	organizer = auth.Principal{Subject: "org-anna", Organization: "ORGHOST", Roles: []auth.Role{auth.RoleOrganizer}}
	admin     = auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}}
	outsider  = auth.Principal{Subject: "eve", Organization: "ORGEVE", Roles: []auth.Role{auth.RoleMember}}
)

// member is a user of an organisation with the given id.
func member(org string) auth.Principal {
	return auth.Principal{Subject: "user-" + org, Organization: org, Roles: []auth.Role{auth.RoleMember}}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// brokerageDay is a one-day event: 09:00-11:00 in Rome, 25-minute meetings
// with 5-minute breaks (slots 09:00, 09:30, 10:00, 10:30), tables T1 and T2.
func brokerageDay(mode meetingsv1.BookingMode) *meetingsv1.Event {
	return &meetingsv1.Event{
		Name: "Smart Health Brokerage Day", Venue: "Area Science Park, Trieste", TimeZone: "Europe/Rome",
		Days: []*meetingsv1.EventDay{{
			Date:     &meetingsv1.Date{Year: 2025, Month: 5, Day: 6},
			Sessions: []*meetingsv1.Session{{Name: "Morning", StartTime: &meetingsv1.LocalTime{Hours: 9}, EndTime: &meetingsv1.LocalTime{Hours: 11}}},
		}},
		MeetingDuration: durationpb.New(25 * time.Minute),
		BreakDuration:   durationpb.New(5 * time.Minute),
		Tables:          []*meetingsv1.Table{{Id: "T1", Name: "Table 1", Location: "Hall B"}, {Id: "T2", Name: "Table 2", Location: "Hall B"}},
		BookingMode:     mode,
	}
}

// selfBookingDay is brokerageDay where participants book slots themselves,
// on 6 May 2099 (slots 20990506T0900 to T1030): participants book only
// slots still to come.
func selfBookingDay() *meetingsv1.Event {
	ev := brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING)
	ev.GetDays()[0].Date.Year = 2099
	return ev
}

// openEvent creates an event as the organizer and opens registration.
func (e *env) openEvent(t testing.TB, ev *meetingsv1.Event) *meetingsv1.Event {
	t.Helper()
	c := ctx(t)
	org := e.as(organizer)
	created := must[*meetingsv1.CreateEventResponse](t)(org.CreateEvent(c, &meetingsv1.CreateEventRequest{Event: ev})).GetEvent()
	return e.setStatus(t, created, meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN)
}

func (e *env) setStatus(t testing.TB, ev *meetingsv1.Event, st meetingsv1.EventStatus) *meetingsv1.Event {
	t.Helper()
	res, err := e.as(organizer).UpdateEvent(ctx(t), &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Status: st}, ExpectedVersion: ev.GetVersion(),
		UpdateMask: mask("status"),
	})
	if err != nil {
		t.Fatalf("set status %s: %v", st, err)
	}
	return res.GetEvent()
}

// register registers organisation org (as its own member). Where the
// profiles service runs, an organisation it created a moment ago may still
// be on its way to the meetings service: register retries until it arrives.
func (e *env) register(t *testing.T, eventID, org string, slots ...string) *meetingsv1.Participant {
	t.Helper()
	if e.announce {
		e.known(t, org)
	}
	var pa *meetingsv1.Participant
	eventually(t, func() string {
		res, err := e.as(member(org)).RegisterParticipant(ctx(t), &meetingsv1.RegisterParticipantRequest{
			EventId: eventID, Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}},
			AvailableSlotIds: slots,
		})
		switch {
		case codeOf(err) == codes.NotFound && !e.announce:
			return fmt.Sprintf("register %s: %v", org, err)
		case err != nil:
			t.Fatalf("register %s: %v", org, err)
		}
		pa = res.GetParticipant()
		return ""
	})
	return pa
}

// accepted makes from ask to and to accept; returns the request.
func (e *env) accepted(t *testing.T, eventID string, from, to *meetingsv1.Participant, must bool) *meetingsv1.MeetingRequest {
	t.Helper()
	prio := meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT
	if must {
		prio = meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
	}
	c := ctx(t)
	rq, err := e.as(member(from.GetProfile().GetOrganizationId())).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: eventID, FromParticipantId: from.GetId(), ToParticipantId: to.GetId(), Priority: prio, Message: "Let us talk about sequencing",
	})
	if err != nil {
		t.Fatalf("request %s -> %s: %v", from.GetId(), to.GetId(), err)
	}
	res, err := e.as(member(to.GetProfile().GetOrganizationId())).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{
		RequestId: rq.GetMeetingRequest().GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT,
		ExpectedVersion: rq.GetMeetingRequest().GetVersion(),
	})
	if err != nil {
		t.Fatalf("accept %s: %v", rq.GetMeetingRequest().GetId(), err)
	}
	return res.GetMeetingRequest()
}

// subjects collects the subjects published on the meetings stream until
// every wanted prefix was seen or the deadline passes.
func (e *env) subjects(t *testing.T, want ...string) map[string]int {
	t.Helper()
	c := ctx(t)
	cons, err := e.jetStream(t).OrderedConsumer(c, "TANDEM_MEETINGS", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	missing := func() []string {
		var out []string
		for _, w := range want {
			if seen[w] == 0 {
				out = append(out, w)
			}
		}
		return out
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			subj := m.Subject()
			// Count by subject without the aggregate key.
			if i := lastDot(subj); i > 0 {
				subj = subj[:i]
			}
			seen[subj]++
		}
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("events never published: %v (seen %v)", m, seen)
	}
	return seen
}

// jetStream connects to e's JetStream until the test ends.
func (e *env) jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(e.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func codeOf(err error) codes.Code { return status.Code(err) }
