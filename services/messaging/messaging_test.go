package messaging_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/messaging"
	"github.com/tandem-cluster/tandem/services/messaging/messagingtest"
	"github.com/tandem-cluster/tandem/services/profiles"
)

type env struct {
	t        *testing.T
	addr     string
	profiles profilesv1.ProfilesServiceClient
	js       jetstream.JetStream
	smtp     *messagingtest.Inbox
}

func start(t *testing.T) *env {
	t.Helper()
	common := runtimetest.Common(t)
	pc := profiles.DefaultConfig()
	pc.Common = common
	pc.Common.RedisPrefix += "profiles:"
	pconn := runtimetest.Start(t, profiles.Options(pc))
	in := messagingtest.StartSMTP(t)
	mc := messaging.DefaultConfig()
	mc.Common = common
	mc.Common.RedisPrefix += "messaging:"
	mc.SMTPAddr, mc.SMTPFrom, mc.PublicURL = in.Addr, "tandem@cluster.example", "https://tandem.example"
	mc.DigestEvery = 300 * time.Millisecond
	mconn := runtimetest.Start(t, messaging.Options(mc))
	nc, err := nats.Connect(common.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, addr: mconn.Target(), smtp: in, js: js}
	e.profiles = profilesv1.NewProfilesServiceClient(withToken(t, pconn.Target(), auth.Principal{Subject: "admin", Roles: []auth.Role{auth.RoleAdmin}}))
	return e
}

