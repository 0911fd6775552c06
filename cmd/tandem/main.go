// Command tandem is Tandem's command-line tool: it runs the whole system for
// development (tandem dev) and drives the services' APIs for scripted use.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes: 0 success, 1 a failure at run time, 2 a usage error.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error the user fixes by changing the command line.
type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	return runRoot(ctx, newRootCmd(), args)
}

// runRoot executes the command tree and turns its error into an exit code.
func runRoot(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(root.ErrOrStderr(), "tandem:", err)
		return exitCode(err)
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "tandem",
		Short:         "Tandem: partner suggestions and B2B brokerage for life-sciences clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	env := newCLIEnv()
	env.bind(root)
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return env.check() }
	root.AddCommand(newDevCmd(), newVersionCmd(), newOrgsCmd(env), newPeopleCmd(env), newEventsCmd(env), newAgendaCmd(env), newLoginCmd(env), newImportCmd(env),
		newTermsCmd(env), newCompetenciesCmd(env), newOffersCmd(env), newSuggestCmd(env), newKeysCmd(), newTokenCmd(), newAdminCmd(env))
	return root
}
