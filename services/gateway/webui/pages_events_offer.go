package webui

import (
	"slices"
	"strings"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// offer marks the free cells of the grid where the meeting being moved or
// placed would be accepted, as the schedule service checks a hand edit:
// both participants registered and available in the slot, neither meeting
// anyone else then, the table free (a free cell), and for a placement
// neither at their limit of meetings. A row whose slot is refused says why
// in its time cell, so the organiser knows why it offers nothing.
func (g *grid) offer(l *Lang, ev *meetingsv1.Event, ed *gridEdit, parts []*meetingsv1.Participant, meetings []*meetingsv1.Meeting, names map[string]string) {
	if g == nil || ed == nil {
		return
	}
	var pair []string
	skip := ""
	switch {
	case ed.Moving != nil:
		pair, skip = ed.Moving.GetParticipantIds(), ed.Moving.GetId()
	case ed.Placing != nil:
		pair = []string{ed.Placing.Request.GetFromParticipantId(), ed.Placing.Request.GetToParticipantId()}
	default:
		return
	}
	byID := map[string]*meetingsv1.Participant{}
	for _, p := range parts {
		byID[p.GetId()] = p
	}
	name := func(id string) string { return cmpOr(names[id], l.T("event.unnamed")) }
	busy := map[string]map[string]bool{} // slot -> participant -> meets someone else
	count := map[string]int{}
	for _, m := range meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED || m.GetId() == skip {
			continue
		}
		for _, id := range m.GetParticipantIds() {
			if busy[m.GetSlotId()] == nil {
				busy[m.GetSlotId()] = map[string]bool{}
			}
			busy[m.GetSlotId()][id] = true
			count[id]++
		}
	}
	// Reasons that hold in every slot.
	var always []string
	for _, id := range pair {
		p := byID[id]
		if p == nil || p.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN {
			always = append(always, l.T("event.not_offered_withdrawn", name(id)))
			continue
		}
		lim := int(p.GetMaxMeetings())
		if lim == 0 {
			lim = int(ev.GetDefaultMaxMeetings())
		}
		if ed.Placing != nil && lim > 0 && count[id] >= lim {
			always = append(always, l.T("event.not_offered_limit", name(id), lim))
		}
	}
	for r := range g.Rows {
		row := &g.Rows[r]
		why := slices.Clone(always)
		if len(why) == 0 {
			for _, id := range pair {
				switch p := byID[id]; {
				case len(p.GetAvailableSlotIds()) > 0 && !slices.Contains(p.GetAvailableSlotIds(), row.Slot.GetId()):
					why = append(why, l.T("event.not_offered_away", name(id)))
				case busy[row.Slot.GetId()][id]:
					why = append(why, l.T("event.not_offered_busy", name(id)))
				}
			}
		}
		row.Why = strings.Join(why, "; ")
		for i := range row.Cells {
			row.Cells[i].Offer = row.Why == "" && row.Cells[i].Meeting == nil
		}
	}
}
