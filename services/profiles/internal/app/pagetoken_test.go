package app

import (
	"strings"
	"testing"
)

func TestPageTokenRoundTrip(t *testing.T) {
	pt, err := NewPageTokens([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	p := pagePosition{Name: "università", ID: "01J00000000000000000000000", Filter: 42}
	tok := pt.Encode(p)
	if strings.Contains(tok, "universit") {
		t.Fatalf("token shows the name: %s", tok)
	}
	got, err := pt.Decode(tok, 42)
	if err != nil || got != p {
		t.Fatalf("Decode = %v, %v; want %v", got, err, p)
	}
	if _, err := pt.Decode(tok, 43); err == nil {
		t.Error("token accepted for other filters")
	}
	other, _ := NewPageTokens([]byte("other key"))
	if _, err := other.Decode(tok, 42); err == nil {
		t.Error("token accepted under another key")
	}
	tampered := []byte(tok)
	tampered[len(tampered)/2] ^= 1
	if _, err := pt.Decode(string(tampered), 42); err == nil {
		t.Error("tampered token accepted")
	}
}

// FuzzPageTokenDecode: any client-supplied token either decodes to a
// position this codec sealed or fails cleanly; it never panics.
func FuzzPageTokenDecode(f *testing.F) {
	pt, err := NewPageTokens([]byte("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pt.Encode(pagePosition{Name: "a", ID: "b", Filter: 1}))
	f.Add("")
	f.Add("not a token")
	f.Add(strings.Repeat("A", 5000))
	f.Add("eyJuIjoiYSIsImkiOiJiIiwiZiI6MX0")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := pt.Decode(tok, 1)
		if err == nil && (p.ID == "" || p.Filter != 1) {
			t.Errorf("Decode(%q) = %v without error", tok, p)
		}
	})
}
