package webui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The notification centre and the collaboration network are projections of
// the domain event streams, held in memory: the gateway stores nothing, and
// on start it replays the streams (ordered, ephemeral consumers) to rebuild
// both. Notifications are addressed to keys: "subject:<token subject>",
// "org:<organisation id>" or "person:<person id>".

// feeds are the streams the hub follows.
var feeds = []struct{ stream, filter string }{
	{"TANDEM_MEETINGS", "tandem.meetings.v1.>"},
	{"TANDEM_MATCHING", "tandem.matching.v1.>"},
	{"TANDEM_MESSAGING", "tandem.messaging.v1.conversation.>"},
}

const maxNotesPerKey = 200

// note is one notification. It holds who it is about by reference only:
// names are looked up in the profiles service when the note is shown, as
// the reader may see them, so a person or organisation erased or hidden
// since is not named (and no name outlives it in the gateway's memory).
type note struct {
	Seq  int64
	Kind string // request_received, request_answered, request_cancelled, schedule_published, meeting_moved, meeting_cancelled, meeting_booked, new_match, contact_received, contact_answered, message_received
	At   time.Time
	// WhoKey is the profile key of the person or organisation the note is
	// about; Who is its name, filled in when the note is shown.
	WhoKey string
	Who    string
	Event  string
	Extra  string
	Href   string
}

// act is a meeting confirmed or a contact requested between two profiles,
// for the dashboard's figures over time.
type act struct {
	Kind string // actMeetings or actContacts
	A, B string
	At   time.Time
}

// maxActs bounds the dated activities the hub keeps; the oldest go first.
const maxActs = 200_000

// pair is two profiles that met, or that one saved or contacted.
type pair struct {
	A, B                  string
	Met, Saved, Contacted int
}

type hub struct {
	mu           sync.Mutex
	seq          int64
	participants map[string]string   // participant id -> profile key
	attendees    map[string][]string // brokerage event id -> participant ids
	eventNames   map[string]string
	notes        map[string][]note
	seen         map[string]int64 // subject -> last seq read
	pairs        map[string]*pair
	counted      map[string]bool // meeting and feedback ids already in pairs
	acts         []act           // dated meetings and contact requests, oldest first
	subs         map[chan note][]string
	types        map[string]protoreflect.MessageType
}

func newHub() *hub {
	return &hub{
		participants: map[string]string{}, attendees: map[string][]string{},
		eventNames: map[string]string{}, notes: map[string][]note{}, seen: map[string]int64{},
		pairs: map[string]*pair{}, counted: map[string]bool{}, subs: map[chan note][]string{},
		types: eventTypes(),
	}
}

// eventTypes maps each declared event subject to its message type.
func eventTypes() map[string]protoreflect.MessageType {
	out := map[string]protoreflect.MessageType{}
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		d := mt.Descriptor()
		if d.ParentFile().Package() != "tandem.events.v1" {
			return true
		}
		if s, ok := proto.GetExtension(d.Options(), eventsv1.E_Subject).(string); ok && s != "" {
			out[s] = mt
		}
		return true
	})
	return out
}

// follow replays and then tails every feed until ctx ends. A stream that
// does not exist yet (its service has not started) is retried.
func (h *hub) follow(ctx context.Context, js jetstream.JetStream, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Go(func() {
			for ctx.Err() == nil {
				err := h.consume(ctx, js, f.stream, f.filter)
				if ctx.Err() != nil {
					return
				}
				if !errors.Is(err, jetstream.ErrStreamNotFound) {
					log.Warn("notification feed interrupted", "stream", f.stream, "err", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(2 * time.Second):
				}
			}
		})
	}
	wg.Wait()
}

func (h *hub) consume(ctx context.Context, js jetstream.JetStream, stream, filter string) error {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	for {
		m, err := msgs.Next()
		if err != nil {
			return err
		}
		h.apply(m.Subject(), m.Data())
	}
}

