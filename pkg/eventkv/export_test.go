package eventkv

import (
	"context"
	"time"
)

// RelayGaps counts gaps per bucket, for tests.
var RelayGaps = relayGaps

// RelayHandedBack and RelayAckWaits count per bucket, for tests.
var RelayHandedBack, RelayAckWaits = relayHandedBack, relayAckWaits

// TakeBack runs the lease take-back of s's Relay run for replica, for
// tests; value is the lease value that run would write.
func TakeBack(s *Store, replica, run string, first bool) (value string, ok bool) {
	value = s.incarnation + "/" + run + " " + replica
	_, ok = s.takeBack(context.Background(), replica, value, first)
	return value, ok
}

// Incarnation is the run of s that its leases name.
func Incarnation(s *Store) string { return s.incarnation }

// SetBatchAttempt bounds the wait for one answer of a batch, for tests.
func SetBatchAttempt(d time.Duration) (restore func()) {
	old := batchAttempt
	batchAttempt = d
	return func() { batchAttempt = old }
}
