package app

import (
	"cmp"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// Entry is an aggregate with the revision it was read at.
type Entry[T proto.Message] struct {
	Value T
	Rev   uint64
}

// Index is the read model: every aggregate, held in memory and kept current
// by watching the bucket (and by the service applying its own writes at once,
// so a caller reads what it just wrote). It is rebuilt from JetStream at each
// start; nothing else holds it.
type Index struct {
	mu           sync.RWMutex
	events       map[string]Entry[*meetingsv1.Event]
	participants map[string]Entry[*meetingsv1.Participant]
	requests     map[string]Entry[*meetingsv1.MeetingRequest]
	schedules    map[string]Entry[*meetingsv1.Schedule]
	meetings     map[string]Entry[*meetingsv1.Meeting]
	// Per brokerage event, the ids of its aggregates.
	byEvent map[string]*eventIDs
	// Request ids by (from, to) participant pair, so finding the requests
	// between two people does not walk the event's requests.
	byPair map[[2]string]map[string]struct{}
}

type eventIDs struct {
	participants, requests, schedules, meetings map[string]struct{}
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		events:       map[string]Entry[*meetingsv1.Event]{},
		participants: map[string]Entry[*meetingsv1.Participant]{},
		requests:     map[string]Entry[*meetingsv1.MeetingRequest]{},
		schedules:    map[string]Entry[*meetingsv1.Schedule]{},
		meetings:     map[string]Entry[*meetingsv1.Meeting]{},
		byEvent:      map[string]*eventIDs{},
		byPair:       map[[2]string]map[string]struct{}{},
	}
}

func (x *Index) ids(eventID string) *eventIDs {
	ids := x.byEvent[eventID]
	if ids == nil {
		ids = &eventIDs{participants: map[string]struct{}{}, requests: map[string]struct{}{}, schedules: map[string]struct{}{}, meetings: map[string]struct{}{}}
		x.byEvent[eventID] = ids
	}
	return ids
}

// Apply records a stored event; an older revision than the one held is
// ignored, so applying twice or out of order changes nothing.
func (x *Index) Apply(_ string, ev proto.Message, rev uint64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch e := ev.(type) {
	case *eventsv1.BrokerageEventCreated:
		put(x.events, e.GetEvent().GetId(), e.GetEvent(), rev)
	case *eventsv1.BrokerageEventUpdated:
		put(x.events, e.GetEvent().GetId(), e.GetEvent(), rev)
	case *eventsv1.BrokerageEventStatusChanged:
		put(x.events, e.GetEvent().GetId(), e.GetEvent(), rev)
	case *eventsv1.ParticipantRegistered:
		x.putParticipant(e.GetParticipant(), rev)
	case *eventsv1.ParticipantUpdated:
		x.putParticipant(e.GetParticipant(), rev)
	case *eventsv1.ParticipantAvailabilitySet:
		x.putParticipant(e.GetParticipant(), rev)
	case *eventsv1.ParticipantWithdrawn:
		x.putParticipant(e.GetParticipant(), rev)
	case *eventsv1.ParticipantCheckedIn:
		x.putParticipant(e.GetParticipant(), rev)
	case *eventsv1.MeetingRequestCreated:
		x.putRequest(e.GetMeetingRequest(), rev)
	case *eventsv1.MeetingRequestUpdated:
		x.putRequest(e.GetMeetingRequest(), rev)
	case *eventsv1.MeetingRequestResponded:
		x.putRequest(e.GetMeetingRequest(), rev)
	case *eventsv1.MeetingRequestCancelled:
		x.putRequest(e.GetMeetingRequest(), rev)
	case *eventsv1.ScheduleGenerated:
		x.putSchedule(e.GetSchedule(), rev)
	case *eventsv1.SchedulePublished:
		x.putSchedule(e.GetSchedule(), rev)
	case *eventsv1.ScheduleEdited:
		x.putSchedule(e.GetSchedule(), rev)
	case *eventsv1.MeetingConfirmed:
		x.putMeeting(e.GetMeeting(), rev)
	case *eventsv1.MeetingMoved:
		x.putMeeting(e.GetMeeting(), rev)
	case *eventsv1.MeetingCancelled:
		x.putMeeting(e.GetMeeting(), rev)
	case *eventsv1.MeetingNoShowMarked:
		x.putMeeting(e.GetMeeting(), rev)
	}
	return nil
}

func put[T proto.Message](m map[string]Entry[T], id string, v T, rev uint64) bool {
	if id == "" {
		return false
	}
	if old, ok := m[id]; ok && old.Rev >= rev {
		return false
	}
	m[id] = Entry[T]{Value: v, Rev: rev}
	return true
}

