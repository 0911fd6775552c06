package eventkv

// RelayGaps counts gaps per bucket, for tests.
var RelayGaps = relayGaps

// RelayHandedBack and RelayAckWaits count per bucket, for tests.
var RelayHandedBack, RelayAckWaits = relayHandedBack, relayAckWaits
