package grpcerr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     codes.Code
		msg      string // substring of the status message
		wantLog  bool
		wantNil  bool
		wantViol []string
	}{
		{name: "nil", err: nil, wantNil: true},
		{name: "not found", err: grpcerr.ErrNotFound, code: codes.NotFound},
		{name: "wrapped not found", err: fmt.Errorf("get profile p1: %w", grpcerr.ErrNotFound), code: codes.NotFound, msg: "get profile p1"},
		{name: "already exists", err: fmt.Errorf("x: %w", grpcerr.ErrAlreadyExists), code: codes.AlreadyExists},
		{name: "conflict", err: fmt.Errorf("x: %w", grpcerr.ErrConflict), code: codes.Aborted},
		{name: "precondition", err: fmt.Errorf("x: %w", grpcerr.ErrPrecondition), code: codes.FailedPrecondition},
		{name: "permission", err: fmt.Errorf("x: %w", grpcerr.ErrPermission), code: codes.PermissionDenied},
		{name: "unauthenticated", err: fmt.Errorf("x: %w", grpcerr.ErrUnauthenticated), code: codes.Unauthenticated},
		{name: "canceled", err: fmt.Errorf("x: %w", context.Canceled), code: codes.Canceled},
		{name: "deadline", err: fmt.Errorf("x: %w", context.DeadlineExceeded), code: codes.DeadlineExceeded},
		{name: "status passthrough", err: status.Error(codes.Unimplemented, "later"), code: codes.Unimplemented, msg: "later"},
		{
			name: "validation", code: codes.InvalidArgument,
			err:      fmt.Errorf("create: %w", grpcerr.Invalid(grpcerr.Violation{Field: "name", Description: "required"}, grpcerr.Violation{Field: "website", Description: "not a URL"})),
			msg:      "name: required",
			wantViol: []string{"name", "website"},
		},
		{
			name: "refused with fields", code: codes.NotFound,
			err:      fmt.Errorf("register: %w", grpcerr.Refused(grpcerr.ErrNotFound, "organization X is not known", grpcerr.Violation{Field: "profile.organization_id", Description: "no such organization"})),
			msg:      "organization X is not known",
			wantViol: []string{"profile.organization_id"},
		},
		{name: "unknown is internal", err: errors.New("pq: password authentication failed"), code: codes.Internal, msg: "internal error", wantLog: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			got := grpcerr.ToStatus(log, tt.err)
			if tt.wantNil {
				if got != nil {
					t.Fatalf("ToStatus(nil) = %v", got)
				}
				return
			}
			st, ok := status.FromError(got)
			if !ok {
				t.Fatalf("ToStatus() = %T %v, not a status", got, got)
			}
			if st.Code() != tt.code {
				t.Errorf("code = %s, want %s", st.Code(), tt.code)
			}
			if !strings.Contains(st.Message(), tt.msg) {
				t.Errorf("message = %q, want it to contain %q", st.Message(), tt.msg)
			}
			if tt.code == codes.Internal && strings.Contains(st.Message(), "password") {
				t.Errorf("internal message leaks the cause: %q", st.Message())
			}
			if logged := buf.Len() > 0; logged != tt.wantLog {
				t.Errorf("logged = %v, want %v: %s", logged, tt.wantLog, buf.String())
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, fv := range br.GetFieldViolations() {
						fields = append(fields, fv.GetField())
					}
				}
			}
			if strings.Join(fields, ",") != strings.Join(tt.wantViol, ",") {
				t.Errorf("field violations = %v, want %v", fields, tt.wantViol)
			}
		})
	}
}

// F8: a broker without JetStream, or unreachable, is Unavailable with a
// retry hint, never Internal.
func TestDependencyDownIsUnavailable(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("create organization: %w", jetstream.ErrJetStreamNotEnabled),
		fmt.Errorf("publish: %w", nats.ErrNoResponders),
		fmt.Errorf("get: %w", nats.ErrConnectionClosed),
		&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		fmt.Errorf("watch matches interrupted: %w", jetstream.ErrNoHeartbeat),
	} {
		st := status.Convert(grpcerr.ToStatus(nil, err))
		if st.Code() != codes.Unavailable {
			t.Errorf("%v -> %s, want Unavailable", err, st.Code())
			continue
		}
		var hint bool
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
				hint = true
			}
		}
		if !hint {
			t.Errorf("%v: no retry hint", err)
		}
	}
}

// TestItemCodeReadsBackItem: the code an item's result names reads back as
// the single call's code.
func TestItemCodeReadsBackItem(t *testing.T) {
	for _, err := range []error{grpcerr.ErrNotFound, grpcerr.ErrConflict, grpcerr.ErrPrecondition, grpcerr.Invalid(grpcerr.Violation{Field: "f", Description: "d"})} {
		name, _, _ := grpcerr.Item(nil, err)
		if got, want := grpcerr.ItemCode(name), status.Code(grpcerr.ToStatus(nil, err)); got != want {
			t.Errorf("%v: ItemCode(%q) = %v, want %v", err, name, got, want)
		}
	}
	if got := grpcerr.ItemCode("NO_SUCH_CODE"); got != codes.Unknown {
		t.Errorf("unknown name read as %v", got)
	}
}
