package webui

import (
	"cmp"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// The organiser's lists of an event's participants and requests are
// searched, filtered, sorted and paged here in the gateway, as names come
// from the profiles the user may see, which the meetings service does not
// hold. The CSV export takes the same choices and has every row.

// listPageSize is how many rows a list page shows.
const listPageSize = 25

// allPages reads every page of a paged list.
func allPages[T any](next func(token string) ([]T, string, error)) ([]T, error) {
	var out []T
	token := ""
	for {
		items, tok, err := next(token)
		out = append(out, items...)
		if err != nil || tok == "" {
			return out, err
		}
		token = tok
	}
}

func (u *UI) allParticipants(ctx context.Context, eventID string, statuses ...meetingsv1.ParticipantStatus) ([]*meetingsv1.Participant, error) {
	return allPages(func(token string) ([]*meetingsv1.Participant, string, error) {
		res, err := u.opts.Meetings.ListParticipants(ctx, &meetingsv1.ListParticipantsRequest{EventId: eventID, PageSize: 1000, PageToken: token, Statuses: statuses})
		return res.GetParticipants(), res.GetNextPageToken(), err
	})
}

func (u *UI) allRequests(ctx context.Context, eventID string) ([]*meetingsv1.MeetingRequest, error) {
	return allPages(func(token string) ([]*meetingsv1.MeetingRequest, string, error) {
		res, err := u.opts.Meetings.ListMeetingRequests(ctx, &meetingsv1.ListMeetingRequestsRequest{EventId: eventID, PageSize: 1000, PageToken: token})
		return res.GetMeetingRequests(), res.GetNextPageToken(), err
	})
}

// latestSchedule reads the event's latest schedule with all its meetings;
// nil when there is none yet.
func (u *UI) latestSchedule(ctx context.Context, eventID string) (*meetingsv1.Schedule, []*meetingsv1.Meeting, error) {
	var s *meetingsv1.Schedule
	meetings, err := allPages(func(token string) ([]*meetingsv1.Meeting, string, error) {
		res, err := u.opts.Meetings.GetSchedule(ctx, &meetingsv1.GetScheduleRequest{EventId: eventID, PageSize: 5000, PageToken: token})
		s = cmp.Or(s, res.GetSchedule())
		return res.GetMeetings(), res.GetNextPageToken(), err
	})
	if status.Code(err) == codes.NotFound {
		return nil, nil, nil
	}
	return s, meetings, err
}

// listQuery is what the user chose for a list: a search, a filter, an order
// and a page. The first of a list's filters and orders is its default.
type listQuery struct {
	Q, Show, Sort string
	Page          int
	defShow       string
	defSort       string
}

func readListQuery(q url.Values, shows, sorts []string) listQuery {
	lq := listQuery{Q: strings.TrimSpace(q.Get("q")), Show: q.Get("show"), Sort: q.Get("sort"), defShow: shows[0], defSort: sorts[0]}
	if !slices.Contains(shows, lq.Show) {
		lq.Show = shows[0]
	}
	if !slices.Contains(sorts, lq.Sort) {
		lq.Sort = sorts[0]
	}
	lq.Page, _ = strconv.Atoi(q.Get("page"))
	lq.Page = max(lq.Page, 1)
	return lq
}

// matches reports whether one of the names holds the search, ignoring case.
func (lq listQuery) matches(names ...string) bool {
	if lq.Q == "" {
		return true
	}
	q := strings.ToLower(lq.Q)
	return slices.ContainsFunc(names, func(n string) bool { return strings.Contains(strings.ToLower(n), q) })
}

// href is the list's address for another page, or for the export of every
// row (key "format"), with the same search, filter and order. Defaults are
// left out.
func (lq listQuery) href(base, key, value string) string {
	v := url.Values{}
	if lq.Q != "" {
		v.Set("q", lq.Q)
	}
	if lq.Show != lq.defShow {
		v.Set("show", lq.Show)
	}
	if lq.Sort != lq.defSort {
		v.Set("sort", lq.Sort)
	}
	if key != "page" || value != "1" {
		v.Set(key, value)
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// pager is one page of a list and the links around it.
type pager struct {
	Total, From, To, Page, Pages int
	Prev, Next, CSV              string
}

func paginate[T any](rows []T, lq listQuery, base string) ([]T, pager) {
	p := pager{Total: len(rows), Pages: max(1, (len(rows)+listPageSize-1)/listPageSize)}
	p.Page = min(lq.Page, p.Pages)
	lo, hi := (p.Page-1)*listPageSize, min(p.Page*listPageSize, len(rows))
	if lo < hi {
		p.From, p.To = lo+1, hi
	}
	if p.Page > 1 {
		p.Prev = lq.href(base, "page", strconv.Itoa(p.Page-1))
	}
	if p.Page < p.Pages {
		p.Next = lq.href(base, "page", strconv.Itoa(p.Page+1))
	}
	p.CSV = lq.href(base, "format", "csv")
	return rows[lo:hi], p
}

// participantRow is a participant with what they sent, received and got.
type participantRow struct {
	P                               *meetingsv1.Participant
	Sent, Received, Accepted, Meets int
	// NoShows counts the meetings an organiser marked it absent from.
	NoShows int
}

var (
	participantShows = []string{"all", "registered", "without_meetings", "no_requests", "checked_in", "not_checked_in", "withdrawn"}
	participantSorts = []string{"name", "fewest_meetings", "most_requests"}
	requestShows     = []string{"all", "pending", "accepted", "declined", "no_thanks", "cancelled"}
	requestSorts     = []string{"newest", "oldest", "from", "to"}
)

type eventListView struct {
	Event  *meetingsv1.Event
	Query  listQuery
	Shows  []string
	Sorts  []string
	Pager  pager
	Base   string
	People []participantRow
	Reqs   []*meetingsv1.MeetingRequest
	Names  map[string]string
	Links  map[string]string // profile pages by participant id
}

// organizedParticipants loads an event for its organiser's lists, with its
// participants under the names the user may see, the withdrawn ones too;
// others are told the page is not theirs.
func (u *UI) organizedParticipants(ctx context.Context, c *call) (*meetingsv1.Event, []*meetingsv1.Participant, error) {
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	if !c.organizes(ev) {
		return nil, nil, status.Error(codes.PermissionDenied, c.L.T("event.organizers_only"))
	}
	parts, err := u.allParticipants(ctx, ev.GetId(), meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED, meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN)
	if err != nil {
		return nil, nil, err
	}
	c.nameParticipants(parts)
	unnamed(c.L, parts)
	return ev, parts, nil
}

// eventParticipants is the organiser's list of participants.
func (u *UI) eventParticipants(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, parts, err := u.organizedParticipants(ctx, c)
	if err != nil {
		return err
	}
	reqs, err := u.allRequests(ctx, ev.GetId())
	if err != nil {
		return err
	}
	_, meetings, err := u.latestSchedule(ctx, ev.GetId())
	if err != nil {
		return err
	}
	lq := readListQuery(c.r.URL.Query(), participantShows, participantSorts)
	rows := participantRows(parts, reqs, meetings, lq)
	if c.r.URL.Query().Get("format") == "csv" {
		header := []string{"participant_id", "name", "kind", "available_slots", "requests_sent", "requests_received", "requests_accepted", "meetings", "status", "checked_in_at", "no_shows"}
		for _, q := range ev.GetRegistrationQuestions() {
			header = append(header, q.GetText())
		}
		return c.writeCSV(ev, "participants", header, len(rows), func(i int) []string {
			r := rows[i]
			kind, avail := "organization", "all"
			if r.P.GetProfile().GetPersonId() != "" {
				kind = "person"
			}
			if n := len(r.P.GetAvailableSlotIds()); n > 0 {
				avail = strconv.Itoa(n)
			}
			st := strings.ToLower(strings.TrimPrefix(r.P.GetStatus().String(), "PARTICIPANT_STATUS_"))
			return append([]string{r.P.GetId(), r.P.GetDisplayName(), kind, avail, strconv.Itoa(r.Sent), strconv.Itoa(r.Received), strconv.Itoa(r.Accepted), strconv.Itoa(r.Meets), st,
				csvTime(r.P.GetCheckedInAt().AsTime(), r.P.GetCheckedInAt() != nil), strconv.Itoa(r.NoShows)},
				answerCells(ev, r.P)...)
		})
	}
	base := "/events/" + ev.GetId() + "/participants"
	v := eventListView{Event: ev, Query: lq, Shows: participantShows, Sorts: participantSorts, Base: base}
	v.People, v.Pager = paginate(rows, lq, base)
	return c.renderNamed("event_participants", eventTitle(c.L, ev, "event.participants"), v)
}

// participantRows counts each participant's requests and meetings, then
// searches, filters and sorts.
func participantRows(parts []*meetingsv1.Participant, reqs []*meetingsv1.MeetingRequest, meetings []*meetingsv1.Meeting, lq listQuery) []participantRow {
	idx := make(map[string]int, len(parts))
	rows := make([]participantRow, len(parts))
	for i, p := range parts {
		idx[p.GetId()], rows[i].P = i, p
	}
	count := func(id string, f func(*participantRow)) {
		if i, ok := idx[id]; ok {
			f(&rows[i])
		}
	}
	for _, r := range reqs {
		if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED {
			continue // withdrawn by a party, the organiser or a withdrawal: no longer asked
		}
		count(r.GetFromParticipantId(), func(row *participantRow) { row.Sent++ })
		count(r.GetToParticipantId(), func(row *participantRow) { row.Received++ })
		if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED {
			count(r.GetFromParticipantId(), func(row *participantRow) { row.Accepted++ })
			count(r.GetToParticipantId(), func(row *participantRow) { row.Accepted++ })
		}
	}
	for _, m := range meetings {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		for _, id := range m.GetParticipantIds() {
			count(id, func(row *participantRow) { row.Meets++ })
		}
		for _, id := range m.GetNoShowParticipantIds() {
			count(id, func(row *participantRow) { row.NoShows++ })
		}
	}
	rows = slices.DeleteFunc(rows, func(r participantRow) bool {
		gone := r.P.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
		switch {
		case !lq.matches(r.P.GetDisplayName()):
			return true
		case lq.Show == "withdrawn":
			return !gone
		case lq.Show == "all":
			return false
		case gone:
			return true // the other choices are about who takes part
		case lq.Show == "without_meetings":
			return r.Meets > 0
		case lq.Show == "no_requests":
			return r.Sent+r.Received > 0
		case lq.Show == "checked_in":
			return r.P.GetCheckedInAt() == nil
		case lq.Show == "not_checked_in":
			return r.P.GetCheckedInAt() != nil
		}
		return false
	})
	byName := func(a, b participantRow) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.P.GetDisplayName()), strings.ToLower(b.P.GetDisplayName())), strings.Compare(a.P.GetId(), b.P.GetId()))
	}
	slices.SortStableFunc(rows, func(a, b participantRow) int {
		switch lq.Sort {
		case "fewest_meetings":
			return cmp.Or(cmp.Compare(a.Meets, b.Meets), byName(a, b))
		case "most_requests":
			return cmp.Or(cmp.Compare(b.Sent+b.Received, a.Sent+a.Received), byName(a, b))
		}
		return byName(a, b)
	})
	return rows
}

