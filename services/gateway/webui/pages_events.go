package webui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

type eventsView struct {
	Events      []*meetingsv1.Event
	ListProblem *problem
	Form        eventForm
	TimeZones   []string
	CanCreate   bool
}

func (u *UI) eventsView(c *call, f eventForm) eventsView {
	v := eventsView{Form: f, TimeZones: timeZones, CanCreate: c.user.Is("organizer")}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Meetings.ListEvents(ctx, &meetingsv1.ListEventsRequest{PageSize: 100})
	if err != nil {
		v.ListProblem = problemFrom(c.L, err)
	}
	v.Events = res.GetEvents()
	return v
}

func (u *UI) eventsPage(c *call) error {
	f := eventForm{TimeZone: "Europe/Rome", MeetingMinutes: 25, BreakMinutes: 5, Tables: 10, Days: make([]dayForm, eventDays)}
	f.Days[0] = dayForm{Start: "09:30", End: "12:30"}
	return c.render("events", "events.title", u.eventsView(c, f), nil)
}

// requestKey makes a resent form (double click, reload) create once.
func requestKey(subject string, v map[string][]string) string {
	h := sha256.New()
	h.Write([]byte(subject))
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == csrfField {
			continue
		}
		fmt.Fprintf(h, "\x00%s=%q", k, v[k])
	}
	return "webui:" + hex.EncodeToString(h.Sum(nil)[:12])
}

func (u *UI) eventCreate(c *call) error {
	f, ev, errs := decodeEventForm(c.r.PostForm)
	if addDay(c, &f) {
		return c.render("events", "events.title", u.eventsView(c, f), nil)
	}
	if p := errs.problem(c.L); p != nil {
		return c.render("events", "events.title", u.eventsView(c, f), p)
	}
	ev.ClusterIds = c.user.Clusters
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Meetings.CreateEvent(ctx, &meetingsv1.CreateEventRequest{Event: ev, ClientRequestId: requestKey(c.user.Subject, c.r.PostForm)})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("events", "events.title", u.eventsView(c, f), problemFrom(c.L, err))
	}
	return c.redirect("/events/"+res.GetEvent().GetId(), "event_created")
}

// eventView is everything the event page shows; sections the user may not
// see, or whose service failed, stay empty with their own message.
type eventView struct {
	Event        *meetingsv1.Event
	Organizer    bool
	Participants []*meetingsv1.Participant
	Names        map[string]string
	// Links are the participants' profile pages by participant id (none
	// for a sealed profile), for the names in the requests table.
	Links       map[string]string
	Me          *meetingsv1.Participant
	CanRegister bool
	RegisterAs  []registerChoice
	Requests    []*meetingsv1.MeetingRequest
	Incoming    []*meetingsv1.MeetingRequest
	Outgoing    []*meetingsv1.MeetingRequest
	Schedule    *meetingsv1.Schedule
	Grid        *grid
	Figures     figures
	Agenda      *meetingsv1.GetAgendaResponse
	Days        []dayGroup
	Problems    []*problem
	Priorities  []meetingsv1.MeetingPriority
	Partners    []*meetingsv1.Participant
	Suggest     eventSuggestions
	// RequestTo pre-selects whom the meeting request form asks, when the
	// user came from a suggestion's "Request a meeting".
	RequestTo string
	// Asked maps a partner to the user's request to them (pending, accepted
	// or refused with "no thanks"): they are not offered for a new request,
	// as a second one would be refused. Askable are the partners left.
	Asked   map[string]*meetingsv1.MeetingRequest
	Askable []*meetingsv1.Participant
	// EditRequest is the request whose edit form opens, when the user tried
	// to ask the same partner again or came to edit it.
	EditRequest string
	// FirstParticipants and FirstRequests are the organiser's first rows;
	// the participants and requests pages list, search and export them all.
	FirstParticipants []*meetingsv1.Participant
	FirstRequests     []*meetingsv1.MeetingRequest
	// Fill sums up a schedule made by filling free slots, until published.
	Fill *fillSummary
	// Edit is the organiser's hand editing of the grid, when allowed.
	Edit *gridEdit
	// FeedURL is the private calendar address just made, shown once.
	FeedURL string
	// CheckIn is the participant's own check-in QR code, shown on the
	// event's days until it has checked in; NeedsCode offers to issue a
	// code to one registered before agendas carried one.
	CheckIn   *checkInLink
	NeedsCode bool
	// Bookable are the participant's accepted requests it can book a free
	// slot for itself (self-booking events, once registration has closed).
	Bookable []bookChoice
	// posted is the registration form sent and refused, shown again.
	posted url.Values
}

// Answer is what the registration form refused held for question id.
func (v eventView) Answer(id string) string { return v.posted.Get("answer_" + id) }

// RegisterChecked reports whether the i-th "Register as" choice, value, is
// the one ticked: the one the refused form sent, else the first.
func (v eventView) RegisterChecked(value string, i int) bool {
	if as := v.posted.Get("as"); as != "" {
		return as == value
	}
	return i == 0
}

// unplacedRow is an accepted request without a meeting, with the names of
// its two participants.
type unplacedRow struct {
	Request *meetingsv1.MeetingRequest
	Names   string
}

