package app

import (
	"context"
	"slices"
	"sync"
)

// keyLocks lets one publish at a time in this replica work on a key, so
// publishes of the same competency wait for each other instead of each
// writing over a revision another has just replaced (and trying again
// from the store). Other replicas are still kept apart by the revision
// each write expects. The zero value is ready to use.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the key is released
}

// lock holds every key (distinct) until the returned function is called,
// or fails when ctx ends first. Keys are taken in sorted order, so two
// callers never wait for each other's keys in a circle.
func (l *keyLocks) lock(ctx context.Context, keys ...string) (unlock func(), err error) {
	keys = slices.Sorted(slices.Values(keys))
	var taken []string
	release := func() {
		l.mu.Lock()
		chs := make([]chan struct{}, len(taken))
		for j, k := range taken {
			chs[j] = l.held[k]
			delete(l.held, k)
		}
		l.mu.Unlock()
		for _, ch := range chs {
			close(ch)
		}
	}
	for _, k := range keys {
		for {
			l.mu.Lock()
			if l.held == nil {
				l.held = map[string]chan struct{}{}
			}
			ch, busy := l.held[k]
			if !busy {
				l.held[k] = make(chan struct{})
			}
			l.mu.Unlock()
			if !busy {
				taken = append(taken, k)
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}
