package adapters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/smtp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/app"
	"github.com/tandem-cluster/tandem/services/messaging/internal/domain"
)

// MailConfig says where e-mail goes.
type MailConfig struct {
	SMTPAddr  string // host:port; empty disables e-mail
	From      string // envelope and header sender
	Username  string // optional SMTP AUTH PLAIN
	Password  string
	PublicURL string // the web UI, for links: https://tandem.example
}

// Mailer sends notification e-mail for conversation events, at once or as
// digests, per each recipient's settings.
type Mailer struct {
	cfg    MailConfig
	svc    *app.Service
	stores *Stores
	log    *slog.Logger
}

// NewMailer returns a mailer.
func NewMailer(cfg MailConfig, svc *app.Service, stores *Stores, log *slog.Logger) *Mailer {
	return &Mailer{cfg: cfg, svc: svc, stores: stores, log: log}
}

// notice is one thing to tell a recipient about.
type notice struct {
	kind string // requested, accepted, declined, message
	conv *messagingv1.Conversation
	text string
}

// Consume runs the durable consumer of the service's own conversation
// events that sends e-mail. An event is acknowledged once its e-mails are
// sent (or queued for a digest), so a restart or a rebuild of the index
// never sends one twice; a failed send is retried with backoff.
func (m *Mailer) Consume(ctx context.Context, js jetstream.JetStream) error {
	cfg := jetstream.ConsumerConfig{Durable: "messaging_mailer", FilterSubject: "tandem.messaging.v1.conversation.>", DeliverPolicy: jetstream.DeliverNewPolicy}
	return natsx.Consume(ctx, m.log, js, Stream, cfg, func(ctx context.Context, msg jetstream.Msg) error {
		return m.handle(ctx, msg.Subject(), msg.Data())
	})
}

func (m *Mailer) handle(ctx context.Context, subject string, data []byte) error {
	var (
		ev   proto.Message
		kind string
	)
	switch {
	case strings.HasPrefix(subject, "tandem.messaging.v1.conversation.requested."):
		ev, kind = &eventsv1.ContactRequested{}, "requested"
	case strings.HasPrefix(subject, "tandem.messaging.v1.conversation.accepted."):
		ev, kind = &eventsv1.ContactAccepted{}, "accepted"
	case strings.HasPrefix(subject, "tandem.messaging.v1.conversation.declined."):
		ev, kind = &eventsv1.ContactDeclined{}, "declined"
	case strings.HasPrefix(subject, "tandem.messaging.v1.conversation.message_posted."):
		ev, kind = &eventsv1.MessagePosted{}, "message"
	default:
		return nil
	}
	if err := proto.Unmarshal(data, ev); err != nil {
		return fmt.Errorf("decode %s: %w: %w", subject, err, natsx.ErrPermanent)
	}
	c := ev.ProtoReflect().Get(ev.ProtoReflect().Descriptor().Fields().ByName("conversation")).Message().Interface().(*messagingv1.Conversation)
	// An erased conversation is not announced: the event is older than the
	// erasure that followed it.
	if live, err := m.svc.Exists(ctx, c.GetId()); err != nil || !live {
		return err
	}
	from, to := domain.Sides(c)
	n := notice{kind: kind, conv: c}
	target := from
	switch kind {
	case "requested":
		target, n.text = to, c.GetMessages()[0].GetText()
	case "message":
		last := c.GetMessages()[len(c.GetMessages())-1]
		n.text = last.GetText()
		if a, _ := domain.SideOf(last.GetAuthor()); a == from {
			target = to
		}
	case "accepted":
		if len(c.GetMessages()) > 1 {
			n.text = c.GetMessages()[len(c.GetMessages())-1].GetText()
		}
	}
	if m.cfg.SMTPAddr == "" {
		return nil
	}
	for _, st := range m.svc.Recipients(target) {
		if st.GetEmail() == "" {
			continue
		}
		switch st.GetEmailMode() {
		case messagingv1.EmailMode_EMAIL_MODE_OFF:
		case messagingv1.EmailMode_EMAIL_MODE_DIGEST:
			if err := m.queue(ctx, st, c.GetId()); err != nil {
				return err
			}
		default:
			subj, body := m.compose(st.GetLanguageCode(), n)
			if err := m.send(st.GetEmail(), subj, body); err != nil {
				return fmt.Errorf("send e-mail for %s: %w", c.GetId(), err)
			}
		}
	}
	return nil
}

// queue adds a conversation to a recipient's next digest.
func (m *Mailer) queue(ctx context.Context, st *messagingv1.NotificationSettings, convID string) error {
	key := app.SettingsKey(st.GetSubject())
	for {
		e, err := m.stores.Digests.Get(ctx, key)
		var ids []string
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("digest: %w", err)
		default:
			ids, rev = strings.Fields(string(e.Value())), e.Revision()
		}
		if slices.Contains(ids, convID) {
			return nil
		}
		val := []byte(strings.Join(append(ids, convID), " "))
		if rev == 0 {
			_, err = m.stores.Digests.Create(ctx, key, val)
		} else {
			_, err = m.stores.Digests.Update(ctx, key, val, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !strings.Contains(err.Error(), "wrong last sequence") {
			return fmt.Errorf("digest: %w", err)
		}
	}
}

// Digests sends every queued digest each period until ctx ends.
func (m *Mailer) Digests(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := m.SendDigests(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("digests not sent; retrying next period", "err", err)
			}
		}
	}
}