// unplacedRequests are the accepted requests that no meeting of the
// schedule (cancelled ones aside) holds, neither by request nor by pair.
func unplacedRequests(reqs []*meetingsv1.MeetingRequest, meetings []*meetingsv1.Meeting) []*meetingsv1.MeetingRequest {
	byReq, byPair := map[string]bool{}, map[[2]string]bool{}
	pair := func(a, b string) [2]string { return [2]string{min(a, b), max(a, b)} }
	for _, m := range meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		byReq[m.GetRequestId()] = true
		if ids := m.GetParticipantIds(); len(ids) == 2 {
			byPair[pair(ids[0], ids[1])] = true
		}
	}
	var out []*meetingsv1.MeetingRequest
	for _, r := range reqs {
		if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED && !byReq[r.GetId()] &&
			!byPair[pair(r.GetFromParticipantId(), r.GetToParticipantId())] {
			byPair[pair(r.GetFromParticipantId(), r.GetToParticipantId())] = true // the pair meets once
			out = append(out, r)
		}
	}
	return out
}

// gridEdit is what the grid needs to move, swap, lock and unlock meetings:
// the schedule version the edit form sends, the meeting being moved (by
// keyboard: "Move", then a place), and why the last edit was refused.
type gridEdit struct {
	Version int64
	Moving  *meetingsv1.Meeting
	// MovingNames names the moving meeting's participants.
	MovingNames string
	// Unplaced are the accepted requests without a meeting, which the
	// organiser places by hand in a free cell ("Place", then a place);
	// Placing is the one being placed.
	Unplaced []unplacedRow
	Placing  *unplacedRow
	// Review is true while the schedule is provisional: its meetings swap
	// and lock; published ones only move.
	Review  bool
	Problem *problem
}

// fillSummary is what "fill free slots" changed, shown before the
// organiser publishes again: meetings added (provisional until then), the
// published ones kept (fill mode never moves them), and accepted requests
// still without a slot.
type fillSummary struct{ Added, Kept, Unplaced int }

// summariseFill is nil unless the schedule under review came from filling
// free slots.
func summariseFill(s *meetingsv1.Schedule, reqs []*meetingsv1.MeetingRequest, meetings []*meetingsv1.Meeting) *fillSummary {
	if s.GetMode() != meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS || s.GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL {
		return nil
	}
	f := &fillSummary{}
	placed := map[string]bool{}
	for _, m := range meetings {
		switch m.GetStatus() {
		case meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL:
			f.Added++
		case meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED:
			f.Kept++
		default:
			continue
		}
		placed[m.GetRequestId()] = true
	}
	for _, r := range reqs {
		if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED && !placed[r.GetId()] {
			f.Unplaced++
		}
	}
	return f
}

// firstRows is how many participants and requests the event page lists.
const firstRows = 10

type registerChoice struct {
	Value, Label string
}

type dayGroup struct {
	Label string
	Slots []*meetingsv1.Slot
}

type figures struct {
	Participants, Requests, Accepted, Responded, Pending int
	AcceptanceRate                                       float64
	HasSchedule                                          bool
	Placed, UpperBound, Without                          int
	MeanMeetings                                         float64
	// CheckedIn participants arrived at the event; NoShows counts the
	// parties of meetings marked as not having come.
	CheckedIn, NoShows int
	// Load is the number of meetings in each slot, for the organiser's chart.
	Load []slotLoad
}

type grid struct {
	Tables []*meetingsv1.Table
	Rows   []gridRow
	// Page is the window of tables shown: a grid of hundreds of tables
	// shows gridTables at a time, with links to the others.
	Page gridPage
	// Conflicts counts cells where a participant would be in two places;
	// the schedule service never produces one, and the grid shows it if it did.
	Conflicts int
}

type gridRow struct {
	Slot  *meetingsv1.Slot
	Cells []gridCell
	// Why says why, while a meeting is moved or placed, no cell of the
	// row is offered for it.
	Why string
}

type gridCell struct {
	Meeting *meetingsv1.Meeting
	Names   []string
	IDs     []string
	// Who names the meeting's participants, for labels.
	Who      string
	Conflict bool
	// Slot and Table place the cell, for moves into it.
	Slot  *meetingsv1.Slot
	Table *meetingsv1.Table
	// Offer is true for a free cell that would take the meeting being
	// moved or placed.
	Offer bool
	// DropRows are the rows the cell's meeting may be dropped in (see
	// grid.dropRows), when the grid is edited.
	DropRows string
}

func (u *UI) loadEvent(ctx context.Context, id string) (*meetingsv1.Event, error) {
	res, err := u.opts.Meetings.GetEvent(ctx, &meetingsv1.GetEventRequest{Id: id})
	if err != nil {
		return nil, err
	}
	return res.GetEvent(), nil
}

func (c *call) organizes(ev *meetingsv1.Event) bool {
	return c.user.Has("admin") || slices.Contains(ev.GetOrganizerSubjects(), c.user.Subject)
}

// myProfiles are the profiles the user may register or act as.
func (c *call) myProfiles() []*profilesv1.ProfileRef {
	var refs []*profilesv1.ProfileRef
	if c.user.Organization != "" {
		refs = append(refs, &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: c.user.Organization}})
	}
	if id := c.personID(); id != "" {
		refs = append(refs, &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}})
	}
	return refs
}

func sameProfile(a, b *profilesv1.ProfileRef) bool {
	return a.GetOrganizationId() != "" && a.GetOrganizationId() == b.GetOrganizationId() ||
		a.GetPersonId() != "" && a.GetPersonId() == b.GetPersonId()
}

func (u *UI) eventPage(c *call) error { return u.showEvent(c, nil) }

