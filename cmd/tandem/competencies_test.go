package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// startProfilesAndCompetencies runs both services on one JetStream, as the
// competencies service learns of holders from the profiles events.
func startProfilesAndCompetencies(t *testing.T) map[string]string {
	t.Helper()
	pc := profiles.DefaultConfig()
	pc.Common = runtimetest.Common(t)
	cc := competencies.DefaultConfig()
	cc.Common = runtimetest.Common(t)
	cc.NATSURL = pc.NATSURL
	return map[string]string{
		"profiles":     runtimetest.Start(t, profiles.Options(pc)).Target(),
		"competencies": runtimetest.Start(t, competencies.Options(cc)).Target(),
		"nats":         pc.NATSURL,
	}
}

// natsURLOf is the JetStream the services of addrs share.
func natsURLOf(t *testing.T, addrs map[string]string) string {
	t.Helper()
	return addrs["nats"]
}

// TestCompetenciesAndOffers: find a term, publish a competency with
// evidence, list it, create and publish an offer, retract the competency.
func TestCompetenciesAndOffers(t *testing.T) {
	addrs := startProfilesAndCompetencies(t)
	tok := adminToken(t)

	var org orgJSON
	cli(t, addrs, tok, &org, "orgs", "create", "--name", "ICGEB Trieste", "--kind", "research-institute", "--country", "IT", "--nuts", "ITH44")
	orgID := org.Organization.ID

	var terms struct {
		Matches []struct{ Term struct{ ID, Label string } }
	}
	cli(t, addrs, tok, &terms, "terms", "search", "rna", "seq")
	if len(terms.Matches) == 0 || terms.Matches[0].Term.ID != "EDAM:topic_3170" {
		t.Fatalf("terms search \"rna seq\" gave %+v, want EDAM:topic_3170 (RNA-Seq) first", terms.Matches)
	}
	if out := cli(t, addrs, "", nil, "--output", "table", "terms", "search", "liver fibrosis"); !strings.Contains(out, "MESH:") {
		t.Errorf("table output of a MeSH search lacks MeSH ids:\n%s", out)
	}

	// The competencies service learns of the organisation from its event.
	var comp struct {
		Competency struct {
			ID       string
			Evidence []struct{ Reference string }
		}
	}
	args := []string{"competencies", "publish", "--organization", orgID, "--term", "EDAM:topic_3170", "--level", "expert",
		"--evidence", "publication:doi:10.1186/s13059-016-0881-8:2016", "--evidence", "equipment:NovaSeq 6000"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, stdout, stderr := execute(t.Context(), append([]string{"--output", "json", "--token", tok, "--token-file", "",
			"--profiles-addr", addrs["profiles"], "--competencies-addr", addrs["competencies"]}, args...)...)
		if code == 0 {
			if err := jsonUnmarshal(stdout.String(), &comp); err != nil {
				t.Fatal(err)
			}
			break
		}
		if code != exitConflict || time.Now().After(deadline) {
			t.Fatalf("publish: exit %d: %s", code, stderr)
		}
		time.Sleep(50 * time.Millisecond) // the holder is not known yet
	}
	if len(comp.Competency.Evidence) != 2 {
		t.Fatalf("published competency has evidence %+v, want 2 items", comp.Competency.Evidence)
	}
	list := cli(t, addrs, tok, nil, "competencies", "list", "--organization", orgID)
	if !strings.Contains(list, comp.Competency.ID) {
		t.Fatalf("list lacks the competency:\n%s", list)
	}

	var offer struct{ CooperationProfile struct{ ID, Status string } }
	cli(t, addrs, tok, &offer, "offers", "create", "--organization", orgID, "--kind", "technology-offer",
		"--title", "Single-cell RNA-seq service", "--summary", "Library preparation and analysis of single-cell transcriptomes.",
		"--term", "EDAM:topic_3170", "--collaboration", "service-provision", "--trl", "7", "--publish")
	if offer.CooperationProfile.Status != "COOPERATION_PROFILE_STATUS_PUBLISHED" {
		t.Fatalf("offer status %q, want published", offer.CooperationProfile.Status)
	}
	if out := cli(t, addrs, tok, nil, "offers", "list", "--organization", orgID); !strings.Contains(out, offer.CooperationProfile.ID) {
		t.Fatalf("offers list lacks the offer:\n%s", out)
	}

	cli(t, addrs, tok, nil, "competencies", "retract", comp.Competency.ID)
	if out := cli(t, addrs, tok, nil, "competencies", "list", "--organization", orgID); strings.Contains(out, comp.Competency.ID) {
		t.Fatalf("retracted competency still listed:\n%s", out)
	}
}
