package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/durationpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

func day(y, m, d int32, sessions ...[4]int32) *meetingsv1.EventDay {
	out := &meetingsv1.EventDay{Date: &meetingsv1.Date{Year: y, Month: m, Day: d}}
	for _, s := range sessions {
		out.Sessions = append(out.Sessions, &meetingsv1.Session{Name: "S", StartTime: &meetingsv1.LocalTime{Hours: s[0], Minutes: s[1]}, EndTime: &meetingsv1.LocalTime{Hours: s[2], Minutes: s[3]}})
	}
	return out
}

func event(days ...*meetingsv1.EventDay) *meetingsv1.Event {
	return &meetingsv1.Event{
		Name: "Brokerage", TimeZone: "Europe/Rome", Days: days,
		MeetingDuration: durationpb.New(25 * time.Minute), BreakDuration: durationpb.New(5 * time.Minute),
		Tables: []*meetingsv1.Table{{Id: "T1"}, {Id: "T2"}},
	}
}

func TestSlots(t *testing.T) {
	t.Parallel()
	ev := event(
		day(2025, 3, 29, [4]int32{9, 0, 12, 30}, [4]int32{14, 0, 15, 0}),
		day(2025, 3, 31, [4]int32{9, 0, 10, 0}), // after the switch to summer time
	)
	slots, err := domain.ValidateEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	// 09:00-12:30: 7 slots (the last 12:00-12:25); 14:00-15:00: 2; 09:00-10:00: 2.
	if len(slots) != 11 {
		t.Fatalf("%d slots, want 11", len(slots))
	}
	tests := []struct {
		i     int
		id    string
		start time.Time
		day   int32
	}{
		{0, "20250329T0900", time.Date(2025, 3, 29, 8, 0, 0, 0, time.UTC), 0},
		{6, "20250329T1200", time.Date(2025, 3, 29, 11, 0, 0, 0, time.UTC), 0},
		{7, "20250329T1400", time.Date(2025, 3, 29, 13, 0, 0, 0, time.UTC), 0},
		{9, "20250331T0900", time.Date(2025, 3, 31, 7, 0, 0, 0, time.UTC), 1},
	}
	for _, tt := range tests {
		s := slots[tt.i]
		if s.GetId() != tt.id || !s.GetStartTime().AsTime().Equal(tt.start) || s.GetDayIndex() != tt.day ||
			s.GetEndTime().AsTime().Sub(s.GetStartTime().AsTime()) != 25*time.Minute {
			t.Errorf("slot %d = %v, want id %s at %v on day %d", tt.i, s, tt.id, tt.start, tt.day)
		}
	}
}

func TestValidateEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*meetingsv1.Event)
		field string // "" means valid
	}{
		{"valid", func(*meetingsv1.Event) {}, ""},
		{"draft without days", func(e *meetingsv1.Event) { e.Days = nil }, ""},
		{"no name", func(e *meetingsv1.Event) { e.Name = " " }, "event.name"},
		{"unknown zone", func(e *meetingsv1.Event) { e.TimeZone = "Europe/Atlantis" }, "event.time_zone"},
		{"Local zone", func(e *meetingsv1.Event) { e.TimeZone = "Local" }, "event.time_zone"},
		{"no meeting length", func(e *meetingsv1.Event) { e.MeetingDuration = nil }, "event.meeting_duration"},
		{"seconds", func(e *meetingsv1.Event) { e.MeetingDuration = durationpb.New(25*time.Minute + time.Second) }, "event.meeting_duration"},
		{"negative break", func(e *meetingsv1.Event) { e.BreakDuration = durationpb.New(-time.Minute) }, "event.break_duration"},
		{"31 February", func(e *meetingsv1.Event) { e.Days = []*meetingsv1.EventDay{day(2025, 2, 31, [4]int32{9, 0, 10, 0})} }, "event.days[0].date"},
		{"days out of order", func(e *meetingsv1.Event) {
			e.Days = []*meetingsv1.EventDay{day(2025, 5, 7, [4]int32{9, 0, 10, 0}), day(2025, 5, 6, [4]int32{9, 0, 10, 0})}
		}, "event.days[1].date"},
		{"end before start", func(e *meetingsv1.Event) { e.Days = []*meetingsv1.EventDay{day(2025, 5, 6, [4]int32{10, 0, 9, 0})} }, "event.days[0].sessions[0].end_time"},
		{"overlapping sessions", func(e *meetingsv1.Event) {
			e.Days = []*meetingsv1.EventDay{day(2025, 5, 6, [4]int32{9, 0, 11, 0}, [4]int32{10, 0, 12, 0})}
		}, "event.days[0].sessions[1].start_time"},
		{"session shorter than a meeting", func(e *meetingsv1.Event) { e.Days = []*meetingsv1.EventDay{day(2025, 5, 6, [4]int32{9, 0, 9, 20})} }, "event.days[0].sessions[0]"},
		{"hour 24", func(e *meetingsv1.Event) { e.Days = []*meetingsv1.EventDay{day(2025, 5, 6, [4]int32{9, 0, 24, 0})} }, "event.days[0].sessions[0].end_time"},
		{"duplicate table", func(e *meetingsv1.Event) { e.Tables = append(e.Tables, &meetingsv1.Table{Id: "T1"}) }, "event.tables[2].id"},
		{"table id with a dot", func(e *meetingsv1.Event) { e.Tables[0].Id = "T.1" }, "event.tables[0].id"},
		{"negative limit", func(e *meetingsv1.Event) { e.DefaultMaxMeetings = -1 }, "event.default_max_meetings"},
		{"control character in the name", func(e *meetingsv1.Event) { e.Name = "Bio\x1b[2JDay" }, "event.name"},
		{"line break in the name", func(e *meetingsv1.Event) { e.Name = "Bio\r\nDay" }, "event.name"},
		{"line breaks in the description", func(e *meetingsv1.Event) { e.Description = "Day one.\r\n\tDay two." }, ""},
		{"NUL in the description", func(e *meetingsv1.Event) { e.Description = "Day\x00one" }, "event.description"},
		{"control character in the venue", func(e *meetingsv1.Event) { e.Venue = "Hall\u0085B" }, "event.venue"},
		{"control character in a table name", func(e *meetingsv1.Event) { e.Tables[0].Name = "T\x07" }, "event.tables[0].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(day(2025, 5, 6, [4]int32{9, 0, 12, 0}))
			tt.edit(ev)
			_, err := domain.ValidateEvent(ev)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ValidateEvent() = %v, want valid", err)
				}
				return
			}
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateEvent() = %v, want a violation of %s", err, tt.field)
			}
			for _, v := range ve.Violations {
				if v.Field == tt.field {
					return
				}
			}
			t.Fatalf("violations %v, want one of %s", ve.Violations, tt.field)
		})
	}
}

func TestTransition(t *testing.T) {
	t.Parallel()
	const (
		draft      = meetingsv1.EventStatus_EVENT_STATUS_DRAFT
		open       = meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN
		scheduling = meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING
		published  = meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED
		closed     = meetingsv1.EventStatus_EVENT_STATUS_CLOSED
	)
	organizer := meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES
	self := meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING
	tests := []struct {
		from, to meetingsv1.EventStatus
		mode     meetingsv1.BookingMode
		slots    int
		ok       bool
	}{
		{draft, open, organizer, 4, true},
		{draft, open, organizer, 0, false},
		{open, scheduling, organizer, 4, true},
		{scheduling, open, organizer, 4, true},
		{scheduling, published, organizer, 4, false}, // PublishSchedule does it
		{scheduling, published, self, 4, true},
		{published, closed, organizer, 4, true},
		{published, scheduling, organizer, 4, false},
		{closed, open, organizer, 4, false},
		{draft, scheduling, organizer, 4, false},
		{open, open, organizer, 4, true},
	}
	for _, tt := range tests {
		err := domain.Transition(&meetingsv1.Event{Status: tt.from, BookingMode: tt.mode}, tt.to, tt.slots)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, grpcerr.ErrPrecondition)) {
			t.Errorf("%s -> %s (%s, %d slots) = %v, want ok=%v", tt.from, tt.to, tt.mode, tt.slots, err, tt.ok)
		}
	}
}

