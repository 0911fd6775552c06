package webui_test

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/gateway/internal/app"
	"github.com/tandem-cluster/tandem/services/gateway/webui"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/messaging"
	"github.com/tandem-cluster/tandem/services/messaging/messagingtest"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// stack is the five real domain services, started in-process on one
// JetStream server (so they see each other's events), and the web UI in
// front of them.
type stack struct {
	URL       string
	Authority *auth.Signer
	Profiles  profilesv1.ProfilesServiceClient
	Comp      competenciesv1.CompetenciesServiceClient
	Matching  matchingv1.MatchingServiceClient
	Meetings  meetingsv1.MeetingsServiceClient
	Messaging messagingv1.MessagingServiceClient
	JS        jetstream.JetStream
	// Mail is a real SMTP server the messaging service sends its e-mail
	// to, with links to pages under mailURL.
	Mail *messagingtest.Inbox
}

// mailURL is the public address the messaging service writes in the links
// of its e-mail.
const mailURL = "https://tandem.example"

// startStack starts the stack; tune, when given, adjusts the web UI's
// options.
func startStack(t *testing.T, tune ...func(*webui.Options)) *stack {
	t.Helper()
	common := runtimetest.Common(t)
	own := func(name string) runtime.Common {
		c := common
		c.RedisPrefix = common.RedisPrefix + name + ":"
		return c
	}
	inbox := messagingtest.StartSMTP(t)
	var (
		wg    sync.WaitGroup
		conns [5]*grpc.ClientConn
	)
	starts := []func() *grpc.ClientConn{
		func() *grpc.ClientConn {
			c := profiles.DefaultConfig()
			c.Common = own("profiles")
			return runtimetest.Start(t, profiles.Options(c))
		},
		func() *grpc.ClientConn {
			c := competencies.DefaultConfig()
			c.Common = own("competencies")
			return runtimetest.Start(t, competencies.Options(c))
		},
		func() *grpc.ClientConn {
			c := matching.DefaultConfig()
			c.Common = own("matching")
			return runtimetest.Start(t, matching.Options(c))
		},
		func() *grpc.ClientConn {
			c := meetings.DefaultConfig()
			c.Common = own("meetings")
			return runtimetest.Start(t, meetings.Options(c))
		},
		func() *grpc.ClientConn {
			c := messaging.DefaultConfig()
			c.Common = own("messaging")
			c.SMTPAddr, c.SMTPFrom, c.PublicURL = inbox.Addr, "tandem@cluster.example", mailURL
			return runtimetest.Start(t, messaging.Options(c))
		},
	}
	// The services start in parallel; one that fails marks the test failed
	// from its goroutine, and the check after Wait stops the test.
	for i, start := range starts {
		wg.Go(func() { conns[i] = start() })
	}
	wg.Wait()
	for i, c := range conns {
		if c == nil {
			t.Fatalf("service %d did not start", i)
		}
	}

	nc, err := nats.Connect(common.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	authority := authtest.Default().Signer
	s := &stack{
		Authority: authority,
		Profiles:  profilesv1.NewProfilesServiceClient(conns[0]),
		Comp:      competenciesv1.NewCompetenciesServiceClient(conns[1]),
		Matching:  matchingv1.NewMatchingServiceClient(conns[2]),
		Meetings:  meetingsv1.NewMeetingsServiceClient(conns[3]),
		Messaging: messagingv1.NewMessagingServiceClient(conns[4]),
		Mail:      inbox,
	}
	login, err := app.NewDemoLogin(authority, s.Profiles, app.DefaultDemoUsers())
	if err != nil {
		t.Fatal(err)
	}
	opts := webui.Options{
		Log:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Auth: authtest.Default().Verifier, Profiles: s.Profiles, Competencies: s.Comp, Matching: s.Matching, Meetings: s.Meetings,
		Messaging: s.Messaging, JS: js, DemoLogin: login,
	}
	for _, f := range tune {
		f(&opts)
	}
	s.JS = js
	ui, err := webui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		ui.Close()
	})
	s.URL = srv.URL
	return s
}
