package client_test

import (
	"testing"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/client"
)

func TestParseDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		sessions int
		ok       bool
	}{
		{"2025-05-06=09:00-12:30,14:00-17:00", 2, true},
		{"2025-05-06=09:00-12:30", 1, true},
		{"2025-05-06", 0, false},
		{"2025-13-06=09:00-10:00", 0, false},
		{"2025-05-06=9-10", 0, false},
		{"2025-05-06=09:00-24:00", 0, false},
	}
	for _, tt := range tests {
		d, err := client.ParseDay(tt.in)
		if (err == nil) != tt.ok {
			t.Fatalf("ParseDay(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if tt.ok && (len(d.GetSessions()) != tt.sessions || d.GetDate().GetDay() != 6 || d.GetSessions()[0].GetName() != "Morning") {
			t.Fatalf("ParseDay(%q) = %v", tt.in, d)
		}
	}
}

// FuzzParseDay: command-line input never panics, and what parses is a
// well-formed day.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2025-05-06=09:00-12:30,14:00-17:00", "=", "2025-05-06=", "x=1:2-3:4", "2025-05-06=23:59-00:00,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := client.ParseDay(s)
		if err != nil {
			return
		}
		for _, se := range d.GetSessions() {
			for _, lt := range []*meetingsv1.LocalTime{se.GetStartTime(), se.GetEndTime()} {
				if lt.GetHours() < 0 || lt.GetHours() > 23 || lt.GetMinutes() < 0 || lt.GetMinutes() > 59 {
					t.Fatalf("parsed %q into %v", s, lt)
				}
			}
		}
	})
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]meetingsv1.EventStatus{
		"open": meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN, "REGISTRATION_OPEN": meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN,
		"published": meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED, "closed": meetingsv1.EventStatus_EVENT_STATUS_CLOSED,
	} {
		if got, err := client.ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %s, %v", in, got, err)
		}
	}
	if _, err := client.ParseStatus("finished"); err == nil {
		t.Error("ParseStatus(finished) succeeded")
	}
	if got := client.NumberedTables(3, "Hall A"); len(got) != 3 || got[2].GetId() != "T3" || got[2].GetName() != "Table 3" {
		t.Errorf("NumberedTables = %v", got)
	}
}
