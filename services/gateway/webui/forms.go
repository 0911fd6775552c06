package webui

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Form decoding: browsers send anything, so every decoder bounds sizes,
// rejects unknown enum names and reports problems per field (as message
// keys, translated when shown). Whatever passes is still validated again by
// the domain service, which has the last word.

const (
	maxText     = 10000
	maxLine     = 300
	maxRepeated = 50
)

// fieldErrs collects translation keys per form field.
type fieldErrs map[string]string

func (f fieldErrs) add(field, key string) {
	if _, ok := f[field]; !ok {
		f[field] = key
	}
}

// translate turns collected keys into a problem the templates show.
func (f fieldErrs) problem(l *Lang) *problem {
	if len(f) == 0 {
		return nil
	}
	p := &problem{Message: l.T("error.invalid"), Fields: map[string]string{}, Code: codes.InvalidArgument}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Fields[k] = l.T(f[k])
		p.FieldList = append(p.FieldList, fieldProblem{Field: k, Label: fieldLabel(l, k), Description: l.T(f[k])})
	}
	return p
}

// text returns a trimmed form value, reporting it when longer than max.
func text(v url.Values, field string, max int, errs fieldErrs) string {
	s := strings.TrimSpace(v.Get(field))
	if !utf8.ValidString(s) {
		errs.add(field, "form.bad_text")
		return ""
	}
	if utf8.RuneCountInString(s) > max {
		errs.add(field, "form.too_long")
		return string([]rune(s)[:max])
	}
	return s
}

// number parses an optional integer in [lo, hi]; empty gives def.
func number(v url.Values, field string, lo, hi, def int, errs fieldErrs) int {
	s := strings.TrimSpace(v.Get(field))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		errs.add(field, "form.bad_number")
		return def
	}
	return n
}

// enums decodes repeated enum names (e.g. "SECTOR_PHARMA") using the
// generated name->number map of the enum.
func enums[E ~int32](v url.Values, field string, names map[string]int32, errs fieldErrs) []E {
	var out []E
	for _, s := range v[field] {
		if s == "" {
			continue
		}
		n, ok := names[s]
		if !ok || n == 0 {
			errs.add(field, "form.bad_choice")
			continue
		}
		if !slices.Contains(out, E(n)) {
			out = append(out, E(n))
		}
		if len(out) > maxRepeated {
			errs.add(field, "form.too_many")
			break
		}
	}
	return out
}

// enum decodes one optional enum name; empty gives the zero value.
func enum[E ~int32](v url.Values, field string, names map[string]int32, errs fieldErrs) E {
	s := v.Get(field)
	if s == "" {
		return 0
	}
	n, ok := names[s]
	if !ok {
		errs.add(field, "form.bad_choice")
		return 0
	}
	return E(n)
}

// termChoice is a term the user picked, with the label it was shown with.
type termChoice struct{ ID, Label string }

// terms decodes chosen terms, sent as "ID|label" (the label only repeats
// what the page showed, so the result page can show it again).
func terms(v url.Values, field string, errs fieldErrs) []termChoice {
	var out []termChoice
	for _, s := range v[field] {
		id, label, _ := strings.Cut(strings.TrimSpace(s), "|")
		if id == "" {
			continue
		}
		if !validTermID(id) {
			errs.add(field, "form.bad_term")
			continue
		}
		if utf8.RuneCountInString(label) > maxLine || !utf8.ValidString(label) {
			label = id
		}
		if label == "" {
			label = id
		}
		if !slices.ContainsFunc(out, func(t termChoice) bool { return t.ID == id }) {
			out = append(out, termChoice{ID: id, Label: label})
		}
		if len(out) > maxRepeated {
			errs.add(field, "form.too_many")
			break
		}
	}
	return out
}

