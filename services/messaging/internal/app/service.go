// Package app holds the messaging service's use cases: contact requests,
// threads, e-mail preferences, and erasure when a side is erased.
package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/domain"
)

// EventStore keeps aggregates as their latest event (eventkv.Store).
type EventStore interface {
	Create(ctx context.Context, key string, ev proto.Message) (uint64, error)
	Update(ctx context.Context, key string, ev proto.Message, lastRev uint64) (uint64, error)
	Erase(ctx context.Context, key string, erasedEv proto.Message, lastRev uint64) (uint64, error)
	Get(ctx context.Context, key string) (proto.Message, uint64, error)
}

// Claims remembers which resource a client request created (eventkv.Claims).
type Claims interface {
	Claim(ctx context.Context, key, value string) (winner string, created bool, err error)
}

// Service implements the messaging use cases over its two buckets and the
// in-memory index the buckets' watches keep current.
type Service struct {
	Conversations EventStore
	Settings      EventStore
	Claims        Claims
	Dir           *Directory
	Roster        *Roster
	Log           *slog.Logger

	mu       sync.RWMutex
	convs    map[string]*messagingv1.Conversation
	bySide   map[string]map[string]bool // side key -> conversation ids
	settings map[string]*messagingv1.NotificationSettings
}

// New returns the service with an empty index.
func New(conv, settings EventStore, claims Claims, dir *Directory, log *slog.Logger) *Service {
	return &Service{Conversations: conv, Settings: settings, Claims: claims, Dir: dir, Roster: NewRoster(), Log: log,
		convs: map[string]*messagingv1.Conversation{}, bySide: map[string]map[string]bool{},
		settings: map[string]*messagingv1.NotificationSettings{}}
}

// conversationOf returns the conversation an event carries; nil for an
// erasure.
func conversationOf(ev proto.Message) *messagingv1.Conversation {
	switch e := ev.(type) {
	case *eventsv1.ContactRequested:
		return e.GetConversation()
	case *eventsv1.ContactAccepted:
		return e.GetConversation()
	case *eventsv1.ContactDeclined:
		return e.GetConversation()
	case *eventsv1.MessagePosted:
		return e.GetConversation()
	case *eventsv1.MessagesErased:
		return e.GetConversation()
	}
	return nil
}

// Apply feeds the index from the buckets' watches.
func (s *Service) Apply(key string, ev proto.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := ev.(type) {
	case *eventsv1.NotificationSettingsUpdated:
		s.settings[key] = e.GetSettings()
		return
	case *eventsv1.NotificationSettingsErased:
		delete(s.settings, key)
		return
	}
	if old := s.convs[key]; old != nil {
		from, to := domain.Sides(old)
		delete(s.bySide[from.Key()], key)
		delete(s.bySide[to.Key()], key)
		delete(s.convs, key)
	}
	c := conversationOf(ev)
	if c == nil {
		return
	}
	s.convs[key] = c
	from, to := domain.Sides(c)
	for _, k := range []string{from.Key(), to.Key()} {
		if s.bySide[k] == nil {
			s.bySide[k] = map[string]bool{}
		}
		s.bySide[k][key] = true
	}
}

// actsFor reports whether p may act for side.
func (s *Service) actsFor(p auth.Principal, side domain.Side) bool {
	if p.Has(auth.RoleAdmin) {
		return true
	}
	if side.Org {
		return p.Organization != "" && p.Organization == side.ID
	}
	sub, _, ok := s.Dir.Person(side.ID)
	return ok && sub != "" && sub == p.Subject
}

// sidesOf returns the sides p acts for: their organization and their
// person profiles.
func (s *Service) sidesOf(p auth.Principal) []domain.Side {
	var out []domain.Side
	if p.Organization != "" {
		out = append(out, domain.Side{Org: true, ID: p.Organization, Prefix: "org"})
	}
	for _, id := range s.Dir.PeopleOf(p.Subject) {
		out = append(out, domain.Side{ID: id, Prefix: "person"})
	}
	return out
}

