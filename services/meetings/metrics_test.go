package meetings_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/meetings"
)

// Each generated schedule is counted and timed on the debug port.
func TestSchedulerMetrics(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debug := l.Addr().String()
	l.Close()
	cfg := meetings.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.DebugAddr = debug
	e := startWith(t, cfg)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	a, b := e.register(t, ev.GetId(), "org-a"), e.register(t, ev.GetId(), "org-b")
	e.accepted(t, ev.GetId(), a, b, true)
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	if _, err := e.as(organizer).GenerateSchedule(ctx(t), &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()}); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`tandem_schedule_runs_total{mode="full"} 1`, `tandem_schedule_duration_seconds_count{mode="full"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
