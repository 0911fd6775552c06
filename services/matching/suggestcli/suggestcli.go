// Package suggestcli is the client side of `tandem suggest`: it builds the
// SuggestPartners request from command-line values and renders the answer
// as a table or JSON.
package suggestcli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Options are the values of `tandem suggest`.
type Options struct {
	OrganizationID string   // --organization, already resolved to an id
	Need           string   // --need
	Kinds          []string // --kind, e.g. "university", "research_institute", or the side "research"
	Limit          int      // --limit
}

// Request builds the SuggestPartners request.
func Request(o Options) (*matchingv1.SuggestPartnersRequest, error) {
	if o.OrganizationID == "" {
		return nil, fmt.Errorf("--organization is required")
	}
	kinds, err := ParseKinds(o.Kinds)
	if err != nil {
		return nil, err
	}
	r := &matchingv1.SuggestPartnersRequest{
		Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: o.OrganizationID}},
		Limit:  int32(o.Limit),
		Filter: &matchingv1.SuggestionFilter{Kinds: kinds},
	}
	if o.Need != "" {
		r.Need = &matchingv1.Need{Text: o.Need}
	}
	return r, nil
}

// ParseKinds reads organization kinds by their short names (company,
// university, research_institute, research_hospital, ...), comma-separated
// or repeated; "research" stands for the whole research side and
// "industry" for companies.
func ParseKinds(values []string) ([]profilesv1.OrganizationKind, error) {
	var out []profilesv1.OrganizationKind
	for _, v := range values {
		for _, k := range strings.Split(v, ",") {
			k = strings.ToLower(strings.TrimSpace(k))
			switch k {
			case "":
				continue
			case "research":
				out = append(out, profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
					profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL)
				continue
			case "industry":
				k = "company"
			}
			n, ok := profilesv1.OrganizationKind_value["ORGANIZATION_KIND_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))]
			if !ok || n == 0 {
				return nil, fmt.Errorf("unknown organization kind %q", k)
			}
			out = append(out, profilesv1.OrganizationKind(n))
		}
	}
	return out, nil
}

// Render writes res as "table" (default) or "json".
func Render(w io.Writer, res *matchingv1.SuggestPartnersResponse, format string) error {
	switch format {
	case "json":
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "", "table":
		return table(w, res)
	}
	return fmt.Errorf("unknown output format %q (json or table)", format)
}

func table(w io.Writer, res *matchingv1.SuggestPartnersResponse) error {
	if len(res.GetResolvedNeedTermIds()) > 0 {
		fmt.Fprintf(w, "need read as: %s\n\n", strings.Join(res.GetResolvedNeedTermIds(), ", "))
	}
	if len(res.GetSuggestions()) == 0 {
		_, err := fmt.Fprintln(w, "no suggestions")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSCORE\tCANDIDATE\tKIND\tWHERE\tID")
	for _, s := range res.GetSuggestions() {
		c := s.GetCandidate()
		where := c.GetNutsCode()
		if c.GetCity() != "" {
			where = c.GetCity() + " (" + where + ")"
		}
		id := c.GetRef().GetOrganizationId() + c.GetRef().GetPersonId()
		kind := strings.ToLower(strings.TrimPrefix(c.GetKind().String(), "ORGANIZATION_KIND_"))
		fmt.Fprintf(tw, "%d\t%.2f\t%s\t%s\t%s\t%s\n", s.GetRank(), s.GetScore(), c.GetDisplayName(), kind, where, id)
		for _, e := range s.GetExplanations() {
			fmt.Fprintf(tw, "\t\t  - %s\t\t\t\n", e.GetText())
		}
	}
	return tw.Flush()
}
