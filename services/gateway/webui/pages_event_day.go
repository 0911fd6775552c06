package webui

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"rsc.io/qr"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// checkInLink is what a printed agenda carries for its participant: the
// address that checks it in (with its unguessable code) and that address
// as a QR code, for a phone's camera at the entrance.
type checkInLink struct {
	URL string
	QR  template.HTML
}

// checkInLinks makes the check-in links of the agendas whose participant
// the user may check in (the service gives the code only to the
// participant itself and the organisers) and who has not checked in yet.
func (c *call) checkInLinks(ev *meetingsv1.Event, as []*meetingsv1.GetAgendaResponse) (map[string]checkInLink, error) {
	out := map[string]checkInLink{}
	for _, a := range as {
		l, err := c.checkInLinkOf(ev, a.GetParticipant())
		if err != nil {
			return nil, err
		}
		if l != nil {
			out[a.GetParticipant().GetId()] = *l
		}
	}
	return out, nil
}

// checkInLinkOf is participant p's check-in link, nil when it has checked
// in or has no code the user may see.
func (c *call) checkInLinkOf(ev *meetingsv1.Event, p *meetingsv1.Participant) (*checkInLink, error) {
	if p.GetCheckInCode() == "" || p.GetCheckedInAt() != nil {
		return nil, nil
	}
	link := c.absolute("/events/" + url.PathEscape(ev.GetId()) + "/checkin/" + url.PathEscape(p.GetId()) + "?code=" + url.QueryEscape(p.GetCheckInCode()))
	svg, err := qrSVG(link, c.L.T("checkin.qr_of", p.GetDisplayName()))
	if err != nil {
		return nil, err
	}
	return &checkInLink{URL: link, QR: svg}, nil
}

// needsCheckInCode reports whether p, a registered participant whose
// agenda the user reads, has no check-in code yet: it registered before
// agendas carried one, and the page offers to issue it.
func needsCheckInCode(p *meetingsv1.Participant) bool {
	return p.GetCheckInCode() == "" && p.GetCheckedInAt() == nil && p.GetStatus() == registeredStatus
}

// needCodes are the participants of agendas that need a check-in code.
func needCodes(as []*meetingsv1.GetAgendaResponse) map[string]bool {
	out := map[string]bool{}
	for _, a := range as {
		if needsCheckInCode(a.GetParticipant()) {
			out[a.GetParticipant().GetId()] = true
		}
	}
	return out
}

const registeredStatus = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED

// onEventDays reports whether now falls on one of the event's days, in
// its time zone.
func onEventDays(ev *meetingsv1.Event, now time.Time) bool {
	loc, err := time.LoadLocation(ev.GetTimeZone())
	if err != nil {
		return false
	}
	y, m, d := now.In(loc).Date()
	return slices.ContainsFunc(ev.GetDays(), func(day *meetingsv1.EventDay) bool {
		dt := day.GetDate()
		return int(dt.GetYear()) == y && time.Month(dt.GetMonth()) == m && int(dt.GetDay()) == d
	})
}

// eventCheckInCode issues a check-in code to a participant registered
// before agendas carried one (the participant itself or an organiser
// asks), then goes back to the page that offered it.
func (u *UI) eventCheckInCode(c *call) error {
	id, pid := c.r.PathValue("id"), c.r.PathValue("pid")
	ctx, cancel := c.ctx()
	defer cancel()
	if _, err := u.opts.Meetings.IssueCheckInCode(ctx, &meetingsv1.IssueCheckInCodeRequest{EventId: id, ParticipantId: pid}); err != nil {
		return err
	}
	back := "/events/" + id + "#my-checkin"
	switch c.r.PostForm.Get("next") {
	case "agenda":
		back = "/events/" + id + "/agenda/" + pid
	case "agendas":
		back = "/events/" + id + "/agendas#agenda-" + pid
	}
	return c.redirect(back, "checkin_code")
}

// qrSVG draws text as a QR code (medium error correction, four modules of
// quiet zone): one path of dark modules on white, labelled for screen
// readers, printable at any size.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	n := code.Size + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="qr" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`,
		n, n, template.HTMLEscapeString(label), n, n)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // #nosec G203 -- numbers and an escaped label only
}

type checkInView struct {
	Event       *meetingsv1.Event
	Participant *meetingsv1.Participant
	Code        string
}

// checkInPage is where a participant's QR code leads: it asks before
// checking in (a link must not change anything by being opened), and says
// so when the participant has checked in already.
func (u *UI) checkInPage(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, a, err := u.oneAgenda(ctx, c)
	if err != nil {
		return err
	}
	return c.renderNamed("checkin", eventTitle(c.L, ev, "checkin.title"), checkInView{Event: ev, Participant: a.GetParticipant(), Code: c.r.URL.Query().Get("code")})
}

