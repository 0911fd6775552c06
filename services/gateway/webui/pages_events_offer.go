package webui

import (
	"slices"
	"strings"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// offerRule is how the schedule service checks a hand edit, as far as the
// grid can tell: both participants registered and available in the slot,
// neither meeting anyone else then, the table free (a free cell), and for
// a placement neither at their limit of meetings. The keyboard's Move here
// and Place here buttons and the drops of drag and drop both follow it.
type offerRule struct {
	l     *Lang
	ev    *meetingsv1.Event
	byID  map[string]*meetingsv1.Participant
	avail map[string]map[string]bool // participant -> slots, for those not available in every slot
	// busy counts each participant's meetings in each slot: row of the
	// slot (slots), column of the participant (byIndex).
	busy    []uint16
	slots   map[string]int
	byIndex map[string]int
	count   map[string]int // participant -> meetings
	names   map[string]string
}

// newOfferRule reads the participants and meetings.
func newOfferRule(l *Lang, ev *meetingsv1.Event, parts []*meetingsv1.Participant, meetings []*meetingsv1.Meeting, names map[string]string) *offerRule {
	r := &offerRule{
		l: l, ev: ev, byID: make(map[string]*meetingsv1.Participant, len(parts)), avail: map[string]map[string]bool{},
		slots: make(map[string]int, len(ev.GetSlots())), byIndex: make(map[string]int, len(parts)),
		count: make(map[string]int, len(parts)), names: names,
	}
	for i, p := range parts {
		r.byID[p.GetId()] = p
		r.byIndex[p.GetId()] = i
		if ids := p.GetAvailableSlotIds(); len(ids) > 0 {
			r.avail[p.GetId()] = map[string]bool{}
			for _, s := range ids {
				r.avail[p.GetId()][s] = true
			}
		}
	}
	for i, s := range ev.GetSlots() {
		r.slots[s.GetId()] = i
	}
	r.busy = make([]uint16, len(r.slots)*len(parts))
	for _, m := range meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		for _, id := range m.GetParticipantIds() {
			r.count[id]++
			if i := r.cell(m.GetSlotId(), id); i >= 0 {
				r.busy[i]++
			}
		}
	}
	return r
}

// cell is the index in busy of participant id in slot, -1 if either is unknown.
func (r *offerRule) cell(slot, id string) int {
	s, ok := r.slots[slot]
	p, ok2 := r.byIndex[id]
	if !ok || !ok2 {
		return -1
	}
	return s*len(r.byIndex) + p
}

func (r *offerRule) name(id string) string { return cmpOr(r.names[id], r.l.T("event.unnamed")) }

// gone reports whether participant id has withdrawn (or is unknown).
func (r *offerRule) gone(id string) bool {
	p := r.byID[id]
	return p == nil || p.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
}

// always says why pair may meet in no slot: a withdrawn participant, and
// for a placement (moved nil) one at its limit of meetings.
func (r *offerRule) always(pair []string, moved *meetingsv1.Meeting) []string {
	var why []string
	for _, id := range pair {
		if r.gone(id) {
			why = append(why, r.l.T("event.not_offered_withdrawn", r.name(id)))
			continue
		}
		lim := int(r.byID[id].GetMaxMeetings())
		if lim == 0 {
			lim = int(r.ev.GetDefaultMaxMeetings())
		}
		if moved == nil && lim > 0 && r.count[id] >= lim {
			why = append(why, r.l.T("event.not_offered_limit", r.name(id), lim))
		}
	}
	return why
}

// refusal is the message key of why participant id may not meet in slot,
// "" if it may: away, or meeting someone else then (the moved meeting
// itself aside).
func (r *offerRule) refusal(id, slot string, moved *meetingsv1.Meeting) string {
	busy := 0
	if i := r.cell(slot, id); i >= 0 {
		busy = int(r.busy[i])
	}
	if moved != nil && moved.GetSlotId() == slot && slices.Contains(moved.GetParticipantIds(), id) {
		busy--
	}
	switch avail := r.avail[id]; {
	case avail != nil && !avail[slot]:
		return "event.not_offered_away"
	case busy > 0:
		return "event.not_offered_busy"
	}
	return ""
}

// inSlot says why pair may not meet in slot.
func (r *offerRule) inSlot(pair []string, slot string, moved *meetingsv1.Meeting) []string {
	var why []string
	for _, id := range pair {
		if key := r.refusal(id, slot, moved); key != "" {
			why = append(why, r.l.T(key, r.name(id)))
		}
	}
	return why
}

// offer marks the free cells of the grid where the meeting being moved or
// placed would be accepted (see offerRule). A row whose slot is refused
// says why in its time cell, so the organiser knows why it offers nothing.
func (g *grid) offer(l *Lang, ev *meetingsv1.Event, ed *gridEdit, parts []*meetingsv1.Participant, meetings []*meetingsv1.Meeting, names map[string]string) {
	if g == nil || ed == nil {
		return
	}
	var pair []string
	var moved *meetingsv1.Meeting
	switch {
	case ed.Moving != nil:
		pair, moved = ed.Moving.GetParticipantIds(), ed.Moving
	case ed.Placing != nil:
		pair = []string{ed.Placing.Request.GetFromParticipantId(), ed.Placing.Request.GetToParticipantId()}
	default:
		return
	}
	rule := newOfferRule(l, ev, parts, meetings, names)
	always := rule.always(pair, moved)
	for r := range g.Rows {
		row := &g.Rows[r]
		why := slices.Clone(always)
		if len(why) == 0 {
			why = rule.inSlot(pair, row.Slot.GetId(), moved)
		}
		row.Why = strings.Join(why, "; ")
		for i := range row.Cells {
			row.Cells[i].Offer = row.Why == "" && row.Cells[i].Meeting == nil
		}
	}
}

// dropRows gives each meeting shown in the grid the rows it may be dropped
// in (on a free cell), by the rule the keyboard's Move here follows: a hex
// mask, row i being bit i%4 of digit i/4, small enough for every meeting
// of a page of the grid.
func (g *grid) dropRows(l *Lang, ev *meetingsv1.Event, ed *gridEdit, parts []*meetingsv1.Participant, meetings []*meetingsv1.Meeting) {
	if g == nil || ed == nil {
		return
	}
	rule := newOfferRule(l, ev, parts, meetings, nil)
	for r := range g.Rows {
		for i := range g.Rows[r].Cells {
			cell := &g.Rows[r].Cells[i]
			m := cell.Meeting
			if m == nil {
				continue
			}
			mask := make([]byte, (len(g.Rows)+3)/4)
			pair := m.GetParticipantIds()
			if !slices.ContainsFunc(pair, rule.gone) {
				for k := range g.Rows {
					slot := g.Rows[k].Slot.GetId()
					if !slices.ContainsFunc(pair, func(id string) bool { return rule.refusal(id, slot, m) != "" }) {
						mask[k/4] |= 1 << (k % 4)
					}
				}
			}
			for k, b := range mask {
				mask[k] = "0123456789abcdef"[b]
			}
			cell.DropRows = string(mask)
		}
	}
}
