package main

import (
	"strings"
	"testing"
)

// TestImportCordisTwice runs `tandem import cordis` on the shipped excerpt
// of the CORDIS data twice: the second run creates nothing and its summary
// says what it found.
func TestImportCordisTwice(t *testing.T) {
	addrs := startProfilesAndCompetencies(t)
	tok := adminToken(t)
	dir := "../../services/competencies/demo/data/cordis"
	first := cli(t, addrs, tok, nil, "import", "cordis", dir)
	for _, want := range []string{"3 created", "18 rows naming 17 organisations (merged into the organisation of an earlier row: 1 rows", "17 created"} {
		if !strings.Contains(first, want) {
			t.Errorf("first run lacks %q:\n%s", want, first)
		}
	}
	second := cli(t, addrs, tok, nil, "import", "cordis", dir)
	for _, want := range []string{"nothing new", "0 created, 0 changed, 3 already present", "0 created, 17 already present"} {
		if !strings.Contains(second, want) {
			t.Errorf("second run lacks %q:\n%s", want, second)
		}
	}
}
