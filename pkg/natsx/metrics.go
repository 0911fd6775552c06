package natsx

import "github.com/prometheus/client_golang/prometheus"

// Process-wide, like the consumers they count; the labels tell consumers
// apart when several services share a process (tandem dev).
var (
	handled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_events_handled_total",
		Help: "Messages handled by durable consumers, by outcome: ack, retry (failed, redelivered later), skipped (unknown type) or dead_letter (parked in TANDEM_DLQ).",
	}, []string{"stream", "consumer", "outcome"})
	consumersRecreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_consumers_recreated_total",
		Help: "Durable consumers found deleted and created again.",
	}, []string{"stream", "consumer"})
)

// Collectors are the package's metrics, for a service's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{handled, consumersRecreated}
}
