package natsx

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LastMsg reads the last message on subject in stream from the stream's
// leader. A KV bucket or a stream with AllowDirect answers ordinary gets
// from any replica, and a follower may lag behind a write that was already
// acknowledged; a read that decides a write (read, check, update with the
// expected revision) must see the latest state, so it asks the leader. It
// returns jetstream.ErrMsgNotFound when the subject holds no message.
func LastMsg(ctx context.Context, js jetstream.JetStream, stream, subject string) (*jetstream.RawStreamMsg, error) {
	return leaderGet(ctx, js, stream, map[string]any{"last_by_subj": subject})
}

// MsgAt reads the message at seq from the stream's leader, or
// jetstream.ErrMsgNotFound.
func MsgAt(ctx context.Context, js jetstream.JetStream, stream string, seq uint64) (*jetstream.RawStreamMsg, error) {
	return leaderGet(ctx, js, stream, map[string]any{"seq": seq})
}

func leaderGet(ctx context.Context, js jetstream.JetStream, stream string, req map[string]any) (*jetstream.RawStreamMsg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	prefix := js.Options().APIPrefix
	if prefix == "" {
		prefix = jetstream.DefaultAPIPrefix
	}
	resp, err := Attempts(ctx, func(ctx context.Context) (*nats.Msg, error) {
		return js.Conn().RequestWithContext(ctx, prefix+"STREAM.MSG.GET."+stream, body)
	})
	if err != nil {
		return nil, fmt.Errorf("get from %s: %w", stream, err)
	}
	var r struct {
		Error *jetstream.APIError `json:"error,omitempty"`
		Msg   *struct {
			Subject  string    `json:"subject"`
			Sequence uint64    `json:"seq"`
			Header   []byte    `json:"hdrs,omitempty"`
			Data     []byte    `json:"data,omitempty"`
			Time     time.Time `json:"time"`
		} `json:"message,omitempty"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, fmt.Errorf("get from %s: %w", stream, err)
	}
	if r.Error != nil {
		switch r.Error.ErrorCode {
		case jetstream.JSErrCodeMessageNotFound:
			return nil, jetstream.ErrMsgNotFound
		case jetstream.JSErrCodeStreamNotFound:
			return nil, jetstream.ErrStreamNotFound
		}
		return nil, fmt.Errorf("get from %s: %w", stream, r.Error)
	}
	if r.Msg == nil {
		return nil, fmt.Errorf("get from %s: %w", stream, jetstream.ErrInvalidJetStreamResponse)
	}
	var hdr nats.Header
	if len(r.Msg.Header) > 0 {
		if hdr, err = nats.DecodeHeadersMsg(r.Msg.Header); err != nil {
			return nil, fmt.Errorf("get from %s: %w", stream, err)
		}
	}
	return &jetstream.RawStreamMsg{Subject: r.Msg.Subject, Sequence: r.Msg.Sequence, Header: hdr, Data: r.Msg.Data, Time: r.Msg.Time}, nil
}
