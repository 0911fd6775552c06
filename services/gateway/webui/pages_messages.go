package webui

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Contact requests and their threads: a member asks another for contact with
// a message, the other side accepts or declines, and after an accept both
// write in the thread. The messaging service holds them; these pages only
// show them with the names the user may see.

// conversationRow is one line of the messages list.
type conversationRow struct {
	ID       string
	With     string
	Topic    string
	Status   messagingv1.ContactStatus
	Awaiting bool // the user's answer is awaited
	Last     string
	Updated  *timestamppb.Timestamp
}

type messagesView struct {
	Rows     []conversationRow
	Awaiting int32
}

type threadMessage struct {
	Author string
	Mine   bool
	Text   string
	SentAt *timestamppb.Timestamp
}

type threadView struct {
	RequestID string
	Conv      *messagingv1.Conversation
	With      string
	WithHref  string
	Messages  []threadMessage
	Pending   bool
	CanAnswer bool
	CanWrite  bool
	Reply     string
}

type contactView struct {
	RequestID string
	To        string // form value: org:ID or person:ID
	Name      string
	Href      string
	Message   string
	Topic     string
}

type settingsView struct {
	Settings *messagingv1.NotificationSettings
	Modes    []messagingv1.EmailMode
}

// requestID keys one form: submitting it twice sends once.
func requestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var emailModes = []messagingv1.EmailMode{
	messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE, messagingv1.EmailMode_EMAIL_MODE_DIGEST, messagingv1.EmailMode_EMAIL_MODE_OFF,
}

// messagingOff answers a messaging page when the gateway runs without the
// messaging service: in that deployment the page does not exist.
func (u *UI) messagingOff(c *call) error {
	return c.render("messages", "messages.title", messagesView{}, &problem{Message: c.L.T("messages.unavailable"), Code: codes.NotFound})
}

// mine reports whether ref is one of the user's sides: their organisation
// or their own person profile.
func (c *call) mine(ref *profilesv1.ProfileRef) bool {
	for _, r := range c.myProfiles() {
		if sameProfile(r, ref) {
			return true
		}
	}
	return false
}

// other is the side of conv that is not the user's.
func (c *call) other(conv *messagingv1.Conversation) *profilesv1.ProfileRef {
	if c.mine(conv.GetFrom()) {
		return conv.GetTo()
	}
	return conv.GetFrom()
}

func (c *call) nameOr(names map[string]string, ref *profilesv1.ProfileRef) string {
	if n := names[profileKey(ref)]; n != "" {
		return n
	}
	return c.L.T("profile.anonymous")
}

func (u *UI) messagesPage(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Messaging.ListConversations(ctx, &messagingv1.ListConversationsRequest{PageSize: 200})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("messages", "messages.title", messagesView{}, problemFrom(c.L, err))
	}
	var refs []*profilesv1.ProfileRef
	for _, conv := range res.GetConversations() {
		refs = append(refs, c.other(conv))
	}
	names := c.names(refs)
	v := messagesView{Awaiting: res.GetAwaitingAnswer()}
	for _, conv := range res.GetConversations() {
		row := conversationRow{ID: conv.GetId(), With: c.nameOr(names, c.other(conv)), Topic: conv.GetTopic(), Status: conv.GetStatus(), Updated: conv.GetUpdatedAt()}
		row.Awaiting = conv.GetStatus() == messagingv1.ContactStatus_CONTACT_STATUS_PENDING && c.mine(conv.GetTo()) && !c.mine(conv.GetFrom())
		if ms := conv.GetMessages(); len(ms) > 0 {
			row.Last = ms[len(ms)-1].GetText()
		}
		v.Rows = append(v.Rows, row)
	}
	return c.render("messages", "messages.title", v, nil)
}

func (u *UI) threadPage(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Messaging.GetConversation(ctx, &messagingv1.GetConversationRequest{Id: c.r.PathValue("id")})
	if err != nil {
		return err
	}
	return c.render("thread", "messages.thread", u.thread(c, res.GetConversation(), ""), nil)
}

func (u *UI) thread(c *call, conv *messagingv1.Conversation, reply string) threadView {
	other := c.other(conv)
	names := c.names([]*profilesv1.ProfileRef{conv.GetFrom(), conv.GetTo()})
	v := threadView{RequestID: requestID(), Conv: conv, With: c.nameOr(names, other), WithHref: profileHref(other), Reply: reply}
	for _, m := range conv.GetMessages() {
		v.Messages = append(v.Messages, threadMessage{Author: c.nameOr(names, m.GetAuthor()), Mine: m.GetAuthorSubject() == c.user.Subject, Text: m.GetText(), SentAt: m.GetSentAt()})
	}
	pending := conv.GetStatus() == messagingv1.ContactStatus_CONTACT_STATUS_PENDING
	v.Pending = pending
	v.CanAnswer = pending && c.mine(conv.GetTo()) && !c.mine(conv.GetFrom())
	v.CanWrite = conv.GetStatus() == messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED
	return v
}

