// Package grpcerr turns domain errors into gRPC statuses in one place, so
// handlers return plain Go errors and clients still get precise codes.
package grpcerr

import (
	"net"
	"time"

	"context"
	"errors"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"log/slog"
	"strings"

	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinels that domain code wraps ("get profile %s: %w") to choose the code.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrConflict        = errors.New("conflict")            // stale version: Aborted, the client re-reads and retries
	ErrPrecondition    = errors.New("failed precondition") // wrong state: FailedPrecondition, retrying will not help
	ErrPermission      = errors.New("permission denied")
	ErrUnauthenticated = errors.New("unauthenticated")
)

var sentinels = []struct {
	err  error
	code codes.Code
}{
	{ErrNotFound, codes.NotFound},
	{ErrAlreadyExists, codes.AlreadyExists},
	{ErrConflict, codes.Aborted},
	{ErrPrecondition, codes.FailedPrecondition},
	{ErrPermission, codes.PermissionDenied},
	{ErrUnauthenticated, codes.Unauthenticated},
}

// Violation names one invalid request field.
type Violation struct {
	Field       string // path such as "organization.website"
	Description string
}

// ValidationError is bad input; it becomes InvalidArgument with an
// errdetails.BadRequest so clients can point at the fields.
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return "invalid argument: " + strings.Join(parts, "; ")
}

// Invalid returns a *ValidationError with v.
func Invalid(v ...Violation) error {
	return &ValidationError{Violations: v}
}

// FieldError is an error of a sentinel's code (ErrNotFound, ErrPrecondition,
// ...) that also names the request fields at fault, so a client can point
// at them as it does for InvalidArgument.
type FieldError struct {
	Sentinel   error
	Message    string
	Violations []Violation
}

func (e *FieldError) Error() string { return e.Message }
func (e *FieldError) Unwrap() error { return e.Sentinel }

// Refused returns a *FieldError: the code of sentinel, message msg and the
// fields v.
func Refused(sentinel error, msg string, v ...Violation) error {
	return &FieldError{Sentinel: sentinel, Message: msg, Violations: v}
}

// ToStatus maps err to a gRPC status error. Errors it does not know become
// Internal with a generic message, so internals never leak to clients; those
// are logged here (log may be nil), once, with the original error.
func ToStatus(log *slog.Logger, err error) error {
	return toStatus(context.Background(), log, err)
}

func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return validationStatus(ve)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		for _, s := range sentinels {
			if errors.Is(fe.Sentinel, s.err) {
				return withViolations(status.New(s.code, err.Error()), fe.Violations)
			}
		}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return status.Error(s.code, err.Error())
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	if unavailable(err) {
		return unavailableStatus()
	}
	if log != nil {
		log.ErrorContext(ctx, "internal error", "err", err)
	}
	return status.Error(codes.Internal, "internal error")
}

// Item describes err as the status the single call would have returned: the
// code's name (e.g. "INVALID_ARGUMENT"), the message and the field
// violations, for one item's result in a batch call.
func Item(log *slog.Logger, err error) (code, message string, violations []Violation) {
	st, _ := status.FromError(ToStatus(log, err))
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				violations = append(violations, Violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return rpccode.Code(st.Code()).String(), st.Message(), violations
}

// ItemCode reads back the code of an item's result in a batch call (its
// name, as Item gives it); an unknown name is codes.Unknown.
func ItemCode(name string) codes.Code {
	v, ok := rpccode.Code_value[name]
	if !ok {
		return codes.Unknown
	}
	return codes.Code(v)
}

func validationStatus(ve *ValidationError) error {
	return withViolations(status.New(codes.InvalidArgument, ve.Error()), ve.Violations)
}

func withViolations(st *status.Status, vs []Violation) error {
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	withDetails, err := st.WithDetails(br)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// UnaryServerInterceptor applies ToStatus to handler errors.
func UnaryServerInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, toStatus(ctx, log, err)
		}
		return resp, nil
	}
}

// StreamServerInterceptor applies ToStatus to handler errors.
func StreamServerInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return toStatus(ss.Context(), log, handler(srv, ss))
	}
}

// RetryAfter is the delay suggested to clients when a dependency (the
// broker, JetStream, Redis) is unavailable.
const RetryAfter = time.Second

// unavailable reports errors that mean a dependency is down or not ready
// (NATS unreachable, JetStream disabled or without a leader, Redis
// unreachable): the call may succeed when retried.
func unavailable(err error) bool {
	for _, e := range []error{nats.ErrNoResponders, nats.ErrTimeout, nats.ErrConnectionClosed, nats.ErrNoServers,
		nats.ErrDisconnected, nats.ErrConnectionReconnecting, jetstream.ErrJetStreamNotEnabled,
		jetstream.ErrJetStreamNotEnabledForAccount, jetstream.ErrNoStreamResponse,
		// A stream of messages cut: its consumer went away with a server.
		jetstream.ErrNoHeartbeat, jetstream.ErrConsumerDeleted} {
		if errors.Is(err, e) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return true
		}
		return apiErr.Code == 503
	}
	var ne net.Error
	return errors.As(err, &ne)
}

func unavailableStatus() error {
	st := status.New(codes.Unavailable, "a service Tandem depends on is unavailable; retry later")
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfter)}); err == nil {
		return d.Err()
	}
	return st.Err()
}