// showEvent renders the event page; editProblem, when set, is why the
// organiser's last edit of the grid was refused, shown above the grid.
func (u *UI) showEvent(c *call, editProblem *problem) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := eventView{Event: ev, Organizer: c.organizes(ev), Names: map[string]string{}, Priorities: []meetingsv1.MeetingPriority{meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT, meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST}}
	v.FeedURL = c.feedURL
	if c.problem != nil {
		v.posted = c.r.PostForm
	}
	v.Days = groupSlots(c.L, ev)
	note := func(err error) {
		if err != nil && status.Code(err) != codes.NotFound {
			v.Problems = append(v.Problems, problemFrom(c.L, err))
		}
	}
	parts, err := u.allParticipants(ctx, ev.GetId())
	note(err)
	v.Participants = parts
	c.nameParticipants(v.Participants)
	unnamed(c.L, v.Participants)
	mine := c.myProfiles()
	for _, p := range v.Participants {
		v.Names[p.GetId()] = p.GetDisplayName()
		for _, ref := range mine {
			if sameProfile(p.GetProfile(), ref) {
				v.Me = p
			}
		}
	}
	if v.Me == nil && ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN && len(mine) > 0 {
		v.CanRegister = true
		for _, ref := range mine {
			if ref.GetOrganizationId() != "" {
				v.RegisterAs = append(v.RegisterAs, registerChoice{Value: "org", Label: c.L.T("events.as_org")})
			} else {
				v.RegisterAs = append(v.RegisterAs, registerChoice{Value: "person", Label: c.L.T("events.as_person")})
			}
		}
	}
	if v.Organizer {
		reqs, err := u.allRequests(ctx, ev.GetId())
		note(err)
		v.Requests = reqs
		sched, meetings, err := u.latestSchedule(ctx, ev.GetId())
		note(err)
		if sched != nil {
			v.Schedule = sched
			v.Grid = buildGrid(ev, meetings)
			v.Grid.name(c.L, v.Names)
			v.Grid.window(ev.GetId(), c.r.URL.Query().Get("move"), c.r.URL.Query().Get("place"), gridStart(c))
		}
		v.Figures = eventFigures(v.Participants, v.Requests, v.Schedule, meetings)
		v.Figures.Load = slotLoads(ev, meetings)
		v.Fill = summariseFill(sched, v.Requests, meetings)
		v.Edit = gridEditOf(c, ev, sched, meetings, v.Requests, v.Names, editProblem)
		v.Grid.offer(c.L, ev, v.Edit, v.Participants, meetings, v.Names)
		v.Grid.dropRows(c.L, ev, v.Edit, v.Participants, meetings)
		// The event page shows the first rows; the lists have them all.
		v.FirstParticipants = v.Participants[:min(len(v.Participants), firstRows)]
		v.FirstRequests = v.Requests[:min(len(v.Requests), firstRows)]
		v.Links = profileLinks(v.Participants)
	}
	if v.Me != nil {
		for _, p := range v.Participants {
			if p.GetId() != v.Me.GetId() {
				v.Partners = append(v.Partners, p)
			}
		}
		reqs, err := u.opts.Meetings.ListMeetingRequests(ctx, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId(), ParticipantId: v.Me.GetId(), PageSize: 1000})
		note(err)
		for _, r := range reqs.GetMeetingRequests() {
			if r.GetToParticipantId() == v.Me.GetId() {
				v.Incoming = append(v.Incoming, r)
			} else {
				v.Outgoing = append(v.Outgoing, r)
			}
		}
		v.Asked = askedPartners(v.Outgoing)
		for _, p := range v.Partners {
			if v.Asked[p.GetId()] == nil {
				v.Askable = append(v.Askable, p)
			}
		}
		agenda, err := u.opts.Meetings.GetAgenda(ctx, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: v.Me.GetId()})
		note(err)
		c.nameAgendas(agenda)
		unnamedAgendas(c.L, agenda)
		v.Agenda = agenda
		v.Bookable = bookable(c.L, ev, v.Me, v.Participants, append(slices.Clone(v.Incoming), v.Outgoing...), agenda, time.Now())
		if onEventDays(ev, time.Now()) && agenda != nil {
			v.NeedsCode = needsCheckInCode(agenda.GetParticipant())
			if v.CheckIn, err = c.checkInLinkOf(ev, agenda.GetParticipant()); err != nil {
				return err
			}
		}
		q := c.r.URL.Query()
		to := q.Get("to")
		for _, p := range v.Askable {
			if p.GetId() == to {
				v.RequestTo = to
			}
		}
		if r := v.Asked[to]; r != nil {
			v.EditRequest = r.GetId()
		}
		for _, r := range v.Outgoing {
			if r.GetId() == q.Get("edit") {
				v.EditRequest = r.GetId()
			}
		}
	}
	if err := u.eventSuggest(c, &v); err != nil {
		return err
	}
	if editProblem != nil {
		return c.renderNamedStatus(httpStatus(editProblem.Code), "event", eventTitle(c.L, ev, ""), v)
	}
	return c.renderNamed("event", eventTitle(c.L, ev, ""), v)
}

