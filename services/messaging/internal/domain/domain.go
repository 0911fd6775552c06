// Package domain holds the messaging service's rules: what a contact request
// and a message may contain, who may act for a side of a conversation, and
// how a conversation moves from pending to accepted or declined. It imports
// no transport.
package domain

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Limits of what a conversation holds.
const (
	MaxText     = 4000
	MaxTopic    = 200
	MaxMessages = 300
	MaxEmail    = 254
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	emailPattern = regexp.MustCompile(`^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$`)
)

// ValidID reports whether id can name a profile or a conversation.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Side is one side of a conversation: an organization or a person.
type Side struct {
	Org    bool
	ID     string
	Prefix string // "org" or "person"
}

// Key names a side in indexes: "org:ID" or "person:ID".
func (s Side) Key() string { return s.Prefix + ":" + s.ID }

// SideOf turns a profile reference into a side; ok is false when it names
// neither an organization nor a person with a valid id.
func SideOf(r *profilesv1.ProfileRef) (Side, bool) {
	switch k := r.GetRef().(type) {
	case *profilesv1.ProfileRef_OrganizationId:
		return Side{Org: true, ID: k.OrganizationId, Prefix: "org"}, ValidID(k.OrganizationId)
	case *profilesv1.ProfileRef_PersonId:
		return Side{ID: k.PersonId, Prefix: "person"}, ValidID(k.PersonId)
	}
	return Side{}, false
}

// violations collects field problems.
type violations []grpcerr.Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, grpcerr.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return grpcerr.Invalid(v...)
}

func checkText(s, field string, required bool, limit int, v *violations) {
	switch {
	case strings.TrimSpace(s) == "" && required:
		v.add(field, "is required")
	case !utf8.ValidString(s):
		v.add(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > limit:
		v.add(field, "is longer than %d characters", limit)
	case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' && r != '\t' }):
		v.add(field, "contains control characters")
	}
}

func checkSide(r *profilesv1.ProfileRef, field string, v *violations) Side {
	s, ok := SideOf(r)
	if !ok {
		v.add(field, "set organization_id or person_id to a valid id")
	}
	return s
}

// ContactRequest is a checked SendContactRequest.
type ContactRequest struct {
	From, To Side
	Message  string
	Topic    string
}

// ParseContact checks a SendContactRequest.
func ParseContact(r *messagingv1.SendContactRequestRequest) (ContactRequest, error) {
	var v violations
	c := ContactRequest{
		From: checkSide(r.GetFrom(), "from", &v), To: checkSide(r.GetTo(), "to", &v),
		Message: strings.TrimSpace(r.GetMessage()), Topic: strings.TrimSpace(r.GetTopic()),
	}
	checkText(r.GetMessage(), "message", true, MaxText, &v)
	checkText(r.GetTopic(), "topic", false, MaxTopic, &v)
	if len(r.GetClientRequestId()) > 100 {
		v.add("client_request_id", "is longer than 100 characters")
	}
	if c.From.ID != "" && c.From == c.To {
		v.add("to", "is the same as from")
	}
	return c, v.err()
}

// ParseRespond checks a RespondToContactRequest request.
func ParseRespond(r *messagingv1.RespondToContactRequestRequest) error {
	var v violations
	if !ValidID(r.GetId()) {
		v.add("id", "is not a valid conversation id")
	}
	checkText(r.GetMessage(), "message", false, MaxText, &v)
	if r.GetExpectedVersion() < 0 {
		v.add("expected_version", "is negative")
	}
	return v.err()
}

// ParsePost checks a PostMessage request.
func ParsePost(r *messagingv1.PostMessageRequest) error {
	var v violations
	if !ValidID(r.GetId()) {
		v.add("id", "is not a valid conversation id")
	}
	checkText(r.GetText(), "text", true, MaxText, &v)
	if len(r.GetClientRequestId()) > 100 {
		v.add("client_request_id", "is longer than 100 characters")
	}
	return v.err()
}

// MaxRecipients is how many participants one organizer's message may name.
const MaxRecipients = 2000

// ParseEventMessage checks a MessageEventParticipants request.
func ParseEventMessage(r *messagingv1.MessageEventParticipantsRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "is not a valid event id")
	}
	if len(r.GetParticipantIds()) > MaxRecipients {
		v.add("participant_ids", "names more than %d participants", MaxRecipients)
	}
	for i, id := range r.GetParticipantIds() {
		if !ValidID(id) {
			v.add(fmt.Sprintf("participant_ids[%d]", i), "is not a valid participant id")
		}
	}
	checkText(r.GetText(), "text", true, MaxText, &v)
	if len(r.GetClientRequestId()) > 100 {
		v.add("client_request_id", "is longer than 100 characters")
	}
	return v.err()
}

// ParseSettings checks UpdateNotificationSettings.
func ParseSettings(r *messagingv1.UpdateNotificationSettingsRequest) error {
	var v violations
	s := r.GetSettings()
	if s == nil {
		v.add("settings", "is required")
		return v.err()
	}
	if e := s.GetEmail(); e != "" && (len(e) > MaxEmail || !emailPattern.MatchString(e)) {
		v.add("settings.email", "is not an e-mail address")
	}
	if _, ok := messagingv1.EmailMode_name[int32(s.GetEmailMode())]; !ok {
		v.add("settings.email_mode", "is not a known mode")
	}
	switch s.GetLanguageCode() {
	case "", "en", "it":
	default:
		v.add("settings.language_code", "must be en or it")
	}
	if r.GetExpectedVersion() < 0 {
		v.add("expected_version", "is negative")
	}
	return v.err()
}

// CanRespond reports why the side that was asked cannot answer c now, or nil.
func CanRespond(c *messagingv1.Conversation) error {
	if c.GetStatus() != messagingv1.ContactStatus_CONTACT_STATUS_PENDING {
		return fmt.Errorf("conversation %s is already answered: %w", c.GetId(), grpcerr.ErrPrecondition)
	}
	return nil
}

// CanPost reports why a side cannot write in c now, or nil.
func CanPost(c *messagingv1.Conversation) error {
	if c.GetStatus() != messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED {
		return fmt.Errorf("conversation %s is not accepted: %w", c.GetId(), grpcerr.ErrPrecondition)
	}
	if len(c.GetMessages()) >= MaxMessages {
		return fmt.Errorf("conversation %s holds the most messages it may (%d): %w", c.GetId(), MaxMessages, grpcerr.ErrPrecondition)
	}
	return nil
}

// Sides returns the two sides of c.
func Sides(c *messagingv1.Conversation) (from, to Side) {
	from, _ = SideOf(c.GetFrom())
	to, _ = SideOf(c.GetTo())
	return from, to
}

// WithoutAuthor returns the messages of c not written by subject, and
// whether any were removed.
func WithoutAuthor(c *messagingv1.Conversation, subject string) ([]*messagingv1.Message, bool) {
	out := make([]*messagingv1.Message, 0, len(c.GetMessages()))
	for _, m := range c.GetMessages() {
		if m.GetAuthorSubject() != subject {
			out = append(out, m)
		}
	}
	return out, len(out) != len(c.GetMessages())
}
