package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/matching"
)

// TestSuggestFindsTheResearchPartner: a research institute publishes an
// RNA-seq competency; a company that asks by name for partners for RNA-seq
// gets it, with the reasons.
func TestSuggestFindsTheResearchPartner(t *testing.T) {
	addrs := startProfilesAndCompetencies(t)
	mc := matching.DefaultConfig()
	mc.Common = runtimetest.Common(t)
	mc.NATSURL = natsURLOf(t, addrs)
	addrs["matching"] = runtimetest.Start(t, matching.Options(mc)).Target()
	tok := adminToken(t)

	var lab, company orgJSON
	cli(t, addrs, tok, &lab, "orgs", "create", "--name", "Laboratorio di Genomica Funzionale", "--kind", "research-institute",
		"--country", "IT", "--nuts", "ITH44", "--description", "Transcriptomics and single-cell sequencing of liver tissue.")
	cli(t, addrs, tok, &company, "orgs", "create", "--name", "Carso Diagnostics", "--kind", "company", "--country", "IT", "--nuts", "ITH44",
		"--description", "Blood tests for liver disease.")

	publish := []string{"--output", "json", "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
		"--competencies-addr", addrs["competencies"], "competencies", "publish", "--organization", lab.Organization.ID,
		"--term", "EDAM:topic_3170", "--level", "expert", "--evidence", "publication:doi:10.1000/demo:2024"}
	eventually(t, "the competency to be accepted", func() bool { code, _, _ := execute(t.Context(), publish...); return code == 0 })

	var out string
	// A need refines the seeker's profile, so the lab may be suggested by
	// its description before matching has its competency: wait for the
	// suggestion that the RNA-Seq term explains.
	eventually(t, "the lab to be suggested for its RNA-Seq competency", func() bool {
		// Until matching has the events, the seeker is unknown (exit 3).
		code, stdout, stderr := execute(t.Context(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
			"--matching-addr", addrs["matching"], "suggest", "--organization", "Carso Diagnostics", "--need", "RNA-seq", "--kind", "research")
		if code != 0 && code != exitNotFound {
			t.Fatalf("suggest: exit %d: %s", code, stderr)
		}
		out = stdout.String()
		return strings.Contains(out, "Laboratorio di Genomica Funzionale") && strings.Contains(out, "RNA-Seq")
	})
	if first := strings.Index(out, "Laboratorio di Genomica Funzionale"); first < 0 || first > strings.Index(out, "RNA-Seq") {
		t.Errorf("the lab is not the suggestion that the RNA-Seq term explains:\n%s", out)
	}
}

// TestSuggestFindsAnExactName: "R" is an organisation's whole name, and a
// dozen other names contain an r; suggest --organization R takes the exact
// one, while a text that only some names contain is refused as ambiguous.
func TestSuggestFindsAnExactName(t *testing.T) {
	addrs := startProfilesAndCompetencies(t)
	mc := matching.DefaultConfig()
	mc.Common = runtimetest.Common(t)
	mc.NATSURL = natsURLOf(t, addrs)
	addrs["matching"] = runtimetest.Start(t, matching.Options(mc)).Target()
	tok := adminToken(t)
	for i := range 12 {
		cli(t, addrs, tok, nil, "orgs", "create", "--name", fmt.Sprintf("Aardvark Research %02d", i), "--kind", "company", "--country", "IT")
	}
	var r orgJSON
	cli(t, addrs, tok, &r, "orgs", "create", "--name", "R", "--kind", "company", "--country", "IT")
	suggest := func(name string) (int, string) {
		code, _, stderr := execute(t.Context(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
			"--matching-addr", addrs["matching"], "suggest", "--organization", name, "--need", "RNA-seq")
		return code, stderr.String()
	}
	eventually(t, "suggest for R", func() bool {
		code, stderr := suggest("r")
		if code == exitUsage {
			t.Fatalf("suggest --organization r: %s", stderr)
		}
		return code == 0 // until matching has the events, the seeker is unknown
	})
	if code, stderr := suggest("Aardvark"); code != exitUsage || !strings.Contains(stderr, "matches several") {
		t.Errorf("an ambiguous name: exit %d, %s", code, stderr)
	}
}