// threadProblem shows a refused answer or message on the thread again,
// with what the user typed kept.
func (u *UI) threadProblem(c *call, id, reply string, err error) error {
	if code := status.Code(err); code == codes.Unauthenticated || code == codes.NotFound {
		return err
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, gerr := u.opts.Messaging.GetConversation(ctx, &messagingv1.GetConversationRequest{Id: id})
	if gerr != nil {
		return gerr
	}
	return c.render("thread", "messages.thread", u.thread(c, res.GetConversation(), reply), problemFrom(c.L, err))
}

func (u *UI) threadPost(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	id, text := c.r.PathValue("id"), c.r.PostForm.Get("text")
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Messaging.PostMessage(ctx, &messagingv1.PostMessageRequest{Id: id, Text: text, ClientRequestId: c.r.PostForm.Get("request_id")})
	if err != nil {
		return u.threadProblem(c, id, text, err)
	}
	return c.redirect("/messages/"+url.PathEscape(id)+"#last", "message_sent")
}

func (u *UI) threadRespond(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	id, text := c.r.PathValue("id"), c.r.PostForm.Get("message")
	accept := c.r.PostForm.Get("answer") == "accept"
	version, _ := strconv.ParseInt(c.r.PostForm.Get("version"), 10, 64)
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Messaging.RespondToContactRequest(ctx, &messagingv1.RespondToContactRequestRequest{Id: id, Accept: accept, Message: text, ExpectedVersion: version})
	if err != nil {
		return u.threadProblem(c, id, text, err)
	}
	done := "contact_declined"
	if accept {
		done = "contact_accepted"
	}
	return c.redirect("/messages/"+url.PathEscape(id), done)
}

// contactTarget reads the "to" value (org:ID or person:ID) and names it.
func (u *UI) contactTarget(c *call, to string) (contactView, *profilesv1.ProfileRef, bool) {
	ref, ok := decodeCandidate(to)
	if !ok {
		return contactView{}, nil, false
	}
	v := contactView{RequestID: requestID(), To: to, Href: profileHref(ref)}
	v.Name = c.nameOr(c.names([]*profilesv1.ProfileRef{ref}), ref)
	return v, ref, true
}

// from is the side the user writes for: their organisation, or their own
// person profile when they have no organisation.
func (c *call) from() *profilesv1.ProfileRef {
	if refs := c.myProfiles(); len(refs) > 0 {
		return refs[0]
	}
	return nil
}

func (u *UI) contactPage(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	v, _, ok := u.contactTarget(c, c.r.URL.Query().Get("to"))
	if !ok {
		return u.notFound(c)
	}
	// "Express interest" in a listing names it as the topic.
	if t := []rune(strings.TrimSpace(c.r.URL.Query().Get("topic"))); len(t) > 0 {
		v.Topic = string(t[:min(len(t), 200)])
	}
	return c.render("contact", "contact.title", v, nil)
}

func (u *UI) contactSend(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	v, ref, ok := u.contactTarget(c, c.r.PostForm.Get("to"))
	if !ok {
		return u.notFound(c)
	}
	v.Message, v.Topic = c.r.PostForm.Get("message"), c.r.PostForm.Get("topic")
	from := c.from()
	if from == nil {
		return c.render("contact", "contact.title", v, &problem{Message: c.L.T("partners.no_seeker"), Code: codes.FailedPrecondition})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Messaging.SendContactRequest(ctx, &messagingv1.SendContactRequestRequest{
		From: from, To: ref, Message: v.Message, Topic: strings.TrimSpace(v.Topic), ClientRequestId: c.r.PostForm.Get("request_id"),
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("contact", "contact.title", v, problemFrom(c.L, err))
	}
	return c.redirect("/messages/"+url.PathEscape(res.GetConversation().GetId()), "contact_sent")
}

func (u *UI) messageSettingsPage(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Messaging.GetNotificationSettings(ctx, &messagingv1.GetNotificationSettingsRequest{})
	if err != nil {
		return err
	}
	return c.render("message_settings", "settings.title", settingsView{Settings: res.GetSettings(), Modes: emailModes}, nil)
}

func (u *UI) messageSettingsSave(c *call) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	f := c.r.PostForm
	st := &messagingv1.NotificationSettings{Email: strings.TrimSpace(f.Get("email")), LanguageCode: f.Get("language_code")}
	if m, ok := messagingv1.EmailMode_value[f.Get("email_mode")]; ok {
		st.EmailMode = messagingv1.EmailMode(m)
	}
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	ctx, cancel := c.ctx()
	defer cancel()
	if _, err := u.opts.Messaging.UpdateNotificationSettings(ctx, &messagingv1.UpdateNotificationSettingsRequest{Settings: st, ExpectedVersion: version}); err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		st.Version = version
		return c.render("message_settings", "settings.title", settingsView{Settings: st, Modes: emailModes}, problemFrom(c.L, err))
	}
	return c.redirect("/messages/settings", "saved")
}
