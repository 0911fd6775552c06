package webui

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/testenv"
)

// TestNamesForgottenOnProfileChanges: a kept name goes as soon as the
// profiles service announces a change to its profile (an erasure, a
// visibility change); a change to an organisation drops every kept name,
// since its people's visibility follows it.
func TestNamesForgottenOnProfileChanges(t *testing.T) {
	_, _, js := testenv.JetStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: profilesStream, Subjects: []string{"tandem.profiles.v1.>"}}); err != nil {
		t.Fatal(err)
	}
	var nc nameCache
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc.followProfiles(ctx, js, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })

	now := time.Now()
	keep := func() {
		for _, k := range []string{"person:P1", "person:P2", "org:O1"} {
			nc.put("u1", k, "name of "+k, now, nc.generation())
		}
	}
	kept := func(k string) bool {
		_, ok := nc.get("u1", k, now)
		return ok
	}
	// The feed starts with new changes only, and forgets everything when
	// it starts: it runs once a change it reports drops a name.
	waitFor(t, "the feed to run", func() bool {
		nc.put("u1", "person:P9", "P9", now, nc.generation())
		if _, err := js.Publish(ctx, "tandem.profiles.v1.person.upserted.P9", nil); err != nil {
			t.Fatal(err)
		}
		return waitShort(func() bool { return !kept("person:P9") })
	})
	keep()
	if !kept("person:P1") || !kept("person:P2") || !kept("org:O1") {
		t.Fatal("names are not kept")
	}
	if _, err := js.Publish(ctx, "tandem.profiles.v1.person.erased.P1", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the erased person's name to go", func() bool { return !kept("person:P1") })
	if !kept("person:P2") || !kept("org:O1") {
		t.Error("a person's erasure dropped other names")
	}
	if _, err := js.Publish(ctx, "tandem.profiles.v1.organization.upserted.O2", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every name to go after an organisation changed", func() bool { return !kept("person:P2") && !kept("org:O1") })

	// A lookup that began before a change does not keep what it found.
	gen := nc.generation()
	nc.forget("person:P3")
	nc.put("u1", "person:P3", "stale", now, gen)
	if kept("person:P3") {
		t.Error("a name looked up before a change was kept")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitShort polls cond for a moment; false if it did not hold by then.
func waitShort(cond func() bool) bool {
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
