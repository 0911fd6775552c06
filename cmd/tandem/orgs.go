package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// orgFields are the organisation flags create and update share; each maps
// to one field path of the update mask.
type orgFields struct {
	name, shortName, kind, country, nuts, city, website, size, description, visibility string
	sectors, nace, clusters                                                            []string
	contactName, contactEmail, contactPhone                                            string
	consent                                                                            bool
}

func (o *orgFields) bind(f *pflag.FlagSet) {
	f.StringVar(&o.name, "name", "", "legal or common name")
	f.StringVar(&o.shortName, "short-name", "", "acronym or short name")
	f.StringVar(&o.kind, "kind", "", "company, university, research-institute, research-hospital, science-park, public-body, training-body, cluster, association, healthcare-provider")
	f.StringVar(&o.country, "country", "", "ISO 3166-1 alpha-2 country code, e.g. IT")
	f.StringVar(&o.nuts, "nuts", "", "NUTS region code, e.g. ITH44 (Trieste)")
	f.StringVar(&o.city, "city", "", "city")
	f.StringVar(&o.website, "website", "", "website URL")
	f.StringVar(&o.size, "size", "", "micro, small, medium or large")
	f.StringVar(&o.description, "description", "", "what the organisation does")
	f.StringVar(&o.visibility, "visibility", "", "public, cluster-members, anonymous or hidden")
	f.StringSliceVar(&o.sectors, "sector", nil, "sector (repeatable): biomedicine, biotechnology, bioinformatics, medtech, digital-health, ...")
	f.StringSliceVar(&o.nace, "nace", nil, "NACE Rev. 2 code (repeatable), e.g. 72.11")
	f.StringSliceVar(&o.clusters, "cluster", nil, "id of a cluster the organisation belongs to (repeatable)")
	f.StringVar(&o.contactName, "contact-name", "", "contact person")
	f.StringVar(&o.contactEmail, "contact-email", "", "contact e-mail")
	f.StringVar(&o.contactPhone, "contact-phone", "", "contact phone")
	f.BoolVar(&o.consent, "contact-consent", false, "the contact agreed to be shown")
}

// apply copies the flags that were set onto org and returns their field paths.
func (o *orgFields) apply(f *pflag.FlagSet, org *profilesv1.Organization) ([]string, error) {
	var paths []string
	set := func(flag, path string, fn func() error) error {
		if !f.Changed(flag) {
			return nil
		}
		paths = append(paths, path)
		return fn()
	}
	str := func(dst *string, v string) func() error { return func() error { *dst = v; return nil } }
	contact := func() *profilesv1.Contact {
		if org.Contact == nil {
			org.Contact = &profilesv1.Contact{}
		}
		return org.Contact
	}
	steps := []error{
		set("name", "name", str(&org.Name, o.name)),
		set("short-name", "short_name", str(&org.ShortName, o.shortName)),
		set("country", "country_code", str(&org.CountryCode, strings.ToUpper(o.country))),
		set("nuts", "nuts_code", str(&org.NutsCode, strings.ToUpper(o.nuts))),
		set("city", "city", str(&org.City, o.city)),
		set("website", "website", str(&org.Website, o.website)),
		set("description", "description", str(&org.Description, o.description)),
		set("kind", "kind", func() error {
			v, err := parseEnum(profilesv1.OrganizationKind(0).Descriptor(), "ORGANIZATION_KIND_", o.kind)
			org.Kind = profilesv1.OrganizationKind(v)
			return err
		}),
		set("size", "size_band", func() error {
			v, err := parseEnum(profilesv1.SizeBand(0).Descriptor(), "SIZE_BAND_", o.size)
			org.SizeBand = profilesv1.SizeBand(v)
			return err
		}),
		set("visibility", "visibility", func() error {
			v, err := parseEnum(profilesv1.Visibility(0).Descriptor(), "VISIBILITY_", o.visibility)
			org.Visibility = profilesv1.Visibility(v)
			return err
		}),
		set("sector", "sectors", func() error {
			org.Sectors = nil
			for _, s := range o.sectors {
				v, err := parseEnum(profilesv1.Sector(0).Descriptor(), "SECTOR_", s)
				if err != nil {
					return err
				}
				org.Sectors = append(org.Sectors, profilesv1.Sector(v))
			}
			return nil
		}),
		set("nace", "nace_codes", func() error { org.NaceCodes = o.nace; return nil }),
		set("cluster", "cluster_memberships", func() error {
			org.ClusterMemberships = nil
			for _, c := range o.clusters {
				org.ClusterMemberships = append(org.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c})
			}
			return nil
		}),
		set("contact-name", "contact.name", func() error { contact().Name = o.contactName; return nil }),
		set("contact-email", "contact.email", func() error { contact().Email = o.contactEmail; return nil }),
		set("contact-phone", "contact.phone", func() error { contact().Phone = o.contactPhone; return nil }),
		set("contact-consent", "contact.consent_to_share", func() error { contact().ConsentToShare = o.consent; return nil }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return paths, nil
}

var orgColumns = []column[*profilesv1.Organization]{
	{"ID", func(o *profilesv1.Organization) string { return o.GetId() }},
	{"NAME", func(o *profilesv1.Organization) string { return o.GetName() }},
	{"KIND", func(o *profilesv1.Organization) string {
		return enumShort(o.GetKind().Descriptor().Values().ByNumber(o.GetKind().Number()), "ORGANIZATION_KIND_")
	}},
	{"REGION", func(o *profilesv1.Organization) string { return o.GetNutsCode() }},
	{"CITY", func(o *profilesv1.Organization) string { return o.GetCity() }},
	{"VERSION", func(o *profilesv1.Organization) string { return strconv.FormatInt(o.GetVersion(), 10) }},
}

func newOrgsCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Aliases: []string{"organizations"}, Short: "Create, read, list, update and erase organisations"}
	cmd.AddCommand(newOrgsCreateCmd(env), newOrgsGetCmd(env), newOrgsListCmd(env), newOrgsUpdateCmd(env), newOrgsEraseCmd(env))
	return cmd
}

