package ports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// jsonCodec is the gateway's only marshaler: protojson with lowerCamelCase
// names and unpopulated fields present on output, strict on input.
type jsonCodec struct {
	runtime.JSONPb
}

func newJSONCodec() *jsonCodec {
	return &jsonCodec{JSONPb: runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: true},
		// Unknown fields are an error: a misspelt field silently dropped
		// would store something other than what the client meant.
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// Marshal renders a failed stream's error line in the error shape; the rest
// is protojson.
func (c *jsonCodec) Marshal(v any) ([]byte, error) {
	if st, ok := statusFromChunk(v); ok {
		return json.Marshal(errorBody(st, httpStatus(st.Code()), ""))
	}
	return c.JSONPb.Marshal(v)
}

// NewDecoder reads the whole (size-limited) body and decodes it with
// decodeJSONBody, so trailing data after the JSON value is refused too.
func (c *jsonCodec) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
		return decodeJSONBody(data, v)
	})
}

// decodeJSONBody decodes a request body into v, a request message. An empty
// body is io.EOF, which the generated handlers take as an empty request.
// Errors say what is wrong with the body, without protojson's prefix.
func decodeJSONBody(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return io.EOF
	}
	m, ok := v.(proto.Message)
	if !ok {
		return errors.New("invalid JSON body: the request is not a message")
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, m); err != nil {
		return fmt.Errorf("invalid JSON body: %s", cleanProtoError(err))
	}
	return nil
}

// cleanProtoError drops the "proto:" prefix protojson puts on its errors
// (followed by a space or, at random, a no-break space).
func cleanProtoError(err error) string {
	s := err.Error()
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
