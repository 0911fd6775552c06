package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// requestRow is one meeting request of an import file.
type requestRow struct {
	Line     int    `json:"-"`
	From     string `json:"from"`
	To       string `json:"to"`
	Priority string `json:"priority"`
	Message  string `json:"message"`
	// Accept answers the request at once for the recipient (organisers
	// import requests both sides already agreed on); Mutual accepts it as
	// mutual.
	Accept bool `json:"accept"`
	Mutual bool `json:"mutual"`
}

// maxImportRows bounds an import file: the largest partnering fairs have
// about 30,000 meetings.
const maxImportRows = 200_000

// parseRequests reads an import file: CSV with a header naming the columns
// (from, to, and optionally priority, message, accept, mutual), or JSON
// Lines with the same fields. Errors name the line.
func parseRequests(r io.Reader, format string) ([]requestRow, error) {
	var rows []requestRow
	add := func(row requestRow) error {
		if row.From == "" || row.To == "" {
			return fmt.Errorf("line %d: from and to are required", row.Line)
		}
		switch strings.ToLower(row.Priority) {
		case "", "want", "must":
		default:
			return fmt.Errorf("line %d: priority %q is not want or must", row.Line, row.Priority)
		}
		if row.Mutual && !row.Accept {
			return fmt.Errorf("line %d: mutual needs accept", row.Line)
		}
		if len(rows) == maxImportRows {
			return fmt.Errorf("line %d: more than %d requests", row.Line, maxImportRows)
		}
		rows = append(rows, row)
		return nil
	}
	switch format {
	case "jsonl":
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for line := 1; sc.Scan(); line++ {
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			var row requestRow
			if err := dec.Decode(&row); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			if dec.More() {
				return nil, fmt.Errorf("line %d: one JSON object per line", line)
			}
			row.Line = line
			if err := add(row); err != nil {
				return nil, err
			}
		}
		return rows, sc.Err()
	case "csv":
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("line 1: header: %w", err)
		}
		col := map[string]int{}
		for i, h := range header {
			h = strings.ToLower(strings.TrimSpace(h))
			switch h {
			case "from", "to", "priority", "message", "accept", "mutual":
			default:
				return nil, fmt.Errorf("line 1: unknown column %q (from, to, priority, message, accept, mutual)", h)
			}
			if _, dup := col[h]; dup {
				return nil, fmt.Errorf("line 1: column %q twice", h)
			}
			col[h] = i
		}
		for _, need := range []string{"from", "to"} {
			if _, ok := col[need]; !ok {
				return nil, fmt.Errorf("line 1: no %q column", need)
			}
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			line, _ := cr.FieldPos(0)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			get := func(name string) string {
				if i, ok := col[name]; ok && i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
				return ""
			}
			row := requestRow{Line: line, From: get("from"), To: get("to"), Priority: get("priority"), Message: get("message")}
			for name, dst := range map[string]*bool{"accept": &row.Accept, "mutual": &row.Mutual} {
				if v := get(name); v != "" {
					b, err := strconv.ParseBool(v)
					if err != nil {
						return nil, fmt.Errorf("line %d: %s %q is not true or false", line, name, v)
					}
					*dst = b
				}
			}
			if err := add(row); err != nil {
				return nil, err
			}
		}
	}
	return nil, fmt.Errorf("unknown format %q (csv or jsonl)", format)
}