// apply decodes one event by its subject (declared subject + "." + key)
// and updates the projections. Unknown or malformed events are skipped.
func (h *hub) apply(subject string, data []byte) {
	i := strings.LastIndexByte(subject, '.')
	if i < 0 {
		return
	}
	mt, ok := h.types[subject[:i]]
	if !ok {
		return
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(data, msg); err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch ev := msg.(type) {
	case *eventsv1.BrokerageEventCreated:
		h.eventNames[ev.GetBrokerageEventId()] = ev.GetEvent().GetName()
	case *eventsv1.BrokerageEventUpdated:
		h.eventNames[ev.GetBrokerageEventId()] = ev.GetEvent().GetName()
	case *eventsv1.BrokerageEventStatusChanged:
		h.eventNames[ev.GetBrokerageEventId()] = ev.GetEvent().GetName()
	case *eventsv1.ParticipantRegistered:
		h.participant(ev.GetBrokerageEventId(), ev.GetParticipant())
	case *eventsv1.ParticipantUpdated:
		h.participant(ev.GetBrokerageEventId(), ev.GetParticipant())
	case *eventsv1.ParticipantAvailabilitySet:
		h.participant(ev.GetBrokerageEventId(), ev.GetParticipant())
	case *eventsv1.MeetingRequestCreated:
		r := ev.GetMeetingRequest()
		h.notify(h.participants[r.GetToParticipantId()], note{Kind: "request_received", At: at(ev.GetOccurredAt()), WhoKey: h.participants[r.GetFromParticipantId()], Event: h.eventNames[ev.GetBrokerageEventId()], Href: "/events/" + ev.GetBrokerageEventId()})
	case *eventsv1.MeetingRequestResponded:
		r := ev.GetMeetingRequest()
		h.notify(h.participants[r.GetFromParticipantId()], note{Kind: "request_answered", At: at(ev.GetOccurredAt()), WhoKey: h.participants[r.GetToParticipantId()], Event: h.eventNames[ev.GetBrokerageEventId()], Extra: r.GetStatus().String(), Href: "/events/" + ev.GetBrokerageEventId()})
	case *eventsv1.SchedulePublished:
		id := ev.GetBrokerageEventId()
		for _, p := range h.attendees[id] {
			h.notify(h.participants[p], note{Kind: "schedule_published", At: at(ev.GetOccurredAt()), Event: h.eventNames[id], Href: "/events/" + id})
		}
	case *eventsv1.MeetingRequestCancelled:
		// Both parties hear of it: the note cannot tell which one cancelled.
		r, id := ev.GetMeetingRequest(), ev.GetBrokerageEventId()
		from, to := h.participants[r.GetFromParticipantId()], h.participants[r.GetToParticipantId()]
		h.notify(from, note{Kind: "request_cancelled", At: at(ev.GetOccurredAt()), WhoKey: to, Event: h.eventNames[id], Href: "/events/" + id})
		h.notify(to, note{Kind: "request_cancelled", At: at(ev.GetOccurredAt()), WhoKey: from, Event: h.eventNames[id], Href: "/events/" + id})
	case *eventsv1.MeetingCancelled:
		m, id := ev.GetMeeting(), ev.GetBrokerageEventId()
		for _, p := range m.GetParticipantIds() {
			other := ""
			for _, q := range m.GetParticipantIds() {
				if q != p {
					other = h.participants[q]
				}
			}
			h.notify(h.participants[p], note{Kind: "meeting_cancelled", At: at(ev.GetOccurredAt()), WhoKey: other, Event: h.eventNames[id], Href: "/events/" + id})
		}
		h.signal(gridKey(id), note{Kind: "meeting_cancelled", At: at(ev.GetOccurredAt()), Extra: m.GetId()})
	case *eventsv1.MeetingMoved:
		m := ev.GetMeeting()
		for _, p := range m.GetParticipantIds() {
			h.notify(h.participants[p], note{Kind: "meeting_moved", At: at(ev.GetOccurredAt()), Event: h.eventNames[ev.GetBrokerageEventId()], Extra: m.GetSlotId(), Href: "/events/" + ev.GetBrokerageEventId()})
		}
		h.signal(gridKey(ev.GetBrokerageEventId()), note{Kind: "meeting_moved", At: at(ev.GetOccurredAt()), Extra: m.GetId()})
	case *eventsv1.ScheduleEdited:
		// Moves, swaps, locks and placements of a schedule under review.
		if ms := ev.GetMeetings(); len(ms) > 0 {
			h.signal(gridKey(ev.GetBrokerageEventId()), note{Kind: "schedule_edited", At: at(ev.GetOccurredAt()), Extra: ms[0].GetId()})
		}
	case *eventsv1.MeetingConfirmed:
		m := ev.GetMeeting()
		// A booking or a placement after publication adds a meeting.
		h.signal(gridKey(ev.GetBrokerageEventId()), note{Kind: "meeting_added", At: at(ev.GetOccurredAt()), Extra: m.GetId()})
		if ids := m.GetParticipantIds(); len(ids) == 2 && !h.counted["meeting:"+m.GetId()] {
			h.counted["meeting:"+m.GetId()] = true
			if a, b := h.participants[ids[0]], h.participants[ids[1]]; a != "" && b != "" {
				h.pair(a, b).Met++
				h.act(actMeetings, a, b, at(ev.GetOccurredAt()))
			}
			// A meeting booked by a participant or placed by the organiser
			// after publication reaches both agendas at once: both parties
			// are told (the note cannot tell which one booked). Scheduled
			// meetings are announced by the schedule's publication.
			if o := m.GetOrigin(); o == meetingsv1.MeetingOrigin_MEETING_ORIGIN_SELF_BOOKED || o == meetingsv1.MeetingOrigin_MEETING_ORIGIN_ORGANIZER {
				id := ev.GetBrokerageEventId()
				a, b := h.participants[ids[0]], h.participants[ids[1]]
				h.notify(a, note{Kind: "meeting_booked", At: at(ev.GetOccurredAt()), WhoKey: b, Event: h.eventNames[id], Href: "/events/" + id})
				h.notify(b, note{Kind: "meeting_booked", At: at(ev.GetOccurredAt()), WhoKey: a, Event: h.eventNames[id], Href: "/events/" + id})
			}
		}
	case *eventsv1.FeedbackRecorded:
		h.feedback(ev.GetFeedback())
	case *eventsv1.ContactRequested:
		c := ev.GetConversation()
		h.act(actContacts, profileKey(c.GetFrom()), profileKey(c.GetTo()), at(ev.GetOccurredAt()))
		h.notify(profileKey(c.GetTo()), note{Kind: "contact_received", At: at(ev.GetOccurredAt()), WhoKey: profileKey(c.GetFrom()), Href: "/messages/" + c.GetId()})
	case *eventsv1.ContactAccepted:
		c := ev.GetConversation()
		h.notify(profileKey(c.GetFrom()), note{Kind: "contact_answered", At: at(ev.GetOccurredAt()), WhoKey: profileKey(c.GetTo()), Extra: c.GetStatus().String(), Href: "/messages/" + c.GetId()})
	case *eventsv1.ContactDeclined:
		c := ev.GetConversation()
		h.notify(profileKey(c.GetFrom()), note{Kind: "contact_answered", At: at(ev.GetOccurredAt()), WhoKey: profileKey(c.GetTo()), Extra: c.GetStatus().String(), Href: "/messages/" + c.GetId()})
	case *eventsv1.MessagePosted:
		c := ev.GetConversation()
		if ms := c.GetMessages(); len(ms) > 0 {
			author, other := profileKey(ms[len(ms)-1].GetAuthor()), profileKey(c.GetTo())
			if author == other {
				other = profileKey(c.GetFrom())
			}
			h.notify(other, note{Kind: "message_received", At: at(ev.GetOccurredAt()), WhoKey: author, Href: "/messages/" + c.GetId()})
		}
	case *eventsv1.MatchFound:
		m := ev.GetMatch()
		h.notify("subject:"+ev.GetOwnerSubject(), note{Kind: "new_match", At: at(ev.GetOccurredAt()), WhoKey: profileKey(m.GetSuggestion().GetCandidate().GetRef()), Href: "/searches"})
	}
}

func at(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Now()
	}
	return ts.AsTime()
}

