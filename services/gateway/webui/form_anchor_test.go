package webui

import "testing"

// TestSummaryAnchors: the error summary links each field the services name
// to the id of a control the forms render.
func TestSummaryAnchors(t *testing.T) {
	for field, want := range map[string]string{
		"name":                           "f-name",
		"days[2]":                        "day-date-2",
		"days[1].sessions[0]":            "day-start-1",
		"days[1].sessions[1]":            "day-break-end-1",
		"tables[3].name":                 "f-table_names",
		"registration_questions[0].text": "f-registration_questions",
		"nace_codes[1]":                  "f-nace_codes",
		"evidence[0]":                    "ev-kind-0",
		"evidence[1].year":               "ev-year-1",
		"evidence[1].url":                "f-evidence[1].url",
		"evidence[2].reference":          "ev-ref-2",
	} {
		if got := (fieldProblem{Field: field}).Anchor(); got != want {
			t.Errorf("%s links to #%s, want #%s", field, got, want)
		}
	}
	if got := fieldLabel(langFor("en"), "tables[1].name"); got != "Tables by name (optional), line 2" {
		t.Errorf("a table's name is labelled %q", got)
	}
}