// validTermID accepts prefixed vocabulary ids like "EDAM:topic_0622",
// "MESH:D005796" or "LOCAL:organ-on-chip".
func validTermID(id string) bool {
	src, local, ok := strings.Cut(id, ":")
	if !ok || local == "" || len(id) > 120 {
		return false
	}
	switch src {
	case "EDAM", "MESH", "LOCAL":
	default:
		return false
	}
	for _, r := range local {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func termIDs(ts []termChoice) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// partnerQuery is the "Find partners" form: a need and filters.
type partnerQuery struct {
	Text  string
	Terms []termChoice
	// Excluded are terms read from the text that the user removed.
	Excluded        []termChoice
	Kinds           []profilesv1.OrganizationKind
	Sectors         []profilesv1.Sector
	Collab          []competenciesv1.CollaborationType
	NUTS            string
	Country         string
	MinTRL          int
	ExcludePartners bool
	Candidates      matchingv1.CandidateType
}

// decodePartnerQuery reads the form (a GET query, so results can be
// bookmarked and saved as a search).
func decodePartnerQuery(v url.Values) (partnerQuery, fieldErrs) {
	errs := fieldErrs{}
	q := partnerQuery{
		Text:            text(v, "text", 1000, errs),
		Terms:           terms(v, "term", errs),
		Excluded:        terms(v, "exclude_term", errs),
		Kinds:           enums[profilesv1.OrganizationKind](v, "kind", profilesv1.OrganizationKind_value, errs),
		Sectors:         enums[profilesv1.Sector](v, "sector", profilesv1.Sector_value, errs),
		Collab:          enums[competenciesv1.CollaborationType](v, "collab", competenciesv1.CollaborationType_value, errs),
		NUTS:            strings.ToUpper(text(v, "nuts", 5, errs)),
		Country:         strings.ToUpper(text(v, "country", 2, errs)),
		MinTRL:          number(v, "min_trl", 0, 9, 0, errs),
		ExcludePartners: v.Get("exclude_partners") == "on",
		Candidates:      enum[matchingv1.CandidateType](v, "candidates", matchingv1.CandidateType_value, errs),
	}
	// A cut-off region code would filter on the wrong region.
	if _, bad := errs["nuts"]; bad {
		q.NUTS = ""
	}
	if _, bad := errs["country"]; bad {
		q.Country = ""
	}
	if q.NUTS != "" && !isAlnum(q.NUTS) {
		errs.add("nuts", "form.bad_nuts")
		q.NUTS = ""
	}
	if q.Country != "" && (len(q.Country) != 2 || !isAlnum(q.Country)) {
		errs.add("country", "form.bad_country")
		q.Country = ""
	}
	return q, errs
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Empty reports whether nothing was asked yet.
func (q partnerQuery) Empty() bool { return q.Text == "" && len(q.Terms) == 0 }

func (q partnerQuery) need() *matchingv1.Need {
	return &matchingv1.Need{Text: q.Text, TermIds: termIDs(q.Terms), ExcludedTermIds: termIDs(q.Excluded)}
}

func (q partnerQuery) filter() *matchingv1.SuggestionFilter {
	f := &matchingv1.SuggestionFilter{
		CandidateType: q.Candidates, Kinds: q.Kinds, Sectors: q.Sectors, CollaborationTypes: q.Collab,
		ExcludeExistingPartners: q.ExcludePartners, MinTrl: int32(q.MinTRL),
	}
	if q.NUTS != "" {
		f.NutsPrefixes = []string{q.NUTS}
	}
	if q.Country != "" {
		f.CountryCodes = []string{q.Country}
	}
	return f
}

// encode writes q back as form values; decoding them gives q again.
func (q partnerQuery) encode() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("text", q.Text)
	for _, t := range q.Terms {
		v.Add("term", t.ID+"|"+t.Label)
	}
	for _, t := range q.Excluded {
		v.Add("exclude_term", t.ID+"|"+t.Label)
	}
	for _, k := range q.Kinds {
		v.Add("kind", k.String())
	}
	for _, s := range q.Sectors {
		v.Add("sector", s.String())
	}
	for _, c := range q.Collab {
		v.Add("collab", c.String())
	}
	set("nuts", q.NUTS)
	set("country", q.Country)
	if q.MinTRL > 0 {
		v.Set("min_trl", strconv.Itoa(q.MinTRL))
	}
	if q.ExcludePartners {
		v.Set("exclude_partners", "on")
	}
	if q.Candidates != 0 {
		v.Set("candidates", q.Candidates.String())
	}
	return v
}

// queryFromSearch rebuilds the form of a saved search.
func queryFromSearch(s *matchingv1.SavedSearch) partnerQuery {
	f := s.GetFilter()
	q := partnerQuery{
		Text: s.GetNeed().GetText(), Kinds: f.GetKinds(), Sectors: f.GetSectors(), Collab: f.GetCollaborationTypes(),
		MinTRL: int(f.GetMinTrl()), ExcludePartners: f.GetExcludeExistingPartners(), Candidates: f.GetCandidateType(),
	}
	for _, id := range s.GetNeed().GetTermIds() {
		q.Terms = append(q.Terms, termChoice{ID: id, Label: id})
	}
	if p := f.GetNutsPrefixes(); len(p) > 0 {
		q.NUTS = p[0]
	}
	if c := f.GetCountryCodes(); len(c) > 0 {
		q.Country = c[0]
	}
	return q
}

// Time zones offered for events; the list covers where the cluster and its
// European partners meet.
var timeZones = []string{"Europe/Rome", "Europe/Berlin", "Europe/Brussels", "Europe/Paris", "Europe/Madrid", "Europe/Vienna", "Europe/Ljubljana", "Europe/Zagreb", "Europe/London", "Europe/Lisbon", "Europe/Athens", "UTC"}

// eventDays are the rows of day inputs a new event's form shows; "Add a
// day" adds rows up to maxEventDays, the service's limit.
const (
	eventDays    = 3
	maxEventDays = 31
)

// eventForm is the organiser's event form, kept as typed for re-display.
type eventForm struct {
	Name, Description, Venue, TimeZone string
	Days                               []dayForm
	MeetingMinutes, BreakMinutes       int
	Tables, MaxMeetings                int
	// Capacity is the most participants who may register (0: no limit);
	// Closes is when registration closes, local "2006-01-02T15:04".
	Capacity    int
	Closes      string
	SelfBooking bool
	// Questions are the registration questions, one a line; a line
	// starting with "*" is a required question.
	Questions string
	// TableNames lists named tables, one a line: "Table 12, Hall B" is
	// the name and where it is. Empty means numbered tables.
	TableNames string
}

// dayForm is one day of the event form; a break (lunch, a plenary) splits
// the day into a morning and an afternoon session.
type dayForm struct{ Date, Start, End, BreakStart, BreakEnd string }

// decodeEventForm reads the event form into a draft event.
func decodeEventForm(v url.Values) (eventForm, *meetingsv1.Event, fieldErrs) {
	errs := fieldErrs{}
	f := eventForm{
		Name:           text(v, "name", 200, errs),
		Description:    text(v, "description", maxText, errs),
		Venue:          text(v, "venue", maxLine, errs),
		TimeZone:       text(v, "time_zone", 64, errs),
		MeetingMinutes: number(v, "meeting_minutes", 5, 240, 25, errs),
		BreakMinutes:   number(v, "break_minutes", 0, 120, 5, errs),
		Tables:         number(v, "tables", 1, 500, 10, errs),
		MaxMeetings:    number(v, "max_meetings", 0, 200, 0, errs),
		Capacity:       number(v, "capacity", 0, 100000, 0, errs),
		Closes:         text(v, "registration_closes_at", 20, errs),
		Questions:      text(v, "registration_questions", maxText, errs),
		SelfBooking:    v.Get("booking_mode") == "self",
		TableNames:     text(v, "table_names", maxText, errs),
	}
	if f.Name == "" {
		errs.add("name", "form.required")
	}
	if f.TimeZone == "" {
		f.TimeZone = "Europe/Rome"
	}
	if _, err := time.LoadLocation(f.TimeZone); err != nil || !slices.Contains(timeZones, f.TimeZone) {
		errs.add("time_zone", "form.bad_choice")
	}
	ev := &meetingsv1.Event{
		Name: f.Name, Description: f.Description, Venue: f.Venue, TimeZone: f.TimeZone,
		MeetingDuration:    durationpb.New(time.Duration(f.MeetingMinutes) * time.Minute),
		BreakDuration:      durationpb.New(time.Duration(f.BreakMinutes) * time.Minute),
		DefaultMaxMeetings: int32(f.MaxMeetings),
		Capacity:           int32(f.Capacity),
		BookingMode:        meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES,
	}
	if f.SelfBooking {
		ev.BookingMode = meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING
	}
	ev.RegistrationQuestions = registrationQuestions(f.Questions)
	if f.Closes != "" {
		loc, err := time.LoadLocation(f.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		if at, err := time.ParseInLocation("2006-01-02T15:04", f.Closes, loc); err == nil {
			ev.RegistrationClosesAt = timestamppb.New(at)
		} else {
			errs.add("registration_closes_at", "form.bad_date")
		}
	}
	dates, starts, ends, breakStarts, breakEnds := v["day_date"], v["day_start"], v["day_end"], v["day_break_start"], v["day_break_end"]
	f.Days = make([]dayForm, min(maxEventDays, max(eventDays, len(dates))))
	for i := range f.Days {
		at := func(xs []string) string {
			if i < len(xs) {
				return strings.TrimSpace(xs[i])
			}
			return ""
		}
		d := dayForm{Date: at(dates), Start: at(starts), End: at(ends), BreakStart: at(breakStarts), BreakEnd: at(breakEnds)}
		f.Days[i] = d
		if d.Date == "" && d.Start == "" && d.End == "" {
			continue
		}
		field := fmt.Sprintf("days[%d]", i)
		date, err := time.Parse("2006-01-02", d.Date)
		if err != nil {
			errs.add(field, "form.bad_date")
			continue
		}
		start, err1 := parseClock(d.Start)
		end, err2 := parseClock(d.End)
		if err1 != nil || err2 != nil {
			errs.add(field, "form.bad_time")
			continue
		}
		if end.GetHours()*60+end.GetMinutes() <= start.GetHours()*60+start.GetMinutes() {
			errs.add(field, "form.end_before_start")
			continue
		}
		sessions, ok := daySessions(start, end, d.BreakStart, d.BreakEnd)
		if !ok {
			errs.add(field, "form.bad_break")
			continue
		}
		ev.Days = append(ev.Days, &meetingsv1.EventDay{
			Date:     &meetingsv1.Date{Year: int32(date.Year()), Month: int32(date.Month()), Day: int32(date.Day())},
			Sessions: sessions,
		})
	}
	if len(ev.Days) == 0 {
		errs.add("days", "form.need_day")
	}
	ev.Tables = namedTables(f.TableNames, errs)
	if len(ev.Tables) == 0 {
		for i := 1; i <= f.Tables; i++ {
			ev.Tables = append(ev.Tables, &meetingsv1.Table{Id: "T" + strconv.Itoa(i), Name: "Table " + strconv.Itoa(i)})
		}
	}
	return f, ev, errs
}

// namedTables reads one table a line, "name, location"; the location is
// optional. Ids are T1, T2, … in the order given.
func namedTables(lines string, errs fieldErrs) []*meetingsv1.Table {
	var tables []*meetingsv1.Table
	seen := map[string]bool{}
	for line := range strings.Lines(lines) {
		name, where, _ := strings.Cut(strings.TrimSpace(line), ",")
		name, where = strings.TrimSpace(name), strings.TrimSpace(where)
		switch {
		case name == "" && where == "":
			continue
		case name == "" || len(name) > maxLine || len(where) > maxLine:
			errs.add("table_names", "form.bad_table")
			continue
		case seen[strings.ToLower(name)]:
			errs.add("table_names", "form.table_twice")
			continue
		}
		seen[strings.ToLower(name)] = true
		tables = append(tables, &meetingsv1.Table{Id: "T" + strconv.Itoa(len(tables)+1), Name: name, Location: where})
	}
	if len(tables) > 500 {
		errs.add("table_names", "form.too_many_tables")
	}
	return tables
}

// daySessions is one session from start to end, or two around a break
// that lies inside the day; ok is false for a break half given or outside.
func daySessions(start, end *meetingsv1.LocalTime, breakStart, breakEnd string) (_ []*meetingsv1.Session, ok bool) {
	if breakStart == "" && breakEnd == "" {
		return []*meetingsv1.Session{{Name: "Meetings", StartTime: start, EndTime: end}}, true
	}
	bs, err1 := parseClock(breakStart)
	be, err2 := parseClock(breakEnd)
	mins := func(t *meetingsv1.LocalTime) int32 { return t.GetHours()*60 + t.GetMinutes() }
	if err1 != nil || err2 != nil || mins(bs) <= mins(start) || mins(be) <= mins(bs) || mins(end) <= mins(be) {
		return nil, false
	}
	return []*meetingsv1.Session{{Name: "Morning", StartTime: start, EndTime: bs}, {Name: "Afternoon", StartTime: be, EndTime: end}}, true
}

// parseClock reads "HH:MM" as sent by <input type="time">.
func parseClock(s string) (*meetingsv1.LocalTime, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return nil, err
	}
	return &meetingsv1.LocalTime{Hours: int32(t.Hour()), Minutes: int32(t.Minute())}, nil
}

// slotIDs reads chosen availability slots, keeping only slots of the event.
func slotIDs(v url.Values, field string, valid []*meetingsv1.Slot) []string {
	known := make(map[string]bool, len(valid))
	for _, s := range valid {
		known[s.GetId()] = true
	}
	var out []string
	for _, s := range v[field] {
		if known[s] && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// eventFormOf fills the event form from an event, for editing it. A day
// shows its first session's start, its last session's end, and the gap
// after its first session as its break.
func eventFormOf(ev *meetingsv1.Event) eventForm {
	f := eventForm{
		Name: ev.GetName(), Description: ev.GetDescription(), Venue: ev.GetVenue(), TimeZone: ev.GetTimeZone(),
		MeetingMinutes: int(ev.GetMeetingDuration().AsDuration() / time.Minute), BreakMinutes: int(ev.GetBreakDuration().AsDuration() / time.Minute),
		Tables: len(ev.GetTables()), MaxMeetings: int(ev.GetDefaultMaxMeetings()), Capacity: int(ev.GetCapacity()),
		SelfBooking: ev.GetBookingMode() == meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING,
	}
	if c := ev.GetRegistrationClosesAt(); c != nil {
		loc, err := time.LoadLocation(ev.GetTimeZone())
		if err != nil {
			loc = time.UTC
		}
		f.Closes = c.AsTime().In(loc).Format("2006-01-02T15:04")
	}
	clock := func(t *meetingsv1.LocalTime) string { return fmt.Sprintf("%02d:%02d", t.GetHours(), t.GetMinutes()) }
	for _, d := range ev.GetDays() {
		ss := d.GetSessions()
		if len(ss) == 0 {
			continue
		}
		df := dayForm{
			Date:  fmt.Sprintf("%04d-%02d-%02d", d.GetDate().GetYear(), d.GetDate().GetMonth(), d.GetDate().GetDay()),
			Start: clock(ss[0].GetStartTime()), End: clock(ss[len(ss)-1].GetEndTime()),
		}
		if len(ss) > 1 {
			df.BreakStart, df.BreakEnd = clock(ss[0].GetEndTime()), clock(ss[1].GetStartTime())
		}
		f.Days = append(f.Days, df)
	}
	f.Days = append(f.Days, dayForm{})
	var lines []string
	for _, t := range ev.GetTables() {
		line := cmpOr(t.GetName(), t.GetId())
		if t.GetLocation() != "" {
			line += ", " + t.GetLocation()
		}
		lines = append(lines, line)
	}
	f.TableNames = strings.Join(lines, "\n")
	var qs []string
	for _, q := range ev.GetRegistrationQuestions() {
		qs = append(qs, map[bool]string{true: "* ", false: ""}[q.GetRequired()]+q.GetText())
	}
	f.Questions = strings.Join(qs, "\n")
	return f
}

// registrationQuestions reads one question a line, ids Q1, Q2, … in
// order; "*" before a question makes it required.
func registrationQuestions(lines string) []*meetingsv1.RegistrationQuestion {
	var qs []*meetingsv1.RegistrationQuestion
	for line := range strings.Lines(lines) {
		text, required := strings.TrimSpace(line), false
		if rest, ok := strings.CutPrefix(text, "*"); ok {
			text, required = strings.TrimSpace(rest), true
		}
		if text != "" {
			qs = append(qs, &meetingsv1.RegistrationQuestion{Id: "Q" + strconv.Itoa(len(qs)+1), Text: text, Required: required})
		}
	}
	return qs
}