// eventRequests is the organiser's list of meeting requests.
func (u *UI) eventRequests(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, parts, err := u.organizedParticipants(ctx, c)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(parts))
	for _, p := range parts {
		names[p.GetId()] = p.GetDisplayName()
	}
	name := func(id string) string { return cmp.Or(names[id], c.L.T("event.unnamed")) }
	reqs, err := u.allRequests(ctx, ev.GetId())
	if err != nil {
		return err
	}
	lq := readListQuery(c.r.URL.Query(), requestShows, requestSorts)
	reqs = requestRows(reqs, name, lq)
	if c.r.URL.Query().Get("format") == "csv" {
		return c.writeCSV(ev, "requests", []string{"request_id", "from_participant_id", "from", "to_participant_id", "to", "priority", "status", "mutual", "message", "created_at", "responded_at"}, len(reqs), func(i int) []string {
			r := reqs[i]
			return []string{r.GetId(), r.GetFromParticipantId(), name(r.GetFromParticipantId()), r.GetToParticipantId(), name(r.GetToParticipantId()),
				strings.TrimPrefix(r.GetPriority().String(), "MEETING_PRIORITY_"), strings.TrimPrefix(r.GetStatus().String(), "MEETING_REQUEST_STATUS_"),
				strconv.FormatBool(r.GetMutual()), r.GetMessage(), csvTime(r.GetCreatedAt().AsTime(), r.GetCreatedAt() != nil), csvTime(r.GetRespondedAt().AsTime(), r.GetRespondedAt() != nil)}
		})
	}
	base := "/events/" + ev.GetId() + "/requests"
	v := eventListView{Event: ev, Query: lq, Shows: requestShows, Sorts: requestSorts, Base: base, Names: names, Links: profileLinks(parts)}
	v.Reqs, v.Pager = paginate(reqs, lq, base)
	return c.renderNamed("event_requests", eventTitle(c.L, ev, "event.requests"), v)
}

