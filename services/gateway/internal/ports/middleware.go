package ports

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-Id"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	bodyFlagKey
)

// RequestIDFrom returns the id of the request ctx belongs to ("" outside one).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts the ids load balancers and clients commonly send
// (UUIDs, ULIDs, hex trace ids); anything else could smuggle text into logs
// or headers, so it is replaced.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// withRequestID takes the client's X-Request-Id when well-formed, else
// makes one, and puts it in the context, the response and the request
// headers forwarded to the services.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = ulid.Make().String()
		}
		r.Header.Set(RequestIDHeader, id)
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// recorder remembers the status and size of a response for the access log.
// It passes Flush through: streamed responses flush every line.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

func (rw *recorder) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// accessLog logs one line per request, with the request id and the caller:
// at debug when it succeeded, at info for client errors, at warn for server
// errors; the query string is left out because searches may carry personal
// data.
// A panic becomes a 500 in the error shape, logged once.
func accessLog(log *slog.Logger, clientIP func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		var subject string
		r = r.WithContext(context.WithValue(r.Context(), subjectSlot{}, &subject))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving request", "request_id", RequestIDFrom(r.Context()), "panic", p)
				if rec.status == 0 {
					writeError(rec, r, http.StatusInternalServerError, codes.Internal, "internal error")
				}
			}
			// Successes at debug only: a line per request at info costs
			// more than the gateway's own work (the metrics count them).
			level := slog.LevelDebug
			switch {
			case rec.status >= 500:
				level = slog.LevelWarn
			case rec.status >= 400:
				level = slog.LevelInfo
			}
			if !log.Enabled(r.Context(), level) {
				return
			}
			log.LogAttrs(r.Context(), level, "http request",
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", loggedPath(r.URL.Path)),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("client_ip", clientIP(r)),
				slog.String("subject", subject),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// subjectSlot lets authentication, deeper in the chain, tell the access log
// who called.
type subjectSlot struct{}

func setLoggedSubject(ctx context.Context, p auth.Principal) {
	if s, ok := ctx.Value(subjectSlot{}).(*string); ok {
		*s = p.Subject
	}
}

// bodyFlag records that a body went over the limit, for the error handler:
// grpc-gateway turns the read error into a plain InvalidArgument.
type bodyFlag struct{ exceeded atomic.Bool }

func bodyTooLarge(ctx context.Context) bool {
	f, ok := ctx.Value(bodyFlagKey).(*bodyFlag)
	return ok && f.exceeded.Load()
}

type limitedBody struct {
	io.ReadCloser
	flag *bodyFlag
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.flag.exceeded.Store(true)
	}
	return n, err
}

// limitBody refuses bodies over max bytes with 413, and bodies that are
// not JSON with 415, before anything reads them.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, r, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "request body is larger than %d bytes", max)
			return
		}
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			ct := r.Header.Get("Content-Type")
			mt, _, err := mime.ParseMediaType(ct)
			if ct == "" || err != nil || mt != "application/json" {
				writeError(w, r, http.StatusUnsupportedMediaType, codes.InvalidArgument,
					"request bodies must be JSON: send Content-Type: application/json (got %q)", ct)
				return
			}
		}
		flag := &bodyFlag{}
		if r.Body != nil {
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), flag: flag}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyFlagKey, flag)))
	})
}

// clientIPFunc returns how to find a request's client address. Behind one
// trusted proxy (an ingress), the client is the last X-Forwarded-For entry,
// the one that proxy appended; entries before it are the client's word.
func clientIPFunc(trustForwardedFor bool) func(*http.Request) string {
	return func(r *http.Request) string {
		if trustForwardedFor {
			if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
				parts := strings.Split(xff[len(xff)-1], ",")
				if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
					return ip.String()
				}
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
}
