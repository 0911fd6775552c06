package ports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ErrorBody is the one JSON shape of every error the gateway returns: its
// own refusals (401, 413, 415, 429, unknown routes) and the services'
// statuses alike, so clients parse errors one way.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail follows Google's JSON error style (AIP-193): code is the HTTP
// status, status the gRPC code name, plus the request's invalid fields.
type ErrorDetail struct {
	Code            int              `json:"code"`
	Status          string           `json:"status"`
	Message         string           `json:"message"`
	FieldViolations []FieldViolation `json:"fieldViolations"`
	RequestID       string           `json:"requestId,omitempty"`
}

// FieldViolation names one invalid request field (errdetails.BadRequest).
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// httpStatus maps a gRPC code to the HTTP status clients see.
func httpStatus(c codes.Code) int {
	if c == codes.FailedPrecondition {
		// 400 would tell the client its request was malformed; the request was
		// fine but the resource is in the wrong state, which 409 says.
		return http.StatusConflict
	}
	return runtime.HTTPStatusFromCode(c)
}

// codeNames are the gRPC codes in their canonical form (google.rpc.Code).
var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED", codes.Internal: "INTERNAL",
	codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "UNKNOWN"
}

// errorBody turns a status into the error shape.
func errorBody(st *status.Status, httpCode int, requestID string) ErrorBody {
	d := ErrorDetail{
		Code:            httpCode,
		Status:          codeName(st.Code()),
		Message:         st.Message(),
		FieldViolations: []FieldViolation{},
		RequestID:       requestID,
	}
	for _, det := range st.Details() {
		if br, ok := det.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				d.FieldViolations = append(d.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return ErrorBody{Error: d}
}

// writeStatus writes st as an error response with the given HTTP status.
func writeStatus(w http.ResponseWriter, r *http.Request, st *status.Status, httpCode int) {
	h := w.Header()
	h.Del("Trailer")
	h.Del("Transfer-Encoding")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if st.Code() == codes.Unauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="tandem"`)
	}
	w.WriteHeader(httpCode)
	_ = json.NewEncoder(w).Encode(errorBody(st, httpCode, RequestIDFrom(r.Context())))
}

// writeError writes an error the gateway itself decided on.
func writeError(w http.ResponseWriter, r *http.Request, httpCode int, c codes.Code, format string, args ...any) {
	writeStatus(w, r, status.New(c, fmt.Sprintf(format, args...)), httpCode)
}

// writeBadRequest refuses a request the gateway checked itself with 400,
// naming the field at fault as a service would.
func writeBadRequest(w http.ResponseWriter, r *http.Request, field, description string) {
	st := status.New(codes.InvalidArgument, field+" "+description)
	br := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: description}}}
	if d, err := st.WithDetails(br); err == nil {
		st = d
	}
	writeStatus(w, r, st, http.StatusBadRequest)
}

// errorHandler is grpc-gateway's handler of a failed request: a service's
// status, or a request the generated code could not decode.
func errorHandler(maxBody int64) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if bodyTooLarge(ctx) {
			writeError(w, r, http.StatusRequestEntityTooLarge, codes.InvalidArgument,
				"request body is larger than %d bytes", maxBody)
			return
		}
		var hs *runtime.HTTPStatusError
		if errors.As(err, &hs) {
			writeStatus(w, r, status.Convert(hs.Err), hs.HTTPStatus)
			return
		}
		st := status.Convert(err)
		writeStatus(w, r, st, httpStatus(st.Code()))
	}
}

// routingErrorHandler answers requests that match no route.
func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpCode int) {
	switch httpCode {
	case http.StatusMethodNotAllowed:
		writeError(w, r, httpCode, codes.Unimplemented, "method %s is not allowed on %s", r.Method, r.URL.Path)
	case http.StatusNotFound:
		notFound(w, r)
	default:
		writeError(w, r, httpCode, codes.InvalidArgument, "%s", http.StatusText(httpCode))
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotFound, codes.NotFound, "no route for %s %s; the API is described at /openapi.json", r.Method, r.URL.Path)
}

// statusFromChunk recognises the {"error": status} value grpc-gateway
// marshals when a server stream fails after it started.
func statusFromChunk(v any) (*status.Status, bool) {
	m, ok := v.(map[string]proto.Message)
	if !ok || len(m) != 1 {
		return nil, false
	}
	s, ok := m["error"].(*spb.Status)
	if !ok {
		return nil, false
	}
	return status.FromProto(s), true
}