// Send answers SendContactRequest.
func (s *Service) Send(ctx context.Context, r *messagingv1.SendContactRequestRequest) (*messagingv1.Conversation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := domain.ParseContact(r)
	if err != nil {
		return nil, err
	}
	if !s.actsFor(p, c.From) {
		return nil, fmt.Errorf("%w: %s may write only for their own organization or person", grpcerr.ErrPermission, p.Subject)
	}
	if !s.Dir.Known(c.To) {
		return nil, fmt.Errorf("%s: %w", c.To.Key(), grpcerr.ErrNotFound)
	}
	id := ulid.Make().String()
	if crid := r.GetClientRequestId(); crid != "" {
		winner, created, err := s.Claims.Claim(ctx, "contact:"+p.Subject+":"+crid, id)
		if err != nil {
			return nil, err
		}
		if !created {
			cur, _, err := s.get(ctx, winner)
			return cur, err
		}
	}
	now := timestamppb.Now()
	conv := &messagingv1.Conversation{
		Id: id, From: r.GetFrom(), To: r.GetTo(), Topic: c.Topic, Status: messagingv1.ContactStatus_CONTACT_STATUS_PENDING,
		Messages: []*messagingv1.Message{{Id: ulid.Make().String(), Author: r.GetFrom(), AuthorSubject: p.Subject, Text: c.Message, SentAt: now}},
		Version:  1, CreatedAt: now, UpdatedAt: now,
	}
	ev := &eventsv1.ContactRequested{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: 1, ActorSubject: p.Subject, Conversation: conv}
	if _, err := s.Conversations.Create(ctx, id, ev); err != nil {
		return nil, err
	}
	s.Apply(id, ev)
	return conv, nil
}

// get reads a conversation from its bucket (the index may lag a write of
// another replica).
func (s *Service) get(ctx context.Context, id string) (*messagingv1.Conversation, uint64, error) {
	ev, rev, err := s.Conversations.Get(ctx, id)
	if err != nil {
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil, 0, fmt.Errorf("conversation %s: %w", id, grpcerr.ErrNotFound)
		}
		return nil, 0, err
	}
	c := conversationOf(ev)
	if c == nil {
		return nil, 0, fmt.Errorf("conversation %s: %w", id, grpcerr.ErrNotFound)
	}
	return c, rev, nil
}

// sideFor returns the side of c that p acts for; "to" wins when p acts for
// both (an administrator).
func (s *Service) sideFor(p auth.Principal, c *messagingv1.Conversation) (domain.Side, bool, error) {
	from, to := domain.Sides(c)
	switch {
	case s.actsFor(p, to):
		return to, true, nil
	case s.actsFor(p, from):
		return from, false, nil
	}
	// Not telling someone else's conversation from an absent one.
	return domain.Side{}, false, fmt.Errorf("conversation %s: %w", c.GetId(), grpcerr.ErrNotFound)
}

