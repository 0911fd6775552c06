package eventkv

import "github.com/prometheus/client_golang/prometheus"

var (
	relayGaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_relay_gaps_total",
		Help: "Revisions the relay found dropped from a bucket's history before it published them.",
	}, []string{"bucket"})
	relayHandedBack = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_relay_handed_back_total",
		Help: "Events a relay stopping gracefully had fetched and not published, handed back to the next holder.",
	}, []string{"bucket"})
	relayAckWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_relay_ack_waits_total",
		Help: "Times a relay taking over waited for the ack wait of events an earlier holder left pending (a killed replica).",
	}, []string{"bucket"})
	relayResent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_relay_resent_total",
		Help: "Relay publishes sent again because the event stream did not answer in time (a stream leader stopped).",
	}, []string{"bucket"})
	watchSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_stored_events_skipped_total",
		Help: "Stored events a read index skipped because this build cannot decode them.",
	}, []string{"bucket"})
)

// Collectors are the package's metrics, for a service's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{relayGaps, relayHandedBack, relayAckWaits, relayResent, watchSkipped}
}