func profileKey(ref *profilesv1.ProfileRef) string {
	if id := ref.GetOrganizationId(); id != "" {
		return "org:" + id
	}
	if id := ref.GetPersonId(); id != "" {
		return "person:" + id
	}
	return ""
}

func (h *hub) participant(eventID string, p *meetingsv1.Participant) {
	key := profileKey(p.GetProfile())
	if key == "" {
		return
	}
	h.participants[p.GetId()] = key
	if !slices.Contains(h.attendees[eventID], p.GetId()) {
		h.attendees[eventID] = append(h.attendees[eventID], p.GetId())
	}
}

func (h *hub) feedback(f *matchingv1.Feedback) {
	if h.counted["feedback:"+f.GetId()] {
		return
	}
	h.counted["feedback:"+f.GetId()] = true
	var seeker string
	switch s := f.GetSeeker().GetSeeker().(type) {
	case *matchingv1.Seeker_OrganizationId:
		seeker = "org:" + s.OrganizationId
	case *matchingv1.Seeker_PersonId:
		seeker = "person:" + s.PersonId
	}
	cand := profileKey(f.GetCandidate())
	if seeker == "" || cand == "" || seeker == cand {
		return
	}
	switch f.GetKind() {
	case matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED:
		h.pair(seeker, cand).Saved++
	case matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED:
		h.pair(seeker, cand).Contacted++
	case matchingv1.FeedbackKind_FEEDBACK_KIND_MET:
		h.pair(seeker, cand).Met++
	}
}

