package natsx

import "github.com/prometheus/client_golang/prometheus"

// Process-wide, like the consumers they count; the labels tell consumers
// apart when several services share a process (tandem dev).
var (
	handled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_events_handled_total",
		Help: "Messages handled by durable consumers, by outcome: ack, retry (failed, redelivered later), skipped (unknown type) or dead_letter (parked in TANDEM_DLQ).",
	}, []string{"stream", "consumer", "outcome"})
	pending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tandem_consumer_pending_messages",
		Help: "Messages of the stream not yet delivered to the durable consumer, as of its last delivery: the consumer's lag.",
	}, []string{"stream", "consumer"})
	eventAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tandem_consumer_last_event_age_seconds",
		Help: "Age of the last message delivered to the durable consumer when it was delivered: the lag in time.",
	}, []string{"stream", "consumer"})
	redelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_events_redelivered_total",
		Help: "Messages delivered to a durable consumer again after a failure, a nak or an expired ack wait.",
	}, []string{"stream", "consumer"})
	consumersRecreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_consumers_recreated_total",
		Help: "Durable consumers found deleted and created again.",
	}, []string{"stream", "consumer"})
)

// Collectors are the package's metrics, for a service's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{handled, pending, eventAge, redelivered, consumersRecreated}
}
