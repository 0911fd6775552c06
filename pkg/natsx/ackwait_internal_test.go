package natsx

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A consumer with a BackOff is kept in progress at the pace of the step the
// server applies to the delivery, not of AckWait, which BackOff replaces.
func TestAckWaitFollowsBackOff(t *testing.T) {
	plain := &consumer{cfg: jetstream.ConsumerConfig{AckWait: 5 * time.Second}}
	if got := plain.ackWait(3); got != 5*time.Second {
		t.Errorf("without BackOff: ack wait %v, want AckWait 5s", got)
	}
	c := &consumer{cfg: jetstream.ConsumerConfig{AckWait: 5 * time.Second, BackOff: []time.Duration{50 * time.Millisecond, time.Second}}}
	for delivered, want := range map[uint64]time.Duration{0: 50 * time.Millisecond, 1: 50 * time.Millisecond, 2: time.Second, 9: time.Second} {
		if got := c.ackWait(delivered); got != want {
			t.Errorf("delivery %d: ack wait %v, want %v", delivered, got, want)
		}
	}
}