func newOrgsCreateCmd(env *cliEnv) *cobra.Command {
	var fields orgFields
	var file, reqID string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an organisation from flags or a JSON file",
		Example: `  tandem orgs create --name "Area Science Park" --kind science-park --country IT --nuts ITH44 --city Trieste
  tandem orgs create --from-file org.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			org := &profilesv1.Organization{}
			if file != "" {
				if err := readJSON(file, org); err != nil {
					return err
				}
			}
			if _, err := fields.apply(cmd.Flags(), org); err != nil {
				return err
			}
			req := &profilesv1.CreateOrganizationRequest{Organization: org, ClientRequestId: reqID}
			if req.ClientRequestId == "" {
				req.ClientRequestId = requestID("organization", org)
			}
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				res, err := c.CreateOrganization(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Organization{res.GetOrganization()}, orgColumns)
			})
		},
	}
	fields.bind(cmd.Flags())
	cmd.Flags().StringVar(&file, "from-file", "", "JSON of an Organization (\"-\" reads stdin); flags override its fields")
	cmd.Flags().StringVar(&reqID, "request-id", "", "client request id (default: derived from the input, so a re-run creates nothing new)")
	return cmd
}

func newOrgsGetCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one organisation",
		Args:  exactArgs(1, "the organisation id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				res, err := c.GetOrganization(cmd.Context(), &profilesv1.GetOrganizationRequest{Id: args[0]})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Organization{res.GetOrganization()}, orgColumns)
			})
		},
	}
}

func newOrgsListCmd(env *cliEnv) *cobra.Command {
	var kinds, sectors, regions, countries []string
	var cluster, query, external, pageToken string
	var pageSize int32
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List organisations, filtered",
		Example: `  tandem orgs list --kind university --region ITH4 --query trieste`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &profilesv1.ListOrganizationsRequest{PageSize: pageSize, PageToken: pageToken, NutsPrefixes: regions,
				CountryCodes: countries, ClusterId: cluster, Query: query, ExternalId: external}
			for _, k := range kinds {
				v, err := parseEnum(profilesv1.OrganizationKind(0).Descriptor(), "ORGANIZATION_KIND_", k)
				if err != nil {
					return err
				}
				req.Kinds = append(req.Kinds, profilesv1.OrganizationKind(v))
			}
			for _, s := range sectors {
				v, err := parseEnum(profilesv1.Sector(0).Descriptor(), "SECTOR_", s)
				if err != nil {
					return err
				}
				req.Sectors = append(req.Sectors, profilesv1.Sector(v))
			}
			conn, err := env.dial("profiles")
			if err != nil {
				return err
			}
			defer conn.Close()
			client := profilesv1.NewProfilesServiceClient(conn)
			out := &profilesv1.ListOrganizationsResponse{}
			for {
				ctx, cancel := env.call(cmd.Context())
				res, err := client.ListOrganizations(ctx, req)
				cancel()
				if err != nil {
					return fromStatus(err)
				}
				out.Organizations = append(out.Organizations, res.GetOrganizations()...)
				out.NextPageToken = res.GetNextPageToken()
				if !all || res.GetNextPageToken() == "" {
					break
				}
				req.PageToken = res.GetNextPageToken()
			}
			if err := printList(env, cmd.OutOrStdout(), out, out.GetOrganizations(), orgColumns); err != nil {
				return err
			}
			if out.GetNextPageToken() != "" && env.output == outputTable {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --page-token %s (or --all)\n", out.GetNextPageToken())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&kinds, "kind", nil, "organisation kind (repeatable)")
	f.StringSliceVar(&sectors, "sector", nil, "sector (repeatable)")
	f.StringSliceVar(&regions, "region", nil, "NUTS code prefix (repeatable), e.g. ITH4")
	f.StringSliceVar(&countries, "country", nil, "ISO country code (repeatable)")
	f.StringVar(&cluster, "cluster", "", "only members of this cluster")
	f.StringVar(&query, "query", "", "text in the name")
	f.StringVar(&external, "external-id", "", "an external id, e.g. biotools:EMBL-EBI")
	f.Int32Var(&pageSize, "page-size", 50, "organisations per page")
	f.StringVar(&pageToken, "page-token", "", "continue a previous listing")
	f.BoolVar(&all, "all", false, "fetch every page")
	return cmd
}

func newOrgsUpdateCmd(env *cliEnv) *cobra.Command {
	var fields orgFields
	var version int64
	cmd := &cobra.Command{
		Use:     "update ID",
		Short:   "Change the fields given as flags",
		Example: `  tandem orgs update 01J... --version 3 --website https://www.areasciencepark.it`,
		Args:    exactArgs(1, "the organisation id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			org := &profilesv1.Organization{Id: args[0]}
			paths, err := fields.apply(cmd.Flags(), org)
			if err != nil {
				return err
			}
			if len(paths) == 0 {
				return usageError{fmt.Errorf("nothing to change: give at least one field flag (see --help)")}
			}
			versionSet := cmd.Flags().Changed("version")
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				version, err := expectedVersion(versionSet, version, func() (*profilesv1.Organization, error) {
					cur, err := c.GetOrganization(cmd.Context(), &profilesv1.GetOrganizationRequest{Id: args[0]})
					return cur.GetOrganization(), err
				})
				if err != nil {
					return err
				}
				res, err := c.UpdateOrganization(cmd.Context(), &profilesv1.UpdateOrganizationRequest{
					Organization: org, ExpectedVersion: version, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*profilesv1.Organization{res.GetOrganization()}, orgColumns)
			})
		},
	}
	fields.bind(cmd.Flags())
	cmd.Flags().Int64Var(&version, "version", 0, "the version being changed (default: the current one; a stale one is refused)")
	return cmd
}

func newOrgsEraseCmd(env *cliEnv) *cobra.Command {
	var version int64
	var reason string
	cmd := &cobra.Command{
		Use:   "erase ID",
		Short: "Erase an organisation and its people everywhere (GDPR)",
		Args:  exactArgs(1, "the organisation id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			versionSet := cmd.Flags().Changed("version")
			return profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
				version, err := expectedVersion(versionSet, version, func() (*profilesv1.Organization, error) {
					cur, err := c.GetOrganization(cmd.Context(), &profilesv1.GetOrganizationRequest{Id: args[0]})
					return cur.GetOrganization(), err
				})
				if err != nil {
					return err
				}
				res, err := c.EraseOrganization(cmd.Context(), &profilesv1.EraseOrganizationRequest{Id: args[0], ExpectedVersion: version, Reason: reason})
				if err != nil {
					return fromStatus(err)
				}
				if env.output == outputJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "erased %s and %d people\n", args[0], len(res.GetErasedPersonIds()))
				return err
			})
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "the version being erased (default: the current one)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	return cmd
}

// exactArgs is cobra.ExactArgs with a message that names what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("expected %s", what)}
		}
		return nil
	}
}
