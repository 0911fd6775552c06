// Package meetingstest helps tests that run a real meetings service without
// the profiles service: the meetings service registers only organisations
// that the profiles service has announced, so such tests announce theirs.
package meetingstest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// The names the profiles service and the meetings service's projection use.
const (
	profilesStream   = "TANDEM_PROFILES"
	profilesSubjects = "tandem.profiles.v1.>"
	projection       = "meetings_profiles"
)

// KnownOrganizations announces public organisations with the given ids on
// the profiles stream of the JetStream at natsURL, as the profiles service
// would (creating the stream if it does not run), and waits until the
// meetings service on that JetStream has applied them all, or ctx ends.
func KnownOrganizations(ctx context.Context, natsURL string, ids ...string) error {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := natsx.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name: profilesStream, Subjects: []string{profilesSubjects}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
	}); err != nil {
		return err
	}
	var acks []jetstream.PubAckFuture
	for _, id := range ids {
		ev := &eventsv1.OrganizationUpserted{
			EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: id, AggregateVersion: 1,
			Organization: &profilesv1.Organization{
				Id: id, Name: "Organization " + id, Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
				CountryCode: "IT", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1,
			},
		}
		data, err := proto.Marshal(ev)
		if err != nil {
			return err
		}
		m := nats.NewMsg("tandem.profiles.v1.organization.upserted." + id)
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, ev.GetEventId())
		a, err := js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("announce %s: %w", id, err)
		}
		acks = append(acks, a)
	}
	for _, a := range acks {
		select {
		case <-a.Ok():
		case err := <-a.Err():
			return fmt.Errorf("announce organization: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return waitApplied(ctx, js, ids)
}

// waitApplied polls the meetings service's projection until it holds every
// id: the meetings service creates it when it starts.
func waitApplied(ctx context.Context, js jetstream.JetStream, ids []string) error {
	var kv jetstream.KeyValue
	for i := 0; i < len(ids); {
		var err error
		if kv == nil {
			kv, err = js.KeyValue(ctx, projection)
		}
		if err == nil {
			_, err = kv.Get(ctx, "org."+ids[i])
		}
		switch {
		case err == nil:
			i++
			continue
		case !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrBucketNotFound):
			return fmt.Errorf("read the meetings service's profiles: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("organization %s never reached the meetings service: %w", ids[i], ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
