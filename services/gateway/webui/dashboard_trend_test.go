package webui

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// TestTrendCountsByPeriodAndMonth: each time filter counts what happened
// since its start and not what lies in the future; the trend has one
// column per calendar month ending with the current one, and a date
// outside it counts in no month.
func TestTrendCountsByPeriodAndMonth(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	d := dated{}
	// A day ago and 10 days ago (27 November), 60 days (October), 200 days
	// (May), 800 days ago, and a day ahead.
	for _, ago := range []time.Duration{24 * time.Hour, 10 * 24 * time.Hour, 60 * 24 * time.Hour, 200 * 24 * time.Hour, 800 * 24 * time.Hour, -24 * time.Hour} {
		d.add(actOrgs, now.Add(-ago))
	}
	d.add(actContacts, now.Add(-31*24*time.Hour))
	d.add(actMeetings, time.Time{}) // no date: not counted
	for _, c := range []struct {
		key              string
		orgs, contacts   int
		months           []string
		orgsByMonthLast2 []int
	}{
		{"30d", 2, 0, []string{"2026-11", "2026-12"}, []int{1, 1}},
		{"90d", 3, 1, []string{"2026-09", "2026-10", "2026-11", "2026-12"}, []int{1, 1}},
		{"12m", 4, 1, nil, []int{1, 1}},
		{"all", 5, 1, nil, []int{1, 1}},
		{"nonsense", 5, 1, nil, []int{1, 1}},
	} {
		tr := trendOf(d, periodOf(c.key, now), now)
		orgs, contacts, meetings := tr.Series[0], tr.Series[4], tr.Series[3]
		if orgs.Kind != actOrgs || contacts.Kind != actContacts || meetings.Kind != actMeetings {
			t.Fatalf("series out of order: %+v", tr.Series)
		}
		if orgs.InPeriod != c.orgs || contacts.InPeriod != c.contacts || meetings.InPeriod != 0 {
			t.Errorf("%s: organisations %d (want %d), contacts %d (want %d), meetings %d", c.key, orgs.InPeriod, c.orgs, contacts.InPeriod, c.contacts, meetings.InPeriod)
		}
		if c.months != nil && !slices.Equal(tr.Months, c.months) {
			t.Errorf("%s: months %v, want %v", c.key, tr.Months, c.months)
		}
		if tr.Months[len(tr.Months)-1] != "2026-12" {
			t.Errorf("%s: the trend ends in %s", c.key, tr.Months[len(tr.Months)-1])
		}
		if got := orgs.Months[len(orgs.Months)-2:]; !slices.Equal(got, c.orgsByMonthLast2) {
			t.Errorf("%s: organisations in the last two months %v, want %v", c.key, got, c.orgsByMonthLast2)
		}
	}
	// 12 months: May 2026 (200 days ago) is in, 800 days ago is not.
	tr := trendOf(d, periodOf("12m", now), now)
	if len(tr.Months) != 12 || tr.Months[0] != "2026-01" {
		t.Fatalf("12 months: %v", tr.Months)
	}
	if got := tr.Series[0].Months; got[4] != 1 || got[9] != 1 || sum(got) != 4 {
		t.Errorf("organisations by month over 12 months: %v", got)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestEventTimeForThePeriod: an event counts in the dashboard's period by
// its first slot, else by its creation.
func TestEventTimeForThePeriod(t *testing.T) {
	day := func(d int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC))
	}
	ev := &meetingsv1.Event{CreatedAt: day(1), Slots: []*meetingsv1.Slot{{StartTime: day(20)}, {StartTime: day(12)}, {StartTime: day(15)}}}
	if got := eventTime(ev); !got.Equal(day(12).AsTime()) {
		t.Errorf("with slots: %v, want the first slot's start", got)
	}
	ev.Slots = nil
	if got := eventTime(ev); !got.Equal(day(1).AsTime()) {
		t.Errorf("without slots: %v, want the creation", got)
	}
}