// gridEditOf allows hand edits of a schedule while the event is being
// scheduled or is published (not once closed).
func gridEditOf(c *call, ev *meetingsv1.Event, sched *meetingsv1.Schedule, meetings []*meetingsv1.Meeting, reqs []*meetingsv1.MeetingRequest, names map[string]string, prob *problem) *gridEdit {
	switch {
	case sched == nil:
		return nil
	case ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING && ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED:
		return nil
	}
	ed := &gridEdit{Problem: prob, Review: sched.GetStatus() == meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL}
	if ed.Review {
		ed.Version = sched.GetVersion()
	}
	moving, placing := c.r.URL.Query().Get("move"), c.r.URL.Query().Get("place")
	if c.r.Method == http.MethodPost {
		moving, placing = c.r.PostForm.Get("meeting"), c.r.PostForm.Get("place")
	}
	who := func(ids ...string) string {
		var ns []string
		for _, id := range ids {
			ns = append(ns, cmpOr(names[id], c.L.T("event.unnamed")))
		}
		return strings.Join(ns, " – ")
	}
	for _, r := range unplacedRequests(reqs, meetings) {
		row := unplacedRow{Request: r, Names: who(r.GetFromParticipantId(), r.GetToParticipantId())}
		ed.Unplaced = append(ed.Unplaced, row)
		if r.GetId() == placing && moving == "" {
			ed.Placing = &row
		}
	}
	for _, m := range meetings {
		if m.GetId() == moving && m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			ed.Moving = m
			var ns []string
			for _, id := range m.GetParticipantIds() {
				ns = append(ns, cmpOr(names[id], c.L.T("event.unnamed")))
			}
			ed.MovingNames = strings.Join(ns, " – ")
		}
	}
	return ed
}

// profileLinks are the participants' profile pages by participant id.
func profileLinks(parts []*meetingsv1.Participant) map[string]string {
	links := make(map[string]string, len(parts))
	for _, p := range parts {
		if href := profileHref(p.GetProfile()); href != "" {
			links[p.GetId()] = href
		}
	}
	return links
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// eventEditSchedule moves, swaps, locks or unlocks a meeting of the grid:
// the form's "to" (slot/table) moves "meeting" there, "swap" exchanges it
// with another meeting, "lock" and "unlock" name the meeting they change.
// A refusal shows the event page again with the reason above the grid.
func (u *UI) eventEditSchedule(c *call) error {
	id := c.r.PathValue("id")
	f := c.r.PostForm
	errs := fieldErrs{}
	version := int64(number(f, "version", 0, 1<<30, 0, errs))
	mid := text(f, "meeting", 40, errs)
	to, swap := text(f, "to", 140, errs), text(f, "swap", 40, errs)
	lock, unlock := text(f, "lock", 40, errs), text(f, "unlock", 40, errs)
	placing := text(f, "place", 40, errs)
	if len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "schedule edit form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	var err error
	done := ""
	slot, table, cut := strings.Cut(to, "/")
	if to != "" && !cut {
		return status.Error(codes.InvalidArgument, "schedule edit form: to")
	}
	switch {
	case lock != "" || unlock != "":
		_, err = u.opts.Meetings.SetMeetingLock(ctx, &meetingsv1.SetMeetingLockRequest{EventId: id, MeetingId: lock + unlock, Locked: lock != "", ExpectedScheduleVersion: version})
		done = map[bool]string{true: "locked", false: "unlocked"}[lock != ""]
	case mid != "" && swap != "":
		_, err = u.opts.Meetings.SwapMeetings(ctx, &meetingsv1.SwapMeetingsRequest{EventId: id, MeetingId: mid, OtherMeetingId: swap, ExpectedScheduleVersion: version})
		done = "swapped"
	case placing != "" && to != "":
		_, err = u.opts.Meetings.PlaceRequest(ctx, &meetingsv1.PlaceRequestRequest{EventId: id, RequestId: placing, SlotId: slot, TableId: table, ExpectedScheduleVersion: version})
		done = "placed"
	case mid != "" && to != "":
		_, err = u.opts.Meetings.MoveMeeting(ctx, &meetingsv1.MoveMeetingRequest{EventId: id, MeetingId: mid, SlotId: slot, TableId: table, ExpectedScheduleVersion: version})
		done = "moved"
	default:
		return c.redirect("/events/"+id+"#schedule-grid", "")
	}
	switch status.Code(err) {
	case codes.OK:
		return c.redirect("/events/"+id+"?tables="+strconv.Itoa(gridStart(c))+"#schedule-grid", done)
	case codes.InvalidArgument, codes.FailedPrecondition, codes.Aborted, codes.NotFound:
		p := problemFrom(c.L, err)
		p.Message = c.L.T("event.edit_refused")
		if st, ok := status.FromError(err); ok {
			p.Detail = violationText(c.L, st.Message())
		}
		if status.Code(err) == codes.Aborted {
			p.Detail = c.L.T("event.edit_stale")
		}
		return u.showEvent(c, p)
	}
	return err
}

// askedPartners maps each partner to the user's request that stops a new
// one: pending or accepted (edit that one instead), or refused with "no
// thanks" (not to be asked again).
func askedPartners(outgoing []*meetingsv1.MeetingRequest) map[string]*meetingsv1.MeetingRequest {
	asked := map[string]*meetingsv1.MeetingRequest{}
	for _, r := range outgoing {
		switch r.GetStatus() {
		case meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED,
			meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS:
			asked[r.GetToParticipantId()] = r
		}
	}
	return asked
}

// eventTitle is the heading and tab title of an event's pages: the event's
// name, after the page's own title when it has one ("Agenda · Name").
func eventTitle(l *Lang, ev *meetingsv1.Event, page string) string {
	name := strings.TrimSpace(ev.GetName())
	if name == "" {
		name = l.T("event.title")
	}
	if page == "" {
		return name
	}
	return l.T(page) + " · " + name
}

// groupSlots groups an event's slots by day for the availability form.
func groupSlots(l *Lang, ev *meetingsv1.Event) []dayGroup {
	var days []dayGroup
	last := int32(-1)
	for _, s := range ev.GetSlots() {
		if s.GetDayIndex() != last || len(days) == 0 {
			days = append(days, dayGroup{Label: l.Day(s.GetStartTime(), ev.GetTimeZone())})
			last = s.GetDayIndex()
		}
		days[len(days)-1].Slots = append(days[len(days)-1].Slots, s)
	}
	return days
}

// buildGrid lays meetings out as slots x tables. Two meetings can never
// share a cell (one table, one slot); a participant seen twice in one slot
// marks both cells as a conflict.
func buildGrid(ev *meetingsv1.Event, meetings []*meetingsv1.Meeting) *grid {
	g := &grid{Tables: ev.GetTables()}
	col := map[string]int{}
	for i, t := range g.Tables {
		col[t.GetId()] = i
	}
	row := map[string]int{}
	for i, s := range ev.GetSlots() {
		row[s.GetId()] = i
		g.Rows = append(g.Rows, gridRow{Slot: s, Cells: make([]gridCell, len(g.Tables))})
		for ci, t := range g.Tables {
			g.Rows[i].Cells[ci].Slot, g.Rows[i].Cells[ci].Table = s, t
		}
	}
	seen := map[string]map[string]*gridCell{} // slot -> participant -> cell
	for _, m := range meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		r, ok1 := row[m.GetSlotId()]
		ci, ok2 := col[m.GetTableId()]
		if !ok1 || !ok2 {
			continue
		}
		cell := &g.Rows[r].Cells[ci]
		cell.Meeting, cell.IDs = m, m.GetParticipantIds()
		if seen[m.GetSlotId()] == nil {
			seen[m.GetSlotId()] = map[string]*gridCell{}
		}
		for _, p := range m.GetParticipantIds() {
			if other, dup := seen[m.GetSlotId()][p]; dup {
				if !other.Conflict {
					g.Conflicts++
				}
				other.Conflict, cell.Conflict = true, true
				g.Conflicts++
			}
			seen[m.GetSlotId()][p] = cell
		}
	}
	return g
}

