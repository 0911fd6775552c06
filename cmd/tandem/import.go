package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/importer"
)

func newImportCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Load data into Tandem in bulk; re-runs create nothing twice"}
	cmd.AddCommand(newImportOrganizationsCmd(env), newImportBiotoolsCmd(env), newImportCordisCmd(env))
	return cmd
}

func newImportOrganizationsCmd(env *cliEnv) *cobra.Command {
	var format string
	var workers int
	cmd := &cobra.Command{
		Use:   "organizations FILE",
		Short: "Create organisations from CSV, JSONL or the bio.tools organisations.tsv",
		Long: `import organizations creates one organisation per row. A re-run creates nothing twice:
each row's request id comes from its id column, else its external ids, else its country
and name. Rejected rows are listed at the end with their reasons, and the command then
exits with status 2. It needs an administrator's or cluster manager's token (tandem login).`,
		Example: `  tandem login --user admin
  tandem import organizations services/profiles/data/biotools/organisations.tsv`,
		Args: exactArgs(1, "the file to import"),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, err := env.dial("profiles")
			if err != nil {
				return err
			}
			defer conn.Close()
			rep, err := importer.ImportFile(cmd.Context(), profilesv1.NewProfilesServiceClient(conn), args[0],
				importer.Options{Format: importer.Format(format), Workers: workers, CallTimeout: env.timeout, Progress: importer.ProgressTo(os.Stderr)})
			if err != nil {
				return fromStatus(err)
			}
			rep.Print(cmd.OutOrStdout())
			if len(rep.Rejected) > 0 {
				return usageError{fmt.Errorf("%d of %d rows rejected (listed above); fix them and run the import again", len(rep.Rejected), rep.Rows)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv, jsonl or biotools (default: from the file)")
	cmd.Flags().IntVar(&workers, "workers", 8, "creates in flight")
	return cmd
}
