package natsx

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/tracing"
)

// HeaderEventType names the protobuf message in a published event, so a
// consumer of a multi-event stream knows what to unmarshal.
const HeaderEventType = "Tandem-Event-Type"

// Publish publishes msg to subject with eventID as Nats-Msg-Id (JetStream
// drops a retried publish with the same id inside the stream's duplicate
// window), the event type header and the trace context of ctx. opts may add
// jetstream.WithExpectLastSequencePerSubject for optimistic concurrency.
func Publish(ctx context.Context, js jetstream.JetStream, subject, eventID string, msg proto.Message, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if eventID == "" {
		return nil, errors.New("publish: empty event id")
	}
	data, err := proto.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("publish %s: marshal: %w", subject, err)
	}
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, eventID)
	m.Header.Set(HeaderEventType, string(msg.ProtoReflect().Descriptor().FullName()))
	tracing.InjectNATS(ctx, m.Header)
	ack, err := js.PublishMsg(ctx, m, opts...)
	if err != nil {
		return nil, fmt.Errorf("publish %s %s: %w", subject, eventID, err)
	}
	return ack, nil
}