// gridTables is how many tables (columns) of the grid a page shows: with
// the slots (rows) of a day or two, that is a few thousand cells at most,
// whatever the number of tables.
const gridTables = 20

// gridPage says which tables a page of the grid shows, 1-based, and links
// to the pages before and after.
type gridPage struct {
	From, To, Total int
	Start           int
	Prev, Next      string
}

// gridStart is the first table (0-based) the request asks to see.
func gridStart(c *call) int {
	v := c.r.URL.Query().Get("tables")
	if c.r.Method == http.MethodPost {
		v = c.r.PostForm.Get("tables")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// window keeps gridTables tables from start, and the cells under them.
func (g *grid) window(eventID, moving, placing string, start int) {
	total := len(g.Tables)
	start = min(start, max(0, total-1)) / gridTables * gridTables
	end := min(total, start+gridTables)
	href := func(at int) string {
		q := url.Values{"tables": {strconv.Itoa(at)}}
		if moving != "" {
			q.Set("move", moving)
		}
		if placing != "" {
			q.Set("place", placing)
		}
		return "/events/" + eventID + "?" + q.Encode() + "#schedule-grid"
	}
	g.Page = gridPage{From: start + 1, To: end, Total: total, Start: start}
	if start > 0 {
		g.Page.Prev = href(start - gridTables)
	}
	if end < total {
		g.Page.Next = href(end)
	}
	g.Tables = g.Tables[start:end]
	for i := range g.Rows {
		g.Rows[i].Cells = g.Rows[i].Cells[start:end]
	}
}

// name fills each meeting cell's Who from names.
func (g *grid) name(l *Lang, names map[string]string) {
	for r := range g.Rows {
		for i := range g.Rows[r].Cells {
			cell := &g.Rows[r].Cells[i]
			var ns []string
			for _, id := range cell.IDs {
				ns = append(ns, cmpOr(names[id], l.T("event.unnamed")))
			}
			cell.Who = strings.Join(ns, " – ")
		}
	}
}

// eventFigures sums up an event for its organiser from its participants,
// requests and meetings as they are now. Without counts the registered
// participants who have no meeting in the schedule, whether or not anyone
// asked to meet them (the scheduler's own figure counts only those with an
// accepted request).
func eventFigures(participants []*meetingsv1.Participant, reqs []*meetingsv1.MeetingRequest, s *meetingsv1.Schedule, meetings []*meetingsv1.Meeting) figures {
	f := figures{Participants: len(participants)}
	for _, p := range participants {
		if p.GetCheckedInAt() != nil && p.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
			f.CheckedIn++
		}
	}
	for _, m := range meetings {
		if m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			f.NoShows += len(m.GetNoShowParticipantIds())
		}
	}
	for _, r := range reqs {
		if r.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED {
			f.Requests++ // a cancelled request is no longer asked
		}
		switch r.GetStatus() {
		case meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED:
			f.Accepted++
			f.Responded++
		case meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS:
			f.Responded++
		case meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING:
			f.Pending++
		}
	}
	if f.Responded > 0 {
		f.AcceptanceRate = float64(f.Accepted) / float64(f.Responded)
	}
	if s != nil {
		f.HasSchedule = true
		f.UpperBound = int(s.GetStats().GetUpperBound())
		// Placed and the mean are counted from the meetings as they are,
		// as the scheduler counts them (the mean over the participants
		// with an accepted request or a meeting), so moves, placements and
		// cancellations after publication show at once.
		registered := map[string]bool{}
		for _, p := range participants {
			registered[p.GetId()] = true
		}
		met := map[string]int{}
		involved := map[string]bool{}
		for _, r := range reqs {
			if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED && registered[r.GetFromParticipantId()] && registered[r.GetToParticipantId()] {
				involved[r.GetFromParticipantId()], involved[r.GetToParticipantId()] = true, true
			}
		}
		for _, m := range meetings {
			if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
				continue
			}
			f.Placed++
			for _, id := range m.GetParticipantIds() {
				met[id]++
				involved[id] = involved[id] || registered[id]
			}
		}
		total := 0
		for id := range involved {
			total += met[id]
		}
		if len(involved) > 0 {
			f.MeanMeetings = float64(total) / float64(len(involved))
		}
		// The bound is the solver's when it ran; meetings placed by hand
		// since show that more were possible.
		f.UpperBound = max(f.UpperBound, f.Placed)
		for _, p := range participants {
			if met[p.GetId()] == 0 {
				f.Without++
			}
		}
	}
	return f
}

