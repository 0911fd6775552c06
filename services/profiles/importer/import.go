package importer

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Options tune an import.
type Options struct {
	Format Format
	// Progress, when set, shows a progress bar there (use ProgressTo to get
	// one only on a terminal).
	Progress io.Writer
	// Workers is how many calls run at once; 0 means 8.
	Workers int
	// BatchSize is how many rows one BatchCreateOrganizations call sends;
	// 0 means 200, 1 creates row by row. Against a service without the
	// batch call the import goes row by row by itself.
	BatchSize int
	// CallTimeout bounds each call; 0 means 30s.
	CallTimeout time.Duration
}

// Report says what an import did.
type Report struct {
	Rows     int         // rows read
	Imported int         // rows that exist in the service now (created, or already there from an earlier run)
	Rejected []Rejection // rows not imported, by line
	Elapsed  time.Duration
}

// ProgressTo returns f when it is a terminal, else nil, so a bar is drawn
// for people and never into logs or pipes.
func ProgressTo(f *os.File) io.Writer {
	if f != nil && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// Import reads organisations from r and creates each through client. It goes
// on past rejected rows and reports them; it returns an error only when the
// input is unreadable or ctx ends.
func Import(ctx context.Context, client profilesv1.ProfilesServiceClient, r io.Reader, o Options) (Report, error) {
	start := time.Now()
	rows, rej, err := Parse(r, o.Format)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Rows: len(rows) + len(rej), Rejected: rej}
	workers := o.Workers
	if workers <= 0 {
		workers = 8
	}
	timeout := o.CallTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var bar *progressbar.ProgressBar
	if o.Progress != nil {
		bar = progressbar.NewOptions(len(rows),
			progressbar.OptionSetWriter(o.Progress),
			progressbar.OptionSetDescription("importing organizations"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Progress) }),
		)
	}

	size := o.BatchSize
	if size <= 0 {
		size = 200
	}
	jobs := make(chan []Row)
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		noBatch atomic.Bool // the service has no batch call: row by row
	)
	record := func(row Row, err error) {
		mu.Lock()
		if err != nil {
			rep.Rejected = append(rep.Rejected, Rejection{Line: row.Line, Name: clip(row.Org.GetName()), Reason: err.Error()})
		} else {
			rep.Imported++
		}
		mu.Unlock()
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	for range workers {
		wg.Go(func() {
			for batch := range jobs {
				if size > 1 && !noBatch.Load() {
					errs, err := createBatch(ctx, client, batch, timeout)
					if status.Code(err) != codes.Unimplemented {
						for i, row := range batch {
							if err != nil {
								record(row, reason(err))
							} else {
								record(row, errs[i])
							}
						}
						continue
					}
					noBatch.Store(true)
				}
				for _, row := range batch {
					record(row, create(ctx, client, row, timeout))
				}
			}
		})
	}
feed:
	for batch := range slices.Chunk(rows, size) {
		select {
		case jobs <- batch:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
	}
	slices.SortFunc(rep.Rejected, func(a, b Rejection) int { return a.Line - b.Line })
	rep.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("import interrupted: %w", err)
	}
	return rep, nil
}

// retryable are the failures a retry can fix; the client request ids make a
// retry of a create that did land harmless.
func retryable(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
		return true
	}
	return false
}

