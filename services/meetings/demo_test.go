package meetings_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/client"
	"github.com/tandem-cluster/tandem/services/meetings/demo"
)

// TestDemoSeed loads the demo event into a real service, twice: it ends
// published with a valid schedule and calendars, and the second run
// changes nothing.
func TestDemoSeed(t *testing.T) {
	t.Parallel()
	e := start(t)
	// The seed is a whole event's set-up: generous, as a loaded machine runs
	// it several times slower.
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var orgs []string
	for i := range 70 {
		orgs = append(orgs, fmt.Sprintf("DEMOORG%02d", i))
	}
	e.known(t, orgs...)
	res, err := demo.Seed(c, e.as(admin), orgs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Participants != demo.MaxParticipants || res.Requests < 150 || res.Meetings < 100 {
		t.Fatalf("demo = %+v", res)
	}
	ev := must[*meetingsv1.GetEventResponse](t)(e.as(admin).GetEvent(c, &meetingsv1.GetEventRequest{Id: res.EventID})).GetEvent()
	if ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_PUBLISHED {
		t.Fatalf("demo event is %s", ev.GetStatus())
	}
	if !slices.Contains(ev.GetOrganizerSubjects(), demo.DemoOrganizer) {
		t.Fatalf("the demo organiser %s does not run the demo event: %v", demo.DemoOrganizer, ev.GetOrganizerSubjects())
	}
	sc := must[*meetingsv1.GetScheduleResponse](t)(e.as(admin).GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: res.EventID, PageSize: 5000}))
	checkSchedule(t, ev, sc.GetMeetings(), nil)
	if st := sc.GetSchedule().GetStats(); st.GetMeetingsPlaced() > st.GetUpperBound() || st.GetParticipantsWithoutMeetings() != 0 {
		t.Fatalf("demo schedule stats = %v", st)
	}
	pid := sc.GetMeetings()[0].GetParticipantIds()[0]
	var buf []byte
	w := &appendWriter{&buf}
	name, err := client.ExportAgenda(c, e.as(admin), res.EventID, pid, w)
	if err != nil || name != "smart-health-brokerage-day-2027-agenda.ics" || len(buf) == 0 {
		t.Fatalf("export = %q, %d bytes, %v", name, len(buf), err)
	}
	again, err := demo.Seed(c, e.as(admin), orgs)
	if err != nil || again != res {
		t.Fatalf("second seed = %+v, %v; want %+v", again, err, res)
	}
}

type appendWriter struct{ b *[]byte }

func (w *appendWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
