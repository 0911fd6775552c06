package deploy_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jsm.go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestJetStreamBackupRestore follows docs/operations.md: every stream of a
// server (event streams and the KV buckets' streams) is backed up with its
// consumers through the snapshot API that `nats stream backup` uses, and
// restored into an empty server, where the same values, events and
// consumer positions are found.
func TestJetStreamBackupRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, nc, js := testenv.JetStream(t)
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "profiles_orgs", History: 5, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := kv.Put(ctx, fmt.Sprintf("org.%02d", i%20), fmt.Appendf(nil, "version %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "TANDEM_PROFILES", Subjects: []string{"tandem.profiles.v1.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := js.Publish(ctx, "tandem.profiles.v1.organization.upserted", fmt.Appendf(nil, "event %d", i), jetstream.WithMsgID(fmt.Sprint("e", i))); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "matching_profiles", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(10)
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Back up every stream.
	dir := t.TempDir()
	backup(ctx, t, nc, dir)

	// Restore into an empty server.
	_, nc2, js2 := testenv.JetStream(t)
	mgr, err := jsm.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"KV_profiles_orgs", "TANDEM_PROFILES"} {
		if _, _, err := mgr.RestoreSnapshotFromDirectory(ctx, name, filepath.Join(dir, name)); err != nil {
			t.Fatalf("restore %s: %v", name, err)
		}
	}
	kv2, err := js2.KeyValue(ctx, "profiles_orgs")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		e, err := kv2.Get(ctx, fmt.Sprintf("org.%02d", i))
		last := 40 + i
		if i >= 10 {
			last = 20 + i
		}
		if err != nil || string(e.Value()) != fmt.Sprintf("version %d", last) {
			t.Fatalf("restored org.%02d = %v (%v), want version %d", i, e, err, last)
		}
	}
	st2, err := js2.Stream(ctx, "TANDEM_PROFILES")
	if err != nil {
		t.Fatal(err)
	}
	if n := st2.CachedInfo().State.Msgs; n != 30 {
		t.Fatalf("restored stream holds %d events, want 30", n)
	}
	c2, err := st2.Consumer(ctx, "matching_profiles")
	if err != nil {
		t.Fatalf("consumer not restored: %v", err)
	}
	info, err := c2.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != 10 || info.NumPending != 20 {
		t.Fatalf("restored consumer at ack floor %d with %d pending, want 10 and 20", info.AckFloor.Stream, info.NumPending)
	}
}

// backup snapshots every stream with its consumers into dir/<stream>, as
// `nats stream backup --consumers <stream> <dir>` does for one.
func backup(ctx context.Context, t *testing.T, nc *nats.Conn, dir string) {
	t.Helper()
	mgr, err := jsm.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	names, err := mgr.StreamNames(nil)
	if err != nil || len(names) != 2 {
		t.Fatalf("streams %v (%v)", names, err)
	}
	for _, name := range names {
		s, err := mgr.LoadStream(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SnapshotToDirectory(ctx, filepath.Join(dir, name), jsm.SnapshotConsumers(), jsm.SnapshotHealthCheck()); err != nil {
			t.Fatalf("back up %s: %v", name, err)
		}
	}
}