func TestRespond(t *testing.T) {
	t.Parallel()
	pendingReq := &meetingsv1.MeetingRequest{Id: "r", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING}
	acceptedReq := &meetingsv1.MeetingRequest{Id: "r", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED}
	declinedReq := &meetingsv1.MeetingRequest{Id: "r", Status: meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED}
	accept := meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT
	cancel := meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL
	noThanks := meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS
	tests := []struct {
		name                         string
		rq                           *meetingsv1.MeetingRequest
		action                       meetingsv1.MeetingRequestAction
		recipient, sender, organizer bool
		want                         meetingsv1.MeetingRequestStatus
		err                          error
	}{
		{"recipient accepts", pendingReq, accept, true, false, false, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, nil},
		{"sender cannot accept", pendingReq, accept, false, true, false, 0, grpcerr.ErrPermission},
		{"recipient says no thanks", pendingReq, noThanks, true, false, false, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS, nil},
		{"sender cancels accepted", acceptedReq, cancel, false, true, false, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED, nil},
		{"accept twice", acceptedReq, accept, true, false, false, 0, grpcerr.ErrPrecondition},
		{"declined is final", declinedReq, cancel, true, false, false, 0, grpcerr.ErrPrecondition},
		{"organizer answers", pendingReq, accept, false, false, true, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, nil},
	}
	for _, tt := range tests {
		got, err := domain.Respond(tt.rq, tt.action, tt.recipient, tt.sender, tt.organizer)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}

// FuzzValidateEvent: any settings either fail validation with field
// violations or give slots in order, inside their sessions, with unique ids.
func FuzzValidateEvent(f *testing.F) {
	f.Add("Europe/Rome", int32(2025), int32(5), int32(6), int32(9), int32(0), int32(12), int32(30), int64(25), int64(5), "T1")
	f.Add("", int32(0), int32(13), int32(32), int32(-1), int32(60), int32(24), int32(0), int64(0), int64(-5), "")
	f.Add("America/New_York", int32(2025), int32(3), int32(9), int32(1), int32(30), int32(3), int32(30), int64(5), int64(0), "a.b")
	f.Fuzz(func(t *testing.T, tz string, y, mo, d, sh, sm, eh, em int32, meet, brk int64, table string) {
		ev := &meetingsv1.Event{
			Name: "x", TimeZone: tz, Days: []*meetingsv1.EventDay{day(y, mo, d, [4]int32{sh, sm, eh, em})},
			MeetingDuration: durationpb.New(time.Duration(meet) * time.Minute), BreakDuration: durationpb.New(time.Duration(brk) * time.Minute),
			Tables: []*meetingsv1.Table{{Id: table}},
		}
		slots, err := domain.ValidateEvent(ev)
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 {
				t.Fatalf("error %v is not a field violation", err)
			}
			return
		}
		seen := map[string]bool{}
		for i, s := range slots {
			if seen[s.GetId()] || !strings.HasPrefix(s.GetId(), "20") {
				t.Fatalf("slot id %q repeated or malformed", s.GetId())
			}
			seen[s.GetId()] = true
			if i > 0 && !s.GetStartTime().AsTime().After(slots[i-1].GetStartTime().AsTime()) && tz == "UTC" {
				t.Fatalf("slots out of order")
			}
			if s.GetEndTime().AsTime().Sub(s.GetStartTime().AsTime()) != time.Duration(meet)*time.Minute {
				t.Fatalf("slot %s lasts %v", s.GetId(), s.GetEndTime().AsTime().Sub(s.GetStartTime().AsTime()))
			}
		}
	})
}

