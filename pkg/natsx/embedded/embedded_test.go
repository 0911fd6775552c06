package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx/embedded"
)

func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func TestRestartKeepsJetStreamData(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := embedded.Options{Port: -1, StoreDir: dir, ServerName: "restart-test"}

	srv, err := embedded.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	nc, js := connect(t, srv.ClientURL())
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"one", "two"} {
		if _, err := js.Publish(ctx, "events.x", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "profiles", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "org.1", []byte("Acme Bio")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()

	if c, err := nats.Connect(srv.ClientURL(), nats.MaxReconnects(0), nats.Timeout(500*time.Millisecond)); err == nil {
		c.Close()
		t.Fatal("server still accepts connections after Shutdown")
	}

	srv2, err := embedded.Start(opts)
	if err != nil {
		t.Fatalf("restart on same StoreDir: %v", err)
	}
	defer srv2.Shutdown()
	nc2, js2 := connect(t, srv2.ClientURL())
	defer nc2.Close()

	st, err := js2.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("stream holds %d messages after restart, want 2", info.State.Msgs)
	}
	msg, err := st.GetMsg(ctx, 2)
	if err != nil || string(msg.Data) != "two" {
		t.Errorf("message 2 = %v, %v; want \"two\"", msg, err)
	}
	kv2, err := js2.KeyValue(ctx, "profiles")
	if err != nil {
		t.Fatalf("kv after restart: %v", err)
	}
	e, err := kv2.Get(ctx, "org.1")
	if err != nil || string(e.Value()) != "Acme Bio" {
		t.Errorf("kv org.1 = %v, %v; want Acme Bio", e, err)
	}
}

func TestStartRequiresStoreDir(t *testing.T) {
	if s, err := embedded.Start(embedded.Options{Port: -1}); err == nil {
		s.Shutdown()
		t.Fatal("Start without StoreDir = nil error")
	}
}
