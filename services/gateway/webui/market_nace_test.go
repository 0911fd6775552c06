package webui

import (
	"net/url"
	"strings"
	"testing"
)

func TestNACEFilter(t *testing.T) {
	for _, tt := range []struct {
		code, start string
		want        bool
	}{
		{"72.11", "72", true}, {"72.11", "72.1", true}, {"72.11", "72.11", true}, {"72.11", "72.", true},
		{"72.11", "7", false}, {"21.20", "2", false}, {"72.11", "72.2", false}, {"72", "72", true}, {"72", "72.1", false},
	} {
		if got := naceWithin(tt.code, tt.start); got != tt.want {
			t.Errorf("naceWithin(%q, %q) = %v, want %v", tt.code, tt.start, got, tt.want)
		}
	}
	for in, ok := range map[string]bool{"72": true, "21.2": true, "72.11": true, "7": true, "72.": true, "A1": false, "72.111": false, "1.2.3": false, "": false} {
		_, errs := decodeMarketQuery(url.Values{"nace": {in}})
		if bad := errs["nace"] != ""; bad == ok && in != "" {
			t.Errorf("NACE %q accepted %v, want %v", in, !bad, ok)
		}
	}
}

// FuzzNACEFilter: any text is either refused as a NACE start or kept, and
// a code within a start always begins with it.
func FuzzNACEFilter(f *testing.F) {
	for _, s := range []string{"72", "72.1", "21.20", "7", "72.", "x"} {
		f.Add("72.11", s)
	}
	f.Fuzz(func(t *testing.T, code, start string) {
		q, errs := decodeMarketQuery(url.Values{"nace": {start}})
		if errs["nace"] == "" && q.NACE != "" && !naceStart.MatchString(q.NACE) {
			t.Fatalf("kept %q, not a NACE start", q.NACE)
		}
		if naceWithin(code, start) && !strings.HasPrefix(code, strings.TrimSuffix(start, ".")) {
			t.Fatalf("%q within %q without beginning with it", code, start)
		}
	})
}
