package adapters_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// A replica whose change log position was trimmed away reloads the
// projection instead of missing the changes in between.
func TestTailReloadsAfterTheChangeLogWasTrimmed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, prefix := testenv.Redis(t)
	key := func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") }
	p := adapters.NewProjection(rc, key)
	apply := func(seq uint64, id string) {
		t.Helper()
		ev := competency(id, "EDAM:topic_3170", 1)
		c, _, _, err := adapters.ChangeOf(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Apply(ctx, "S", seq, c, ev); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, "C1")
	changes, from, err := p.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := domain.NewIndex(nil)
	x.Apply(changes...)
	apply(2, "C2")
	apply(3, "C3")
	// The log keeps only its newest entry: C2's is gone unread.
	if err := rc.XTrimMaxLen(ctx, key("matching", "changes"), 1).Err(); err != nil {
		t.Fatal(err)
	}
	tctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Tail(tctx, from, x) }()
	defer func() { stop(); <-done }()
	for x.Version(domain.CompKey("C2")) != 1 || x.Version(domain.CompKey("C3")) != 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("C2 version %d, C3 version %d after the trim; want both 1", x.Version(domain.CompKey("C2")), x.Version(domain.CompKey("C3")))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if p.Gaps() == 0 {
		t.Error("gap not counted")
	}
}
