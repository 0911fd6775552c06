// Package app holds the meetings service's use cases: one method per RPC,
// taking and returning the v1 messages. Every change is written as a domain
// event to the aggregates bucket (the relay then publishes it) and applied to
// the read index at once.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// EventStore keeps the aggregates as their latest event (eventkv.Store).
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

// Store keeps slot occupancy and the meetings of provisional schedules
// (adapters.Store).
type Store interface {
	// Occupy takes every key for meetingID or none (domain.ErrTaken);
	// alive tells whether a holder's meeting still holds its key.
	Occupy(ctx context.Context, keys []string, meetingID string, alive func(ctx context.Context, holder, key string) (bool, error)) error
	Release(ctx context.Context, keys []string, meetingID string)
	UpdateHolds(ctx context.Context, key string, update func([]domain.Hold) ([]domain.Hold, error)) error
	SaveProvisional(ctx context.Context, scheduleID string, meetings []*meetingsv1.Meeting) error
	LoadProvisional(ctx context.Context, scheduleID string) ([]*meetingsv1.Meeting, error)
	// DeleteProvisional drops meetings saved under a key, best effort.
	DeleteProvisional(ctx context.Context, key string)
}

// Profiles is the service's record of the organisations and people the
// profiles service announced (adapters.Profiles).
type Profiles interface {
	Get(ctx context.Context, key string) (domain.Profile, bool, error)
	Cached(key string) (domain.Profile, bool)
	Put(ctx context.Context, next domain.Profile) (applied bool, err error)
}

// Service implements the use cases.
type Service struct {
	events   EventStore
	claims   Claims
	store    Store
	index    *Index
	profiles Profiles // nil: names are placeholders and no profile counts as erased
	log      *slog.Logger
	now      func() time.Time

	// Workers bounds the concurrent writes of bulk operations (publishing a
	// schedule of thousands of meetings).
	Workers int
	// Metrics, if set, records scheduler runs.
	Metrics *Metrics

	provMu sync.Mutex
	prov   map[string][]*meetingsv1.Meeting // schedule id -> its meetings, the latest few
	provQ  []string
}

// New returns the service over its stores, index and the projection of
// profiles (nil: names are placeholders and no profile counts as erased).
func New(events EventStore, claims Claims, store Store, index *Index, profiles Profiles, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{events: events, claims: claims, store: store, index: index, profiles: profiles, log: log, now: time.Now, Workers: 16, prov: map[string][]*meetingsv1.Meeting{}}
}

// caller is the authenticated principal.
func caller(ctx context.Context) (domain.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return domain.Principal{}, err
	}
	return domain.Principal{Subject: p.Subject, Organization: p.Organization, Admin: p.Has(auth.RoleAdmin), Clusters: p.Clusters, ClusterManager: p.Has(auth.RoleClusterManager)}, nil
}

func newID() string { return ulid.Make().String() }

func (s *Service) ts() *timestamppb.Timestamp { return timestamppb.New(s.now()) }

// write stores ev under key (rev 0: create) and applies it to the index.
func (s *Service) write(ctx context.Context, key string, ev proto.Message, rev uint64) (uint64, error) {
	var err error
	var nrev uint64
	if rev == 0 {
		nrev, err = s.events.Create(ctx, key, ev)
	} else {
		nrev, err = s.events.Update(ctx, key, ev, rev)
	}
	if err != nil {
		return 0, err
	}
	_ = s.index.Apply(key, ev, nrev)
	return nrev, nil
}

// header fills the fields every domain event carries.
type header struct {
	EventID    string
	OccurredAt *timestamppb.Timestamp
	Actor      string
}

func (s *Service) header(p domain.Principal) header {
	actor := p.Subject
	if actor == "" {
		actor = "system"
	}
	return header{EventID: newID(), OccurredAt: s.ts(), Actor: actor}
}

