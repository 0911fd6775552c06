package domain

import (
	"errors"
	"time"

	"google.golang.org/protobuf/proto"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// Occupancy: create-only keys, one per participant and per table in a slot
// and per pair, that keep anyone and any table from being booked twice, and
// one per participant holding the meetings counted against its limit.

// StaleClaimAge is how old an occupancy claim must be before a claim whose
// meeting was never written (the process died between the two writes) may
// be taken over. Far above the time between the two writes.
const StaleClaimAge = 2 * time.Minute

// ParticipantSlotKey is the occupancy key of a participant in a slot.
func ParticipantSlotKey(eventID, slotID, participantID string) string {
	return eventID + "." + slotID + ".p." + participantID
}

// TableSlotKey is the occupancy key of a table in a slot.
func TableSlotKey(eventID, slotID, tableID string) string {
	return eventID + "." + slotID + ".t." + tableID
}

// PairKey is the occupancy key of a pair of participants: one active
// meeting per pair in an event, whichever slot.
func PairKey(eventID, a, b string) string {
	return eventID + ".pair." + min(a, b) + "." + max(a, b)
}

// CountKey holds the meetings a participant booked, for its meeting limit.
func CountKey(eventID, participantID string) string {
	return eventID + ".count." + participantID
}

// OccupancyKeys are the keys a meeting holds: both participants and the
// table in its slot, and the pair.
func OccupancyKeys(m *meetingsv1.Meeting) []string {
	keys := make([]string, 0, 4)
	ids := m.GetParticipantIds()
	for _, p := range ids {
		keys = append(keys, ParticipantSlotKey(m.GetEventId(), m.GetSlotId(), p))
	}
	keys = append(keys, TableSlotKey(m.GetEventId(), m.GetSlotId(), m.GetTableId()))
	if len(ids) == 2 {
		keys = append(keys, PairKey(m.GetEventId(), ids[0], ids[1]))
	}
	return keys
}

// Hold is one meeting counted against a participant's limit, with when it
// was counted (a meeting still being written is not in the index yet).
type Hold struct {
	MeetingID string
	At        time.Time
}

// ErrTaken is wrapped (with grpcerr.ErrConflict) when an occupancy key
// belongs to another meeting.
var ErrTaken = errors.New("taken")

// Clone copies a message with its type.
func Clone[T proto.Message](m T) T { return proto.Clone(m).(T) }