// FuzzValidateRequestMeeting: request input is accepted or refused with
// field violations, never anything else, and accepted input is usable as
// storage keys.
func FuzzValidateRequestMeeting(f *testing.F) {
	f.Add("01JEVENT", "01JFROM", "01JTO", int32(1), "Let us talk", "", int64(0))
	f.Add("", "a", "a", int32(9), strings.Repeat("x", 3000), "bad id", int64(-1))
	f.Add("e.v", "f\x00", "t", int32(0), "\xff", "c", int64(3))
	f.Fuzz(func(t *testing.T, eventID, from, to string, prio int32, msg, coop string, version int64) {
		err := domain.ValidateRequestMeeting(&meetingsv1.RequestMeetingRequest{
			EventId: eventID, FromParticipantId: from, ToParticipantId: to, Priority: meetingsv1.MeetingPriority(prio),
			Message: msg, CooperationProfileId: coop, ExpectedVersion: version,
		})
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 {
				t.Fatalf("error %v is not a field violation", err)
			}
			return
		}
		for _, id := range []string{eventID, from, to} {
			if !domain.ValidID(id) || strings.ContainsAny(id, ". *>") {
				t.Fatalf("accepted id %q cannot be a key", id)
			}
		}
		if from == to {
			t.Fatal("accepted a request to oneself")
		}
		if strings.ContainsFunc(msg, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) {
			t.Fatalf("accepted a message with control characters: %q", msg)
		}
	})
}

// FuzzValidateBooking covers BookMeeting input the same way.
func FuzzValidateBooking(f *testing.F) {
	f.Add("01JEVENT", "01JA", "01JB", "", "20250506T0930", "T1")
	f.Add("", "", "", "", "", "")
	f.Add("e", "a", "a", "r.1", "s>", "T 1")
	f.Fuzz(func(t *testing.T, eventID, participant, partner, request, slot, table string) {
		err := domain.ValidateBooking(&meetingsv1.BookMeetingRequest{
			EventId: eventID, ParticipantId: participant, PartnerParticipantId: partner, RequestId: request, SlotId: slot, TableId: table,
		})
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a field violation", err)
			}
			return
		}
		for _, id := range []string{eventID, participant, slot, table} {
			if strings.ContainsAny(id, ". *>") {
				t.Fatalf("accepted %q, which cannot be part of a key", id)
			}
		}
	})
}

func TestMessagesRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg  string
		want bool // valid
	}{
		{"Shall we meet?\nBest,\tAnna", true},
		{"Hello\x1b]8;;https://evil.example\x07there", false},
		{"Hi\x00", false},
		{"Hi\u2028there", true}, // a line separator is a format character, not a control character
	} {
		req := &meetingsv1.RequestMeetingRequest{EventId: "01JEVENT00000000000000000A", FromParticipantId: "01JFROM000000000000000000A", ToParticipantId: "01JTO00000000000000000000A", Message: tc.msg}
		err := domain.ValidateRequestMeeting(req)
		if tc.want && err != nil {
			t.Errorf("%q refused: %v", tc.msg, err)
		}
		var ve *grpcerr.ValidationError
		if !tc.want && (!errors.As(err, &ve) || ve.Violations[0].Field != "message") {
			t.Errorf("%q: %v, want a violation of message", tc.msg, err)
		}
		resp := &meetingsv1.RespondToMeetingRequestRequest{Message: tc.msg}
		err = domain.ValidateRespond(resp)
		var ve2 *grpcerr.ValidationError
		hasMsg := errors.As(err, &ve2) && slices.ContainsFunc(ve2.Violations, func(v grpcerr.Violation) bool { return v.Field == "message" })
		if hasMsg == tc.want {
			t.Errorf("respond with %q: %v", tc.msg, err)
		}
	}
}