func withToken(t *testing.T, addr string, p auth.Principal) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(authtest.Token(t, p))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (e *env) as(p auth.Principal) messagingv1.MessagingServiceClient {
	return messagingv1.NewMessagingServiceClient(withToken(e.t, e.addr, p))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func (e *env) org(name string) string {
	e.t.Helper()
	res, err := e.profiles.CreateOrganization(ctx(e.t), &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: "IT", NutsCode: "ITH44", City: "Trieste",
		Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.GetOrganization().GetId()
}

func orgRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
}

// send retries a contact request until the messaging service has learnt of
// both organisations from the profiles events.
func send(t *testing.T, c messagingv1.MessagingServiceClient, r *messagingv1.SendContactRequestRequest) *messagingv1.Conversation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := c.SendContactRequest(ctx(t), r)
		if err == nil {
			return res.GetConversation()
		}
		if status.Code(err) != codes.NotFound || time.Now().After(deadline) {
			t.Fatalf("contact request: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

func fields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func TestContactThreadAndEmail(t *testing.T) {
	e := start(t)
	company, lab := e.org("Carso Diagnostics (test)"), e.org("Liver Lab (test)")
	buyer := e.as(auth.Principal{Subject: "buyer", Organization: company})
	researcher := e.as(auth.Principal{Subject: "researcher", Organization: lab})
	digester := e.as(auth.Principal{Subject: "lab-head", Organization: lab})
	quiet := e.as(auth.Principal{Subject: "lab-quiet", Organization: lab})
	outsider := e.as(auth.Principal{Subject: "outsider", Organization: e.org("Other Co (test)")})

	for _, s := range []struct {
		c    messagingv1.MessagingServiceClient
		mail string
		mode messagingv1.EmailMode
		lang string
	}{
		{buyer, "buyer@carso.example", messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE, "en"},
		{researcher, "researcher@liverlab.example", messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE, "it"},
		{digester, "head@liverlab.example", messagingv1.EmailMode_EMAIL_MODE_DIGEST, "en"},
		{quiet, "quiet@liverlab.example", messagingv1.EmailMode_EMAIL_MODE_OFF, "en"},
	} {
		if _, err := s.c.UpdateNotificationSettings(ctx(t), &messagingv1.UpdateNotificationSettingsRequest{Settings: &messagingv1.NotificationSettings{
			Email: s.mail, EmailMode: s.mode, LanguageCode: s.lang,
		}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("bad input names the fields", func(t *testing.T) {
		_, err := buyer.SendContactRequest(ctx(t), &messagingv1.SendContactRequestRequest{From: orgRef(company), To: orgRef(company), Message: "  "})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("got %v, want InvalidArgument", err)
		}
		if got := strings.Join(fields(err), ","); got != "message,to" {
			t.Errorf("field violations %q, want message,to", got)
		}
		_, err = buyer.UpdateNotificationSettings(ctx(t), &messagingv1.UpdateNotificationSettingsRequest{Settings: &messagingv1.NotificationSettings{Email: "not-an-address"}})
		if status.Code(err) != codes.InvalidArgument || strings.Join(fields(err), ",") != "settings.email" {
			t.Errorf("bad e-mail: %v", err)
		}
		_, err = buyer.SendContactRequest(ctx(t), &messagingv1.SendContactRequestRequest{From: orgRef(lab), To: orgRef(company), Message: "hello"})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("writing for another organisation: %v, want PermissionDenied", err)
		}
	})

	var conv *messagingv1.Conversation
	t.Run("contact request reaches the other side by e-mail", func(t *testing.T) {
		conv = send(t, buyer, &messagingv1.SendContactRequestRequest{From: orgRef(company), To: orgRef(lab),
			Message: "We look for a partner on liver fibrosis biomarkers.", Topic: "Liver fibrosis", ClientRequestId: "c1"})
		again := send(t, buyer, &messagingv1.SendContactRequestRequest{From: orgRef(company), To: orgRef(lab),
			Message: "We look for a partner on liver fibrosis biomarkers.", Topic: "Liver fibrosis", ClientRequestId: "c1"})
		if again.GetId() != conv.GetId() {
			t.Errorf("a retried request made a second conversation")
		}
		m := e.smtp.WaitMail(t, "researcher@liverlab.example", "liver fibrosis biomarkers")
		if !strings.Contains(m.Data, "Richiesta di contatto da Carso Diagnostics (test)") && !strings.Contains(m.Data, "Subject: =?utf-8?q?Richiesta") {
			t.Errorf("the Italian reader's mail is not in Italian:\n%s", m.Data)
		}
		if !strings.Contains(m.Data, "https://tandem.example/messages/"+conv.GetId()) {
			t.Errorf("the mail has no link to the conversation:\n%s", m.Data)
		}
		list, err := researcher.ListConversations(ctx(t), &messagingv1.ListConversationsRequest{})
		if err != nil || len(list.GetConversations()) != 1 || list.GetAwaitingAnswer() != 1 {
			t.Fatalf("the lab's list: %v, %v", list, err)
		}
	})

	t.Run("only the asked side answers, and only once", func(t *testing.T) {
		if _, err := buyer.RespondToContactRequest(ctx(t), &messagingv1.RespondToContactRequestRequest{Id: conv.GetId(), Accept: true}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("the asking side answered: %v", err)
		}
		if _, err := outsider.GetConversation(ctx(t), &messagingv1.GetConversationRequest{Id: conv.GetId()}); status.Code(err) != codes.NotFound {
			t.Errorf("an outsider reads the conversation: %v", err)
		}
		if _, err := researcher.PostMessage(ctx(t), &messagingv1.PostMessageRequest{Id: conv.GetId(), Text: "hi"}); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("a message before the answer: %v", err)
		}
		res, err := researcher.RespondToContactRequest(ctx(t), &messagingv1.RespondToContactRequestRequest{Id: conv.GetId(), Accept: true, Message: "Glad to talk: we stage fibrosis with serum markers.", ExpectedVersion: 1})
		if err != nil || res.GetConversation().GetStatus() != messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED {
			t.Fatalf("accept: %v %v", res, err)
		}
		if _, err := researcher.RespondToContactRequest(ctx(t), &messagingv1.RespondToContactRequestRequest{Id: conv.GetId(), Accept: false}); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("a second answer: %v", err)
		}
		e.smtp.WaitMail(t, "buyer@carso.example", "serum markers")
	})

	t.Run("thread, digest and opt-out", func(t *testing.T) {
		if _, err := buyer.PostMessage(ctx(t), &messagingv1.PostMessageRequest{Id: conv.GetId(), Text: "Could we meet at the brokerage day?", ClientRequestId: "m1"}); err != nil {
			t.Fatal(err)
		}
		res, err := buyer.PostMessage(ctx(t), &messagingv1.PostMessageRequest{Id: conv.GetId(), Text: "Could we meet at the brokerage day?", ClientRequestId: "m1"})
		if err != nil || len(res.GetConversation().GetMessages()) != 3 {
			t.Fatalf("a retried message: %d messages, %v; want 3", len(res.GetConversation().GetMessages()), err)
		}
		e.smtp.WaitMail(t, "researcher@liverlab.example", "brokerage day")
		d := e.smtp.WaitMail(t, "head@liverlab.example", "https://tandem.example/messages/"+conv.GetId())
		if !strings.Contains(d.Data, "Carso Diagnostics (test)") {
			t.Errorf("the digest does not name the conversation's sides:\n%s", d.Data)
		}
		if got := e.smtp.To("quiet@liverlab.example"); len(got) != 0 {
			t.Errorf("the user who opted out got %d mails", len(got))
		}
		if got := e.smtp.To("head@liverlab.example"); len(got) != 1 {
			t.Errorf("the digest reader got %d mails, want one digest", len(got))
		}
	})

	t.Run("events carry every change", func(t *testing.T) {
		want := []string{"requested", "accepted", "message_posted"}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := subjects(t, e.js, "tandem.messaging.v1.conversation.>")
			missing := ""
			for _, w := range want {
				if !strings.Contains(got, "tandem.messaging.v1.conversation."+w+"."+conv.GetId()) {
					missing = w
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s event; stream has %s", missing, got)
			}
			time.Sleep(50 * time.Millisecond) // polling interval
		}
	})

	t.Run("erasing an organisation erases its conversations", func(t *testing.T) {
		written := []string{"liver fibrosis biomarkers", "serum markers", "brokerage day"}
		if found, err := testenv.Leaks(ctx(t), e.js, nil, "", written...); err != nil || len(found) == 0 {
			t.Fatalf("before the erasure the scan finds nothing (%v): it cannot find anything after", err)
		}
		org, err := e.profiles.GetOrganization(ctx(t), &profilesv1.GetOrganizationRequest{Id: company})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.profiles.EraseOrganization(ctx(t), &profilesv1.EraseOrganizationRequest{Id: company, ExpectedVersion: org.GetOrganization().GetVersion()}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := researcher.GetConversation(ctx(t), &messagingv1.GetConversationRequest{Id: conv.GetId()})
			got := subjects(t, e.js, "tandem.messaging.v1.conversation.>")
			if status.Code(err) == codes.NotFound && strings.Contains(got, "conversation.erased."+conv.GetId()) && !strings.Contains(got, "requested."+conv.GetId()) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("conversation after erasure: %v; stream: %s", err, got)
			}
			time.Sleep(50 * time.Millisecond) // polling interval
		}
		list, err := researcher.ListConversations(ctx(t), &messagingv1.ListConversationsRequest{})
		if err != nil || len(list.GetConversations()) != 0 {
			t.Errorf("the lab still lists %d conversations (%v)", len(list.GetConversations()), err)
		}
		// No stream message, bucket revision or digest holds what was written.
		for {
			found, err := testenv.Leaks(ctx(t), e.js, nil, "", written...)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the erasure: %v", found)
			}
			time.Sleep(50 * time.Millisecond) // polling interval
		}
	})
}

// subjects lists the subjects of the messages on the messaging stream that
// match filter, separated by spaces.
func subjects(t *testing.T, js jetstream.JetStream, filter string) string {
	t.Helper()
	c, err := js.OrderedConsumer(ctx(t), "TANDEM_MESSAGING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		b, err := c.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range b.Messages() {
			out = append(out, m.Subject())
			n++
		}
		if n == 0 {
			return strings.Join(out, " ")
		}
	}
}