// requestRows searches (either party's name), filters by status and sorts.
func requestRows(reqs []*meetingsv1.MeetingRequest, name func(string) string, lq listQuery) []*meetingsv1.MeetingRequest {
	reqs = slices.DeleteFunc(slices.Clone(reqs), func(r *meetingsv1.MeetingRequest) bool {
		if lq.Show != "all" && r.GetStatus().String() != "MEETING_REQUEST_STATUS_"+strings.ToUpper(lq.Show) {
			return true
		}
		return !lq.matches(name(r.GetFromParticipantId()), name(r.GetToParticipantId()))
	})
	created := func(r *meetingsv1.MeetingRequest) int64 { return r.GetCreatedAt().AsTime().UnixNano() }
	slices.SortStableFunc(reqs, func(a, b *meetingsv1.MeetingRequest) int {
		switch lq.Sort {
		case "oldest":
			return cmp.Or(cmp.Compare(created(a), created(b)), strings.Compare(a.GetId(), b.GetId()))
		case "from":
			return cmp.Or(strings.Compare(strings.ToLower(name(a.GetFromParticipantId())), strings.ToLower(name(b.GetFromParticipantId()))), cmp.Compare(created(b), created(a)))
		case "to":
			return cmp.Or(strings.Compare(strings.ToLower(name(a.GetToParticipantId())), strings.ToLower(name(b.GetToParticipantId()))), cmp.Compare(created(b), created(a)))
		}
		return cmp.Or(cmp.Compare(created(b), created(a)), strings.Compare(b.GetId(), a.GetId()))
	})
	return reqs
}

func csvTime(t time.Time, set bool) string {
	if !set {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeCSV sends a list as a CSV download. A cell that a spreadsheet would
// read as a formula is quoted with a leading apostrophe.
func (c *call) writeCSV(ev *meetingsv1.Event, what string, header []string, n int, row func(int) []string) error {
	return c.writeCSVFile(what+"-"+ev.GetId()+".csv", header, n, row)
}

// writeCSVFile is writeCSV under any file name.
func (c *call) writeCSVFile(name string, header []string, n int, row func(int) []string) error {
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.w)
	if err := w.Write(header); err != nil {
		return err
	}
	for i := range n {
		cells := row(i)
		for j, cell := range cells {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				cells[j] = "'" + cell
			}
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// answerCells are a participant's answers in the order of the event's
// registration questions, blank where none was given.
func answerCells(ev *meetingsv1.Event, p *meetingsv1.Participant) []string {
	out := make([]string, len(ev.GetRegistrationQuestions()))
	for i, q := range ev.GetRegistrationQuestions() {
		for _, a := range p.GetAnswers() {
			if a.GetQuestionId() == q.GetId() {
				out[i] = a.GetText()
			}
		}
	}
	return out
}