// load reads an aggregate from the bucket (not the index: writes need the
// current revision) and checks its type.
func load[T proto.Message](ctx context.Context, s *Service, kind, id string, get func(proto.Message) (T, bool)) (T, uint64, error) {
	var zero T
	if !domain.ValidID(id) {
		return zero, 0, fmt.Errorf("%s %q: %w", kind, id, grpcerr.ErrNotFound)
	}
	ev, rev, err := s.events.Get(ctx, id)
	if err != nil {
		return zero, 0, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	v, ok := get(ev)
	if !ok {
		return zero, 0, fmt.Errorf("%s %s: %w", kind, id, grpcerr.ErrNotFound)
	}
	return domain.Clone(v), rev, nil
}

func eventOf(m proto.Message) (*meetingsv1.Event, bool) {
	switch e := m.(type) {
	case *eventsv1.BrokerageEventCreated:
		return e.GetEvent(), true
	case *eventsv1.BrokerageEventUpdated:
		return e.GetEvent(), true
	case *eventsv1.BrokerageEventStatusChanged:
		return e.GetEvent(), true
	}
	return nil, false
}

func participantOf(m proto.Message) (*meetingsv1.Participant, bool) {
	switch e := m.(type) {
	case *eventsv1.ParticipantRegistered:
		return e.GetParticipant(), true
	case *eventsv1.ParticipantUpdated:
		return e.GetParticipant(), true
	case *eventsv1.ParticipantAvailabilitySet:
		return e.GetParticipant(), true
	case *eventsv1.ParticipantWithdrawn:
		return e.GetParticipant(), true
	case *eventsv1.ParticipantCheckedIn:
		return e.GetParticipant(), true
	}
	return nil, false
}

func requestOf(m proto.Message) (*meetingsv1.MeetingRequest, bool) {
	switch e := m.(type) {
	case *eventsv1.MeetingRequestCreated:
		return e.GetMeetingRequest(), true
	case *eventsv1.MeetingRequestUpdated:
		return e.GetMeetingRequest(), true
	case *eventsv1.MeetingRequestResponded:
		return e.GetMeetingRequest(), true
	case *eventsv1.MeetingRequestCancelled:
		return e.GetMeetingRequest(), true
	}
	return nil, false
}

func scheduleOf(m proto.Message) (*meetingsv1.Schedule, bool) {
	switch e := m.(type) {
	case *eventsv1.ScheduleGenerated:
		return e.GetSchedule(), true
	case *eventsv1.SchedulePublished:
		return e.GetSchedule(), true
	case *eventsv1.ScheduleEdited:
		return e.GetSchedule(), true
	}
	return nil, false
}

func meetingOf(m proto.Message) (*meetingsv1.Meeting, bool) {
	switch e := m.(type) {
	case *eventsv1.MeetingConfirmed:
		return e.GetMeeting(), true
	case *eventsv1.MeetingMoved:
		return e.GetMeeting(), true
	case *eventsv1.MeetingCancelled:
		return e.GetMeeting(), true
	case *eventsv1.MeetingNoShowMarked:
		return e.GetMeeting(), true
	}
	return nil, false
}

func (s *Service) loadEvent(ctx context.Context, id string) (*meetingsv1.Event, uint64, error) {
	return load(ctx, s, "event", id, eventOf)
}

func (s *Service) loadParticipant(ctx context.Context, id string) (*meetingsv1.Participant, uint64, error) {
	return load(ctx, s, "participant", id, participantOf)
}

func (s *Service) loadRequest(ctx context.Context, id string) (*meetingsv1.MeetingRequest, uint64, error) {
	return load(ctx, s, "meeting request", id, requestOf)
}

func (s *Service) loadSchedule(ctx context.Context, id string) (*meetingsv1.Schedule, uint64, error) {
	return load(ctx, s, "schedule", id, scheduleOf)
}

func (s *Service) loadMeeting(ctx context.Context, id string) (*meetingsv1.Meeting, uint64, error) {
	return load(ctx, s, "meeting", id, meetingOf)
}

// readEvent returns an event for reading: from the index, or from the
// bucket when this replica has not seen it yet.
func (s *Service) readEvent(ctx context.Context, id string) (*meetingsv1.Event, error) {
	if e, ok := s.index.Event(id); ok {
		return e.Value, nil
	}
	ev, _, err := s.loadEvent(ctx, id)
	return ev, err
}

func (s *Service) readParticipant(ctx context.Context, id string) (*meetingsv1.Participant, error) {
	if e, ok := s.index.Participant(id); ok {
		return e.Value, nil
	}
	p, _, err := s.loadParticipant(ctx, id)
	return p, err
}

// visibleEvent returns an event the caller may see: drafts only to their
// organizers (others get NotFound, so drafts do not leak).
func (s *Service) visibleEvent(ctx context.Context, p domain.Principal, id string) (*meetingsv1.Event, error) {
	ev, err := s.readEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !domain.IsOrganizer(p, ev) {
		return nil, fmt.Errorf("event %s: %w", id, grpcerr.ErrNotFound)
	}
	return ev, nil
}

func requireOrganizer(p domain.Principal, ev *meetingsv1.Event) error {
	if !domain.IsOrganizer(p, ev) {
		return fmt.Errorf("%s is not an organizer of event %s: %w", p.Subject, ev.GetId(), grpcerr.ErrPermission)
	}
	return nil
}

// requireOverseer lets organisers and the hosting clusters' managers read.
func requireOverseer(p domain.Principal, ev *meetingsv1.Event) error {
	if !domain.Oversees(p, ev) {
		return fmt.Errorf("%s neither organizes event %s nor manages a cluster hosting it: %w", p.Subject, ev.GetId(), grpcerr.ErrPermission)
	}
	return nil
}

func checkVersion(kind, id string, expected, current int64) error {
	if expected != 0 && expected != current {
		return fmt.Errorf("%s %s is at version %d, not %d: %w", kind, id, current, expected, grpcerr.ErrConflict)
	}
	return nil
}

// claimID returns the id a create with this client request id uses: the
// one recorded by an earlier attempt, or fresh. Without a client request id
// every call creates.
func (s *Service) claimID(ctx context.Context, scope, subject, clientRequestID string) (string, error) {
	id := newID()
	if clientRequestID == "" {
		return id, nil
	}
	winner, _, err := s.claims.Claim(ctx, scope+"\x00"+subject+"\x00"+clientRequestID, id)
	if err != nil {
		return "", err
	}
	return winner, nil
}

// page cuts items at an offset token.
func page[T any](items []T, size, maxSize, defSize int32, token string) ([]T, string, error) {
	if size <= 0 {
		size = defSize
	}
	size = min(size, maxSize)
	off := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err == nil {
			off, err = strconv.Atoi(string(raw))
		}
		if err != nil || off < 0 {
			return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: "not a token from this API"})
		}
	}
	if off >= len(items) {
		return nil, "", nil
	}
	end := min(len(items), off+int(size))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[off:end], next, nil
}

func isNotFound(err error) bool { return errors.Is(err, grpcerr.ErrNotFound) }

func active(m *meetingsv1.Meeting) bool {
	return m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED
}

// activeMeetings are an event's confirmed meetings.
func (s *Service) activeMeetings(eventID string) []*meetingsv1.Meeting {
	all := s.index.Meetings(eventID)
	return slices.DeleteFunc(all, func(m *meetingsv1.Meeting) bool { return !active(m) })
}

// alive tells Occupy whether a holder of an occupancy key still needs it.
func (s *Service) alive(ctx context.Context, holder, key string) (bool, error) {
	m, _, err := s.loadMeeting(ctx, holder)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return active(m) && slices.Contains(domain.OccupancyKeys(m), key), nil
}
