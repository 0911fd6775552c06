// Package testenv gives integration tests real infrastructure: a throwaway
// in-process JetStream server per test and an isolated namespace in a real
// Redis. Only test code imports it.
package testenv

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx/embedded"
)

// JetStream starts a NATS server with JetStream in t.TempDir() on a free
// port and returns its URL and a connection; both end with the test.
func JetStream(t testing.TB) (url string, nc *nats.Conn, js jetstream.JetStream) {
	t.Helper()
	srv, err := embedded.Start(embedded.Options{Port: -1, StoreDir: t.TempDir(), ServerName: "test"})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err = nats.Connect(srv.ClientURL(), nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("testenv: connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err = jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: jetstream: %v", err)
	}
	return srv.ClientURL(), nc, js
}
