package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

func newAdminCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator tasks that talk to NATS directly",
	}
	dlq := &cobra.Command{
		Use:   "dlq",
		Short: "List and replay events parked on the dead-letter stream " + natsx.DeadLetterStream,
		Long: `A consumer parks an event that no handler can ever take on ` + natsx.DeadLetterStream + `
(subject tandem.dlq.<stream>.<consumer>), with headers naming the original stream, subject,
sequence and the error. list shows them; replay publishes each again on its original subject
(consumers are idempotent by aggregate version, so the others skip it) and removes it from
the dead-letter stream.`,
	}
	natsURL := os.Getenv("TANDEM_NATS_URL")
	if natsURL == "" {
		natsURL = nats.DefaultURL
	}
	dlq.PersistentFlags().StringVar(&natsURL, "nats-url", natsURL, "NATS server URL(s), separated by commas ($TANDEM_NATS_URL; tandem dev listens on nats://127.0.0.1:4223)")
	dlq.AddCommand(newDLQListCmd(env, &natsURL), newDLQReplayCmd(env, &natsURL))
	cmd.AddCommand(dlq)
	return cmd
}

// deadLetter is one message of the dead-letter stream, as list prints it.
type deadLetter struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Stream   string    `json:"stream"`
	Consumer string    `json:"consumer"`
	Subject  string    `json:"subject"`
	Sequence uint64    `json:"sequence"`
	Error    string    `json:"error"`
	Size     int       `json:"size"`

	msg *jetstream.RawStreamMsg
}

// openDLQ connects and returns the dead-letter stream, or nil when no
// consumer has parked anything yet.
func openDLQ(ctx context.Context, url string) (*nats.Conn, jetstream.Stream, error) {
	nc, err := nats.Connect(url, nats.Name("tandem-admin"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, nil, apiError{exitUnavailable, fmt.Sprintf("nats unavailable: %v (see --nats-url)", err)}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	st, err := js.Stream(ctx, natsx.DeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nc, nil, nil
	}
	if err != nil {
		nc.Close()
		return nil, nil, apiError{exitUnavailable, fmt.Sprintf("dead-letter stream: %v", err)}
	}
	return nc, st, nil
}

// readDLQ connects and reads the dead-letter stream: nil and no letters
// when no consumer has parked anything yet. The caller closes nc.
func readDLQ(ctx context.Context, url string) (*nats.Conn, jetstream.Stream, []deadLetter, error) {
	nc, st, err := openDLQ(ctx, url)
	if err != nil || st == nil {
		return nc, st, nil, err
	}
	list, err := deadLetters(ctx, st)
	if err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	return nc, st, list, nil
}

// deadLetters reads every message of the stream (it is small: only events
// no handler could take land there).
func deadLetters(ctx context.Context, st jetstream.Stream) ([]deadLetter, error) {
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []deadLetter
	if info.State.Msgs == 0 {
		return nil, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		orig, _ := strconv.ParseUint(m.Header.Get(natsx.HeaderDLQSequence), 10, 64)
		out = append(out, deadLetter{Seq: m.Sequence, Time: m.Time, Stream: m.Header.Get(natsx.HeaderDLQStream),
			Consumer: m.Header.Get(natsx.HeaderDLQConsumer), Subject: m.Header.Get(natsx.HeaderDLQSubject),
			Sequence: orig, Error: m.Header.Get(natsx.HeaderDLQError), Size: len(m.Data), msg: m})
	}
	return out, nil
}

func newDLQListCmd(env *cliEnv, natsURL *string) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the parked events, oldest first",
		Example: `  tandem admin dlq list --nats-url nats://nats:4222`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := env.call(cmd.Context())
			defer cancel()
			nc, _, list, err := readDLQ(ctx, *natsURL)
			if err != nil {
				return err
			}
			defer nc.Close()
			w := cmd.OutOrStdout()
			if env.output == outputJSON {
				if list == nil {
					list = []deadLetter{}
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"deadLetters": list})
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tPARKED\tSTREAM\tCONSUMER\tSUBJECT\tSEQUENCE\tERROR")
			for _, d := range list {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.Seq, d.Time.UTC().Format(time.RFC3339), d.Stream, d.Consumer,
					d.Subject, d.Sequence, strings.ReplaceAll(d.Error, "\t", " "))
			}
			return tw.Flush()
		},
	}
}

func newDLQReplayCmd(env *cliEnv, natsURL *string) *cobra.Command {
	var all, keep bool
	cmd := &cobra.Command{
		Use:   "replay [SEQ...]",
		Short: "Publish parked events again on their original subjects",
		Long: `replay publishes the parked events with the given dead-letter sequence numbers (from
list), or every one with --all, on their original subjects with their original headers,
then deletes them from the dead-letter stream (--keep leaves them).`,
		Example: `  tandem admin dlq replay 4 7
  tandem admin dlq replay --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageError{errors.New("give dead-letter sequence numbers or --all")}
			}
			want := map[uint64]bool{}
			for _, a := range args {
				n, err := strconv.ParseUint(a, 10, 64)
				if err != nil || n == 0 {
					return usageError{fmt.Errorf("sequence %q: want a positive number from tandem admin dlq list", a)}
				}
				want[n] = true
			}
			ctx, cancel := env.call(cmd.Context())
			defer cancel()
			nc, st, list, err := readDLQ(ctx, *natsURL)
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			replayed := 0
			for _, d := range list {
				if !all && !want[d.Seq] {
					continue
				}
				delete(want, d.Seq)
				if d.Subject == "" {
					return fmt.Errorf("dead letter %d names no original subject", d.Seq)
				}
				if strings.HasPrefix(d.Subject, "$KV.") {
					// Published again, it would be a new revision of the key:
					// the bucket's state would go back to this old value.
					return fmt.Errorf("dead letter %d comes from the bucket stream %s: replaying it would overwrite the key %s", d.Seq, d.Stream, d.Subject)
				}
				m := nats.NewMsg(d.Subject)
				m.Data = d.msg.Data
				for k, v := range d.msg.Header {
					if !strings.HasPrefix(k, "Tandem-Dlq-") && !strings.HasPrefix(k, "Nats-") {
						m.Header[k] = v
					}
				}
				if _, err := js.PublishMsg(ctx, m); err != nil {
					return apiError{exitUnavailable, fmt.Sprintf("replay %d on %s: %v", d.Seq, d.Subject, err)}
				}
				if !keep {
					if err := st.DeleteMsg(ctx, d.Seq); err != nil {
						return fmt.Errorf("replayed %d but could not delete it: %w", d.Seq, err)
					}
				}
				replayed++
				fmt.Fprintf(cmd.OutOrStdout(), "replayed %d on %s\n", d.Seq, d.Subject)
			}
			if len(want) > 0 {
				var missing []string
				for n := range want {
					missing = append(missing, strconv.FormatUint(n, 10))
				}
				return apiError{exitNotFound, "no dead letter with sequence " + strings.Join(missing, ", ")}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d replayed\n", replayed)
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "replay every parked event")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the replayed events on the dead-letter stream")
	return cmd
}
