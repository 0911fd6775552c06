package webui

import (
	"strings"
	"testing"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestGridOffersOnlyAcceptedPlaces: while a meeting is moved or a request
// placed, a free cell offers itself only where the schedule service would
// accept the edit, and a refused time says why: a participant away, one
// meeting someone else then (the moved meeting itself aside), one who
// withdrew, and for a placement one at its limit of meetings.
func TestGridOffersOnlyAcceptedPlaces(t *testing.T) {
	l := langFor("en")
	ev := &meetingsv1.Event{Id: "E1", Tables: []*meetingsv1.Table{{Id: "T1"}, {Id: "T2"}}}
	for _, s := range []string{"S1", "S2", "S3", "S4"} {
		ev.Slots = append(ev.Slots, &meetingsv1.Slot{Id: s})
	}
	reg := meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED
	parts := []*meetingsv1.Participant{
		{Id: "a", Status: reg}, {Id: "b", Status: reg, AvailableSlotIds: []string{"S1", "S2", "S3"}},
		{Id: "c", Status: reg}, {Id: "d", Status: reg},
	}
	names := map[string]string{"a": "Alba", "b": "Bora", "c": "Carso", "d": "Doberdò"}
	ab := &meetingsv1.Meeting{Id: "M1", SlotId: "S1", TableId: "T1", ParticipantIds: []string{"a", "b"}}
	cd := &meetingsv1.Meeting{Id: "M2", SlotId: "S2", TableId: "T1", ParticipantIds: []string{"c", "d"}}
	ad := &meetingsv1.Meeting{Id: "M3", SlotId: "S3", TableId: "T2", ParticipantIds: []string{"a", "d"}}
	meetings := []*meetingsv1.Meeting{ab, cd, ad}
	offered := func(g *grid) (cells []string, why []string) {
		for _, r := range g.Rows {
			why = append(why, r.Why)
			for _, c := range r.Cells {
				if c.Offer {
					cells = append(cells, c.Slot.GetId()+"/"+c.Table.GetId())
				}
			}
		}
		return cells, why
	}

	// Moving A and B's meeting: its own slot (another table) is offered,
	// S3 not (A meets D), S4 not (B is away).
	g := buildGrid(ev, meetings)
	g.offer(l, ev, &gridEdit{Moving: ab}, parts, meetings, names)
	cells, why := offered(g)
	if strings.Join(cells, " ") != "S1/T2 S2/T2" || why[0] != "" || why[1] != "" || why[2] != "Alba already meets someone" || why[3] != "Bora is away" {
		t.Errorf("moving A and B: offered %v, why %q", cells, why)
	}

	// Dragged, each meeting may land in the rows Move here would offer it:
	// A and B in S1 and S2; C and D anywhere but S3 (D meets A); A and D
	// in S3 and S4 (A meets B in S1, D meets C in S2).
	g = buildGrid(ev, meetings)
	g.dropRows(l, ev, &gridEdit{}, parts, meetings)
	drops := map[string]string{}
	for _, r := range g.Rows {
		for _, c := range r.Cells {
			if c.Meeting != nil {
				drops[c.Meeting.GetId()] = c.DropRows
			}
		}
	}
	if drops["M1"] != "3" || drops["M2"] != "b" || drops["M3"] != "c" {
		t.Errorf("drop rows = %v, want M1 3 (S1 S2), M2 b (S1 S2 S4), M3 c (S3 S4)", drops)
	}

	// Placing B and C: S1 (B meets A) and S2 (C meets D) and S4 (B away)
	// refused, S3 free at T1.
	bc := &unplacedRow{Request: &meetingsv1.MeetingRequest{Id: "R", FromParticipantId: "b", ToParticipantId: "c"}}
	g = buildGrid(ev, meetings)
	g.offer(l, ev, &gridEdit{Placing: bc}, parts, meetings, names)
	cells, why = offered(g)
	if strings.Join(cells, " ") != "S3/T1" || why[0] != "Bora already meets someone" || why[1] != "Carso already meets someone" || why[3] != "Bora is away" {
		t.Errorf("placing B and C: offered %v, why %q", cells, why)
	}

	// At its limit of 2 meetings A is offered nowhere for a placement,
	// but its meetings still move.
	ev.DefaultMaxMeetings = 2
	ac := &unplacedRow{Request: &meetingsv1.MeetingRequest{Id: "R2", FromParticipantId: "a", ToParticipantId: "c"}}
	g = buildGrid(ev, meetings)
	g.offer(l, ev, &gridEdit{Placing: ac}, parts, meetings, names)
	if cells, why = offered(g); len(cells) != 0 || why[3] != "Alba has reached the limit of 2 meetings" {
		t.Errorf("placing A at its limit: offered %v, why %q", cells, why)
	}
	g = buildGrid(ev, meetings)
	g.offer(l, ev, &gridEdit{Moving: ad}, parts, meetings, names)
	if cells, _ = offered(g); len(cells) == 0 {
		t.Error("A at its limit: its meeting with D is offered nowhere to move to")
	}

	// A withdrawn participant's request is offered nowhere.
	parts[2].Status = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
	g = buildGrid(ev, meetings)
	g.offer(l, ev, &gridEdit{Placing: bc}, parts, meetings, names)
	if cells, why = offered(g); len(cells) != 0 || why[2] != "Carso has withdrawn" {
		t.Errorf("placing with a withdrawn participant: offered %v, why %q", cells, why)
	}
}