// Respond answers RespondToContactRequest.
func (s *Service) Respond(ctx context.Context, r *messagingv1.RespondToContactRequestRequest) (*messagingv1.Conversation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ParseRespond(r); err != nil {
		return nil, err
	}
	c, rev, err := s.get(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	_, asked, err := s.sideFor(p, c)
	if err != nil {
		return nil, err
	}
	if !asked {
		return nil, fmt.Errorf("%w: only the side that was asked answers a contact request", grpcerr.ErrPermission)
	}
	if v := r.GetExpectedVersion(); v != 0 && v != c.GetVersion() {
		return nil, fmt.Errorf("conversation %s is at version %d, not %d: %w", c.GetId(), c.GetVersion(), v, grpcerr.ErrConflict)
	}
	if err := domain.CanRespond(c); err != nil {
		return nil, err
	}
	now := timestamppb.Now()
	next := proto.CloneOf(c)
	next.Version, next.UpdatedAt = c.GetVersion()+1, now
	base := func() (string, *timestamppb.Timestamp, string, int64, string) {
		return ulid.Make().String(), now, c.GetId(), next.GetVersion(), p.Subject
	}
	var ev proto.Message
	if r.GetAccept() {
		next.Status = messagingv1.ContactStatus_CONTACT_STATUS_ACCEPTED
		if t := r.GetMessage(); t != "" {
			next.Messages = append(next.Messages, &messagingv1.Message{Id: ulid.Make().String(), Author: c.GetTo(), AuthorSubject: p.Subject, Text: t, SentAt: now})
		}
		e := &eventsv1.ContactAccepted{Conversation: next}
		e.EventId, e.OccurredAt, e.AggregateId, e.AggregateVersion, e.ActorSubject = base()
		ev = e
	} else {
		next.Status = messagingv1.ContactStatus_CONTACT_STATUS_DECLINED
		e := &eventsv1.ContactDeclined{Conversation: next}
		e.EventId, e.OccurredAt, e.AggregateId, e.AggregateVersion, e.ActorSubject = base()
		ev = e
	}
	if _, err := s.Conversations.Update(ctx, c.GetId(), ev, rev); err != nil {
		return nil, err
	}
	s.Apply(c.GetId(), ev)
	return next, nil
}

// Post answers PostMessage.
func (s *Service) Post(ctx context.Context, r *messagingv1.PostMessageRequest) (*messagingv1.Conversation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ParsePost(r); err != nil {
		return nil, err
	}
	msgID := ulid.Make().String()
	if crid := r.GetClientRequestId(); crid != "" {
		winner, created, err := s.Claims.Claim(ctx, "message:"+p.Subject+":"+r.GetId()+":"+crid, msgID)
		if err != nil {
			return nil, err
		}
		if !created {
			c, _, err := s.get(ctx, r.GetId())
			if err == nil && slices.ContainsFunc(c.GetMessages(), func(m *messagingv1.Message) bool { return m.GetId() == winner }) {
				return c, nil
			}
			msgID = winner // the first attempt failed before storing: store it now
		}
	}
	for {
		c, rev, err := s.get(ctx, r.GetId())
		if err != nil {
			return nil, err
		}
		side, _, err := s.sideFor(p, c)
		if err != nil {
			return nil, err
		}
		if err := domain.CanPost(c); err != nil {
			return nil, err
		}
		now := timestamppb.Now()
		next := proto.CloneOf(c)
		next.Version, next.UpdatedAt = c.GetVersion()+1, now
		author := c.GetFrom()
		if side.Key() != mustSide(c.GetFrom()).Key() {
			author = c.GetTo()
		}
		next.Messages = append(next.Messages, &messagingv1.Message{Id: msgID, Author: author, AuthorSubject: p.Subject, Text: r.GetText(), SentAt: now})
		ev := &eventsv1.MessagePosted{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: c.GetId(), AggregateVersion: next.GetVersion(), ActorSubject: p.Subject, Conversation: next}
		_, err = s.Conversations.Update(ctx, c.GetId(), ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // the other side wrote at the same moment: append after theirs
		}
		if err != nil {
			return nil, err
		}
		s.Apply(c.GetId(), ev)
		return next, nil
	}
}

func mustSide(r *profilesv1.ProfileRef) domain.Side {
	s, _ := domain.SideOf(r)
	return s
}

// Get answers GetConversation.
func (s *Service) Get(ctx context.Context, id string) (*messagingv1.Conversation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !domain.ValidID(id) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "id", Description: "is not a valid conversation id"})
	}
	c, _, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.sideFor(p, c); err != nil {
		return nil, err
	}
	return c, nil
}

// List answers ListConversations from the index.
func (s *Service) List(ctx context.Context, r *messagingv1.ListConversationsRequest) (*messagingv1.ListConversationsResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := messagingv1.ContactStatus_name[int32(r.GetStatus())]; !ok {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "status", Description: "is not a known status"})
	}
	if r.GetPageSize() < 0 {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "page_size", Description: "is negative"})
	}
	limit := int(r.GetPageSize())
	if limit == 0 {
		limit = 50
	}
	limit = min(limit, 200)
	sides := s.sidesOf(p)
	s.mu.RLock()
	seen := map[string]bool{}
	var all []*messagingv1.Conversation
	for _, side := range sides {
		for id := range s.bySide[side.Key()] {
			if !seen[id] {
				seen[id] = true
				all = append(all, s.convs[id])
			}
		}
	}
	s.mu.RUnlock()
	res := &messagingv1.ListConversationsResponse{}
	for _, c := range all {
		_, to := domain.Sides(c)
		if c.GetStatus() == messagingv1.ContactStatus_CONTACT_STATUS_PENDING && slices.Contains(sides, to) {
			res.AwaitingAnswer++
		}
	}
	slices.SortFunc(all, func(a, b *messagingv1.Conversation) int {
		return cmp.Or(b.GetUpdatedAt().AsTime().Compare(a.GetUpdatedAt().AsTime()), cmp.Compare(b.GetId(), a.GetId()))
	})
	for _, c := range all {
		if r.GetStatus() != 0 && c.GetStatus() != r.GetStatus() {
			continue
		}
		if len(res.Conversations) == limit {
			break
		}
		res.Conversations = append(res.Conversations, c)
	}
	return res, nil
}

