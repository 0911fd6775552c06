package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestKeyLocksHoldEachKeyOnce: a caller wanting a key another holds waits
// until it is released, keys not held are taken at once, and a wait ends
// with its context, leaving nothing held.
func TestKeyLocksHoldEachKeyOnce(t *testing.T) {
	var l keyLocks
	ctx := context.Background()
	unlockAB, err := l.lock(ctx, "b", "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockC, err := l.lock(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		unlock, err := l.lock(ctx, "c", "a")
		if err != nil {
			t.Error(err)
		}
		got <- unlock
	}()
	unlockC()
	select {
	case <-got:
		t.Fatal("a and c taken while a was held")
	case <-time.After(20 * time.Millisecond): // it must still be waiting
	}
	unlockAB()
	unlockCA := <-got
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(cctx, "d", "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock of a held key with an ended context: %v", err)
	}
	unlockCA()
	unlockAll, err := l.lock(ctx, "a", "b", "c", "d")
	if err != nil {
		t.Fatal(err)
	}
	unlockAll()
	if len(l.held) != 0 {
		t.Fatalf("keys still held: %v", l.held)
	}
}