func (x *Index) putParticipant(p *meetingsv1.Participant, rev uint64) {
	if put(x.participants, p.GetId(), p, rev) {
		x.ids(p.GetEventId()).participants[p.GetId()] = struct{}{}
	}
}

func (x *Index) putRequest(r *meetingsv1.MeetingRequest, rev uint64) {
	if put(x.requests, r.GetId(), r, rev) {
		x.ids(r.GetEventId()).requests[r.GetId()] = struct{}{}
		// A request's parties never change, so its pair key is stable.
		k := [2]string{r.GetFromParticipantId(), r.GetToParticipantId()}
		set := x.byPair[k]
		if set == nil {
			set = map[string]struct{}{}
			x.byPair[k] = set
		}
		set[r.GetId()] = struct{}{}
	}
}

func (x *Index) putSchedule(s *meetingsv1.Schedule, rev uint64) {
	if put(x.schedules, s.GetId(), s, rev) {
		x.ids(s.GetEventId()).schedules[s.GetId()] = struct{}{}
	}
}

func (x *Index) putMeeting(m *meetingsv1.Meeting, rev uint64) {
	if put(x.meetings, m.GetId(), m, rev) {
		x.ids(m.GetEventId()).meetings[m.GetId()] = struct{}{}
	}
}

// Event returns one event.
func (x *Index) Event(id string) (Entry[*meetingsv1.Event], bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.events[id]
	return e, ok
}

// Events returns every event, by first day then id.
func (x *Index) Events() []*meetingsv1.Event {
	x.mu.RLock()
	out := make([]*meetingsv1.Event, 0, len(x.events))
	for _, e := range x.events {
		out = append(out, e.Value)
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b *meetingsv1.Event) int {
		return cmp.Or(cmp.Compare(firstStart(a), firstStart(b)), cmp.Compare(a.GetId(), b.GetId()))
	})
	return out
}

func firstStart(e *meetingsv1.Event) int64 {
	if len(e.GetSlots()) == 0 {
		return 1 << 62 // undated events last
	}
	return e.GetSlots()[0].GetStartTime().AsTime().Unix()
}

// Participant returns one participant.
func (x *Index) Participant(id string) (Entry[*meetingsv1.Participant], bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.participants[id]
	return e, ok
}

// Participants returns an event's participants in id order.
func (x *Index) Participants(eventID string) []*meetingsv1.Participant {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return collect(x.participants, x.byEvent[eventID], func(i *eventIDs) map[string]struct{} { return i.participants })
}

// Request returns one meeting request.
func (x *Index) Request(id string) (Entry[*meetingsv1.MeetingRequest], bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.requests[id]
	return e, ok
}

// Requests returns an event's meeting requests in id order.
func (x *Index) Requests(eventID string) []*meetingsv1.MeetingRequest {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return collect(x.requests, x.byEvent[eventID], func(i *eventIDs) map[string]struct{} { return i.requests })
}

// PairRequests returns the meeting requests sent by participant from to
// participant to, in id order.
func (x *Index) PairRequests(from, to string) []*meetingsv1.MeetingRequest {
	x.mu.RLock()
	defer x.mu.RUnlock()
	set := x.byPair[[2]string{from, to}]
	out := make([]*meetingsv1.MeetingRequest, 0, len(set))
	for id := range set {
		out = append(out, x.requests[id].Value)
	}
	slices.SortFunc(out, func(a, b *meetingsv1.MeetingRequest) int { return cmp.Compare(a.GetId(), b.GetId()) })
	return out
}

// Schedule returns one schedule.
func (x *Index) Schedule(id string) (Entry[*meetingsv1.Schedule], bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.schedules[id]
	return e, ok
}

// Schedules returns an event's schedules in id (that is, creation) order.
func (x *Index) Schedules(eventID string) []*meetingsv1.Schedule {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return collect(x.schedules, x.byEvent[eventID], func(i *eventIDs) map[string]struct{} { return i.schedules })
}

// Meeting returns one meeting.
func (x *Index) Meeting(id string) (Entry[*meetingsv1.Meeting], bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.meetings[id]
	return e, ok
}

// Meetings returns an event's meetings in id order.
func (x *Index) Meetings(eventID string) []*meetingsv1.Meeting {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return collect(x.meetings, x.byEvent[eventID], func(i *eventIDs) map[string]struct{} { return i.meetings })
}

func collect[T proto.Message](all map[string]Entry[T], ids *eventIDs, pick func(*eventIDs) map[string]struct{}) []T {
	if ids == nil {
		return nil
	}
	set := pick(ids)
	keys := make([]string, 0, len(set))
	for id := range set {
		keys = append(keys, id)
	}
	slices.Sort(keys)
	out := make([]T, 0, len(keys))
	for _, id := range keys {
		out = append(out, all[id].Value)
	}
	return out
}
