package main

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/suggestcli"
)

func newSuggestCmd(env *cliEnv) *cobra.Command {
	var org, need, event string
	var kinds []string
	var limit int
	cmd := &cobra.Command{
		Use:   "suggest",
		Short: "Suggest partners for an organisation, with the reasons",
		Example: `  tandem suggest --organization "Carso Diagnostics" --need "RNA-seq of liver fibrosis biopsies" --kind research --limit 5
  tandem suggest --organization 01J... --event 01J... --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if org == "" {
				return usageError{fmt.Errorf("--organization is required (an id or a name)")}
			}
			id, err := resolveOrganization(cmd, env, org)
			if err != nil {
				return err
			}
			req, err := suggestcli.Request(suggestcli.Options{OrganizationID: id, Need: need, Kinds: kinds, Limit: limit})
			if err != nil {
				return usageError{err}
			}
			req.Filter.EventId = event // "who should I meet here": only the event's participants
			conn, err := env.dial("matching")
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := env.call(cmd.Context())
			defer cancel()
			res, err := matchingv1.NewMatchingServiceClient(conn).SuggestPartners(ctx, req)
			if err != nil {
				return fromStatus(err)
			}
			return suggestcli.Render(cmd.OutOrStdout(), res, env.output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "organization", "", "the seeking organisation: its id, or a name that matches exactly one")
	f.StringVar(&need, "need", "", "what you look for, in your words")
	f.StringSliceVar(&kinds, "kind", nil, "candidate kinds (repeatable): company, university, research-institute, ..., or research / industry")
	f.IntVar(&limit, "limit", 10, "most suggestions")
	f.StringVar(&event, "event", "", "only participants of this brokerage event (you must be registered for it)")
	return cmd
}

// maxNamePages bounds the pages of names read to resolve one name.
const maxNamePages = 40

// sameName compares names as the profiles service's search does: case and
// accents aside.
func sameName(a, b string) bool { return a != "" && fold(a) == fold(b) }

func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, strings.TrimSpace(s))
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// resolveOrganization accepts an organisation id, or a name that matches
// exactly one organisation the caller can see (its name or short name,
// case and accents aside), or a text only one name contains.
func resolveOrganization(cmd *cobra.Command, env *cliEnv, ref string) (string, error) {
	var id string
	err := profilesCall(cmd, env, func(c profilesv1.ProfilesServiceClient, cmd *cobra.Command) error {
		if res, err := c.GetOrganization(cmd.Context(), &profilesv1.GetOrganizationRequest{Id: ref}); err == nil {
			id = res.GetOrganization().GetId()
			return nil
		}
		// Every organisation whose name contains ref is read, so an exact
		// name is found however many names contain it ("R" among "Roche", ...).
		var exact, some []*profilesv1.Organization
		total, token := 0, ""
		for page := 0; page < maxNamePages; page++ {
			res, err := c.ListOrganizations(cmd.Context(), &profilesv1.ListOrganizationsRequest{Query: ref, PageSize: 500, PageToken: token})
			if err != nil {
				return fromStatus(err)
			}
			for _, o := range res.GetOrganizations() {
				total++
				if len(some) < 10 {
					some = append(some, o)
				}
				if sameName(o.GetName(), ref) || sameName(o.GetShortName(), ref) {
					exact = append(exact, o)
				}
			}
			if token = res.GetNextPageToken(); token == "" {
				break
			}
		}
		switch {
		case len(exact) == 1:
			id = exact[0].GetId()
		case len(exact) == 0 && total == 1:
			id = some[0].GetId()
		case total == 0:
			return apiError{exitNotFound, fmt.Sprintf("no organisation named %q (see tandem orgs list --query)", ref)}
		default:
			list := exact
			if len(list) == 0 {
				list = some
			}
			var names []string
			for _, o := range list {
				names = append(names, fmt.Sprintf("%s (%s)", o.GetName(), o.GetId()))
			}
			return usageError{fmt.Errorf("%q matches several organisations; give the id of one of: %s", ref, strings.Join(names, "; "))}
		}
		return nil
	})
	return id, err
}
