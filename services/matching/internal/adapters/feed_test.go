package adapters_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Match notifications are at least once: when the notifications of an
// event fail (a publish to NATS), applying it fails, so the consumer gets
// it again, and the redelivery, although the read model has the event
// already, looks for its matches again. Before, OnApplied ran on the first
// apply only and a failed publish was lost.
func TestNotificationsOfARedeliveredEventAreTriedAgain(t *testing.T) {
	ctx := context.Background()
	rc, prefix := testenv.Redis(t)
	var tried []string
	f := &adapters.Feed{
		Projection: adapters.NewProjection(rc, func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") }),
		Index:      domain.NewIndex(nil),
		OnApplied: func(_ context.Context, _ domain.Change, eventID string) error {
			tried = append(tried, eventID)
			if len(tried) == 1 {
				return errors.New("publish match: nats: timeout")
			}
			return nil
		},
	}
	ev := competency("C1", "EDAM:topic_3170", 1)
	c, cascade, ok, err := adapters.ChangeOf(ev)
	if err != nil || !ok {
		t.Fatalf("change of %v: %v", ev, err)
	}
	if err := f.ApplyEvent(ctx, "S", 1, c, cascade, ev); err == nil {
		t.Fatal("the event applied although its notifications failed: it would not be delivered again")
	}
	if err := f.ApplyEvent(ctx, "S", 1, c, cascade, ev); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if len(tried) != 2 || tried[1] != ev.GetEventId() {
		t.Fatalf("notifications tried for %v, want twice for %s", tried, ev.GetEventId())
	}
}
