package suggestcli_test

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/suggestcli"
)

func TestRequest(t *testing.T) {
	r, err := suggestcli.Request(suggestcli.Options{OrganizationID: "ACME", Need: "liver fibrosis biomarkers", Kinds: []string{"research,company"}, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetSeeker().GetOrganizationId() != "ACME" || r.GetNeed().GetText() != "liver fibrosis biomarkers" || r.GetLimit() != 5 || len(r.GetFilter().GetKinds()) != 4 {
		t.Fatalf("request %v", r)
	}
	for _, bad := range []suggestcli.Options{{}, {OrganizationID: "A", Kinds: []string{"spaceship"}}} {
		if _, err := suggestcli.Request(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestRender(t *testing.T) {
	res := &matchingv1.SuggestPartnersResponse{ResolvedNeedTermIds: []string{"MESH:D008103"}, Suggestions: []*matchingv1.Suggestion{{
		Rank: 1, Score: 0.61,
		Candidate: &matchingv1.CandidateSummary{Ref: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}},
			DisplayName: "ICGEB", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, City: "Trieste", NutsCode: "ITH44"},
		Explanations: []*matchingv1.ExplanationItem{{Text: "your need 'Liver Cirrhosis' ↔ their competency 'Liver Cirrhosis' (same term)"}},
	}}}
	var table bytes.Buffer
	if err := suggestcli.Render(&table, res, "table"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"need read as: MESH:D008103", "RANK", "0.61", "ICGEB", "research_institute", "Trieste (ITH44)", "- your need 'Liver Cirrhosis'"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := suggestcli.Render(&js, res, "json"); err != nil {
		t.Fatal(err)
	}
	var back matchingv1.SuggestPartnersResponse
	if err := protojson.Unmarshal(js.Bytes(), &back); err != nil || back.GetSuggestions()[0].GetScore() != 0.61 {
		t.Fatalf("json does not round-trip: %v %s", err, js.String())
	}
	if err := suggestcli.Render(&js, res, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}
