package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	competenciescli "github.com/tandem-cluster/tandem/services/competencies/cli"
)

// competenciesCall runs fn with a competencies client and the call's deadline.
func competenciesCall(cmd *cobra.Command, env *cliEnv, fn func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error) error {
	return withClient(cmd, env, "competencies", competenciesv1.NewCompetenciesServiceClient, fn)
}

// holderRef builds a ProfileRef from exactly one of an organisation and a person.
func holderRef(org, person string, required bool) (*profilesv1.ProfileRef, error) {
	switch {
	case org != "" && person != "":
		return nil, usageError{fmt.Errorf("give only one of --organization and --person")}
	case org != "":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}}, nil
	case person != "":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: person}}, nil
	case required:
		return nil, usageError{fmt.Errorf("give --organization or --person")}
	}
	return nil, nil
}

func holderString(h *profilesv1.ProfileRef) string {
	if id := h.GetOrganizationId(); id != "" {
		return "org " + id
	}
	if id := h.GetPersonId(); id != "" {
		return "person " + id
	}
	return "anonymous"
}

func newTermsCmd(env *cliEnv) *cobra.Command {
	var limit int
	search := &cobra.Command{
		Use:     "search TEXT",
		Short:   "Find EDAM and MeSH terms by prefix, word or synonym (typo-tolerant)",
		Example: `  tandem terms search "rna seq"`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				text := strings.Join(args, " ")
				if env.output == outputJSON {
					res, err := c.SearchTerms(cmd.Context(), &competenciesv1.SearchTermsRequest{Query: text, PageSize: int32(limit)})
					if err != nil {
						return fromStatus(err)
					}
					return printJSON(cmd.OutOrStdout(), res)
				}
				if err := competenciescli.SearchTerms(cmd.Context(), c, cmd.OutOrStdout(), text, limit); err != nil {
					return fromStatus(err)
				}
				return nil
			})
		},
	}
	search.Flags().IntVar(&limit, "limit", 10, "most terms to show")
	cmd := &cobra.Command{Use: "terms", Short: "The EDAM + MeSH vocabulary"}
	cmd.AddCommand(search)
	return cmd
}

var competencyColumns = []column[*competenciesv1.Competency]{
	{"ID", func(c *competenciesv1.Competency) string { return c.GetId() }},
	{"HOLDER", func(c *competenciesv1.Competency) string { return holderString(c.GetHolder()) }},
	{"TERM", func(c *competenciesv1.Competency) string { return c.GetTermId() }},
	{"LABEL", func(c *competenciesv1.Competency) string { return c.GetTerm().GetLabel() }},
	{"LEVEL", func(c *competenciesv1.Competency) string {
		return enumShort(c.GetLevel().Descriptor().Values().ByNumber(c.GetLevel().Number()), "COMPETENCY_LEVEL_")
	}},
	{"EVIDENCE", func(c *competenciesv1.Competency) string { return strconv.Itoa(len(c.GetEvidence())) }},
	{"VERSION", func(c *competenciesv1.Competency) string { return strconv.FormatInt(c.GetVersion(), 10) }},
}

func newCompetenciesCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "competencies", Short: "Publish, list and retract competencies"}
	cmd.AddCommand(newCompetenciesPublishCmd(env), newCompetenciesListCmd(env), newCompetenciesRetractCmd(env))
	return cmd
}

// parseEvidence reads KIND:REFERENCE[:YEAR], e.g. publication:doi:10.1093/nar/gkab1:2021.
func parseEvidence(s string) (*competenciesv1.Evidence, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return nil, usageError{fmt.Errorf("evidence %q: want KIND:REFERENCE[:YEAR]", s)}
	}
	k, err := parseEnum(competenciesv1.EvidenceKind(0).Descriptor(), "EVIDENCE_KIND_", kind)
	if err != nil {
		return nil, err
	}
	ev := &competenciesv1.Evidence{Kind: competenciesv1.EvidenceKind(k), Reference: rest}
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		if y, err := strconv.Atoi(rest[i+1:]); err == nil && y > 1800 && y < 3000 {
			ev.Reference, ev.Year = rest[:i], int32(y)
		}
	}
	return ev, nil
}

