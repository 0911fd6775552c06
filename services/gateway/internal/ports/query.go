package ports

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQuery refuses query parameters that name no field of the request,
// where grpc-gateway would ignore them: ?pagesize=5 must not quietly list 50.
type strictQuery struct {
	runtime.DefaultQueryParser
}

func (q *strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		if err := checkQueryKey(msg.ProtoReflect().Descriptor(), key); err != nil {
			return err
		}
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// checkQueryKey checks that key ("pageSize", "holder.id", "labels[k]") is a
// path of fields of md, by proto or JSON name, through singular messages.
func checkQueryKey(md protoreflect.MessageDescriptor, key string) error {
	path := key
	if i := strings.IndexByte(path, '['); i >= 0 && strings.HasSuffix(path, "]") {
		path = path[:i]
	}
	parts := strings.Split(path, ".")
	for i, name := range parts {
		if md == nil {
			return fmt.Errorf("unknown query parameter %q: %s is not a message", key, strings.Join(parts[:i], "."))
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return fmt.Errorf("unknown query parameter %q", key)
		}
		md = nil
		if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	return nil
}
