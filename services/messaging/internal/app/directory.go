package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/domain"
)

// Directory is what the service knows of profiles, from the profiles
// service's events: which organizations and people exist, their names (for
// e-mail), and which account each person is.
type Directory struct {
	mu      sync.RWMutex
	orgs    map[string]string // id -> name
	people  map[string]person
	version map[string]int64
	// gone keeps the account of an erased person until the erasure has
	// been carried out here, which needs it to find what they wrote.
	gone map[string]string
}

type person struct {
	subject, org, name string
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{orgs: map[string]string{}, people: map[string]person{}, version: map[string]int64{}, gone: map[string]string{}}
}

// ApplyProfile applies one profiles event; older versions than the one held
// change nothing.
func (d *Directory) ApplyProfile(ev proto.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	newer := func(key string, v int64) bool {
		if v != 0 && v <= d.version[key] {
			return false
		}
		d.version[key] = v
		return true
	}
	switch e := ev.(type) {
	case *eventsv1.OrganizationUpserted:
		if newer("org:"+e.GetAggregateId(), e.GetAggregateVersion()) {
			d.orgs[e.GetAggregateId()] = e.GetOrganization().GetName()
		}
	case *eventsv1.OrganizationErased:
		if newer("org:"+e.GetAggregateId(), e.GetAggregateVersion()) {
			delete(d.orgs, e.GetAggregateId())
		}
	case *eventsv1.PersonUpserted:
		p := e.GetPerson()
		if newer("person:"+e.GetAggregateId(), e.GetAggregateVersion()) {
			d.people[e.GetAggregateId()] = person{subject: p.GetSubject(), org: p.GetOrganizationId(), name: p.GetName()}
		}
	case *eventsv1.PersonErased:
		if newer("person:"+e.GetAggregateId(), e.GetAggregateVersion()) {
			if p, ok := d.people[e.GetAggregateId()]; ok && p.subject != "" {
				d.gone[e.GetAggregateId()] = p.subject
			}
			delete(d.people, e.GetAggregateId())
		}
	}
}

// Person returns a person's account subject and organization.
func (d *Directory) Person(id string) (subject, org string, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.people[id]
	return p.subject, p.org, ok
}

// ErasedSubject returns the account of a person being erased and forgets
// it: the caller is carrying out the erasure.
func (d *Directory) ErasedSubject(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.people[id]; ok {
		return p.subject
	}
	sub := d.gone[id]
	delete(d.gone, id)
	return sub
}

// PeopleOf returns the person profiles of an account.
func (d *Directory) PeopleOf(subject string) []string {
	if subject == "" {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []string
	for id, p := range d.people {
		if p.subject == subject {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Known reports whether side exists.
func (d *Directory) Known(side domain.Side) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if side.Org {
		_, ok := d.orgs[side.ID]
		return ok
	}
	_, ok := d.people[side.ID]
	return ok
}

// Name returns side's name, or "" when unknown.
func (d *Directory) Name(side domain.Side) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if side.Org {
		return d.orgs[side.ID]
	}
	return d.people[side.ID].name
}

// Erased removes what an erased person or organization left in the
// service: every conversation it was a side of (with its history, from the
// bucket and the event stream), the messages a person wrote for their
// organization, and the settings of the accounts it covered. subject is
// the erased person's account, when known. Running it twice changes
// nothing more.
func (s *Service) Erased(ctx context.Context, side domain.Side, subject string) error {
	s.mu.RLock()
	var ids []string
	for id := range s.bySide[side.Key()] {
		ids = append(ids, id)
	}
	if subject != "" {
		for id, c := range s.convs {
			if _, touched := domain.WithoutAuthor(c, subject); touched && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	var keys []string
	for key, st := range s.settings {
		if (side.Org && st.GetOrganizationId() == side.ID) || (!side.Org && (st.GetPersonId() == side.ID || (subject != "" && st.GetSubject() == subject))) {
			keys = append(keys, key)
		}
	}
	s.mu.RUnlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.eraseConversation(ctx, id, side, subject); err != nil {
			return err
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		if err := s.eraseSettings(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) eraseConversation(ctx context.Context, id string, side domain.Side, subject string) error {
	for {
		ev, rev, err := s.Conversations.Get(ctx, id)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("erase conversation %s: %w", id, err)
		}
		c := conversationOf(ev)
		if c == nil {
			return nil // erased already
		}
		from, to := domain.Sides(c)
		now := timestamppb.Now()
		var next proto.Message
		if from == side || to == side {
			next = &eventsv1.ConversationErased{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: c.GetVersion() + 1, ActorSubject: "system"}
		} else {
			kept, touched := domain.WithoutAuthor(c, subject)
			if !touched {
				return nil
			}
			red := proto.CloneOf(c)
			red.Messages, red.Version, red.UpdatedAt = kept, c.GetVersion()+1, now
			next = &eventsv1.MessagesErased{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: red.GetVersion(), ActorSubject: "system", Conversation: red}
		}
		_, err = s.Conversations.Erase(ctx, id, next, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // a message came in meanwhile: look again
		}
		if err != nil {
			return fmt.Errorf("erase conversation %s: %w", id, err)
		}
		s.Apply(id, next)
		return nil
	}
}

func (s *Service) eraseSettings(ctx context.Context, key string) error {
	for {
		ev, rev, err := s.Settings.Get(ctx, key)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("erase settings: %w", err)
		}
		cur, ok := ev.(*eventsv1.NotificationSettingsUpdated)
		if !ok {
			return nil
		}
		next := &eventsv1.NotificationSettingsErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: key, AggregateVersion: cur.GetAggregateVersion() + 1, ActorSubject: "system"}
		_, err = s.Settings.Erase(ctx, key, next, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("erase settings: %w", err)
		}
		s.Apply(key, next)
		return nil
	}
}
