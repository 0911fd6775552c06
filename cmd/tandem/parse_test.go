package main

import (
	"strings"
	"testing"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func TestParseEvidence(t *testing.T) {
	tests := []struct {
		in       string
		wantErr  bool
		kind     competenciesv1.EvidenceKind
		ref      string
		wantYear int32
	}{
		{"publication:doi:10.1186/s13059-016-0881-8:2016", false, competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, "doi:10.1186/s13059-016-0881-8", 2016},
		{"equipment:NovaSeq 6000", false, competenciesv1.EvidenceKind_EVIDENCE_KIND_EQUIPMENT, "NovaSeq 6000", 0},
		{"patent:EP1234567", false, competenciesv1.EvidenceKind_EVIDENCE_KIND_PATENT, "EP1234567", 0},
		{"project:H2020:101016:9999", false, competenciesv1.EvidenceKind_EVIDENCE_KIND_PROJECT, "H2020:101016:9999", 0},
		{"poster:something", true, 0, "", 0},
		{"publication", true, 0, "", 0},
		{"publication:", true, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ev, err := parseEvidence(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if exitCode(err) != exitUsage {
					t.Errorf("a bad evidence flag exits %d, want %d", exitCode(err), exitUsage)
				}
				return
			}
			if ev.GetKind() != tt.kind || ev.GetReference() != tt.ref || ev.GetYear() != tt.wantYear {
				t.Errorf("got %v %q %d", ev.GetKind(), ev.GetReference(), ev.GetYear())
			}
		})
	}
}

func TestParseEnum(t *testing.T) {
	ed := profilesv1.OrganizationKind(0).Descriptor()
	for in, want := range map[string]profilesv1.OrganizationKind{
		"company":                        profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
		"research-institute":             profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
		"Research Hospital":              profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL,
		"ORGANIZATION_KIND_SCIENCE_PARK": profilesv1.OrganizationKind_ORGANIZATION_KIND_SCIENCE_PARK,
		" university ":                   profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
	} {
		got, err := parseEnum(ed, "ORGANIZATION_KIND_", in)
		if err != nil || profilesv1.OrganizationKind(got) != want {
			t.Errorf("parseEnum(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "unspecified", "ORGANIZATION_KIND_UNSPECIFIED", "startup"} {
		if _, err := parseEnum(ed, "ORGANIZATION_KIND_", bad); err == nil || !strings.Contains(err.Error(), "company") {
			t.Errorf("parseEnum(%q) = %v, want an error listing the kinds", bad, err)
		}
	}
}

// FuzzParseFlags: the CLI's parsers of typed-in values never panic, and
// what they accept is well-formed.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"publication:doi:10.1/x:2020", "equipment:", "company", "research-institute", ":::", "product:ü:1999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ev, err := parseEvidence(s); err == nil {
			if ev.GetKind() == competenciesv1.EvidenceKind_EVIDENCE_KIND_UNSPECIFIED || ev.GetReference() == "" {
				t.Fatalf("parseEvidence(%q) accepted %v", s, ev)
			}
		}
		if v, err := parseEnum(profilesv1.Sector(0).Descriptor(), "SECTOR_", s); err == nil && v == 0 {
			t.Fatalf("parseEnum(%q) accepted the unspecified value", s)
		}
	})
}