// back returns to the event page after a form, or shows the error there.
func (c *call) backToEvent(id string, err error, done string) error {
	if err != nil {
		return err
	}
	return c.redirect("/events/"+id, done)
}

func (u *UI) eventStatus(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	st := enum[meetingsv1.EventStatus](c.r.PostForm, "status", meetingsv1.EventStatus_value, errs)
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	if st == 0 || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "status form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if st == meetingsv1.EventStatus_EVENT_STATUS_CLOSED && !c.confirmed() {
		ev, err := u.loadEvent(ctx, id)
		if err != nil {
			return err
		}
		return c.askFirst(eventTitle(c.L, ev, "confirm.title"), "/events/"+id, confirmView{Question: "confirm.close_event", Consequence: "confirm.close_event_then", Yes: "action.close_event"})
	}
	_, err := u.opts.Meetings.UpdateEvent(ctx, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: id, Status: st}, ExpectedVersion: int64(version),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	return c.backToEvent(id, err, "status")
}

func (u *UI) eventGenerate(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	mode := meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL
	if c.r.PostForm.Get("mode") == "fill" {
		mode = meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS
	}
	if len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "schedule form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if mode == meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL && c.r.PostForm.Get("after") != "" && !c.confirmed() {
		q, err := u.generateQuestion(ctx, c, id)
		if err != nil {
			return err
		}
		if q != nil {
			return q()
		}
	}
	// The form names the schedule the organiser saw ("after"), so a run
	// after hand edits is a new run, while a resent form is the same one.
	_, err := u.opts.Meetings.GenerateSchedule(ctx, &meetingsv1.GenerateScheduleRequest{
		EventId: id, Mode: mode, ExpectedEventVersion: int64(version), ClientRequestId: requestKey(c.user.Subject, c.r.PostForm),
	})
	return c.backToEvent(id, err, "generated")
}

// generateQuestion asks before a new run replaces a schedule under review
// whose meetings are not all locked: the locked ones stay, the others are
// planned afresh and may move or go. It is nil when nothing would be lost.
func (u *UI) generateQuestion(ctx context.Context, c *call, id string) (func() error, error) {
	sched, meetings, err := u.latestSchedule(ctx, id)
	if err != nil || sched.GetStatus() != meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL {
		return nil, nil // no schedule under review: the run itself says what is wrong
	}
	locked, afresh := 0, 0
	for _, m := range meetings {
		if m.GetStatus() != meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL {
			continue
		}
		if m.GetLocked() {
			locked++
		} else {
			afresh++
		}
	}
	if afresh == 0 {
		return nil, nil
	}
	ev, err := u.loadEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	return func() error {
		return c.askFirst(eventTitle(c.L, ev, "confirm.title"), "/events/"+id+"#schedule-grid", confirmView{
			Question: "confirm.generate_again", Consequence: "confirm.generate_again_then", Yes: "action.generate_again",
			Detail: c.L.T("confirm.generate_again_counts", afresh, locked),
		})
	}, nil
}

func (u *UI) eventPublish(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	sid := text(c.r.PostForm, "schedule_id", 40, errs)
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	if sid == "" || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "publish form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Meetings.PublishSchedule(ctx, &meetingsv1.PublishScheduleRequest{EventId: id, ScheduleId: sid, ExpectedVersion: int64(version)})
	return c.backToEvent(id, err, "published_schedule")
}

func (u *UI) eventRegister(c *call) error {
	id := c.r.PathValue("id")
	var ref *profilesv1.ProfileRef
	for _, r := range c.myProfiles() {
		if (c.r.PostForm.Get("as") == "person") == (r.GetPersonId() != "") {
			ref = r
		}
	}
	if ref == nil {
		return status.Error(codes.FailedPrecondition, "no profile to register")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, id)
	if err != nil {
		return err
	}
	// The answers go as written; the service says which is missing.
	var answers []*meetingsv1.RegistrationAnswer
	var blank []*meetingsv1.RegistrationQuestion // required and left blank
	for _, q := range ev.GetRegistrationQuestions() {
		if a := strings.TrimSpace(c.r.PostForm.Get("answer_" + q.GetId())); a != "" {
			answers = append(answers, &meetingsv1.RegistrationAnswer{QuestionId: q.GetId(), Text: a})
		} else if q.GetRequired() {
			blank = append(blank, q)
		}
	}
	_, err = u.opts.Meetings.RegisterParticipant(ctx, &meetingsv1.RegisterParticipantRequest{EventId: id, Profile: ref, Answers: answers, ClientRequestId: requestKey(c.user.Subject, c.r.PostForm) + id})
	if status.Code(err) == codes.InvalidArgument {
		// The event page shows the form again, as filled in, with each
		// error linked to and shown at its question.
		c.problem = answerProblems(problemFrom(c.L, err), ev, answers, blank)
		return u.showEvent(c, nil)
	}
	return c.backToEvent(id, err, "registered")
}

