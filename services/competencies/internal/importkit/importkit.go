// Package importkit holds what the competencies imports (bio.tools,
// CORDIS, the demo data) share: a progress bar for terminals, and waiting
// for the service to learn of organisations the import just created.
package importkit

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Bar shows progress only on a terminal, so logs and pipes stay clean.
func Bar(w io.Writer, total int, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	visible := ok && term.IsTerminal(int(f.Fd()))
	if !visible {
		return progressbar.NewOptions(total, progressbar.OptionSetVisibility(false), progressbar.OptionSetWriter(io.Discard))
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// RetryUnknownHolder calls fn until it succeeds, fails otherwise than with
// FailedPrecondition, or maxWait passes. The competencies service learns
// of a new organisation from the profiles service's events, so right after
// a create it may not know it yet: that is the FailedPrecondition waited out.
func RetryUnknownHolder(ctx context.Context, maxWait time.Duration, fn func() error) error {
	deadline := time.Now().Add(maxWait)
	wait := 50 * time.Millisecond
	for {
		err := fn()
		if status.Code(err) != codes.FailedPrecondition || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
