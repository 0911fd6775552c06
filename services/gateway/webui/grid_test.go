package webui

import (
	"fmt"
	"testing"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// bigEvent has slots × tables, one meeting in every cell of the first slot.
func bigEvent(slots, tables int) (*meetingsv1.Event, []*meetingsv1.Meeting) {
	ev := &meetingsv1.Event{Id: "E1"}
	for i := range tables {
		ev.Tables = append(ev.Tables, &meetingsv1.Table{Id: fmt.Sprintf("T%d", i+1), Name: fmt.Sprintf("Table %d", i+1)})
	}
	for i := range slots {
		ev.Slots = append(ev.Slots, &meetingsv1.Slot{Id: fmt.Sprintf("S%03d", i)})
	}
	var ms []*meetingsv1.Meeting
	for i, t := range ev.Tables {
		ms = append(ms, &meetingsv1.Meeting{Id: fmt.Sprintf("M%d", i), SlotId: "S000", TableId: t.GetId(), ParticipantIds: []string{fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)}})
	}
	return ev, ms
}

// TestGridWindow checks that a grid of 60 slots × 700 tables shows 20
// tables at a time with every slot, its cells under the right tables, and
// links to the tables before and after that keep a move under way.
func TestGridWindow(t *testing.T) {
	ev, ms := bigEvent(60, 700)
	tests := []struct {
		start            int
		from, to         int
		prev, next       bool
		firstTable, cell string
	}{
		{0, 1, 20, false, true, "T1", "M0"},
		{20, 21, 40, true, true, "T21", "M20"},
		{45, 41, 60, true, true, "T41", "M40"}, // a start inside a page snaps to it
		{690, 681, 700, true, false, "T681", "M680"},
		{9999, 681, 700, true, false, "T681", "M680"},
	}
	for _, tt := range tests {
		g := buildGrid(ev, ms)
		g.window(ev.GetId(), "M5", "", tt.start)
		p := g.Page
		if p.From != tt.from || p.To != tt.to || p.Total != 700 || (p.Prev != "") != tt.prev || (p.Next != "") != tt.next {
			t.Errorf("start %d: page %+v, want tables %d–%d of 700", tt.start, p, tt.from, tt.to)
		}
		if len(g.Tables) != tt.to-tt.from+1 || g.Tables[0].GetId() != tt.firstTable || len(g.Rows) != 60 {
			t.Fatalf("start %d: %d tables from %s and %d rows", tt.start, len(g.Tables), g.Tables[0].GetId(), len(g.Rows))
		}
		for _, r := range g.Rows {
			if len(r.Cells) != len(g.Tables) {
				t.Fatalf("start %d: a row has %d cells for %d tables", tt.start, len(r.Cells), len(g.Tables))
			}
		}
		if c := g.Rows[0].Cells[0]; c.Meeting.GetId() != tt.cell || c.Table.GetId() != tt.firstTable {
			t.Errorf("start %d: the first cell holds %s at %s, want %s at %s", tt.start, c.Meeting.GetId(), c.Table.GetId(), tt.cell, tt.firstTable)
		}
		if p.Next != "" && p.Next != fmt.Sprintf("/events/E1?move=M5&tables=%d#schedule-grid", tt.to) {
			t.Errorf("start %d: next link %q", tt.start, p.Next)
		}
	}
}
