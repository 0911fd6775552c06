// Package domain holds the rules of brokerage events: how slots follow from
// days, sessions and durations, which inputs are valid, the lifecycle, and
// who may do what. It works on the v1 API messages, which are the service's
// entities, and knows nothing of storage or transport.
package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// Limits keep one event within what the service and the scheduler handle
// comfortably.
const (
	MaxDays          = 31
	MaxSessionsADay  = 8
	MaxSlots         = 2000
	MaxTables        = 10000
	MaxNameLen       = 200
	MaxTextLen       = 5000
	MaxOrganizers    = 50
	MinMeetingLength = 5 * time.Minute
	MaxMeetingLength = 4 * time.Hour
	MaxBreakLength   = 4 * time.Hour
	MaxMessageLen    = 2000
	MaxItems         = 50
)

// tableIDPattern keeps table ids usable inside storage keys.
var tableIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// idPattern is a ULID or any other id made of key-safe characters.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidID reports whether id can name an aggregate.
func ValidID(id string) bool { return idPattern.MatchString(id) }

type violations []grpcerr.Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, grpcerr.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return grpcerr.Invalid(v...)
}

// checkText checks a one-line text: names, venues, ids.
func checkText(v *violations, field, s string, maxLen int, required bool) {
	checkString(v, field, s, maxLen, required, false)
}

// checkProse checks a text that may span lines: descriptions, messages.
func checkProse(v *violations, field, s string, maxLen int, required bool) {
	checkString(v, field, s, maxLen, required, true)
}

func checkString(v *violations, field, s string, maxLen int, required, multiline bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.add(field, "required")
	case !utf8.ValidString(s):
		v.add(field, "not valid UTF-8")
	case utf8.RuneCountInString(s) > maxLen:
		v.add(field, "longer than %d characters", maxLen)
	case strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	}):
		// Control characters break the lines of iCalendar files, e-mails
		// and logs, and mislead whoever reads them.
		v.add(field, "must not contain control characters")
	}
}

// ValidateEvent checks an event's writable settings and returns its slots.
// Days may be empty while the event is a draft.
func ValidateEvent(ev *meetingsv1.Event) ([]*meetingsv1.Slot, error) {
	var v violations
	checkText(&v, "event.name", ev.GetName(), MaxNameLen, true)
	checkProse(&v, "event.description", ev.GetDescription(), MaxTextLen, false)
	checkText(&v, "event.venue", ev.GetVenue(), MaxNameLen, false)
	var loc *time.Location
	if ev.GetTimeZone() == "" {
		v.add("event.time_zone", "required (an IANA name such as Europe/Rome)")
	} else if l, err := time.LoadLocation(ev.GetTimeZone()); err != nil || ev.GetTimeZone() == "Local" {
		v.add("event.time_zone", "unknown IANA time zone %q", ev.GetTimeZone())
	} else {
		loc = l
	}
	meeting := ev.GetMeetingDuration().AsDuration()
	brk := ev.GetBreakDuration().AsDuration()
	switch {
	case ev.GetMeetingDuration() == nil:
		v.add("event.meeting_duration", "required")
	case meeting < MinMeetingLength || meeting > MaxMeetingLength || meeting%time.Minute != 0:
		v.add("event.meeting_duration", "must be whole minutes between %s and %s", MinMeetingLength, MaxMeetingLength)
	}
	if brk < 0 || brk > MaxBreakLength || brk%time.Minute != 0 {
		v.add("event.break_duration", "must be whole minutes between 0 and %s", MaxBreakLength)
	}
	if len(ev.GetDays()) > MaxDays {
		v.add("event.days", "at most %d days", MaxDays)
	}
	var prev time.Time
	for i, d := range ev.GetDays() {
		f := fmt.Sprintf("event.days[%d]", i)
		date, ok := civilDate(d.GetDate())
		if !ok {
			v.add(f+".date", "not a calendar date")
			continue
		}
		if i > 0 && !date.After(prev) {
			v.add(f+".date", "days must be in order without repeats")
		}
		prev = date
		if len(d.GetSessions()) == 0 {
			v.add(f+".sessions", "at least one session")
		}
		if len(d.GetSessions()) > MaxSessionsADay {
			v.add(f+".sessions", "at most %d sessions a day", MaxSessionsADay)
		}
		lastEnd := -1
		for j, s := range d.GetSessions() {
			sf := fmt.Sprintf("%s.sessions[%d]", f, j)
			checkText(&v, sf+".name", s.GetName(), MaxNameLen, false)
			st, okS := minutes(s.GetStartTime())
			en, okE := minutes(s.GetEndTime())
			if !okS {
				v.add(sf+".start_time", "not a time of day")
			}
			if !okE {
				v.add(sf+".end_time", "not a time of day")
			}
			if okS && okE {
				if en <= st {
					v.add(sf+".end_time", "must be after start_time")
				}
				if st < lastEnd {
					v.add(sf+".start_time", "sessions must be in order and not overlap")
				}
				lastEnd = en
			}
		}
	}
	if len(ev.GetTables()) > MaxTables {
		v.add("event.tables", "at most %d tables", MaxTables)
	}
	seen := map[string]bool{}
	for i, t := range ev.GetTables() {
		f := fmt.Sprintf("event.tables[%d]", i)
		if !tableIDPattern.MatchString(t.GetId()) {
			v.add(f+".id", "required: 1-64 letters, digits, '-' or '_'")
		} else if seen[t.GetId()] {
			v.add(f+".id", "duplicate table id %q", t.GetId())
		}
		seen[t.GetId()] = true
		checkText(&v, f+".name", t.GetName(), MaxNameLen, false)
		checkText(&v, f+".location", t.GetLocation(), MaxNameLen, false)
	}
	checkQuestions(&v, ev.GetRegistrationQuestions())
	if ev.GetCapacity() < 0 {
		v.add("event.capacity", "must not be negative")
	}
	if ev.GetDefaultMaxMeetings() < 0 {
		v.add("event.default_max_meetings", "must not be negative")
	}
	if len(ev.GetOrganizerSubjects()) > MaxOrganizers {
		v.add("event.organizer_subjects", "at most %d organizers", MaxOrganizers)
	}
	for i, s := range ev.GetOrganizerSubjects() {
		checkText(&v, fmt.Sprintf("event.organizer_subjects[%d]", i), s, MaxNameLen, true)
	}
	if len(ev.GetClusterIds()) > MaxItems {
		v.add("event.cluster_ids", "at most %d clusters", MaxItems)
	}
	for i, c := range ev.GetClusterIds() {
		if !ValidID(c) {
			v.add(fmt.Sprintf("event.cluster_ids[%d]", i), "not an id")
		}
	}
	if o, c := ev.GetRegistrationOpensAt(), ev.GetRegistrationClosesAt(); o != nil && c != nil && !c.AsTime().After(o.AsTime()) {
		v.add("event.registration_closes_at", "must be after registration_opens_at")
	}
	switch ev.GetBookingMode() {
	case meetingsv1.BookingMode_BOOKING_MODE_UNSPECIFIED, meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES, meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING:
	default:
		v.add("event.booking_mode", "unknown booking mode")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	slots := Slots(ev.GetDays(), loc, meeting, brk)
	if len(slots) > MaxSlots {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "event.days", Description: fmt.Sprintf("the days make %d slots, at most %d allowed", len(slots), MaxSlots)})
	}
	for i, d := range ev.GetDays() {
		for j, s := range d.GetSessions() {
			st, _ := minutes(s.GetStartTime())
			en, _ := minutes(s.GetEndTime())
			if time.Duration(en-st)*time.Minute < meeting {
				return nil, grpcerr.Invalid(grpcerr.Violation{Field: fmt.Sprintf("event.days[%d].sessions[%d]", i, j), Description: "shorter than one meeting"})
			}
		}
	}
	return slots, nil
}