func (h *hub) pair(a, b string) *pair {
	if b < a {
		a, b = b, a
	}
	k := a + "|" + b
	p := h.pairs[k]
	if p == nil {
		p = &pair{A: a, B: b}
		h.pairs[k] = p
	}
	return p
}

// notify stores n for key and pushes it to live listeners. Callers hold mu.
func (h *hub) notify(key string, n note) {
	if key == "" || key == "subject:" {
		return
	}
	h.seq++
	n.Seq = h.seq
	list := append(h.notes[key], n)
	if len(list) > maxNotesPerKey {
		list = list[len(list)-maxNotesPerKey:]
	}
	h.notes[key] = list
	h.signal(key, n)
}

// signal pushes n to the live listeners of key. Callers hold mu.
func (h *hub) signal(key string, n note) {
	for ch, keys := range h.subs {
		if slices.Contains(keys, key) {
			select {
			case ch <- n:
			default: // a slow browser misses a live update, not the list
			}
		}
	}
}

// gridKey addresses the live updates of an event's schedule grid: they go
// to the organisers' open grids only, and are kept as no one's notes.
func gridKey(eventID string) string { return "grid:" + eventID }

// list returns the notes of keys, newest first.
func (h *hub) list(keys []string) []note {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []note
	for _, k := range keys {
		out = append(out, h.notes[k]...)
	}
	slices.SortFunc(out, func(a, b note) int { return int(b.Seq - a.Seq) })
	return out
}

// markRead records that subject has seen everything up to now.
func (h *hub) markRead(subject string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[subject] = h.seq
}

func (h *hub) unread(subject string, keys []string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := h.seen[subject]
	n := 0
	for _, k := range keys {
		for _, x := range h.notes[k] {
			if x.Seq > last {
				n++
			}
		}
	}
	return n
}

func (h *hub) subscribe(keys []string) chan note {
	ch := make(chan note, 16)
	h.mu.Lock()
	h.subs[ch] = keys
	h.mu.Unlock()
	return ch
}

func (h *hub) unsubscribe(ch chan note) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// act records a dated activity. Callers hold mu.
func (h *hub) act(kind, a, b string, t time.Time) {
	if len(h.acts) >= maxActs {
		h.acts = append(h.acts[:0], h.acts[len(h.acts)-maxActs/2:]...)
	}
	h.acts = append(h.acts, act{Kind: kind, A: a, B: b, At: t})
}

// activities returns the dated meetings and contact requests.
func (h *hub) activities() []act {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.acts)
}

// network returns the pairs of profiles.
func (h *hub) network() []pair {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]pair, 0, len(h.pairs))
	for _, p := range h.pairs {
		out = append(out, *p)
	}
	return out
}

// noteKeys are the addresses of the user's notifications.
func (c *call) noteKeys() []string {
	if c.user == nil {
		return nil
	}
	keys := []string{"subject:" + c.user.Subject}
	if c.user.Organization != "" {
		keys = append(keys, "org:"+c.user.Organization)
	}
	if id := c.cachedPersonID(); id != "" {
		keys = append(keys, "person:"+id)
	}
	return keys
}

// cachedPersonID avoids a profiles call on every page for the badge.
func (c *call) cachedPersonID() string {
	if id, ok := c.ui.people.Load(c.user.Subject); ok {
		return id.(string)
	}
	return ""
}

func (u *UI) unread(usr *user) int {
	if usr == nil {
		return 0
	}
	c := &call{ui: u, user: usr}
	return u.hub.unread(usr.Subject, c.noteKeys())
}

// noteText renders a notification in the user's language.
func noteText(l *Lang, n note) string {
	switch n.Kind {
	case "request_answered":
		st := meetingsv1.MeetingRequestStatus(meetingsv1.MeetingRequestStatus_value[n.Extra])
		return l.T("note.request_answered", orUnknown(l, n.Who), l.E(st), orUnknown(l, n.Event))
	case "new_match":
		return l.T("note.new_match", orUnknown(l, n.Who))
	case "contact_received":
		return l.T("note.contact_received", orUnknown(l, n.Who))
	case "contact_answered":
		st := messagingv1.ContactStatus(messagingv1.ContactStatus_value[n.Extra])
		return l.T("note.contact_answered", orUnknown(l, n.Who), l.E(st))
	case "message_received":
		return l.T("note.message_received", orUnknown(l, n.Who))
	case "meeting_moved":
		return l.T("note.meeting_moved", orUnknown(l, n.Event))
	case "meeting_added":
		return l.T("note.meeting_added", orUnknown(l, n.Event))
	case "schedule_edited":
		return l.T("note.schedule_edited", orUnknown(l, n.Event))
	case "request_cancelled":
		return l.T("note.request_cancelled", orUnknown(l, n.Who), orUnknown(l, n.Event))
	case "meeting_cancelled":
		return l.T("note.meeting_cancelled", orUnknown(l, n.Who), orUnknown(l, n.Event))
	case "meeting_booked":
		return l.T("note.meeting_booked", orUnknown(l, n.Who), orUnknown(l, n.Event))
	case "schedule_published":
		return l.T("note.schedule_published", orUnknown(l, n.Event))
	default:
		return l.T("note.request_received", orUnknown(l, n.Who), orUnknown(l, n.Event))
	}
}

