package adapters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func competency(id, term string, version int64) *eventsv1.CompetencyPublished {
	return &eventsv1.CompetencyPublished{EventId: ulid.Make().String(), AggregateId: id, AggregateVersion: version,
		Competency: &competenciesv1.Competency{Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "O1"}}, TermId: term}}
}

// TestProjectionReplayIsIdempotent applies events twice and out of order:
// only newer versions change the projection, and the checkpoint only moves
// forward.
func TestProjectionReplayIsIdempotent(t *testing.T) {
	ctx := context.Background()
	rc, prefix := testenv.Redis(t)
	p := adapters.NewProjection(rc, func(parts ...string) string { return prefix + ":" + strings.Join(parts, ":") })
	apply := func(seq uint64, ev *eventsv1.CompetencyPublished) bool {
		t.Helper()
		c, _, ok, err := adapters.ChangeOf(ev)
		if err != nil || !ok {
			t.Fatalf("change of %v: %v", ev, err)
		}
		applied, err := p.Apply(ctx, "S", seq, c, ev)
		if err != nil {
			t.Fatal(err)
		}
		return applied
	}
	if !apply(1, competency("C1", "EDAM:topic_3170", 1)) {
		t.Fatal("first event not applied")
	}
	if apply(1, competency("C1", "EDAM:topic_3170", 1)) {
		t.Error("redelivered event applied again")
	}
	if !apply(3, competency("C1", "EDAM:topic_0121", 2)) {
		t.Error("newer version not applied")
	}
	if apply(2, competency("C1", "EDAM:topic_3170", 1)) {
		t.Error("older version applied after a newer one")
	}
	if ck, err := p.Checkpoint(ctx, "S"); err != nil || ck != 3 {
		t.Errorf("checkpoint = %d, %v; want 3", ck, err)
	}
	gone := domain.Change{Key: domain.CompKey("C2"), Version: 1}
	if _, err := p.Apply(ctx, "S", 4, gone, competency("C2", "EDAM:topic_3170", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx, "", 0, domain.Change{Key: domain.CompKey("C2"), Purge: true}, nil); err != nil {
		t.Fatal(err)
	}
	changes, last, err := p.Load(ctx)
	if err != nil || last == "0-0" {
		t.Fatalf("load: %v (change log at %s)", err, last)
	}
	got := map[string]domain.Change{}
	for _, c := range changes {
		got[c.Key] = c
	}
	if c := got["comp:C1"]; c.Version != 2 || c.Comp == nil || c.Comp.TermID != "EDAM:topic_0121" {
		t.Errorf("C1 loaded as %+v", c)
	}
	if c := got["comp:C2"]; !c.Removed || c.Version != 1 {
		t.Errorf("purged C2 loaded as %+v; want removed, keeping version 1", c)
	}
	if e, err := p.Epoch(ctx); err != nil || e != "" {
		t.Errorf("epoch of a fresh projection = %q, %v", e, err)
	}
}
