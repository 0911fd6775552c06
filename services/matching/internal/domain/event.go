package domain

import (
	"fmt"
	"slices"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// Participant is a registration of an organization or a person for a
// brokerage event of the meetings service. Only current registrations are
// held: a withdrawal removes it.
type Participant struct {
	ID      string
	EventID string
	Profile Ref
	Version int64
}

// BrokerageEvent is what matching keeps of a brokerage event: who
// organises it, for in-event suggestions on behalf of any participant.
type BrokerageEvent struct {
	ID         string
	Organizers []string // authentication subjects
	Version    int64
}

// ParticipantKey and EventKey are the aggregate keys of the meetings
// service's participants and brokerage events.
func ParticipantKey(id string) string { return "participant:" + id }
func EventKey(id string) string       { return "event:" + id }

func (x *Index) applyParticipant(id string, c Change) {
	if old := x.participants[id]; old != nil {
		if refs := x.attendees[old.EventID]; refs != nil {
			if refs[old.Profile]--; refs[old.Profile] <= 0 {
				delete(refs, old.Profile)
			}
		}
		delete(x.participants, id)
	}
	if c.Removed || c.Participant == nil {
		return
	}
	x.participants[id] = c.Participant
	refs := x.attendees[c.Participant.EventID]
	if refs == nil {
		refs = map[Ref]int{}
		x.attendees[c.Participant.EventID] = refs
	}
	refs[c.Participant.Profile]++
	// An event heard of only through its participants is still known.
	x.eventsSeen[c.Participant.EventID] = struct{}{}
}

func (x *Index) applyEvent(id string, c Change) {
	if c.Removed || c.Event == nil {
		delete(x.events, id)
		return
	}
	x.events[id] = c.Event
	x.eventsSeen[id] = struct{}{}
}

// represented reports whether an organization is at the event: registered
// itself or through one of its people.
func (x *Index) represented(eventID, orgID string) bool {
	refs := x.attendees[eventID]
	if refs[OrgRef(orgID)] > 0 {
		return true
	}
	for pid := range x.staff[orgID] {
		if refs[PersonRef(pid)] > 0 {
			return true
		}
	}
	return false
}

// attends reports whether a candidate may be suggested for the event: a
// person only when registered, an organization when it or one of its
// people is.
func (x *Index) attends(eventID string, d *cand) bool {
	if d.ref.Kind == KindPerson {
		return x.attendees[eventID][d.ref] > 0
	}
	return x.represented(eventID, d.ref.ID)
}

// EventAccess says whether in-event suggestions for eventID may be asked
// for seeker by the caller with subject: the event must be known (a
// brokerage event or participant event of it has been seen, so an id only
// mistyped is NotFound), and the seeker at the event, unless the caller
// organises it or is an admin (ErrPrecondition otherwise, as registering
// fixes it).
func (x *Index) EventAccess(eventID string, sk Seeker, subject string, admin bool) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if _, ok := x.eventsSeen[eventID]; !ok {
		return fmt.Errorf("brokerage event %s: %w", eventID, grpcerr.ErrNotFound)
	}
	if admin {
		return nil
	}
	if ev := x.events[eventID]; ev != nil && slices.Contains(ev.Organizers, subject) {
		return nil
	}
	at := false
	switch sk.Kind {
	case SeekOrg:
		at = x.represented(eventID, sk.ID)
	case SeekPerson:
		if p := x.people[sk.ID]; p != nil {
			at = x.attendees[eventID][PersonRef(sk.ID)] > 0 || x.represented(eventID, p.OrgID)
		}
	case SeekCoop:
		if c := x.coops[sk.ID]; c != nil {
			org := c.Holder.ID
			if c.Holder.Kind == KindPerson {
				at = x.attendees[eventID][c.Holder] > 0
				if p := x.people[c.Holder.ID]; p != nil {
					org = p.OrgID
				}
			}
			at = at || x.represented(eventID, org)
		}
	}
	if !at {
		return fmt.Errorf("%w: the seeker %s is not registered for brokerage event %s; in-event suggestions are for its participants and organizers",
			grpcerr.ErrPrecondition, sk.ID, eventID)
	}
	return nil
}

// Organizes reports whether subject is one of the event's organizers.
func (x *Index) Organizes(eventID, subject string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ev := x.events[eventID]
	return ev != nil && slices.Contains(ev.Organizers, subject)
}

// Attendees lists the profiles currently registered for an event, sorted,
// for tests and diagnostics.
func (x *Index) Attendees(eventID string) []Ref {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Ref, 0, len(x.attendees[eventID]))
	for r := range x.attendees[eventID] {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Ref) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}
