// Package cli holds what the tandem command-line tool does with the
// competencies service, so cmd/tandem stays a thin layer of flags:
// `tandem terms search TEXT`, `tandem import biotools FILE` and
// `tandem import cordis DIR`.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/biotools"
	"github.com/tandem-cluster/tandem/services/competencies/cordis"
)

// SearchTerms asks the service for the terms matching query and prints
// them best first, one per line: id, label, vocabulary, how it matched.
func SearchTerms(ctx context.Context, c competenciesv1.CompetenciesServiceClient, w io.Writer, query string, limit int) error {
	res, err := c.SearchTerms(ctx, &competenciesv1.SearchTermsRequest{Query: query, PageSize: int32(limit)})
	if err != nil {
		return fmt.Errorf("search terms: %w", err)
	}
	if len(res.GetMatches()) == 0 {
		_, err := fmt.Fprintf(w, "no terms match %q\n", query)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "ID\tLABEL\tSOURCE\tMATCHED\tBROADER")
	for _, m := range res.GetMatches() {
		t := m.GetTerm()
		var parents []string
		for _, p := range m.GetParents() {
			parents = append(parents, p.GetLabel())
		}
		matched := strings.ToLower(strings.TrimPrefix(m.GetMatchKind().String(), "TERM_MATCH_KIND_"))
		if m.GetMatchedText() != "" && m.GetMatchedText() != t.GetLabel() {
			matched += ": " + m.GetMatchedText()
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.GetId(), t.GetLabel(),
			strings.TrimPrefix(t.GetSource().String(), "TERM_SOURCE_"), matched, strings.Join(parents, "; "))
	}
	return tw.Flush()
}

// ImportBiotools imports the bio.tools JSON-lines file at path through the
// two services (the clients must carry an admin token), drawing a progress
// bar on progress when it is a terminal, and prints what changed to w.
func ImportBiotools(ctx context.Context, p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient, path string, w, progress io.Writer) error {
	rep, err := biotools.ImportFile(ctx, path, biotools.Options{Profiles: p, Competencies: c, Progress: progress})
	if err != nil {
		return err
	}
	if rep.OrganizationsCreated == 0 && rep.CompetenciesChanged == 0 {
		_, err = fmt.Fprintf(w, "nothing new: %s\n", rep)
		return err
	}
	_, err = fmt.Fprintln(w, rep)
	return err
}

// ImportCordis imports the CORDIS CSV exports in dir through the two
// services (the clients must carry an admin token), drawing a progress bar
// on progress when it is a terminal, and prints the summary to w.
func ImportCordis(ctx context.Context, p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient, dir string, w, progress io.Writer) error {
	rep, err := cordis.ImportDir(ctx, dir, cordis.Options{Profiles: p, Competencies: c, Progress: progress})
	if err != nil {
		return err
	}
	if !rep.Changed() {
		_, _ = fmt.Fprintln(w, "nothing new:")
	}
	rep.Print(w)
	return nil
}