func orUnknown(l *Lang, s string) string {
	if s == "" {
		return l.T("note.someone")
	}
	return s
}

type noteRow struct {
	Text, Href, When string
	New              bool
}

type notesView struct {
	Notes []noteRow
}

func (u *UI) notificationsPage(c *call) error {
	c.personID() // so the person's notifications are addressed too
	keys := c.noteKeys()
	u.hub.mu.Lock()
	last := u.hub.seen[c.user.Subject]
	u.hub.mu.Unlock()
	v := notesView{}
	notes := u.hub.list(keys)
	c.nameNotes(notes)
	for _, n := range notes {
		v.Notes = append(v.Notes, noteRow{Text: noteText(c.L, n), Href: n.Href, When: c.L.When(timestamppb.New(n.At), "Europe/Rome"), New: n.Seq > last})
	}
	u.hub.markRead(c.user.Subject)
	return c.render("notifications", "notes.title", v, nil)
}

// notificationsLive pushes the user's new notifications as Server-Sent Events.
func (u *UI) notificationsLive(c *call) error {
	c.personID()
	return u.live(c, c.noteKeys(), func(n note) (string, any) {
		one := []note{n}
		c.nameNotes(one)
		n = one[0]
		return "note", map[string]string{"text": noteText(c.L, n), "href": n.Href, "when": c.L.When(timestamppb.New(n.At), "Europe/Rome")}
	})
}

// gridLive tells an organiser's open schedule grid, as Server-Sent Events,
// which meetings were cancelled, so the grid drops them without a reload.
// The events carry meeting ids only.
func (u *UI) gridLive(c *call) error {
	ctx, cancel := c.ctx()
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	cancel()
	if err != nil {
		return err
	}
	if !c.organizes(ev) {
		return status.Error(codes.PermissionDenied, c.L.T("event.organizers_only"))
	}
	return u.live(c, []string{gridKey(ev.GetId())}, func(n note) (string, any) {
		switch n.Kind {
		case "meeting_cancelled":
			return "cancelled", map[string]string{"meeting": n.Extra}
		case "meeting_added":
			return "changed", map[string]string{"meeting": n.Extra, "change": "added"}
		case "schedule_edited":
			return "changed", map[string]string{"meeting": n.Extra, "change": "edited"}
		}
		return "changed", map[string]string{"meeting": n.Extra, "change": "moved"}
	})
}

// live streams the hub's notes for keys as Server-Sent Events, each shaped
// by event, until the browser goes away.
func (u *UI) live(c *call, keys []string, event func(note) (name string, data any)) error {
	fl, ok := c.w.(http.Flusher)
	if !ok {
		return errors.New("streaming unsupported")
	}
	ch := u.hub.subscribe(keys)
	defer u.hub.unsubscribe(ch)
	sse := startSSE(c.w)
	fl.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-c.r.Context().Done():
			return nil
		case <-ping.C:
			if sse.ping() != nil {
				return nil
			}
			fl.Flush()
		case n := <-ch:
			name, data := event(n)
			if sse.send(name, "", data) != nil {
				return nil
			}
			fl.Flush()
		}
	}
}

// nameNotes puts the names the reader may see into notes.
func (c *call) nameNotes(notes []note) {
	var refs []*profilesv1.ProfileRef
	for _, n := range notes {
		if r := refFromKey(n.WhoKey); r != nil {
			refs = append(refs, r)
		}
	}
	names := c.names(refs)
	for i := range notes {
		notes[i].Who = names[notes[i].WhoKey]
	}
}

// refFromKey parses a profile key back into a reference.
func refFromKey(key string) *profilesv1.ProfileRef {
	kind, id, ok := strings.Cut(key, ":")
	if !ok || id == "" {
		return nil
	}
	switch kind {
	case "org":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	case "person":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}
	}
	return nil
}