// eventCheckIn checks a participant in: the organiser from the list of
// participants, the participant from its QR code's page.
func (u *UI) eventCheckIn(c *call) error {
	id, pid := c.r.PathValue("id"), c.r.PathValue("pid")
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Meetings.CheckInParticipant(ctx, &meetingsv1.CheckInParticipantRequest{EventId: id, ParticipantId: pid, CheckInCode: c.r.PostForm.Get("code")})
	if err != nil {
		return c.refusedAs(err, map[string]string{"event_id": "checkin.not_yet", "participant_id": "checkin.withdrawn", "check_in_code": "checkin.wrong_code"})
	}
	back := "/events/" + id + "/participants"
	if c.r.PostForm.Get("next") == "agenda" {
		back = "/events/" + id + "/agenda/" + pid
	}
	return c.redirect(back, "checked_in")
}

type dayView struct {
	Event *meetingsv1.Event
	// Slots are the slots that have begun and have meetings, latest first.
	Slots []*meetingsv1.Slot
	Slot  *meetingsv1.Slot
	Rows  []dayRow
	// CheckedIn of Registered participants have arrived.
	CheckedIn, Registered int
}

type dayRow struct {
	Meeting *meetingsv1.Meeting
	Table   string
	Parties []dayParty
}

type dayParty struct {
	ID, Name string
	Absent   bool
}

// eventDayPage is the organiser's page for the event's day: who has
// arrived, and the meetings of one slot that has begun, where a party who
// did not come is marked (or the mark taken back).
func (u *UI) eventDayPage(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	o, err := u.organizedMeetings(ctx, c)
	if err != nil {
		return err
	}
	ev, names, tables := o.event, o.names, o.tables
	v := dayView{Event: ev}
	for _, p := range o.parts {
		if p.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			v.Registered++
			if p.GetCheckedInAt() != nil {
				v.CheckedIn++
			}
		}
	}
	now := time.Now()
	bySlot := map[string][]*meetingsv1.Meeting{}
	for _, m := range o.meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED && !now.Before(m.GetStartTime().AsTime()) {
			bySlot[m.GetSlotId()] = append(bySlot[m.GetSlotId()], m)
		}
	}
	for _, s := range ev.GetSlots() {
		if len(bySlot[s.GetId()]) > 0 {
			v.Slots = append(v.Slots, s)
		}
	}
	slices.Reverse(v.Slots)
	if len(v.Slots) > 0 {
		v.Slot = v.Slots[0]
		if want := c.r.URL.Query().Get("slot"); want != "" {
			i := slices.IndexFunc(v.Slots, func(s *meetingsv1.Slot) bool { return s.GetId() == want })
			if i < 0 {
				return status.Error(codes.NotFound, c.L.T("day.no_such_slot"))
			}
			v.Slot = v.Slots[i]
		}
	}
	for _, m := range bySlot[v.Slot.GetId()] {
		row := dayRow{Meeting: m, Table: tables[m.GetTableId()]}
		for _, id := range m.GetParticipantIds() {
			row.Parties = append(row.Parties, dayParty{ID: id, Name: cmp.Or(names[id], c.L.T("event.unnamed")), Absent: slices.Contains(m.GetNoShowParticipantIds(), id)})
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Rows, func(a, b dayRow) int { return cmp.Compare(a.Table, b.Table) })
	return c.renderNamed("event_day", eventTitle(c.L, ev, "day.title"), v)
}

// organized is an event's participants and meetings as its organiser
// reads them, with the participants' names and the tables' by id.
type organized struct {
	event         *meetingsv1.Event
	parts         []*meetingsv1.Participant
	meetings      []*meetingsv1.Meeting
	names, tables map[string]string
}

func (u *UI) organizedMeetings(ctx context.Context, c *call) (organized, error) {
	ev, parts, err := u.organizedParticipants(ctx, c)
	if err != nil {
		return organized{}, err
	}
	_, meetings, err := u.latestSchedule(ctx, ev.GetId())
	if err != nil {
		return organized{}, err
	}
	o := organized{event: ev, parts: parts, meetings: meetings, names: map[string]string{}, tables: map[string]string{}}
	for _, p := range parts {
		o.names[p.GetId()] = p.GetDisplayName()
	}
	for _, t := range ev.GetTables() {
		o.tables[t.GetId()] = cmp.Or(t.GetName(), t.GetId())
	}
	return o, nil
}

// eventNoShow marks a party of a meeting absent, or takes the mark back.
func (u *UI) eventNoShow(c *call) error {
	id, mid := c.r.PathValue("id"), c.r.PathValue("mid")
	ctx, cancel := c.ctx()
	defer cancel()
	absent := c.r.PostForm.Get("absent") == "1"
	_, err := u.opts.Meetings.MarkNoShow(ctx, &meetingsv1.MarkNoShowRequest{EventId: id, MeetingId: mid, ParticipantId: c.r.PostForm.Get("participant"), NoShow: absent})
	if err != nil {
		return c.refusedAs(err, map[string]string{"meeting_id": "day.not_started"})
	}
	done := "no_show"
	if !absent {
		done = "no_show_undone"
	}
	return c.redirect("/events/"+id+"/day?slot="+url.QueryEscape(c.r.PostForm.Get("slot"))+"#m-"+mid, done)
}