// newBar shows progress only on a terminal, so logs and pipes get the
// summary alone.
func newBar(w io.Writer, total int, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return progressbar.NewOptions(total, progressbar.OptionSetVisibility(false), progressbar.OptionSetWriter(io.Discard))
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

func newEventsImportRequestsCmd(env *cliEnv) *cobra.Command {
	var event, format string
	cmd := &cobra.Command{
		Use:   "import-requests [EVENT] FILE",
		Short: "Send (and optionally accept) many meeting requests from a CSV or JSON Lines file, 1,000 per call",
		Long: `Each row names the sender and the recipient by participant id:
  CSV:   from,to,priority,message,accept,mutual   (header required; only from and to are required)
  JSONL: {"from":"01J...","to":"01J...","priority":"must","accept":true,"mutual":false}
Running the same file again changes nothing.`,
		Args: eventArgs(&event, 1, "the file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[len(args)-1]
			data, err := os.ReadFile(path)
			if err != nil {
				return usageError{err}
			}
			if format == "" {
				format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
			}
			rows, err := parseRequests(bytes.NewReader(data), format)
			if err != nil {
				return usageError{fmt.Errorf("%s: %w", path, err)}
			}
			sum := sha256.Sum256(append([]byte(event+"\x00"), data...))
			key := "import-" + hex.EncodeToString(sum[:12])
			return importRequests(cmd, env, event, key, rows)
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the file's extension)")
	return cmd
}

// importRequests sends the rows in batches, then accepts those marked so.
// Batch keys derive from the file, so a rerun returns the first results.
func importRequests(cmd *cobra.Command, env *cliEnv, event, key string, rows []requestRow) error {
	conn, err := env.dial("meetings")
	if err != nil {
		return err
	}
	defer conn.Close()
	c := meetingsv1.NewMeetingsServiceClient(conn)
	const batch = 1000
	var failed []string
	ids := make([]string, len(rows))
	bar := newBar(cmd.ErrOrStderr(), len(rows), "requests")
	for start := 0; start < len(rows); start += batch {
		end := min(len(rows), start+batch)
		req := &meetingsv1.BatchRequestMeetingsRequest{EventId: event, ClientRequestId: fmt.Sprintf("%s-%d", key, start)}
		for _, r := range rows[start:end] {
			prio := meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT
			if strings.EqualFold(r.Priority, "must") {
				prio = meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
			}
			req.Items = append(req.Items, &meetingsv1.RequestMeetingRequest{FromParticipantId: r.From, ToParticipantId: r.To, Priority: prio, Message: r.Message})
		}
		ctx, cancel := env.call(cmd.Context())
		res, err := c.BatchRequestMeetings(ctx, req)
		cancel()
		if err != nil {
			_ = bar.Finish()
			return fromStatus(err)
		}
		for i, r := range res.GetResults() {
			if e := r.GetError(); e != nil {
				failed = append(failed, fmt.Sprintf("line %d: %s: %s", rows[start+i].Line, e.GetCode(), e.GetMessage()))
				continue
			}
			ids[start+i] = r.GetMeetingRequest().GetId()
		}
		_ = bar.Set(end)
	}
	_ = bar.Finish()
	var answers []*meetingsv1.RespondToMeetingRequestRequest
	var lines []int
	for i, r := range rows {
		if r.Accept && ids[i] != "" {
			answers = append(answers, &meetingsv1.RespondToMeetingRequestRequest{
				RequestId: ids[i], Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT, AcceptAsMutual: r.Mutual})
			lines = append(lines, r.Line)
		}
	}
	bar = newBar(cmd.ErrOrStderr(), len(answers), "answers")
	accepted := 0
	for start := 0; start < len(answers); start += batch {
		end := min(len(answers), start+batch)
		ctx, cancel := env.call(cmd.Context())
		res, err := c.BatchRespondToMeetingRequests(ctx, &meetingsv1.BatchRespondToMeetingRequestsRequest{Items: answers[start:end]})
		cancel()
		if err != nil {
			_ = bar.Finish()
			return fromStatus(err)
		}
		for i, r := range res.GetResults() {
			if e := r.GetError(); e != nil {
				failed = append(failed, fmt.Sprintf("line %d: accept: %s: %s", lines[start+i], e.GetCode(), e.GetMessage()))
				continue
			}
			accepted++
		}
		_ = bar.Set(end)
	}
	_ = bar.Finish()
	sent := 0
	for _, id := range ids {
		if id != "" {
			sent++
		}
	}
	out := cmd.OutOrStdout()
	if env.output == outputJSON {
		b, _ := json.Marshal(map[string]any{"requests": sent, "accepted": accepted, "failed": failed})
		fmt.Fprintln(out, string(b))
	} else {
		fmt.Fprintf(out, "%d requests, %d accepted, %d failed\n", sent, accepted, len(failed))
		for _, f := range failed {
			fmt.Fprintln(out, "  "+f)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d rows failed", len(failed), len(rows))
	}
	return nil
}
