// Package adapters connects the messaging service to JetStream (its buckets,
// its event stream, the profiles service's events) and to an SMTP server.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/messaging/internal/app"
	"github.com/tandem-cluster/tandem/services/messaging/internal/domain"
	"github.com/tandem-cluster/tandem/services/profiles/profilesevents"
)

// Names of the service's JetStream resources.
const (
	Stream             = "TANDEM_MESSAGING"
	StreamSubjects     = "tandem.messaging.v1.>"
	ConversationBucket = "messaging_conversations"
	SettingsBucket     = "messaging_settings"
	ClaimsBucket       = "messaging_requests"
	DigestBucket       = "messaging_digests"
)

// Stores are the service's buckets.
type Stores struct {
	Conversations, Settings *eventkv.Store
	Claims                  *eventkv.Claims
	Digests                 jetstream.KeyValue
}

// Open creates or opens the buckets and the event stream.
func Open(ctx context.Context, js jetstream.JetStream, replicas int, log *slog.Logger) (*Stores, error) {
	conv, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: ConversationBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas, Log: log})
	if err != nil {
		return nil, err
	}
	settings, err := eventkv.Open(ctx, js, eventkv.Config{Bucket: SettingsBucket, Stream: Stream, StreamSubjects: StreamSubjects, Replicas: replicas, Log: log})
	if err != nil {
		return nil, err
	}
	claims, err := eventkv.OpenClaims(ctx, js, ClaimsBucket, replicas)
	if err != nil {
		return nil, err
	}
	digests, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: DigestBucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, fmt.Errorf("digest bucket: %w", err)
	}
	return &Stores{Conversations: conv, Settings: settings, Claims: claims, Digests: digests}, nil
}

// Watches keep svc's index current from the two buckets; synced is called
// once per bucket when its existing entries are in.
func (s *Stores) Watches(svc *app.Service, convSynced, settingsSynced func()) (conv, settings func(context.Context) error) {
	apply := func(key string, ev proto.Message, _ uint64) error {
		svc.Apply(key, ev)
		return nil
	}
	conv = func(ctx context.Context) error {
		return s.Conversations.Watch(ctx, apply, eventkv.OnSynced(convSynced))
	}
	settings = func(ctx context.Context) error {
		return s.Settings.Watch(ctx, apply, eventkv.OnSynced(settingsSynced))
	}
	return conv, settings
}

// FollowDirectory replays and then tails the profiles stream into dir (an
// ordered consumer: the directory is rebuilt on every start). synced is
// called once it caught up with the stream as it was at start, or at once
// while the stream does not exist yet (no profile exists either).
func FollowDirectory(ctx context.Context, js jetstream.JetStream, log *slog.Logger, dir *app.Directory, synced func()) error {
	return follow(ctx, js, log, profilesevents.Stream, profilesevents.Subjects, func(subject string, data []byte) {
		if ev, err := profilesevents.Decode(subject, data); err == nil && ev != nil {
			dir.ApplyProfile(ev)
		}
	}, synced)
}

// The meetings service's event stream, of which the roster follows the
// events and their participants.
const (
	MeetingsStream   = "TANDEM_MEETINGS"
	MeetingsSubjects = "tandem.meetings.v1.>"
)

// FollowRoster replays and then tails the meetings stream's event and
// participant changes into roster, as FollowDirectory does for profiles.
func FollowRoster(ctx context.Context, js jetstream.JetStream, log *slog.Logger, roster *app.Roster, synced func()) error {
	return follow(ctx, js, log, MeetingsStream, MeetingsSubjects, func(subject string, data []byte) {
		var ev proto.Message
		switch {
		case strings.HasPrefix(subject, "tandem.meetings.v1.event.created."):
			ev = &eventsv1.BrokerageEventCreated{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.event.updated."):
			ev = &eventsv1.BrokerageEventUpdated{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.event.status_changed."):
			ev = &eventsv1.BrokerageEventStatusChanged{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.participant.registered."):
			ev = &eventsv1.ParticipantRegistered{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.participant.updated."):
			ev = &eventsv1.ParticipantUpdated{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.participant.availability_set."):
			ev = &eventsv1.ParticipantAvailabilitySet{}
		case strings.HasPrefix(subject, "tandem.meetings.v1.participant.withdrawn."):
			ev = &eventsv1.ParticipantWithdrawn{}
		default:
			return
		}
		if proto.Unmarshal(data, ev) == nil {
			roster.ApplyMeetings(ev)
		}
	}, synced)
}

// follow replays and tails stream's subjects into apply with an ordered
// consumer, resuming after interruptions until ctx ends.
func follow(ctx context.Context, js jetstream.JetStream, log *slog.Logger, stream, subjects string, apply func(subject string, data []byte), synced func()) error {
	for ctx.Err() == nil {
		err := followOnce(ctx, js, stream, subjects, apply, synced)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			synced()
		} else {
			log.Warn("following a stream interrupted; resuming", "stream", stream, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return nil
}

func followOnce(ctx context.Context, js jetstream.JetStream, name, subjects string, apply func(subject string, data []byte), synced func()) error {
	stream, err := js.Stream(ctx, name)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	if last == 0 {
		synced()
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subjects}})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	for {
		m, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		apply(m.Subject(), m.Data())
		if md, err := m.Metadata(); err == nil && md.Sequence.Stream >= last {
			synced()
		}
	}
}

// ConsumeErasures runs the durable consumer that carries out profile
// erasures in the messaging service.
func ConsumeErasures(ctx context.Context, log *slog.Logger, js jetstream.JetStream, svc *app.Service) error {
	return profilesevents.Follow(ctx, log, js, "messaging_erasures", func(ctx context.Context, _ string, ev proto.Message) error {
		switch e := ev.(type) {
		case *eventsv1.OrganizationErased:
			return svc.Erased(ctx, domain.Side{Org: true, ID: e.GetAggregateId(), Prefix: "org"}, "")
		case *eventsv1.PersonErased:
			side := domain.Side{ID: e.GetAggregateId(), Prefix: "person"}
			return svc.Erased(ctx, side, svc.Dir.ErasedSubject(e.GetAggregateId()))
		}
		return nil
	})
}