// answerField is a violation of one registration answer sent.
var answerField = regexp.MustCompile(`^answers\[(\d+)\]`)

// answerProblems ties the service's violations of registration answers to
// the questions' controls on the event page: "answers[i]..." is the i-th
// answer sent, each "answers" (a required answer missing) the next
// required question left blank, in the order of the questions.
func answerProblems(p *problem, ev *meetingsv1.Event, sent []*meetingsv1.RegistrationAnswer, blank []*meetingsv1.RegistrationQuestion) *problem {
	questions := map[string]*meetingsv1.RegistrationQuestion{}
	for _, q := range ev.GetRegistrationQuestions() {
		questions[q.GetId()] = q
	}
	p.Fields = map[string]string{}
	for i := range p.FieldList {
		f := &p.FieldList[i]
		var q *meetingsv1.RegistrationQuestion
		if f.Field == "answers" && len(blank) > 0 {
			q, blank = blank[0], blank[1:]
		} else if m := answerField.FindStringSubmatch(f.Field); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n < len(sent) {
				q = questions[sent[n].GetQuestionId()]
			}
		}
		if q == nil {
			continue
		}
		f.To, f.Label = "answer-"+q.GetId(), q.GetText()
		if _, dup := p.Fields[f.To]; !dup {
			p.Fields[f.To] = f.Description
		}
	}
	return p
}

func (u *UI) eventAvailability(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	pid := text(c.r.PostForm, "participant", 40, errs)
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	maxMeetings := number(c.r.PostForm, "max_meetings", 0, 200, 0, errs)
	if pid == "" || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "availability form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, id)
	if err != nil {
		return err
	}
	slots := slotIDs(c.r.PostForm, "slot", ev.GetSlots())
	if len(slots) == 0 {
		return c.redirect("/events/"+id, "no_slots")
	}
	if len(slots) == len(ev.GetSlots()) {
		slots = nil // every slot
	}
	_, err = u.opts.Meetings.SetAvailability(ctx, &meetingsv1.SetAvailabilityRequest{EventId: id, ParticipantId: pid, AvailableSlotIds: slots, MaxMeetings: int32(maxMeetings), ExpectedVersion: int64(version)})
	return c.backToEvent(id, err, "availability")
}

func (u *UI) eventRequest(c *call) error {
	id := c.r.PathValue("id")
	errs := fieldErrs{}
	from := text(c.r.PostForm, "from", 40, errs)
	to := text(c.r.PostForm, "to", 40, errs)
	msg := text(c.r.PostForm, "message", 2000, errs)
	prio := enum[meetingsv1.MeetingPriority](c.r.PostForm, "priority", meetingsv1.MeetingPriority_value, errs)
	if from == "" || to == "" || len(errs) > 0 {
		return c.redirect("/events/"+id, "pick_partner")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Meetings.RequestMeeting(ctx, &meetingsv1.RequestMeetingRequest{EventId: id, FromParticipantId: from, ToParticipantId: to, Priority: prio, Message: msg, ClientRequestId: requestKey(c.user.Subject, c.r.PostForm) + id})
	if status.Code(err) == codes.AlreadyExists {
		// The first request is kept as it is; the page opens its edit form.
		return c.redirect("/events/"+id+"?to="+url.QueryEscape(to)+"#outgoing", "already_asked")
	}
	return c.backToEvent(id, err, "requested")
}

// eventEditRequest edits the sender's pending request.
func (u *UI) eventEditRequest(c *call) error {
	id, rid := c.r.PathValue("id"), c.r.PathValue("rid")
	errs := fieldErrs{}
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	msg := text(c.r.PostForm, "message", 2000, errs)
	prio := enum[meetingsv1.MeetingPriority](c.r.PostForm, "priority", meetingsv1.MeetingPriority_value, errs)
	if len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "edit request form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Meetings.UpdateMeetingRequest(ctx, &meetingsv1.UpdateMeetingRequestRequest{RequestId: rid, Priority: prio, Message: msg, ExpectedVersion: int64(version)})
	return c.backToEvent(id, err, "request_edited")
}

func (u *UI) eventRespond(c *call) error {
	id, rid := c.r.PathValue("id"), c.r.PathValue("rid")
	errs := fieldErrs{}
	action := enum[meetingsv1.MeetingRequestAction](c.r.PostForm, "action", meetingsv1.MeetingRequestAction_value, errs)
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	msg := text(c.r.PostForm, "message", 2000, errs)
	if action == 0 || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "answer form")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if q, ok := answerQuestions[action]; ok && !c.confirmed() {
		ev, err := u.loadEvent(ctx, id)
		if err != nil {
			return err
		}
		if action == meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL && c.r.PostForm.Get("what") == "meeting" {
			q.Question, q.Yes = "confirm.cancel_meeting", "action.cancel_meeting"
		}
		return c.askFirst(eventTitle(c.L, ev, "confirm.title"), "/events/"+id, q)
	}
	_, err := u.opts.Meetings.RespondToMeetingRequest(ctx, &meetingsv1.RespondToMeetingRequestRequest{RequestId: rid, Action: action, Message: msg, ExpectedVersion: int64(version)})
	if action == meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL {
		return c.backToEvent(id, err, "cancelled")
	}
	return c.backToEvent(id, err, "answered")
}

