package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

// Exit codes beyond success (0), failure (1) and usage (2), so scripts can
// tell what went wrong without parsing messages.
const (
	exitNotFound     = 3
	exitDenied       = 4
	exitConflict     = 5
	exitUnavailable  = 6
	outputJSON       = "json"
	outputTable      = "table"
	defaultTokenFile = "tandem/token"
)

// cliEnv is what every API subcommand shares: where the services are, who
// the caller is and how to print.
type cliEnv struct {
	output    string
	token     string
	tokenFile string
	timeout   time.Duration
	gateway   string
	addrs     map[string]*string
}

func newCLIEnv() *cliEnv {
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	e := &cliEnv{addrs: map[string]*string{}}
	for name, def := range map[string]string{
		"profiles": "127.0.0.1:7101", "competencies": "127.0.0.1:7102",
		"matching": "127.0.0.1:7103", "meetings": "127.0.0.1:7104",
	} {
		v := env("TANDEM_"+strings.ToUpper(name)+"_ADDR", def)
		e.addrs[name] = &v
	}
	e.token = os.Getenv("TANDEM_TOKEN")
	e.gateway = env("TANDEM_GATEWAY", "http://127.0.0.1:8080")
	if dir, err := os.UserConfigDir(); err == nil {
		e.tokenFile = filepath.Join(dir, defaultTokenFile)
	}
	return e
}

// bind adds the shared flags to the root command.
func (e *cliEnv) bind(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVarP(&e.output, "output", "o", outputTable, "output format: table or json")
	f.StringVar(&e.token, "token", e.token, "bearer token (default $TANDEM_TOKEN, else the one saved by tandem login)")
	f.StringVar(&e.tokenFile, "token-file", e.tokenFile, "where tandem login saves the token")
	f.DurationVar(&e.timeout, "timeout", 30*time.Second, "deadline of each API call")
	f.StringVar(&e.gateway, "gateway", e.gateway, "gateway base URL, for login ($TANDEM_GATEWAY)")
	for _, name := range []string{"profiles", "competencies", "matching", "meetings"} {
		f.StringVar(e.addrs[name], name+"-addr", *e.addrs[name], "gRPC address of the "+name+" service ($TANDEM_"+strings.ToUpper(name)+"_ADDR)")
	}
}

// check validates the shared flags before a subcommand runs.
func (e *cliEnv) check() error {
	if e.output != outputJSON && e.output != outputTable {
		return usageError{fmt.Errorf("--output must be table or json, not %q", e.output)}
	}
	return nil
}

// bearer returns the token to send: the flag or environment, else the saved one.
func (e *cliEnv) bearer() string {
	if e.token != "" {
		return e.token
	}
	if e.tokenFile == "" {
		return ""
	}
	b, err := os.ReadFile(e.tokenFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// dial connects to a service; the connection is lazy, so errors show at the call.
func (e *cliEnv) dial(service string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if tok := e.bearer(); tok != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	}
	conn, err := grpc.NewClient(*e.addrs[service], opts...)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s address %q: %w", service, *e.addrs[service], err)}
	}
	return conn, nil
}

// withClient dials service, gives cmd's context the call's deadline for the
// length of fn, and hands fn the service's client.
func withClient[C any](cmd *cobra.Command, env *cliEnv, service string, newClient func(grpc.ClientConnInterface) C, fn func(C, *cobra.Command) error) error {
	conn, err := env.dial(service)
	if err != nil {
		return err
	}
	defer conn.Close()
	parent := cmd.Context()
	ctx, cancel := env.call(parent)
	defer cancel()
	cmd.SetContext(ctx)
	defer cmd.SetContext(parent) // the deadline is this call's alone
	return fn(newClient(conn), cmd)
}

// expectedVersion is the --version flag when it was given, else the
// resource's current version, so an update or erase names what it changes.
func expectedVersion[R interface{ GetVersion() int64 }](set bool, flag int64, current func() (R, error)) (int64, error) {
	if set {
		return flag, nil
	}
	r, err := current()
	if err != nil {
		return 0, fromStatus(err)
	}
	return r.GetVersion(), nil
}

// call gives one API call its deadline.
func (e *cliEnv) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.timeout)
}

// columns describe a table: a header and how to get each cell.
type column[T any] struct {
	header string
	cell   func(T) string
}

// printList prints items as a table, or the whole response as JSON.
func printList[T any](e *cliEnv, w io.Writer, res proto.Message, items []T, cols []column[T]) error {
	if e.output == outputJSON {
		return printJSON(w, res)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, it := range items {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = strings.ReplaceAll(c.cell(it), "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func printJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", EmitUnpopulated: false}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// readJSON fills m from a JSON file ("-" is stdin), rejecting unknown fields.
func readJSON(path string, m proto.Message) error {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return usageError{fmt.Errorf("read %s: %w", path, err)}
	}
	if err := protojson.Unmarshal(b, m); err != nil {
		return usageError{fmt.Errorf("%s is not a valid %s: %w", path, m.ProtoReflect().Descriptor().Name(), err)}
	}
	return nil
}

// parseEnum accepts an enum value by its short name ("company",
// "research-institute") or its full name.
func parseEnum(ed protoreflect.EnumDescriptor, prefix, s string) (protoreflect.EnumNumber, error) {
	name := strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(strings.TrimSpace(s)))
	for _, n := range []string{name, prefix + name} {
		if v := ed.Values().ByName(protoreflect.Name(n)); v != nil && v.Number() != 0 {
			return v.Number(), nil
		}
	}
	var names []string
	for i := 1; i < ed.Values().Len(); i++ {
		names = append(names, enumShort(ed.Values().Get(i), prefix))
	}
	return 0, usageError{fmt.Errorf("%q is not one of: %s", s, strings.Join(names, ", "))}
}

// enumShort is the value's name as the CLI shows it: "research-institute".
func enumShort(v protoreflect.EnumValueDescriptor, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix)), "_", "-")
}

// requestID derives a client request id from what is being created, so
// running the same command twice creates once.
func requestID(kind string, m proto.Message) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	sum := sha256.Sum256(append([]byte(kind+"\x00"), b...))
	return "cli-" + hex.EncodeToString(sum[:12])
}

// apiError turns a gRPC status into an error that says what to fix, and an
// exit code.
type apiError struct {
	code int
	msg  string
}

func (e apiError) Error() string { return e.msg }

func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				msg += fmt.Sprintf("\n  %s: %s", v.GetField(), v.GetDescription())
			}
		}
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		return apiError{exitUsage, "invalid input: " + msg}
	case codes.NotFound:
		return apiError{exitNotFound, "not found: " + msg}
	case codes.Unauthenticated:
		return apiError{exitDenied, "not authenticated: " + msg + " (run tandem login, or pass --token)"}
	case codes.PermissionDenied:
		return apiError{exitDenied, "permission denied: " + msg}
	case codes.Aborted, codes.AlreadyExists:
		return apiError{exitConflict, "conflict: " + msg + " (get the current version and retry)"}
	case codes.FailedPrecondition:
		return apiError{exitConflict, "not possible now: " + msg}
	case codes.Unavailable, codes.DeadlineExceeded:
		return apiError{exitUnavailable, "service unavailable: " + msg + " (is tandem dev running? see --*-addr)"}
	case codes.Unimplemented:
		return apiError{exitFailure, "not implemented by the service yet: " + msg}
	}
	return apiError{exitFailure, st.Code().String() + ": " + msg}
}

// exitCode picks the process exit code for err.
func exitCode(err error) int {
	var ue usageError
	var ae apiError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae):
		return ae.code
	}
	return exitFailure
}