// SettingsKey names a user's settings in the bucket: their subject, hashed
// (subjects may hold characters a key may not).
func SettingsKey(subject string) string {
	h := sha256.Sum256([]byte(subject))
	return hex.EncodeToString(h[:16])
}

// GetSettings answers GetNotificationSettings.
func (s *Service) GetSettings(ctx context.Context) (*messagingv1.NotificationSettings, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cur, _, err := s.readSettings(ctx, p.Subject)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return &messagingv1.NotificationSettings{Subject: p.Subject, OrganizationId: p.Organization, EmailMode: messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE}, nil
	}
	return cur, nil
}

func (s *Service) readSettings(ctx context.Context, subject string) (*messagingv1.NotificationSettings, uint64, error) {
	ev, rev, err := s.Settings.Get(ctx, SettingsKey(subject))
	if errors.Is(err, grpcerr.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if e, ok := ev.(*eventsv1.NotificationSettingsUpdated); ok {
		return e.GetSettings(), rev, nil
	}
	return nil, rev, nil // erased: written again as new
}

// UpdateSettings answers UpdateNotificationSettings.
func (s *Service) UpdateSettings(ctx context.Context, r *messagingv1.UpdateNotificationSettingsRequest) (*messagingv1.NotificationSettings, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := domain.ParseSettings(r); err != nil {
		return nil, err
	}
	key := SettingsKey(p.Subject)
	cur, rev, err := s.readSettings(ctx, p.Subject)
	if err != nil {
		return nil, err
	}
	v := cur.GetVersion()
	if ev := r.GetExpectedVersion(); ev != 0 && ev != v {
		return nil, fmt.Errorf("settings are at version %d, not %d: %w", v, ev, grpcerr.ErrConflict)
	}
	next := proto.CloneOf(r.GetSettings())
	next.Subject, next.OrganizationId, next.Version = p.Subject, p.Organization, v+1
	next.PersonId = ""
	if ids := s.Dir.PeopleOf(p.Subject); len(ids) > 0 {
		next.PersonId = ids[0]
	}
	if next.EmailMode == messagingv1.EmailMode_EMAIL_MODE_UNSPECIFIED {
		next.EmailMode = messagingv1.EmailMode_EMAIL_MODE_IMMEDIATE
	}
	ev := &eventsv1.NotificationSettingsUpdated{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: key, AggregateVersion: next.GetVersion(), ActorSubject: p.Subject, Settings: next}
	if rev == 0 {
		_, err = s.Settings.Create(ctx, key, ev)
		if errors.Is(err, grpcerr.ErrAlreadyExists) {
			err = fmt.Errorf("settings changed meanwhile: %w", grpcerr.ErrConflict)
		}
	} else {
		_, err = s.Settings.Update(ctx, key, ev, rev)
	}
	if err != nil {
		return nil, err
	}
	s.Apply(key, ev)
	return next, nil
}

// Recipients returns the settings of the users who act for side: an
// organization's members, or the person's own account.
func (s *Service) Recipients(side domain.Side) []*messagingv1.NotificationSettings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*messagingv1.NotificationSettings
	for _, st := range s.settings {
		if side.Org && st.GetOrganizationId() == side.ID {
			out = append(out, st)
		}
		if !side.Org {
			if sub, _, ok := s.Dir.Person(side.ID); ok && sub == st.GetSubject() {
				out = append(out, st)
			}
		}
	}
	slices.SortFunc(out, func(a, b *messagingv1.NotificationSettings) int { return cmp.Compare(a.GetSubject(), b.GetSubject()) })
	return out
}

// Conversation returns the indexed conversation id, if any.
func (s *Service) Conversation(id string) (*messagingv1.Conversation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.convs[id]
	return c, ok
}

// Exists reports whether conversation id is stored and not erased.
func (s *Service) Exists(ctx context.Context, id string) (bool, error) {
	if _, ok := s.Conversation(id); ok {
		return true, nil
	}
	_, _, err := s.get(ctx, id)
	if errors.Is(err, grpcerr.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SettingsByKey returns the settings stored under key, or nil.
func (s *Service) SettingsByKey(key string) *messagingv1.NotificationSettings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.settings[key]
}
