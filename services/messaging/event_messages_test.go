package messaging_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
)

// publishMeetings publishes events on the meetings stream as the meetings
// service does (subject, then the aggregate id).
func (e *env) publishMeetings(subject, aggregate string, ev proto.Message) {
	e.t.Helper()
	if _, err := e.js.CreateOrUpdateStream(ctx(e.t), jetstream.StreamConfig{Name: "TANDEM_MEETINGS", Subjects: []string{"tandem.meetings.v1.>"}}); err != nil {
		e.t.Fatal(err)
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.js.Publish(ctx(e.t), subject+"."+aggregate, data); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) participant(eventID, org string, status meetingsv1.ParticipantStatus, version int64) string {
	id := ulid.Make().String()
	pa := &meetingsv1.Participant{Id: id, EventId: eventID, Profile: orgRef(org), Status: status, Version: version}
	e.publishMeetings("tandem.meetings.v1.participant.registered", id, &eventsv1.ParticipantRegistered{AggregateId: id, AggregateVersion: 1, BrokerageEventId: eventID, Participant: pa})
	return id
}

// TestOrganizerMessagesEventParticipants: the organiser of an event writes
// to all its participants (the withdrawn one left out), each in its own
// thread that the participant can answer, with the usual e-mail; then to
// one chosen participant, in the same thread, once however often the call
// is retried. Others than the organiser, participants of other events and
// empty messages are refused with the field named.
func TestOrganizerMessagesEventParticipants(t *testing.T) {
	e := start(t)
	host, company, lab, gone := e.org("Smart Health Host (test)"), e.org("Carso Diagnostics (test)"), e.org("Liver Lab (test)"), e.org("Gone Co (test)")
	organiser := e.as(auth.Principal{Subject: "organiser", Organization: host, Roles: []auth.Role{auth.RoleOrganizer}})
	member := e.as(auth.Principal{Subject: "buyer", Organization: company})
	labHead := e.as(auth.Principal{Subject: "lab-head", Organization: lab})
	if _, err := member.UpdateNotificationSettings(ctx(t), &messagingv1.UpdateNotificationSettingsRequest{Settings: &messagingv1.NotificationSettings{
		Email: "buyer@carso.example", EmailMode: messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE, LanguageCode: "it",
	}}); err != nil {
		t.Fatal(err)
	}

	eventID := ulid.Make().String()
	e.publishMeetings("tandem.meetings.v1.event.created", eventID, &eventsv1.BrokerageEventCreated{AggregateId: eventID, AggregateVersion: 1, BrokerageEventId: eventID,
		Event: &meetingsv1.Event{Id: eventID, Name: "Trieste Partnering Day", OrganizerSubjects: []string{"organiser"}}})
	registered := meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED
	pCompany := e.participant(eventID, company, registered, 1)
	pLab := e.participant(eventID, lab, registered, 1)
	pGone := e.participant(eventID, gone, registered, 1)
	e.publishMeetings("tandem.meetings.v1.participant.withdrawn", pGone, &eventsv1.ParticipantWithdrawn{AggregateId: pGone, AggregateVersion: 2, BrokerageEventId: eventID,
		Participant: &meetingsv1.Participant{Id: pGone, EventId: eventID, Profile: orgRef(gone), Status: meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN, Version: 2}})
	otherEvent := ulid.Make().String()
	e.publishMeetings("tandem.meetings.v1.event.created", otherEvent, &eventsv1.BrokerageEventCreated{AggregateId: otherEvent, AggregateVersion: 1, BrokerageEventId: otherEvent,
		Event: &meetingsv1.Event{Id: otherEvent, Name: "Other Day", OrganizerSubjects: []string{"someone-else"}}})
	pElsewhere := e.participant(otherEvent, lab, registered, 1)

	// The roster follows the stream: wait until the withdrawal is in
	// (writing to the withdrawn participant is refused then).
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := organiser.MessageEventParticipants(ctx(t), &messagingv1.MessageEventParticipantsRequest{EventId: eventID, ParticipantIds: []string{pGone}, Text: "probe"})
		if status.Code(err) == codes.InvalidArgument && slices.Equal(fields(err), []string{"participant_ids[0]"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the roster never learnt of the withdrawal: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}

	t.Run("only the organiser, about its own participants", func(t *testing.T) {
		_, err := member.MessageEventParticipants(ctx(t), &messagingv1.MessageEventParticipantsRequest{EventId: eventID, Text: "hello"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("a participant wrote to the event: %v, want NotFound", err)
		}
		_, err = organiser.MessageEventParticipants(ctx(t), &messagingv1.MessageEventParticipantsRequest{EventId: eventID, ParticipantIds: []string{pCompany, pElsewhere}, Text: " "})
		if status.Code(err) != codes.InvalidArgument || strings.Join(fields(err), ",") != "text" {
			t.Errorf("an empty message: %v %v, want text", err, fields(err))
		}
		_, err = organiser.MessageEventParticipants(ctx(t), &messagingv1.MessageEventParticipantsRequest{EventId: eventID, ParticipantIds: []string{pCompany, pElsewhere}, Text: "hi"})
		if status.Code(err) != codes.InvalidArgument || strings.Join(fields(err), ",") != "participant_ids[1]" {
			t.Errorf("a participant of another event: %v %v, want participant_ids[1]", err, fields(err))
		}
	})

	var toCompany *messagingv1.Conversation
	t.Run("to all: one thread each, answerable, by e-mail", func(t *testing.T) {
		res, err := organiser.MessageEventParticipants(ctx(t), &messagingv1.MessageEventParticipantsRequest{EventId: eventID,
			Text: "Welcome to Trieste: the doors open at 8:30 in Hall B.", ClientRequestId: "all-1"})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, c := range res.GetConversations() {
			to = append(to, c.GetTo().GetOrganizationId())
			if c.GetTopic() != "Trieste Partnering Day" || c.GetStatus() != messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED || c.GetFrom().GetOrganizationId() != host {
				t.Errorf("thread %v: want topic the event's name, accepted, from the organiser's organisation", c)
			}
			if c.GetTo().GetOrganizationId() == company {
				toCompany = c
			}
		}
		slices.Sort(to)
		want := []string{company, lab}
		slices.Sort(want)
		if !slices.Equal(to, want) {
			t.Fatalf("written to %v, want the company and the lab (not the withdrawn one)", to)
		}
		m := e.smtp.WaitMail(t, "buyer@carso.example", "doors open at 8:30")
		if !strings.Contains(m.Data, "Smart Health Host (test)") || !strings.Contains(m.Data, "https://tandem.example/messages/"+toCompany.GetId()) {
			t.Errorf("the mail names not the organiser or links not the thread:\n%s", m.Data)
		}
		if _, err := member.PostMessage(ctx(t), &messagingv1.PostMessageRequest{Id: toCompany.GetId(), Text: "Thanks, we will be there."}); err != nil {
			t.Errorf("the participant cannot answer: %v", err)
		}
	})

	t.Run("to one chosen participant, in the same thread, once", func(t *testing.T) {
		req := &messagingv1.MessageEventParticipantsRequest{EventId: eventID, ParticipantIds: []string{pLab}, Text: "Your table is 12.", ClientRequestId: "lab-2"}
		first, err := organiser.MessageEventParticipants(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := organiser.MessageEventParticipants(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(first.GetConversations()) != 1 || len(again.GetConversations()) != 1 {
			t.Fatalf("threads %d and %d, want 1", len(first.GetConversations()), len(again.GetConversations()))
		}
		res, err := labHead.GetConversation(ctx(t), &messagingv1.GetConversationRequest{Id: first.GetConversations()[0].GetId()})
		if err != nil {
			t.Fatal(err)
		}
		c := res.GetConversation()
		var texts []string
		for _, m := range c.GetMessages() {
			texts = append(texts, m.GetText())
		}
		if !slices.Equal(texts, []string{"Welcome to Trieste: the doors open at 8:30 in Hall B.", "Your table is 12."}) {
			t.Errorf("the lab's thread holds %q", texts)
		}
		cc, err := member.GetConversation(ctx(t), &messagingv1.GetConversationRequest{Id: toCompany.GetId()})
		if err != nil || len(cc.GetConversation().GetMessages()) != 2 {
			t.Errorf("the company's thread changed: %v %v", cc, err)
		}
	})
}