func newCompetenciesPublishCmd(env *cliEnv) *cobra.Command {
	var org, person, term, level, description string
	var evidence []string
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish (or change) a competency of an organisation or a person",
		Example: `  tandem competencies publish --organization 01J... --term EDAM:topic_3170 --level expert \
    --evidence publication:doi:10.1186/s13059-016-0881-8:2016 --evidence equipment:NovaSeq 6000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			holder, err := holderRef(org, person, true)
			if err != nil {
				return err
			}
			comp := &competenciesv1.Competency{Holder: holder, TermId: term, Description: description}
			if level != "" {
				v, err := parseEnum(competenciesv1.CompetencyLevel(0).Descriptor(), "COMPETENCY_LEVEL_", level)
				if err != nil {
					return err
				}
				comp.Level = competenciesv1.CompetencyLevel(v)
			}
			for _, e := range evidence {
				ev, err := parseEvidence(e)
				if err != nil {
					return err
				}
				comp.Evidence = append(comp.Evidence, ev)
			}
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.PublishCompetency(cmd.Context(), &competenciesv1.PublishCompetencyRequest{Competency: comp, ClientRequestId: requestID("competency", comp)})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*competenciesv1.Competency{res.GetCompetency()}, competencyColumns)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "organization", "", "holder: an organisation id")
	f.StringVar(&person, "person", "", "holder: a person id")
	f.StringVar(&term, "term", "", "term id, e.g. EDAM:topic_3170 or MESH:D005234 (see tandem terms search)")
	f.StringVar(&level, "level", "", "basic, intermediate, advanced or expert")
	f.StringVar(&description, "description", "", "what the holder does with it")
	f.StringArrayVar(&evidence, "evidence", nil, "evidence KIND:REFERENCE[:YEAR] (repeatable); kinds: publication, project, patent, equipment, service, product")
	return cmd
}

func newCompetenciesListCmd(env *cliEnv) *cobra.Command {
	var org, person string
	req := &competenciesv1.ListCompetenciesRequest{}
	cmd := &cobra.Command{
		Use: "list", Short: "List competencies of a holder, or of everyone for a term", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			holder, err := holderRef(org, person, false)
			if err != nil {
				return err
			}
			req.Holder = holder
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.ListCompetencies(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, res.GetCompetencies(), competencyColumns)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "organization", "", "holder: an organisation id")
	f.StringVar(&person, "person", "", "holder: a person id")
	f.StringVar(&req.OrganizationId, "of-organization", "", "the organisation's and its people's competencies")
	f.StringVar(&req.TermId, "term", "", "only this term")
	f.BoolVar(&req.IncludeDescendants, "narrower", false, "with --term: include narrower terms")
	f.Int32Var(&req.PageSize, "page-size", 50, "competencies per page")
	f.StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func newCompetenciesRetractCmd(env *cliEnv) *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use: "retract ID", Short: "Retract a competency", Args: exactArgs(1, "the competency id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.RetractCompetency(cmd.Context(), &competenciesv1.RetractCompetencyRequest{Id: args[0], ExpectedVersion: version})
				if err != nil {
					return fromStatus(err)
				}
				if env.output == outputJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "retracted %s\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "the version being retracted (0: the current one)")
	return cmd
}

var offerColumns = []column[*competenciesv1.CooperationProfile]{
	{"ID", func(p *competenciesv1.CooperationProfile) string { return p.GetId() }},
	{"KIND", func(p *competenciesv1.CooperationProfile) string {
		return enumShort(p.GetKind().Descriptor().Values().ByNumber(p.GetKind().Number()), "COOPERATION_PROFILE_KIND_")
	}},
	{"TITLE", func(p *competenciesv1.CooperationProfile) string { return p.GetTitle() }},
	{"HOLDER", func(p *competenciesv1.CooperationProfile) string { return holderString(p.GetHolder()) }},
	{"TRL", func(p *competenciesv1.CooperationProfile) string { return strconv.Itoa(int(p.GetTrl())) }},
	{"STATUS", func(p *competenciesv1.CooperationProfile) string {
		return enumShort(p.GetStatus().Descriptor().Values().ByNumber(p.GetStatus().Number()), "COOPERATION_PROFILE_STATUS_")
	}},
	{"VERSION", func(p *competenciesv1.CooperationProfile) string { return strconv.FormatInt(p.GetVersion(), 10) }},
}

func newOffersCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "offers", Aliases: []string{"cooperation-profiles"}, Short: "Cooperation profiles: technology and business offers and requests, R&D partner searches"}
	cmd.AddCommand(newOffersCreateCmd(env), newOffersGetCmd(env), newOffersListCmd(env), newOffersStatusCmd(env))
	return cmd
}

func newOffersCreateCmd(env *cliEnv) *cobra.Command {
	var org, person, kind, deadline, file string
	var collab, terms []string
	p := &competenciesv1.CooperationProfile{}
	var publish bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a cooperation profile (a draft unless --publish)",
		Example: `  tandem offers create --organization 01J... --kind technology-offer --title "Single-cell RNA-seq service" \
    --summary "..." --term EDAM:topic_3170 --collaboration service-provision --trl 7 --publish`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				if err := readJSON(file, p); err != nil {
					return err
				}
			}
			holder, err := holderRef(org, person, p.GetHolder() == nil)
			if err != nil {
				return err
			}
			if holder != nil {
				p.Holder = holder
			}
			if kind != "" {
				v, err := parseEnum(competenciesv1.CooperationProfileKind(0).Descriptor(), "COOPERATION_PROFILE_KIND_", kind)
				if err != nil {
					return err
				}
				p.Kind = competenciesv1.CooperationProfileKind(v)
			}
			for _, c := range collab {
				v, err := parseEnum(competenciesv1.CollaborationType(0).Descriptor(), "COLLABORATION_TYPE_", c)
				if err != nil {
					return err
				}
				p.CollaborationTypes = append(p.CollaborationTypes, competenciesv1.CollaborationType(v))
			}
			p.TermIds = append(p.TermIds, terms...)
			if deadline != "" {
				d, err := time.Parse("2006-01-02", deadline)
				if err != nil {
					return usageError{fmt.Errorf("--deadline %q: want YYYY-MM-DD", deadline)}
				}
				p.Deadline = timestamppb.New(d)
			}
			if publish {
				p.Status = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
			}
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.CreateCooperationProfile(cmd.Context(), &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: p, ClientRequestId: requestID("offer", p)})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*competenciesv1.CooperationProfile{res.GetCooperationProfile()}, offerColumns)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "from-file", "", "JSON of a CooperationProfile (\"-\" reads stdin); flags add to it")
	f.StringVar(&org, "organization", "", "holder: an organisation id")
	f.StringVar(&person, "person", "", "holder: a person id")
	f.StringVar(&kind, "kind", "", "technology-offer, technology-request, business-offer, business-request or research-partner-search")
	f.StringVar(&p.Title, "title", "", "title")
	f.StringVar(&p.Summary, "summary", "", "summary")
	f.StringVar(&p.Description, "description", "", "description")
	f.StringVar(&p.AdvantagesAndInnovations, "advantages", "", "advantages and innovations")
	f.StringVar(&p.PartnerSought, "partner-sought", "", "the partner sought")
	f.StringSliceVar(&terms, "term", nil, "term id (repeatable)")
	f.StringSliceVar(&collab, "collaboration", nil, "collaboration type (repeatable): contract-research, licensing, joint-grant-application, clinical-study, service-provision, equipment-access, ...")
	f.Int32Var(&p.Trl, "trl", 0, "technology readiness level 1-9")
	f.StringVar(&deadline, "deadline", "", "deadline YYYY-MM-DD")
	f.BoolVar(&publish, "publish", false, "publish it now instead of keeping a draft")
	return cmd
}

func newOffersGetCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use: "get ID", Short: "Show one cooperation profile", Args: exactArgs(1, "the cooperation profile id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.GetCooperationProfile(cmd.Context(), &competenciesv1.GetCooperationProfileRequest{Id: args[0]})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*competenciesv1.CooperationProfile{res.GetCooperationProfile()}, offerColumns)
			})
		},
	}
}

func newOffersListCmd(env *cliEnv) *cobra.Command {
	var org, person string
	var kinds []string
	req := &competenciesv1.ListCooperationProfilesRequest{}
	cmd := &cobra.Command{
		Use: "list", Short: "List cooperation profiles", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			holder, err := holderRef(org, person, false)
			if err != nil {
				return err
			}
			req.Holder = holder
			for _, k := range kinds {
				v, err := parseEnum(competenciesv1.CooperationProfileKind(0).Descriptor(), "COOPERATION_PROFILE_KIND_", k)
				if err != nil {
					return err
				}
				req.Kinds = append(req.Kinds, competenciesv1.CooperationProfileKind(v))
			}
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				res, err := c.ListCooperationProfiles(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, res.GetCooperationProfiles(), offerColumns)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "organization", "", "holder: an organisation id")
	f.StringVar(&person, "person", "", "holder: a person id")
	f.StringSliceVar(&kinds, "kind", nil, "kind (repeatable)")
	f.StringVar(&req.Query, "query", "", "text in title or summary")
	f.Int32Var(&req.MinTrl, "min-trl", 0, "lowest TRL")
	f.Int32Var(&req.PageSize, "page-size", 50, "profiles per page")
	f.StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func newOffersStatusCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use: "status ID published|closed", Short: "Publish or close a cooperation profile", Args: exactArgs(2, "the id and a status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := parseEnum(competenciesv1.CooperationProfileStatus(0).Descriptor(), "COOPERATION_PROFILE_STATUS_", args[1])
			if err != nil {
				return err
			}
			return competenciesCall(cmd, env, func(c competenciesv1.CompetenciesServiceClient, cmd *cobra.Command) error {
				cur, err := c.GetCooperationProfile(cmd.Context(), &competenciesv1.GetCooperationProfileRequest{Id: args[0]})
				if err != nil {
					return fromStatus(err)
				}
				res, err := c.UpdateCooperationProfile(cmd.Context(), &competenciesv1.UpdateCooperationProfileRequest{
					CooperationProfile: &competenciesv1.CooperationProfile{Id: args[0], Status: competenciesv1.CooperationProfileStatus(st)},
					ExpectedVersion:    cur.GetCooperationProfile().GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*competenciesv1.CooperationProfile{res.GetCooperationProfile()}, offerColumns)
			})
		},
	}
}

func newImportBiotoolsCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "biotools FILE",
		Short: "Create the credited organisations and their competencies from a bio.tools JSONL file",
		Long: `import biotools reads bio.tools entries (one JSON object per line), creates the credited
organisations through the profiles service and their competencies from the EDAM topics and
operations of their tools, with the tools and publications as evidence. A re-run changes
nothing. It needs an administrator's token (tandem login --user admin).`,
		Args: exactArgs(1, "the JSONL file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withImportClients(env, func(p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient) error {
				return competenciescli.ImportBiotools(cmd.Context(), p, c, args[0], cmd.OutOrStdout(), os.Stderr)
			})
		},
	}
}

func newImportCordisCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "cordis DIR",
		Short: "Record EU projects from the CORDIS CSV exports as collaboration history",
		Long: `import cordis reads project.csv, organization.csv and topics.csv (the CORDIS open-data
CSV exports of FP7 and Horizon 2020: semicolon-separated, quoted) from DIR. Each participating
organisation is found by its normalised name and country (CORDIS UK and EL read as GB and GR),
or created with a kind from its activity type (HES university, REC research institute, PRC
company, PUB public body, OTH association or healthcare provider). Each project becomes a
collaboration among its participants, with its programme, call, year and topics. A re-run
creates nothing. It needs an administrator's token (tandem login --user admin).`,
		Example: `  tandem login --user admin
  tandem import cordis ../shared/data/cordis`,
		Args: exactArgs(1, "the folder with the CSV files"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withImportClients(env, func(p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient) error {
				return competenciescli.ImportCordis(cmd.Context(), p, c, args[0], cmd.OutOrStdout(), os.Stderr)
			})
		},
	}
}

// withImportClients dials the profiles and competencies services for an
// import and maps its error to the CLI's exit codes.
func withImportClients(env *cliEnv, run func(profilesv1.ProfilesServiceClient, competenciesv1.CompetenciesServiceClient) error) error {
	pconn, err := env.dial("profiles")
	if err != nil {
		return err
	}
	defer pconn.Close()
	cconn, err := env.dial("competencies")
	if err != nil {
		return err
	}
	defer cconn.Close()
	if err := run(profilesv1.NewProfilesServiceClient(pconn), competenciesv1.NewCompetenciesServiceClient(cconn)); err != nil {
		return fromStatus(err)
	}
	return nil
}
