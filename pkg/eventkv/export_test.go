package eventkv

// RelayGaps counts gaps per bucket, for tests.
var RelayGaps = relayGaps