// answerQuestions are the answers that cannot be taken back, and what the
// confirmation page says about each.
var answerQuestions = map[meetingsv1.MeetingRequestAction]confirmView{
	meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL:    {Question: "confirm.cancel_request", Consequence: "confirm.cancel_request_then", Yes: "action.cancel_request"},
	meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE:   {Question: "confirm.decline", Consequence: "confirm.decline_then", Yes: "action.decline"},
	meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS: {Question: "confirm.no_thanks", Consequence: "confirm.no_thanks_then", Yes: "action.no_thanks"},
}

type agendaView struct {
	Event   *meetingsv1.Event
	Agendas []*meetingsv1.GetAgendaResponse
	// CheckIns are the check-in links printed on agendas, by participant.
	CheckIns map[string]checkInLink
	// NeedsCode are the participants registered before agendas carried a
	// check-in code, offered one; Next is the page to come back to.
	NeedsCode map[string]bool
	Next      string
}

// oneAgenda loads the event and the agenda of participant {pid} of the
// path, under the names the user may see.
func (u *UI) oneAgenda(ctx context.Context, c *call) (*meetingsv1.Event, *meetingsv1.GetAgendaResponse, error) {
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	a, err := u.opts.Meetings.GetAgenda(ctx, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: c.r.PathValue("pid")})
	if err != nil {
		return nil, nil, err
	}
	c.nameAgendas(a)
	unnamedAgendas(c.L, a)
	return ev, a, nil
}

func (u *UI) agendaPage(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, a, err := u.oneAgenda(ctx, c)
	if err != nil {
		return err
	}
	v := agendaView{Event: ev, Agendas: []*meetingsv1.GetAgendaResponse{a}, Next: "agenda"}
	if v.CheckIns, err = c.checkInLinks(ev, v.Agendas); err != nil {
		return err
	}
	v.NeedsCode = needCodes(v.Agendas)
	return c.renderNamed("agenda", eventTitle(c.L, ev, "agenda.title"), v)
}

// agendasPage is every participant's agenda on one printable page, for the
// organiser's desk.
func (u *UI) agendasPage(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	parts, err := u.allParticipants(ctx, ev.GetId())
	if err != nil {
		return err
	}
	v := agendaView{Event: ev, Next: "agendas"}
	for _, p := range parts {
		a, err := u.opts.Meetings.GetAgenda(ctx, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: p.GetId()})
		if err != nil {
			return err
		}
		v.Agendas = append(v.Agendas, a)
	}
	c.nameAgendas(v.Agendas...)
	unnamedAgendas(c.L, v.Agendas...)
	if v.CheckIns, err = c.checkInLinks(ev, v.Agendas); err != nil {
		return err
	}
	v.NeedsCode = needCodes(v.Agendas)
	return c.renderNamed("agenda", eventTitle(c.L, ev, "agenda.title_all"), v)
}

func (u *UI) calendarFile(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Meetings.ExportCalendar(ctx, &meetingsv1.ExportCalendarRequest{EventId: c.r.PathValue("id"), ParticipantId: c.r.PathValue("pid")})
	if err != nil {
		return err
	}
	return c.writeCalendar(res)
}

// writeCalendar answers with an exported calendar as a file.
func (c *call) writeCalendar(res *meetingsv1.ExportCalendarResponse) error {
	name := path.Base(res.GetFilename())
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, "\"\r\n;") {
		name = "agenda.ics"
	}
	ct := res.GetContentType()
	if !strings.HasPrefix(ct, "text/calendar") {
		ct = "text/calendar; charset=utf-8"
	}
	h := c.w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	_, err := c.w.Write(res.GetContent())
	return err
}

// nameParticipants replaces the meetings service's stand-in names with the
// profiles' names the user may see.
func (c *call) nameParticipants(ps []*meetingsv1.Participant) {
	refs := make([]*profilesv1.ProfileRef, len(ps))
	for i, p := range ps {
		refs[i] = p.GetProfile()
	}
	names := c.names(refs)
	for _, p := range ps {
		if n := names[profileKey(p.GetProfile())]; n != "" {
			p.DisplayName = n
		}
	}
}

func (c *call) nameAgendas(as ...*meetingsv1.GetAgendaResponse) {
	var refs []*profilesv1.ProfileRef
	for _, a := range as {
		refs = append(refs, a.GetParticipant().GetProfile())
		for _, it := range a.GetItems() {
			refs = append(refs, it.GetPartnerProfile())
		}
	}
	names := c.names(refs)
	for _, a := range as {
		if p := a.GetParticipant(); p != nil {
			if n := names[profileKey(p.GetProfile())]; n != "" {
				p.DisplayName = n
			}
		}
		for _, it := range a.GetItems() {
			if n := names[profileKey(it.GetPartnerProfile())]; n != "" {
				it.PartnerDisplayName = n
			}
		}
	}
}

// unnamed gives participants without a name a label, so no row, button or
// link on the event pages is blank.
func unnamed(l *Lang, ps []*meetingsv1.Participant) {
	for _, p := range ps {
		if p != nil && strings.TrimSpace(p.GetDisplayName()) == "" {
			p.DisplayName = l.T("event.unnamed")
		}
	}
}

// unnamedAgendas is unnamed for agendas: their participant and partners.
func unnamedAgendas(l *Lang, as ...*meetingsv1.GetAgendaResponse) {
	for _, a := range as {
		unnamed(l, []*meetingsv1.Participant{a.GetParticipant()})
		for _, it := range a.GetItems() {
			if strings.TrimSpace(it.GetPartnerDisplayName()) == "" {
				it.PartnerDisplayName = l.T("event.unnamed")
			}
		}
	}
}