// SendDigests sends the queued digests now. A digest names only the
// conversations still there when it is sent: an erased one is left out.
func (m *Mailer) SendDigests(ctx context.Context) error {
	if m.cfg.SMTPAddr == "" {
		return nil
	}
	keys, err := m.stores.Digests.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("digest keys: %w", err)
	}
	var pending []string
	for k := range keys.Keys() {
		pending = append(pending, k)
	}
	for _, key := range pending {
		e, err := m.stores.Digests.Get(ctx, key)
		if err != nil {
			continue
		}
		st := m.svc.SettingsByKey(key)
		var convs []*messagingv1.Conversation
		for _, id := range strings.Fields(string(e.Value())) {
			if c, ok := m.svc.Conversation(id); ok {
				convs = append(convs, c)
			}
		}
		if st != nil && st.GetEmail() != "" && st.GetEmailMode() == messagingv1.EmailMode_EMAIL_MODE_DIGEST && len(convs) > 0 {
			subj, body := m.composeDigest(st.GetLanguageCode(), convs)
			if err := m.send(st.GetEmail(), subj, body); err != nil {
				return err
			}
		}
		if err := m.stores.Digests.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil && !strings.Contains(err.Error(), "wrong last sequence") {
			return fmt.Errorf("digest: %w", err)
		}
	}
	return nil
}

var mailText = map[string][2]string{
	"requested.subject": {"Contact request from %s", "Richiesta di contatto da %s"},
	"requested.body":    {"%s would like to get in touch with you on Tandem.", "%s vorrebbe mettersi in contatto con voi su Tandem."},
	"accepted.subject":  {"%s accepted your contact request", "%s ha accettato la vostra richiesta di contatto"},
	"accepted.body":     {"%s accepted your contact request: you can now write to each other.", "%s ha accettato la vostra richiesta di contatto: ora potete scrivervi."},
	"declined.subject":  {"%s declined your contact request", "%s ha rifiutato la vostra richiesta di contatto"},
	"declined.body":     {"%s declined your contact request.", "%s ha rifiutato la vostra richiesta di contatto."},
	"message.subject":   {"New message from %s", "Nuovo messaggio da %s"},
	"message.body":      {"%s wrote to you on Tandem.", "%s vi ha scritto su Tandem."},
	"digest.subject":    {"Tandem: %d conversations with news", "Tandem: %d conversazioni con novità"},
	"digest.body":       {"These conversations have news since your last digest:", "Queste conversazioni hanno novità dall'ultimo riepilogo:"},
	"open":              {"Open it in Tandem: %s", "Apritela in Tandem: %s"},
	"settings":          {"You receive this e-mail because of your notification settings: %s", "Ricevete questa e-mail per le vostre impostazioni di notifica: %s"},
	"someone":           {"A member", "Un membro"},
}

func tr(lang, key string, args ...any) string {
	i := 0
	if lang == "it" {
		i = 1
	}
	return fmt.Sprintf(mailText[key][i], args...)
}

func (m *Mailer) name(lang string, c *messagingv1.Conversation, fromSide bool) string {
	side, _ := domain.SideOf(c.GetTo())
	if fromSide {
		side, _ = domain.SideOf(c.GetFrom())
	}
	if n := m.svc.Dir.Name(side); n != "" {
		return n
	}
	return tr(lang, "someone")
}

func (m *Mailer) compose(lang string, n notice) (subject, body string) {
	c := n.conv
	// Who acted: the asking side for a request, the asked side for an
	// answer, the author for a message.
	actorFrom := n.kind == "requested"
	if n.kind == "message" {
		a, _ := domain.SideOf(c.GetMessages()[len(c.GetMessages())-1].GetAuthor())
		f, _ := domain.SideOf(c.GetFrom())
		actorFrom = a == f
	}
	who := m.name(lang, c, actorFrom)
	subject = tr(lang, n.kind+".subject", who)
	var b strings.Builder
	b.WriteString(tr(lang, n.kind+".body", who) + "\n\n")
	if n.text != "" {
		b.WriteString(n.text + "\n\n")
	}
	b.WriteString(tr(lang, "open", m.cfg.PublicURL+"/messages/"+c.GetId()) + "\n\n-- \n")
	b.WriteString(tr(lang, "settings", m.cfg.PublicURL+"/messages/settings") + "\n")
	return subject, b.String()
}

func (m *Mailer) composeDigest(lang string, convs []*messagingv1.Conversation) (subject, body string) {
	subject = tr(lang, "digest.subject", len(convs))
	var b strings.Builder
	b.WriteString(tr(lang, "digest.body") + "\n\n")
	for _, c := range convs {
		fmt.Fprintf(&b, "- %s ↔ %s: %s\n", m.name(lang, c, true), m.name(lang, c, false), m.cfg.PublicURL+"/messages/"+c.GetId())
	}
	b.WriteString("\n-- \n" + tr(lang, "settings", m.cfg.PublicURL+"/messages/settings") + "\n")
	return subject, b.String()
}

// oneLine keeps a header value on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func (m *Mailer) send(to, subject, body string) error {
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n",
		oneLine(m.cfg.From), oneLine(to), mime.QEncoding.Encode("utf-8", oneLine(subject)), time.Now().UTC().Format(time.RFC1123Z))
	msg.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	var a smtp.Auth
	if m.cfg.Username != "" {
		host, _, _ := strings.Cut(m.cfg.SMTPAddr, ":")
		a = smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)
	}
	return smtp.SendMail(m.cfg.SMTPAddr, a, m.cfg.From, []string{to}, msg.Bytes())
}