func civilDate(d *meetingsv1.Date) (time.Time, bool) {
	if d == nil || d.GetYear() < 2000 || d.GetYear() > 2200 || d.GetMonth() < 1 || d.GetMonth() > 12 || d.GetDay() < 1 || d.GetDay() > 31 {
		return time.Time{}, false
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return t, t.Day() == int(d.GetDay()) // 31 February rolls over
}

func minutes(t *meetingsv1.LocalTime) (int, bool) {
	if t == nil || t.GetHours() < 0 || t.GetHours() > 23 || t.GetMinutes() < 0 || t.GetMinutes() > 59 {
		return 0, false
	}
	return int(t.GetHours())*60 + int(t.GetMinutes()), true
}

// Slots derives the slots of validated days: in each session, meetings
// follow each other with a break between, and the last ends by the session's
// end. A slot's id is its local start, so a slot keeps its id (and the
// availability given for it) through edits that keep its start.
func Slots(days []*meetingsv1.EventDay, loc *time.Location, meeting, brk time.Duration) []*meetingsv1.Slot {
	var out []*meetingsv1.Slot
	if loc == nil || meeting <= 0 {
		return nil
	}
	for di, d := range days {
		y, m, dd := int(d.GetDate().GetYear()), time.Month(d.GetDate().GetMonth()), int(d.GetDate().GetDay())
		for _, s := range d.GetSessions() {
			st, _ := minutes(s.GetStartTime())
			en, _ := minutes(s.GetEndTime())
			for at := st; time.Duration(en-at)*time.Minute >= meeting; at += int((meeting + brk) / time.Minute) {
				start := time.Date(y, m, dd, at/60, at%60, 0, 0, loc)
				out = append(out, &meetingsv1.Slot{
					Id:          fmt.Sprintf("%04d%02d%02dT%02d%02d", y, m, dd, at/60, at%60),
					StartTime:   timestamp(start),
					EndTime:     timestamp(start.Add(meeting)),
					DayIndex:    int32(di),
					SessionName: s.GetName(),
				})
			}
		}
	}
	return out
}

// SlotIndex maps slot ids to positions.
func SlotIndex(slots []*meetingsv1.Slot) map[string]int {
	m := make(map[string]int, len(slots))
	for i, s := range slots {
		m[s.GetId()] = i
	}
	return m
}

// IsOrganizer reports whether subject may change ev: one of its organizers,
// or an admin.
func IsOrganizer(p Principal, ev *meetingsv1.Event) bool {
	return p.Admin || slices.Contains(ev.GetOrganizerSubjects(), p.Subject)
}

// Oversees reports whether p may read all of ev's requests and its
// schedule without changing them: its organisers, an admin, or a manager of
// a cluster hosting it (for the cluster's dashboard).
func Oversees(p Principal, ev *meetingsv1.Event) bool {
	return IsOrganizer(p, ev) || p.ClusterManager && slices.ContainsFunc(ev.GetClusterIds(), func(c string) bool { return slices.Contains(p.Clusters, c) })
}

// Principal is the caller as the domain needs it.
type Principal struct {
	Subject      string
	Organization string
	Admin        bool
	// Clusters the caller's token names, for "cluster members only" names.
	Clusters []string
	// ClusterManager: the caller manages Clusters.
	ClusterManager bool
}

// ActsFor reports whether the caller is the participant: its organisation
// registered, or the person registered.
func ActsFor(p Principal, pa *meetingsv1.Participant) bool {
	ref := pa.GetProfile()
	if id := ref.GetOrganizationId(); id != "" && id == p.Organization {
		return true
	}
	return ref.GetPersonId() != "" && ref.GetPersonId() == p.Subject
}

// Transition checks a status change made with UpdateEvent. PUBLISHED comes
// from PublishSchedule, except for self-booking events, which have no
// schedule to publish.
func Transition(ev *meetingsv1.Event, to meetingsv1.EventStatus, slotCount int) error {
	from := ev.GetStatus()
	if from == to {
		return nil
	}
	type edge struct{ from, to meetingsv1.EventStatus }
	const (
		draft      = meetingsv1.EventStatus_EVENT_STATUS_DRAFT
		open       = meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN
		scheduling = meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING
		published  = meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED
		closed     = meetingsv1.EventStatus_EVENT_STATUS_CLOSED
	)
	selfBooking := ev.GetBookingMode() == meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING
	allowed := map[edge]bool{
		{draft, open}:           true,
		{open, scheduling}:      true,
		{scheduling, open}:      true, // reopen for late registrations
		{published, closed}:     true,
		{draft, closed}:         true,
		{open, closed}:          true,
		{scheduling, closed}:    true,
		{open, published}:       selfBooking,
		{scheduling, published}: selfBooking,
	}
	if !allowed[edge{from, to}] {
		hint := ""
		if to == published {
			hint = " (publish a schedule with PublishSchedule)"
		}
		return fmt.Errorf("event %s cannot go from %s to %s%s: %w", ev.GetId(), from, to, hint, grpcerr.ErrPrecondition)
	}
	if to == open && slotCount == 0 {
		return fmt.Errorf("event %s has no slots yet: give it days, sessions and a meeting length before opening registration: %w", ev.GetId(), grpcerr.ErrPrecondition)
	}
	return nil
}

// MaxQuestions and MaxQuestionLen bound an event's registration form.
const (
	MaxQuestions   = 20
	MaxQuestionLen = 500
)

func checkQuestions(v *violations, qs []*meetingsv1.RegistrationQuestion) {
	if len(qs) > MaxQuestions {
		v.add("event.registration_questions", "at most %d questions", MaxQuestions)
	}
	seen := map[string]bool{}
	for i, q := range qs {
		f := fmt.Sprintf("event.registration_questions[%d]", i)
		if !tableIDPattern.MatchString(q.GetId()) {
			v.add(f+".id", "required: 1-64 letters, digits, '-' or '_'")
		} else if seen[q.GetId()] {
			v.add(f+".id", "duplicate question id %q", q.GetId())
		}
		seen[q.GetId()] = true
		checkText(v, f+".text", q.GetText(), MaxQuestionLen, true)
	}
}

// CheckAnswers checks registration answers against the event's questions:
// each names a question once, within MaxMessageLen; with required, every
// required question has a non-blank answer.
func CheckAnswers(ev *meetingsv1.Event, answers []*meetingsv1.RegistrationAnswer, required bool) error {
	var v violations
	known := map[string]*meetingsv1.RegistrationQuestion{}
	for _, q := range ev.GetRegistrationQuestions() {
		known[q.GetId()] = q
	}
	given := map[string]bool{}
	for i, a := range answers {
		f := fmt.Sprintf("answers[%d]", i)
		switch {
		case known[a.GetQuestionId()] == nil:
			v.add(f+".question_id", "not a question of this event")
		case given[a.GetQuestionId()]:
			v.add(f+".question_id", "answered twice")
		}
		given[a.GetQuestionId()] = strings.TrimSpace(a.GetText()) != ""
		checkProse(&v, f+".text", a.GetText(), MaxMessageLen, false)
	}
	if required {
		for _, q := range ev.GetRegistrationQuestions() {
			if q.GetRequired() && !given[q.GetId()] {
				v.add("answers", "%q needs an answer", q.GetText())
			}
		}
	}
	return v.err()
}
