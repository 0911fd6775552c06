package competencies_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// streamState is what a change would move: the competencies' event stream
// and the holders bucket.
func streamState(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := ""
	for _, name := range []string{"TANDEM_COMPETENCIES", "KV_competencies_holders"} {
		s, err := js.Stream(c, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(c)
		if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%s: %d messages, last %d; ", name, info.State.Msgs, info.State.LastSeq)
	}
	return out
}

// consumed waits until the profiles consumer has acknowledged every event.
func consumed(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	eventually(t, "profiles events consumed", func() error {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cons, err := js.Consumer(c, "TANDEM_PROFILES", "competencies_profiles")
		if err != nil {
			return err
		}
		info, err := cons.Info(c)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("%d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

// The profiles consumer is idempotent by aggregate version: the same
// upsert or erasure delivered again, under a new message id as after the
// duplicate window, changes no holder and emits no event.
func TestProfileEventsAppliedTwiceChangeNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	admin := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	org := ulid.Make().String()
	up := &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: org, AggregateVersion: 1,
		Organization: &profilesv1.Organization{Id: org, Name: "Twice", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, CountryCode: "IT", Version: 1}}
	e.publish("tandem.profiles.v1.organization.upserted."+org, up, up.GetEventId())
	waitHolder(t, admin, orgRef(org)) // and a competency, which the erasure retracts
	eventually(t, "the competency relayed", func() error {
		return countEvents(e.js, map[string]int{"tandem.competencies.v1.competency.published": 1})
	})
	consumed(t, e.js)
	before := streamState(t, e.js)
	e.publish("tandem.profiles.v1.organization.upserted."+org, up, ulid.Make().String())
	consumed(t, e.js)
	if after := streamState(t, e.js); after != before {
		t.Errorf("the upsert applied twice changed state:\nbefore %s\nafter  %s", before, after)
	}

	er := &eventsv1.OrganizationErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: org, AggregateVersion: 2}
	e.publish("tandem.profiles.v1.organization.erased."+org, er, er.GetEventId())
	eventually(t, "the competency retracted", func() error {
		return countEvents(e.js, map[string]int{"tandem.competencies.v1.competency.retracted": 1})
	})
	consumed(t, e.js)
	before = streamState(t, e.js)
	e.publish("tandem.profiles.v1.organization.erased."+org, er, ulid.Make().String())
	consumed(t, e.js)
	if after := streamState(t, e.js); after != before {
		t.Errorf("the erasure applied twice changed state:\nbefore %s\nafter  %s", before, after)
	}
	if err := countEvents(e.js, map[string]int{"tandem.competencies.v1.competency.retracted": 1}); err != nil {
		t.Error(err)
	}
}
