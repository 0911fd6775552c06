package natsx_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// metricValue reads one series of the package's metrics.
func metricValue(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(natsx.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}

// Every consumer reports its lag in messages and in time, and counts
// redeliveries.
func TestConsumerMetrics(t *testing.T) {
	ctx, js := setupStream(t)
	for _, s := range []string{"a", "b", "c"} {
		if _, err := natsx.Publish(ctx, js, "ev."+s, "m-"+s, wrapperspb.String(s)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	run(t, js, jetstream.ConsumerConfig{Durable: "metered"}, func(_ context.Context, m jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		seen[m.Subject()]++
		if m.Subject() == "ev.b" && seen[m.Subject()] == 1 {
			return errors.New("not yet")
		}
		return nil
	}, quick)
	labels := map[string]string{"stream": "EV", "consumer": "metered"}
	eventually(t, "every message acknowledged", func() bool {
		v, _ := metricValue(t, "tandem_events_handled_total", map[string]string{"stream": "EV", "consumer": "metered", "outcome": "ack"})
		return v == 3
	})
	if v, ok := metricValue(t, "tandem_events_redelivered_total", labels); !ok || v != 1 {
		t.Errorf("redelivered = %v (%v), want 1", v, ok)
	}
	if v, ok := metricValue(t, "tandem_consumer_pending_messages", labels); !ok || v != 0 {
		t.Errorf("pending = %v (%v), want 0 once all are delivered", v, ok)
	}
	if v, ok := metricValue(t, "tandem_consumer_last_event_age_seconds", labels); !ok || v <= 0 {
		t.Errorf("last event age = %v (%v), want > 0", v, ok)
	}
}
