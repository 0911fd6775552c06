package meetings_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// The profiles consumer is idempotent by aggregate version: the same
// upsert or erasure delivered again, under a new message id as after the
// duplicate window, changes no stored profile, participant or event.
func TestProfileEventsAppliedTwiceChangeNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, js, err := natsx.Connect(c, e.natsURL, "test-profiles", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	// The profiles service's stream, as it creates it.
	if _, err := natsx.EnsureStream(c, js, jetstream.StreamConfig{Name: "TANDEM_PROFILES", Subjects: []string{"tandem.profiles.v1.>"}}); err != nil {
		t.Fatal(err)
	}
	publish := func(subject string, ev proto.Message) {
		t.Helper()
		if _, err := natsx.Publish(c, js, subject, ulid.Make().String(), ev); err != nil {
			t.Fatal(err)
		}
	}
	// state is the last sequence of every stream the service writes.
	state := func() string {
		t.Helper()
		var out []string
		for name := range js.StreamNames(c).Name() {
			if name == "TANDEM_PROFILES" {
				continue
			}
			s, err := js.Stream(c, name)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.Info(c)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s@%d", name, info.State.LastSeq))
		}
		return strings.Join(out, " ")
	}
	consumed := func() {
		t.Helper()
		eventually(t, func() string {
			cons, err := js.Consumer(c, "TANDEM_PROFILES", "meetings_profiles")
			if err != nil {
				return err.Error()
			}
			info, err := cons.Info(c)
			if err != nil {
				return err.Error()
			}
			if info.NumPending != 0 || info.NumAckPending != 0 {
				return fmt.Sprintf("%d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
			}
			return ""
		})
	}

	org := ulid.Make().String()
	up := &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: org, AggregateVersion: 1,
		Organization: &profilesv1.Organization{Id: org, Name: "Twice Bio", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, CountryCode: "IT",
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1}}
	publish("tandem.profiles.v1.organization.upserted."+org, up)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	e.register(t, ev.GetId(), org)
	eventually(t, func() string {
		if got := names(t, e.as(admin), ev.GetId(), ""); got[org] != "Twice Bio" {
			return "name not known yet: " + show(got)
		}
		return ""
	})
	consumed()
	before := state()
	publish("tandem.profiles.v1.organization.upserted."+org, up)
	consumed()
	if after := state(); after != before {
		t.Errorf("the upsert applied twice changed state:\nbefore %s\nafter  %s", before, after)
	}

	er := &eventsv1.OrganizationErased{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: org, AggregateVersion: 2}
	publish("tandem.profiles.v1.organization.erased."+org, er)
	eventually(t, func() string {
		if got := names(t, e.as(admin), ev.GetId(), ""); len(got) != 0 {
			return "participants after the erase: " + show(got)
		}
		return ""
	})
	consumed()
	before = state()
	publish("tandem.profiles.v1.organization.erased."+org, er)
	consumed()
	if after := state(); after != before {
		t.Errorf("the erasure applied twice changed state:\nbefore %s\nafter  %s", before, after)
	}
}
