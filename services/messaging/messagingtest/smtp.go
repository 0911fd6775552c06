// Package messagingtest runs a real SMTP server (emersion/go-smtp) on a
// loopback port for tests of the e-mail the messaging service sends.
package messagingtest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one e-mail the server received.
type Mail struct {
	From string
	To   []string
	Data string
}

// Inbox is the server and what it received.
type Inbox struct {
	// Addr is the server's host:port, for the messaging service's SMTPAddr.
	Addr  string
	mu    sync.Mutex
	mails []Mail
}

// StartSMTP starts the server for the test; it stops when the test ends.
func StartSMTP(t testing.TB) *Inbox {
	t.Helper()
	in := &Inbox{}
	s := smtp.NewServer(backend{in})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return in
}

// To lists the mails received for addr.
func (in *Inbox) To(addr string) []Mail {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Mail
	for _, m := range in.mails {
		for _, r := range m.To {
			if r == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// WaitMail waits until addr received a mail containing want, and returns it.
func (in *Inbox) WaitMail(t testing.TB, addr, want string) Mail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range in.To(addr) {
			if strings.Contains(m.Data, want) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s containing %q; got %v", addr, want, in.To(addr))
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

type backend struct{ in *Inbox }

func (b backend) NewSession(_ *smtp.Conn) (smtp.Session, error) { return &session{in: b.in}, nil }

type session struct {
	in *Inbox
	m  Mail
}

func (s *session) AuthMechanisms() []string { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.m.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.To = append(s.m.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.Data = string(b)
	s.in.mu.Lock()
	s.in.mails = append(s.in.mails, s.m)
	s.in.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.m = Mail{} }
func (s *session) Logout() error { return nil }
