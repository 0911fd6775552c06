package ports

import (
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

const calendarPath = "/v1/events/{event_id}/participants/{participant_id}/agenda.ics"

// calendarFile serves ExportCalendar as the .ics file itself, so a browser
// link or `curl -O` saves an agenda calendars can import; the JSON route
// (.../calendar) carries the same file base64-encoded.
func calendarFile(mux *runtime.ServeMux, client meetingsv1.MeetingsServiceClient, onError runtime.ErrorHandlerFunc) runtime.HandlerFunc {
	const method = "/tandem.meetings.v1.MeetingsService/ExportCalendar"
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, method, runtime.WithHTTPPathPattern(calendarPath))
		if err != nil {
			onError(r.Context(), mux, nil, w, r, err)
			return
		}
		res, err := client.ExportCalendar(ctx, &meetingsv1.ExportCalendarRequest{
			EventId:       params["event_id"],
			ParticipantId: params["participant_id"],
		})
		if err != nil {
			onError(r.Context(), mux, nil, w, r, err)
			return
		}
		writeCalendar(w, res)
	}
}

const feedPath = "/v1/calendar-feeds/{token}/agenda.ics"

// feedFile serves GetCalendarFeed as the .ics file itself: the address a
// calendar app subscribes to. It needs no login (the token in the path is
// the credential), so it is answered like the agenda file of a logged-in
// participant, rate limited per address like every anonymous request.
func feedFile(mux *runtime.ServeMux, client meetingsv1.MeetingsServiceClient, onError runtime.ErrorHandlerFunc) runtime.HandlerFunc {
	const method = "/tandem.meetings.v1.MeetingsService/GetCalendarFeed"
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, method, runtime.WithHTTPPathPattern(feedPath))
		if err != nil {
			onError(r.Context(), mux, nil, w, r, err)
			return
		}
		res, err := client.GetCalendarFeed(ctx, &meetingsv1.GetCalendarFeedRequest{Token: params["token"]})
		if err != nil {
			onError(r.Context(), mux, nil, w, r, err)
			return
		}
		writeCalendar(w, res.GetCalendar())
	}
}

// feedPrefixes start the paths whose next segment is a calendar feed's
// token: the API's and the web UI's.
var feedPrefixes = []string{"/v1/calendar-feeds/", "/calendar-feeds/"}

// loggedPath is a request path as logs may keep it: a calendar feed's
// token is a credential, so it is left out.
func loggedPath(p string) string {
	for _, prefix := range feedPrefixes {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			tail := ""
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				tail = rest[i:]
			}
			return prefix + "{token}" + tail
		}
	}
	return p
}

// writeCalendar writes an exported calendar as a file to save.
func writeCalendar(w http.ResponseWriter, res *meetingsv1.ExportCalendarResponse) {
	ct := res.GetContentType()
	if ct == "" {
		ct = "text/calendar; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(res.GetFilename())+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(res.GetContent())
}

// safeFilename keeps a header-safe file name; the service suggests it, but a
// quote or a line break in it must not reach the header.
func safeFilename(name string) string {
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ".")
	if s == "" {
		return "agenda.ics"
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
