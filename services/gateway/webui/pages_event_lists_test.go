package webui

import (
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

func TestParticipantRows(t *testing.T) {
	part := func(id, name string) *meetingsv1.Participant {
		return &meetingsv1.Participant{Id: id, DisplayName: name}
	}
	gone := part("e", "Epsilon Withdrawn")
	gone.Status = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
	parts := []*meetingsv1.Participant{part("a", "Alpha Bio"), part("b", "beta Labs"), part("c", "Gamma Clinic"), part("d", "Delta"), gone}
	accepted, pending := meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING
	reqs := []*meetingsv1.MeetingRequest{
		{FromParticipantId: "a", ToParticipantId: "b", Status: accepted},
		{FromParticipantId: "a", ToParticipantId: "c", Status: pending},
		{FromParticipantId: "c", ToParticipantId: "b", Status: accepted},
		// Cancelled requests are not counted, neither is the withdrawn
		// participant's, cancelled by its withdrawal.
		{FromParticipantId: "d", ToParticipantId: "a", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED},
		{FromParticipantId: "e", ToParticipantId: "b", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED},
	}
	meetings := []*meetingsv1.Meeting{
		{ParticipantIds: []string{"a", "b"}, Status: meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED},
		{ParticipantIds: []string{"c", "b"}, Status: meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED},
	}
	ids := func(rows []participantRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%s:%d/%d/%d/%d", r.P.GetId(), r.Sent, r.Received, r.Accepted, r.Meets))
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		q    url.Values
		want string
	}{
		{"by name, ignoring case, the withdrawn too", url.Values{}, "a:2/0/1/1 b:0/2/2/1 d:0/0/0/0 e:0/0/0/0 c:1/1/1/0"},
		{"search", url.Values{"q": {"LA"}}, "b:0/2/2/1"},
		{"taking part", url.Values{"show": {"registered"}}, "a:2/0/1/1 b:0/2/2/1 d:0/0/0/0 c:1/1/1/0"},
		{"withdrawn", url.Values{"show": {"withdrawn"}}, "e:0/0/0/0"},
		{"without meetings counts a cancelled one as none", url.Values{"show": {"without_meetings"}}, "d:0/0/0/0 c:1/1/1/0"},
		{"no requests, a cancelled one not counted", url.Values{"show": {"no_requests"}}, "d:0/0/0/0"},
		{"fewest meetings first", url.Values{"sort": {"fewest_meetings"}, "show": {"registered"}}, "d:0/0/0/0 c:1/1/1/0 a:2/0/1/1 b:0/2/2/1"},
		{"most requests first", url.Values{"sort": {"most_requests"}, "show": {"registered"}}, "a:2/0/1/1 b:0/2/2/1 c:1/1/1/0 d:0/0/0/0"},
		{"unknown choices fall back", url.Values{"show": {"x"}, "sort": {"y"}}, "a:2/0/1/1 b:0/2/2/1 d:0/0/0/0 e:0/0/0/0 c:1/1/1/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lq := readListQuery(tt.q, participantShows, participantSorts)
			if got := ids(participantRows(parts, reqs, meetings, lq)); got != tt.want {
				t.Errorf("rows = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRequestRows(t *testing.T) {
	at := func(m int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, 5, 6, 9, m, 0, 0, time.UTC))
	}
	reqs := []*meetingsv1.MeetingRequest{
		{Id: "r1", FromParticipantId: "a", ToParticipantId: "b", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, CreatedAt: at(1)},
		{Id: "r2", FromParticipantId: "b", ToParticipantId: "c", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS, CreatedAt: at(3)},
		{Id: "r3", FromParticipantId: "c", ToParticipantId: "a", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, CreatedAt: at(2)},
	}
	names := map[string]string{"a": "Zeta", "b": "Mu", "c": "Alpha"}
	name := func(id string) string { return names[id] }
	tests := []struct {
		q    url.Values
		want []string
	}{
		{url.Values{}, []string{"r2", "r3", "r1"}},
		{url.Values{"sort": {"oldest"}}, []string{"r1", "r3", "r2"}},
		{url.Values{"sort": {"from"}}, []string{"r3", "r2", "r1"}},
		{url.Values{"sort": {"to"}}, []string{"r2", "r1", "r3"}},
		{url.Values{"show": {"pending"}}, []string{"r3", "r1"}},
		{url.Values{"show": {"no_thanks"}}, []string{"r2"}},
		{url.Values{"q": {"zet"}}, []string{"r3", "r1"}},
	}
	for _, tt := range tests {
		t.Run(tt.q.Encode(), func(t *testing.T) {
			var got []string
			for _, r := range requestRows(reqs, name, readListQuery(tt.q, requestShows, requestSorts)) {
				got = append(got, r.GetId())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("requests = %v, want %v", got, tt.want)
			}
		})
	}
	if reqs[0].GetId() != "r1" || len(reqs) != 3 {
		t.Error("requestRows changed its input")
	}
}

func TestPaginate(t *testing.T) {
	rows := make([]int, 2*listPageSize+3)
	for i := range rows {
		rows[i] = i
	}
	lq := readListQuery(url.Values{"q": {"bio"}, "page": {"2"}}, participantShows, participantSorts)
	page, p := paginate(rows, lq, "/events/e/participants")
	if len(page) != listPageSize || page[0] != listPageSize || p.From != listPageSize+1 || p.To != 2*listPageSize || p.Total != len(rows) || p.Pages != 3 {
		t.Errorf("page 2 = %v, %+v", page, p)
	}
	if p.Prev != "/events/e/participants?q=bio" || p.Next != "/events/e/participants?page=3&q=bio" {
		t.Errorf("links %q, %q: the search is kept, page 1 has no number", p.Prev, p.Next)
	}
	if p.CSV != "/events/e/participants?format=csv&q=bio" {
		t.Errorf("CSV link %q: every row, with the same search", p.CSV)
	}
	lq.Page = 99
	if page, p := paginate(rows, lq, "/x"); len(page) != 3 || p.Page != 3 || p.Next != "" {
		t.Errorf("a page past the end shows the last: %v, %+v", page, p)
	}
	if page, p := paginate([]int{}, lq, "/x"); len(page) != 0 || p.Pages != 1 || p.From != 0 {
		t.Errorf("no rows: %v, %+v", page, p)
	}
}

func TestCSVQuotesFormulas(t *testing.T) {
	w := httptest.NewRecorder()
	c := &call{w: w}
	cells := [][]string{{"1", "=HYPERLINK(\"x\")", "Alpha, Beta", "+39", "@sum", "-2", "plain"}}
	if err := c.writeCSV(&meetingsv1.Event{Id: "e1"}, "participants", []string{"a", "b", "c", "d", "e", "f", "g"}, 1, func(i int) []string { return cells[i] }); err != nil {
		t.Fatal(err)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="participants-e1.csv"` {
		t.Errorf("disposition %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1", "'=HYPERLINK(\"x\")", "Alpha, Beta", "'+39", "'@sum", "'-2", "plain"}
	if len(recs) != 2 || !slices.Equal(recs[1], want) {
		t.Errorf("rows = %q, want %q", recs, want)
	}
}

func TestSummariseFill(t *testing.T) {
	fill := &meetingsv1.Schedule{Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS, Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL}
	accepted := meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED
	reqs := []*meetingsv1.MeetingRequest{{Id: "r1", Status: accepted}, {Id: "r2", Status: accepted}, {Id: "r3", Status: accepted}, {Id: "r4", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING}}
	meetings := []*meetingsv1.Meeting{
		{RequestId: "r1", Status: meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED},
		{RequestId: "r2", Status: meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL},
		{RequestId: "r3", Status: meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED},
	}
	if got := summariseFill(fill, reqs, meetings); got == nil || *got != (fillSummary{Added: 1, Kept: 1, Unplaced: 1}) {
		t.Errorf("fill summary = %+v, want 1 added, 1 kept, 1 unplaced", got)
	}
	full := &meetingsv1.Schedule{Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL, Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PROVISIONAL}
	published := &meetingsv1.Schedule{Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS, Status: meetingsv1.ScheduleStatus_SCHEDULE_STATUS_PUBLISHED}
	for _, s := range []*meetingsv1.Schedule{nil, full, published} {
		if got := summariseFill(s, reqs, meetings); got != nil {
			t.Errorf("a %v schedule has a fill summary %+v", s, got)
		}
	}
}

func TestNamedTables(t *testing.T) {
	errs := fieldErrs{}
	got := namedTables("Table 12, Hall B\n\n  Room Galilei  \nStand 4, Hall C, upstairs\r\n", errs)
	want := []string{"T1 Table 12 @ Hall B", "T2 Room Galilei @ ", "T3 Stand 4 @ Hall C, upstairs"}
	var have []string
	for _, tb := range got {
		have = append(have, tb.GetId()+" "+tb.GetName()+" @ "+tb.GetLocation())
	}
	if !slices.Equal(have, want) || len(errs) != 0 {
		t.Errorf("tables = %q (errors %v), want %q", have, errs, want)
	}
	for _, bad := range []string{", Hall B", "A\na"} {
		errs := fieldErrs{}
		namedTables(bad, errs)
		if errs["table_names"] == "" {
			t.Errorf("%q is accepted", bad)
		}
	}
}

func TestDaySessions(t *testing.T) {
	at := func(h, m int32) *meetingsv1.LocalTime { return &meetingsv1.LocalTime{Hours: h, Minutes: m} }
	one, ok := daySessions(at(9, 0), at(17, 0), "", "")
	if !ok || len(one) != 1 {
		t.Errorf("no break = %v, %v; want one session", one, ok)
	}
	two, ok := daySessions(at(9, 0), at(17, 0), "12:30", "14:00")
	if !ok || len(two) != 2 || two[0].GetEndTime().GetHours() != 12 || two[0].GetEndTime().GetMinutes() != 30 || two[1].GetStartTime().GetHours() != 14 {
		t.Errorf("a lunch break = %v, %v; want 09:00–12:30 and 14:00–17:00", two, ok)
	}
	for _, b := range [][2]string{{"12:30", ""}, {"", "14:00"}, {"08:00", "10:00"}, {"16:00", "17:00"}, {"14:00", "12:30"}, {"noon", "14:00"}} {
		if s, ok := daySessions(at(9, 0), at(17, 0), b[0], b[1]); ok {
			t.Errorf("break %v accepted as %v", b, s)
		}
	}
}
