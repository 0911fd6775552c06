package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// personFields are the person flags create and update share.
type personFields struct {
	organization, name, role, orcid, bio, email, phone, visibility string
	consent                                                        bool
}

func (p *personFields) bind(f *pflag.FlagSet) {
	f.StringVar(&p.organization, "organization", "", "id of the person's organisation")
	f.StringVar(&p.name, "name", "", "full name")
	f.StringVar(&p.role, "role", "", "role, e.g. group leader")
	f.StringVar(&p.orcid, "orcid", "", "ORCID iD, e.g. 0000-0002-1825-0097")
	f.StringVar(&p.bio, "bio", "", "short biography")
	f.StringVar(&p.email, "email", "", "contact e-mail (shown only with --consent)")
	f.StringVar(&p.phone, "phone", "", "contact phone (shown only with --consent)")
	f.BoolVar(&p.consent, "consent", false, "the person agreed to show their contact details")
	f.StringVar(&p.visibility, "visibility", "", "public, cluster-members, anonymous or hidden (default: as the organisation)")
}

func (p *personFields) apply(f *pflag.FlagSet, person *profilesv1.Person) ([]string, error) {
	var paths []string
	contact := func() *profilesv1.Contact {
		if person.Contact == nil {
			person.Contact = &profilesv1.Contact{}
		}
		return person.Contact
	}
	for _, s := range []struct {
		flag, path string
		set        func()
	}{
		{"organization", "organization_id", func() { person.OrganizationId = p.organization }},
		{"name", "name", func() { person.Name = p.name }},
		{"role", "role", func() { person.Role = p.role }},
		{"orcid", "orcid", func() { person.Orcid = p.orcid }},
		{"bio", "bio", func() { person.Bio = p.bio }},
		{"email", "contact.email", func() { contact().Email = p.email }},
		{"phone", "contact.phone", func() { contact().Phone = p.phone }},
		{"consent", "contact.consent_to_share", func() { contact().ConsentToShare = p.consent }},
	} {
		if f.Changed(s.flag) {
			s.set()
			paths = append(paths, s.path)
		}
	}
	if f.Changed("visibility") {
		v, err := parseEnum(profilesv1.Visibility(0).Descriptor(), "VISIBILITY_", p.visibility)
		if err != nil {
			return nil, err
		}
		person.Visibility = profilesv1.Visibility(v)
		paths = append(paths, "visibility")
	}
	return paths, nil
}

var personColumns = []column[*profilesv1.Person]{
	{"ID", func(p *profilesv1.Person) string { return p.GetId() }},
	{"NAME", func(p *profilesv1.Person) string { return p.GetName() }},
	{"ROLE", func(p *profilesv1.Person) string { return p.GetRole() }},
	{"ORGANIZATION", func(p *profilesv1.Person) string { return p.GetOrganizationId() }},
	{"ORCID", func(p *profilesv1.Person) string { return p.GetOrcid() }},
	{"VERSION", func(p *profilesv1.Person) string { return strconv.FormatInt(p.GetVersion(), 10) }},
}

func newPeopleCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "people", Short: "Create, read, list, update and erase people"}
	cmd.AddCommand(newPeopleCreateCmd(env), newPeopleGetCmd(env), newPeopleListCmd(env), newPeopleUpdateCmd(env), newPeopleEraseCmd(env))
	return cmd
}

// profilesCall runs fn with a profiles client and the call's deadline.
func profilesCall(cmd *cobra.Command, env *cliEnv, fn func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error) error {
	return withClient(cmd, env, "profiles", profilesv1.NewProfilesServiceClient, fn)
}

