package anonref_test

import (
	"bytes"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/anonref"
)

func sealer(t testing.TB, b byte) *anonref.Sealer {
	s, err := anonref.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSealOpen: a reference opens in its scope only, under its key only,
// and is the same every time.
func TestSealOpen(t *testing.T) {
	s, other := sealer(t, 1), sealer(t, 2)
	ref := s.Seal("org:A", 'o', "01JORG")
	if !anonref.Is(ref) || ref != s.Seal("org:A", 'o', "01JORG") {
		t.Fatalf("reference %q is not stable or lacks the prefix", ref)
	}
	if ref == s.Seal("org:B", 'o', "01JORG") {
		t.Fatal("two scopes get the same reference, so they can be linked")
	}
	if k, id, ok := s.Open("org:A", ref); !ok || k != 'o' || id != "01JORG" {
		t.Fatalf("Open in its scope: %c %q %v", k, id, ok)
	}
	for name, open := range map[string]func() bool{
		"another scope": func() bool { _, _, ok := s.Open("org:B", ref); return ok },
		"another key":   func() bool { _, _, ok := other.Open("org:A", ref); return ok },
		"a plain id":    func() bool { _, _, ok := s.Open("org:A", "01JORG"); return ok },
		"a changed ref": func() bool { _, _, ok := s.Open("org:A", ref[:len(ref)-1]+"A"); return ok },
	} {
		if open() {
			t.Errorf("%s opens", name)
		}
	}
	if _, err := anonref.New(make([]byte, 31)); err == nil {
		t.Error("a short key is accepted")
	}
}

// FuzzOpen: any text given as a reference opens to nothing, or to what was
// sealed, and never panics.
func FuzzOpen(f *testing.F) {
	s := sealer(f, 7)
	f.Add("org:A", s.Seal("org:A", 'o', "01JORG"))
	f.Add("org:A", "anon-")
	f.Add("", "anon-\xff\x00")
	f.Fuzz(func(t *testing.T, scope, ref string) {
		if k, id, ok := s.Open(scope, ref); ok && s.Seal(scope, k, id) != ref {
			t.Fatalf("%q opened to %c %q, which seals to another reference", ref, k, id)
		}
	})
}