// refusedAs words a service's refusal (FailedPrecondition or
// PermissionDenied) that names one of keys' fields with the catalogue's
// message for that field, in the reader's language; other errors pass.
func (c *call) refusedAs(err error, keys map[string]string) error {
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition && st.Code() != codes.PermissionDenied {
		return err
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if key, ok := keys[fv.GetField()]; ok {
					return status.Error(st.Code(), c.L.T(key))
				}
			}
		}
	}
	return err
}

// slotLoad is one bar of the organiser's chart of meetings per slot.
type slotLoad struct {
	Slot     *meetingsv1.Slot
	Meetings int
	Tables   int
	// Pct is the share of the slot's tables in use, 0 to 100.
	Pct int
}

// slotLoads counts the meetings (confirmed, or provisional under review)
// in each slot of the event, against its tables.
func slotLoads(ev *meetingsv1.Event, meetings []*meetingsv1.Meeting) []slotLoad {
	if len(meetings) == 0 {
		return nil
	}
	n := map[string]int{}
	for _, m := range meetings {
		if m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			n[m.GetSlotId()]++
		}
	}
	tables := len(ev.GetTables())
	out := make([]slotLoad, 0, len(ev.GetSlots()))
	for _, s := range ev.GetSlots() {
		l := slotLoad{Slot: s, Meetings: n[s.GetId()], Tables: tables}
		if tables > 0 {
			l.Pct = min(100, 100*l.Meetings/tables)
		}
		out = append(out, l)
	}
	return out
}

// reportRow is one meeting of the event report.
type reportRow struct {
	M          *meetingsv1.Meeting
	Table      string
	Who1, Who2 string
	Status     string
	Absent     string
}

// reportRows are the event's meetings in time and table order, with the
// names the organiser sees.
func reportRows(o organized) []reportRow {
	slices.SortStableFunc(o.meetings, func(a, b *meetingsv1.Meeting) int {
		return cmp.Or(a.GetStartTime().AsTime().Compare(b.GetStartTime().AsTime()), cmp.Compare(o.tables[a.GetTableId()], o.tables[b.GetTableId()]))
	})
	out := make([]reportRow, len(o.meetings))
	for i, m := range o.meetings {
		who := make([]string, 2)
		for j, id := range m.GetParticipantIds() {
			if j < 2 {
				who[j] = o.names[id]
			}
		}
		var absent []string
		for _, id := range m.GetNoShowParticipantIds() {
			absent = append(absent, o.names[id])
		}
		out[i] = reportRow{M: m, Table: o.tables[m.GetTableId()], Who1: who[0], Who2: who[1],
			Status: strings.ToLower(strings.TrimPrefix(m.GetStatus().String(), "MEETING_STATUS_")), Absent: strings.Join(absent, "; ")}
	}
	return out
}

// eventReport is the organiser's CSV of the event's meetings as they
// went: when, where, who, and who did not come.
func (u *UI) eventReport(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	o, err := u.organizedMeetings(ctx, c)
	if err != nil {
		return err
	}
	rows := reportRows(o)
	header := []string{"meeting_id", "start", "end", "table", "participant_1", "participant_2", "status", "absent"}
	return c.writeCSV(o.event, "report", header, len(rows), func(i int) []string {
		r := rows[i]
		return []string{r.M.GetId(), csvTime(r.M.GetStartTime().AsTime(), r.M.GetStartTime() != nil), csvTime(r.M.GetEndTime().AsTime(), r.M.GetEndTime() != nil),
			r.Table, r.Who1, r.Who2, r.Status, r.Absent}
	})
}

// eventReportPDF is the event report as a printable PDF: the figures, the
// meetings per slot and every meeting with who did not come.
func (u *UI) eventReportPDF(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	o, err := u.organizedMeetings(ctx, c)
	if err != nil {
		return err
	}
	reqs, err := u.allRequests(ctx, o.event.GetId())
	if err != nil {
		return err
	}
	registered := slices.DeleteFunc(slices.Clone(o.parts), func(p *meetingsv1.Participant) bool {
		return p.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED
	})
	var sched *meetingsv1.Schedule
	if len(o.meetings) > 0 {
		sched = &meetingsv1.Schedule{}
	}
	f := eventFigures(registered, reqs, sched, o.meetings)
	loads := slotLoads(o.event, o.meetings)
	rows := reportRows(o)
	h := c.w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="report-`+o.event.GetId()+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	return writeReportPDF(c.w, c.L, o.event, f, loads, rows)
}
