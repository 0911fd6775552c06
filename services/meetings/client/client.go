// Package client helps programs that drive the meetings API (the tandem
// CLI, scripts): building events from compact flags and exporting agendas.
package client

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// ExportAgenda writes a participant's agenda as an iCalendar file to w (as
// in `tandem agenda export --event ID --participant ID > agenda.ics`) and
// returns the suggested file name.
func ExportAgenda(ctx context.Context, c meetingsv1.MeetingsServiceClient, eventID, participantID string, w io.Writer) (string, error) {
	res, err := c.ExportCalendar(ctx, &meetingsv1.ExportCalendarRequest{EventId: eventID, ParticipantId: participantID})
	if err != nil {
		return "", fmt.Errorf("export agenda of participant %s: %w", participantID, err)
	}
	if _, err := w.Write(res.GetContent()); err != nil {
		return "", fmt.Errorf("write agenda: %w", err)
	}
	return res.GetFilename(), nil
}

// ParseDay reads one day with its sessions, as a flag gives it:
//
//	2025-05-06=09:00-12:30,14:00-17:00
//
// Sessions are named Morning, Afternoon or Evening by their start.
func ParseDay(s string) (*meetingsv1.EventDay, error) {
	date, sessions, ok := strings.Cut(s, "=")
	if !ok {
		return nil, fmt.Errorf("day %q: want DATE=HH:MM-HH:MM[,HH:MM-HH:MM...]", s)
	}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(date))
	if err != nil {
		return nil, fmt.Errorf("day %q: %w", s, err)
	}
	day := &meetingsv1.EventDay{Date: &meetingsv1.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: int32(d.Day())}}
	for _, span := range strings.Split(sessions, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
		if !ok {
			return nil, fmt.Errorf("session %q: want HH:MM-HH:MM", span)
		}
		st, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		en, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		day.Sessions = append(day.Sessions, &meetingsv1.Session{Name: sessionName(st.GetHours()), StartTime: st, EndTime: en})
	}
	return day, nil
}

func parseClock(s string) (*meetingsv1.LocalTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return nil, fmt.Errorf("time %q: want HH:MM", s)
	}
	return &meetingsv1.LocalTime{Hours: int32(hh), Minutes: int32(mm)}, nil
}

func sessionName(hour int32) string {
	switch {
	case hour < 12:
		return "Morning"
	case hour < 18:
		return "Afternoon"
	default:
		return "Evening"
	}
}

// NumberedTables returns tables T1..Tn named "Table 1".."Table n".
func NumberedTables(n int, location string) []*meetingsv1.Table {
	out := make([]*meetingsv1.Table, n)
	for i := range out {
		out[i] = &meetingsv1.Table{Id: "T" + strconv.Itoa(i+1), Name: "Table " + strconv.Itoa(i+1), Location: location}
	}
	return out
}

// ParseStatus reads an event status as typed on a command line: draft,
// open (or registration-open), scheduling, published, closed.
func ParseStatus(s string) (meetingsv1.EventStatus, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "draft":
		return meetingsv1.EventStatus_EVENT_STATUS_DRAFT, nil
	case "open", "registration-open":
		return meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN, nil
	case "scheduling":
		return meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING, nil
	case "published":
		return meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED, nil
	case "closed":
		return meetingsv1.EventStatus_EVENT_STATUS_CLOSED, nil
	}
	return 0, fmt.Errorf("status %q: want draft, open, scheduling, published or closed", s)
}
