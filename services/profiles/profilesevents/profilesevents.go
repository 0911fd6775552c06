// Package profilesevents is how other services follow the profiles
// service's events: the stream's name and subjects, a durable consumer of
// them, and the decoding of its organisation and person events. The
// profiles service owns the stream; its followers only read it.
package profilesevents

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
)

// The profiles service's event stream and its subjects.
const (
	Stream   = "TANDEM_PROFILES"
	Subjects = "tandem.profiles.v1.>"
)

// Decode decodes one event of the profiles stream by its subject: an
// OrganizationUpserted, OrganizationErased, PersonUpserted or PersonErased.
// It returns nil for events of other entities, which followers need not
// mind, and an error wrapping natsx.ErrPermanent for one that cannot be
// read or whose payload names another aggregate than its subject.
func Decode(subject string, data []byte) (proto.Message, error) {
	var ev interface {
		proto.Message
		GetAggregateId() string
	}
	switch {
	case strings.HasPrefix(subject, "tandem.profiles.v1.organization.upserted."):
		ev = &eventsv1.OrganizationUpserted{}
	case strings.HasPrefix(subject, "tandem.profiles.v1.organization.erased."):
		ev = &eventsv1.OrganizationErased{}
	case strings.HasPrefix(subject, "tandem.profiles.v1.person.upserted."):
		ev = &eventsv1.PersonUpserted{}
	case strings.HasPrefix(subject, "tandem.profiles.v1.person.erased."):
		ev = &eventsv1.PersonErased{}
	default:
		return nil, nil
	}
	if err := proto.Unmarshal(data, ev); err != nil {
		return nil, fmt.Errorf("decode %s: %w: %w", subject, err, natsx.ErrPermanent)
	}
	// The aggregate id is the subject's last token; the payload's must agree.
	id := subject[strings.LastIndexByte(subject, '.')+1:]
	if got := ev.GetAggregateId(); got != "" && got != id {
		return nil, fmt.Errorf("%s carries aggregate %q: %w", subject, got, natsx.ErrPermanent)
	}
	return ev, nil
}

// Follow runs the durable consumer durable of the profiles events until ctx
// ends, handing each organisation and person event, decoded, to handle
// (events of other entities are acknowledged unread). Until the profiles
// service has created its stream Follow waits, and it never creates it.
// Redelivery has no limit, so an erasure is never given up on; a long one
// keeps its message with in-progress acks.
func Follow(ctx context.Context, log *slog.Logger, js jetstream.JetStream, durable string, handle func(ctx context.Context, subject string, ev proto.Message) error) error {
	cfg := jetstream.ConsumerConfig{
		Durable:       durable,
		FilterSubject: Subjects,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	return natsx.Consume(ctx, log, js, Stream, cfg, func(ctx context.Context, m jetstream.Msg) error {
		ev, err := Decode(m.Subject(), m.Data())
		if err != nil || ev == nil {
			return err
		}
		return handle(ctx, m.Subject(), ev)
	})
}
