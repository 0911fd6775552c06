package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tandem-cluster/tandem/pkg/config"
)

// Main is the whole main function of a service binary: it loads cfg (a
// pointer to the service's config, preset with its defaults) from PREFIX_*
// environment variables and flags, builds the options from it and runs until
// SIGINT or SIGTERM. It returns the process exit code: 0 after a clean
// shutdown or --help, 2 for bad configuration, 1 for a failure.
func Main(prefix string, cfg any, options func() Options) int {
	return main(context.Background(), prefix, cfg, options, os.Args[1:], os.Stdout, os.Stderr)
}

func main(ctx context.Context, prefix string, cfg any, options func() Options, args []string, stdout, stderr io.Writer) int {
	if err := config.Load(prefix, cfg, args, stdout); err != nil {
		if errors.Is(err, config.ErrHelp) {
			// The addresses differ per service, so they are preset on the
			// struct rather than in tags, and the usage above cannot show them.
			o := options()
			fmt.Fprintf(stdout, "DEFAULT ADDRESSES OF %s\n  --grpc-addr %s\n  --debug-addr %s\n", o.Name, o.Common.GRPCAddr, o.Common.DebugAddr)
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	o := options()
	// Refuse a binary without keys before it connects anywhere.
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Name, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, o); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Name, err)
		return 1
	}
	return 0
}
