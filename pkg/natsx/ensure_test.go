package natsx_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestEnsureRacesOnACluster: the replicas of several services start at
// once against a NATS cluster of three, each through a different server,
// and all declare the same R3 streams and buckets together. Every one of
// them starts (none gives up on a create that another is making, or on a
// stream whose leader is not elected yet), and each stream is R3 once.
func TestEnsureRacesOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of three NATS servers; skipped with -short")
	}
	servers := testenv.JetStreamCluster(t, 3)
	const starters, streams = 6, 3
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, starters*streams*2)
	start := make(chan struct{})
	for i := range starters {
		_, js := testenv.Connect(t, servers[i%len(servers)].ClientURL())
		wg.Go(func() {
			<-start
			for s := range streams {
				name := fmt.Sprintf("RACE_%d", s)
				if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: name, Subjects: []string{fmt.Sprintf("race.%d.>", s)},
					Storage: jetstream.FileStorage, Replicas: 3, Duplicates: 2 * time.Minute}); err != nil {
					errs <- fmt.Errorf("starter %d: %w", i, err)
				}
				if _, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: fmt.Sprintf("race_%d", s), History: 1,
					Storage: jetstream.FileStorage, Replicas: 3}); err != nil {
					errs <- fmt.Errorf("starter %d: %w", i, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	_, js := testenv.Connect(t, testenv.ClientURLs(servers))
	for s := range streams {
		for _, name := range []string{fmt.Sprintf("RACE_%d", s), fmt.Sprintf("KV_race_%d", s)} {
			st, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("stream %s: %v", name, err)
			}
			if r := st.CachedInfo().Config.Replicas; r != 3 {
				t.Errorf("stream %s has %d replicas, want 3", name, r)
			}
		}
	}
}

// TestEnsureFailsAtOnceOnAMisconfiguration: R3 on a single server cannot
// work, and is reported at once, not retried until start-up gives up.
func TestEnsureFailsAtOnceOnAMisconfiguration(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{Name: "R3_ALONE", Subjects: []string{"alone.>"}, Replicas: 3})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("EnsureStream with 3 replicas on one server: %v after %s, want an error at once", err, time.Since(start))
	}
}

// TestPlacementWithoutPeersIsTransient: a replicated stream declared before
// the meta leader has heard from every server (a cluster starting on a busy
// machine) is refused as "no suitable peers for placement", with status 400;
// start-up tries again rather than giving up, as it does while a cluster
// elects its leader.
func TestPlacementWithoutPeersIsTransient(t *testing.T) {
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement"}
	if !natsx.Transient(fmt.Errorf("create stream: %w", noPeers)) {
		t.Error("no suitable peers for placement: not transient")
	}
	misconfigured := &jetstream.APIError{Code: 500, ErrorCode: 10074, Description: "replicas > 1 not supported in non-clustered mode"}
	if natsx.Transient(misconfigured) {
		t.Error("replicas > 1 on a single server: transient")
	}
}