func newPeopleCreateCmd(env *cliEnv) *cobra.Command {
	var fields personFields
	var file, reqID string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a person from flags or a JSON file",
		Example: `  tandem people create --organization 01J... --name "Ada Rossi" --role "group leader" --orcid 0000-0002-1825-0097`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			person := &profilesv1.Person{}
			if file != "" {
				if err := readJSON(file, person); err != nil {
					return err
				}
			}
			if _, err := fields.apply(cmd.Flags(), person); err != nil {
				return err
			}
			if reqID == "" {
				reqID = requestID("person", person)
			}
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				res, err := c.CreatePerson(cmd.Context(), &profilesv1.CreatePersonRequest{Person: person, ClientRequestId: reqID})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Person{res.GetPerson()}, personColumns)
			})
		},
	}
	fields.bind(cmd.Flags())
	cmd.Flags().StringVar(&file, "from-file", "", "JSON of a Person (\"-\" reads stdin); flags override its fields")
	cmd.Flags().StringVar(&reqID, "request-id", "", "client request id (default: derived from the input)")
	return cmd
}

func newPeopleGetCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one person",
		Args:  exactArgs(1, "the person id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				res, err := c.GetPerson(cmd.Context(), &profilesv1.GetPersonRequest{Id: args[0]})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Person{res.GetPerson()}, personColumns)
			})
		},
	}
}

func newPeopleListCmd(env *cliEnv) *cobra.Command {
	req := &profilesv1.ListPeopleRequest{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List people, filtered",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				res, err := c.ListPeople(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				if err := printList(env, cmd.OutOrStdout(), res, res.GetPeople(), personColumns); err != nil {
					return err
				}
				if res.GetNextPageToken() != "" && env.output == outputTable {
					fmt.Fprintf(cmd.ErrOrStderr(), "more: --page-token %s\n", res.GetNextPageToken())
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.OrganizationId, "organization", "", "only people of this organisation")
	f.StringVar(&req.Query, "query", "", "text in the name")
	f.StringVar(&req.Orcid, "orcid", "", "the person with this ORCID iD")
	f.Int32Var(&req.PageSize, "page-size", 50, "people per page")
	f.StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func newPeopleUpdateCmd(env *cliEnv) *cobra.Command {
	var fields personFields
	var version int64
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change the fields given as flags",
		Args:  exactArgs(1, "the person id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			person := &profilesv1.Person{Id: args[0]}
			paths, err := fields.apply(cmd.Flags(), person)
			if err != nil {
				return err
			}
			if len(paths) == 0 {
				return usageError{fmt.Errorf("nothing to change: give at least one field flag (see --help)")}
			}
			versionSet := cmd.Flags().Changed("version")
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				version, err := expectedVersion(versionSet, version, func() (*profilesv1.Person, error) {
					cur, err := c.GetPerson(cmd.Context(), &profilesv1.GetPersonRequest{Id: args[0]})
					return cur.GetPerson(), err
				})
				if err != nil {
					return err
				}
				res, err := c.UpdatePerson(cmd.Context(), &profilesv1.UpdatePersonRequest{
					Person: person, ExpectedVersion: version, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Person{res.GetPerson()}, personColumns)
			})
		},
	}
	fields.bind(cmd.Flags())
	cmd.Flags().Int64Var(&version, "version", 0, "the version being changed (default: the current one)")
	return cmd
}

func newPeopleEraseCmd(env *cliEnv) *cobra.Command {
	var version int64
	var reason string
	cmd := &cobra.Command{
		Use:   "erase ID",
		Short: "Erase a person everywhere (GDPR)",
		Args:  exactArgs(1, "the person id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			versionSet := cmd.Flags().Changed("version")
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				version, err := expectedVersion(versionSet, version, func() (*profilesv1.Person, error) {
					cur, err := c.GetPerson(cmd.Context(), &profilesv1.GetPersonRequest{Id: args[0]})
					return cur.GetPerson(), err
				})
				if err != nil {
					return err
				}
				res, err := c.ErasePerson(cmd.Context(), &profilesv1.ErasePersonRequest{Id: args[0], ExpectedVersion: version, Reason: reason})
				if err != nil {
					return fromStatus(err)
				}
				if env.output == outputJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "erased %s\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "the version being erased (default: the current one)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	return cmd
}