// createBatch sends rows in one BatchCreateOrganizations call, retrying the
// whole call (and then the items that failed in a retryable way) as create
// retries one row, and returns each row's error.
func createBatch(ctx context.Context, client profilesv1.ProfilesServiceClient, rows []Row, timeout time.Duration) ([]error, error) {
	errs := make([]error, len(rows))
	todo := make([]int, len(rows))
	for i := range todo {
		todo[i] = i
	}
	var err error
	for attempt, wait := 0, 200*time.Millisecond; attempt < 4 && len(todo) > 0; attempt, wait = attempt+1, wait*2 {
		if attempt > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		req := &profilesv1.BatchCreateOrganizationsRequest{Items: make([]*profilesv1.CreateOrganizationRequest, len(todo))}
		for j, i := range todo {
			req.Items[j] = &profilesv1.CreateOrganizationRequest{Organization: rows[i].Org, ClientRequestId: rows[i].RequestID}
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		var res *profilesv1.BatchCreateOrganizationsResponse
		res, err = client.BatchCreateOrganizations(cctx, req)
		cancel()
		if err != nil {
			if retryable(status.Code(err)) && ctx.Err() == nil {
				continue
			}
			return nil, err
		}
		if len(res.GetResults()) != len(todo) {
			return nil, status.Errorf(codes.Internal, "the service answered %d results for %d items", len(res.GetResults()), len(todo))
		}
		var again []int
		for j, r := range res.GetResults() {
			i := todo[j]
			errs[i] = itemReason(r.GetError())
			if e := r.GetError(); e != nil && retryable(grpcerr.ItemCode(e.GetCode())) {
				again = append(again, i)
			}
		}
		todo, err = again, nil
	}
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// itemReason is a batch item's refusal as reason words it for one call.
func itemReason(e *profilesv1.ItemError) error {
	if e == nil {
		return nil
	}
	var parts []string
	for _, v := range e.GetFieldViolations() {
		parts = append(parts, strings.TrimPrefix(v.GetField(), "organization.")+": "+v.GetDescription())
	}
	if len(parts) == 0 {
		return rowError(e.GetCode() + ": " + e.GetMessage())
	}
	return rowError(strings.Join(parts, "; "))
}

// create sends one row, retrying what a retry can fix; the client request id
// makes a retry of a create that did land harmless.
func create(ctx context.Context, client profilesv1.ProfilesServiceClient, row Row, timeout time.Duration) error {
	var err error
	for attempt, wait := 0, 200*time.Millisecond; attempt < 4; attempt, wait = attempt+1, wait*2 {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		_, err = client.CreateOrganization(cctx, &profilesv1.CreateOrganizationRequest{Organization: row.Org, ClientRequestId: row.RequestID})
		cancel()
		switch c := status.Code(err); {
		case c == codes.OK:
			return nil
		case retryable(c):
			if ctx.Err() != nil {
				return reason(err)
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return reason(err)
			}
		default:
			return reason(err)
		}
	}
	return reason(err)
}

// reason turns a refusal into a line a person can act on.
type rowError string

func (e rowError) Error() string { return string(e) }

func reason(err error) error {
	st := status.Convert(err)
	var parts []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				parts = append(parts, strings.TrimPrefix(v.GetField(), "organization.")+": "+v.GetDescription())
			}
		}
	}
	if len(parts) == 0 {
		return rowError(st.Code().String() + ": " + st.Message())
	}
	return rowError(strings.Join(parts, "; "))
}

// Print writes the report for people.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "imported %d of %d rows in %s", r.Imported, r.Rows, r.Elapsed.Round(time.Millisecond))
	if secs := r.Elapsed.Seconds(); secs > 0 && r.Imported > 0 {
		fmt.Fprintf(w, " (%.0f rows/s)", float64(r.Imported)/secs)
	}
	fmt.Fprintln(w)
	if len(r.Rejected) == 0 {
		return
	}
	fmt.Fprintf(w, "%d rows rejected:\n", len(r.Rejected))
	for _, x := range r.Rejected {
		name := ""
		if x.Name != "" {
			name = " (" + x.Name + ")"
		}
		fmt.Fprintf(w, "  line %d%s: %s\n", x.Line, name, x.Reason)
	}
}

// ImportFile imports the file at path, detecting its format unless o.Format is set.
func ImportFile(ctx context.Context, client profilesv1.ProfilesServiceClient, path string, o Options) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	if o.Format == "" {
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		if o.Format, err = DetectFormat(path, head[:n]); err != nil {
			return Report{}, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Report{}, err
		}
	}
	return Import(ctx, client, f, o)
}
