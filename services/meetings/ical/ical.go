// Package ical writes iCalendar (RFC 5545) files of brokerage agendas.
//
// Each meeting is a VEVENT whose UID never changes and whose SEQUENCE goes
// up when the meeting moves or is cancelled, so a calendar that imports the
// file again replaces the entry instead of adding a second one; a cancelled
// meeting is sent with STATUS:CANCELLED so the calendar removes it, and a
// file holding just that meeting is a METHOD:CANCEL. Times are
// written in UTC, which every client reads without a VTIMEZONE.
package ical

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ContentType is the media type of the files Write produces.
const ContentType = "text/calendar; charset=utf-8"

// ProdID names the producer in every file.
const ProdID = "-//Tandem//Brokerage agenda//EN"

// Calendar is one agenda.
type Calendar struct {
	// Name is shown by clients that support X-WR-CALNAME.
	Name string
	// TimeZone is the event's IANA zone, a display hint (X-WR-TIMEZONE).
	TimeZone string
	Events   []Event
}

// Event is one meeting.
type Event struct {
	UID          string
	Sequence     int
	Start, End   time.Time
	Stamp        time.Time // DTSTAMP: when the file was made
	LastModified time.Time // zero: left out
	Summary      string
	Location     string
	Description  string
	Cancelled    bool
	URL          string
	// Organizer is who runs the event (ORGANIZER); zero: left out.
	Organizer Party
	// Attendees are the meeting's parties (ATTENDEE), as far as the reader
	// of the file may know them.
	Attendees []Party
}

// Party is an ORGANIZER or ATTENDEE: a display name (CN) and a
// calendar user address, a URI (RFC 5545 3.3.3). Tandem shares no
// e-mail addresses, so the address names the party inside Tandem.
type Party struct {
	Name string
	URI  string
}

// Render returns the calendar as RFC 5545 text.
func Render(c Calendar) []byte {
	var b bytes.Buffer
	_ = Write(&b, c)
	return b.Bytes()
}

// Write writes the calendar: CRLF line ends, lines folded at 75 octets
// without splitting a UTF-8 character, TEXT values escaped.
func Write(w io.Writer, c Calendar) error {
	lw := &lineWriter{w: w}
	lw.prop("BEGIN", "VCALENDAR")
	lw.prop("VERSION", "2.0")
	lw.prop("PRODID", ProdID)
	lw.prop("CALSCALE", "GREGORIAN")
	lw.prop("METHOD", method(c))
	if c.Name != "" {
		lw.prop("X-WR-CALNAME", Escape(c.Name))
	}
	if c.TimeZone != "" {
		lw.prop("X-WR-TIMEZONE", Escape(c.TimeZone))
	}
	for _, e := range c.Events {
		lw.prop("BEGIN", "VEVENT")
		lw.prop("UID", Escape(e.UID))
		lw.prop("DTSTAMP", utc(e.Stamp))
		lw.prop("DTSTART", utc(e.Start))
		lw.prop("DTEND", utc(e.End))
		lw.prop("SEQUENCE", strconv.Itoa(max(0, e.Sequence)))
		if !e.LastModified.IsZero() {
			lw.prop("LAST-MODIFIED", utc(e.LastModified))
		}
		lw.prop("SUMMARY", Escape(e.Summary))
		if e.Location != "" {
			lw.prop("LOCATION", Escape(e.Location))
		}
		if e.Description != "" {
			lw.prop("DESCRIPTION", Escape(e.Description))
		}
		if e.Organizer.URI != "" {
			lw.param("ORGANIZER", e.Organizer, "")
		}
		for _, a := range e.Attendees {
			if a.URI != "" {
				lw.param("ATTENDEE", a, ";ROLE=REQ-PARTICIPANT")
			}
		}
		if e.URL != "" && !strings.ContainsAny(e.URL, "\r\n") {
			lw.prop("URL", e.URL)
		}
		if e.Cancelled {
			lw.prop("STATUS", "CANCELLED")
		} else {
			lw.prop("STATUS", "CONFIRMED")
		}
		lw.prop("TRANSP", "OPAQUE")
		lw.prop("END", "VEVENT")
	}
	lw.prop("END", "VCALENDAR")
	return lw.err
}

// method is CANCEL for a file that only cancels one meeting, so a client
// that opens it removes the entry it imported; any other file is PUBLISH,
// whose cancelled meetings carry STATUS:CANCELLED.
func method(c Calendar) string {
	if len(c.Events) == 1 && c.Events[0].Cancelled {
		return "CANCEL"
	}
	return "PUBLISH"
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Escape escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon and
// comma get a backslash, line breaks become \n, and other control
// characters, which the grammar does not allow, are dropped, as are invalid
// UTF-8 bytes.
func Escape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			// invalid input byte: dropped
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// control characters are not allowed in TEXT
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineWriter writes content lines, folded.
type lineWriter struct {
	w   io.Writer
	err error
}

// MaxLineOctets is the longest line, CRLF excluded, RFC 5545 3.1 allows.
const MaxLineOctets = 75

func (lw *lineWriter) prop(name, value string) {
	if lw.err != nil {
		return
	}
	_, lw.err = io.WriteString(lw.w, Fold(name+":"+value))
}

// param writes an ORGANIZER or ATTENDEE line: NAME;CN="...":URI.
func (lw *lineWriter) param(name string, p Party, params string) {
	if strings.ContainsAny(p.URI, "\x00\r\n\t \"") {
		return
	}
	line := name
	if cn := ParamValue(p.Name); cn != "" {
		line += `;CN="` + cn + `"`
	}
	lw.prop(line+params, p.URI)
}

// ParamValue makes text a quoted parameter value's content (RFC 5545 3.2):
// a double quote cannot be escaped there, so it becomes a single one;
// control characters and invalid UTF-8 are dropped.
func ParamValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0x20, r == 0x7f:
		case r == '"':
			b.WriteByte('\'')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// Fold splits a content line into lines of at most 75 octets, each
// continuation starting with a space, never inside a UTF-8 character, and
// ends every line with CRLF.
func Fold(line string) string {
	var b strings.Builder
	limit := MaxLineOctets
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = MaxLineOctets - 1 // the leading space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}
