package vocab_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

// The loaders must reject, never panic on, whatever a file holds; what they
// accept must satisfy the invariants Build relies on.

func FuzzParseEDAM(f *testing.F) {
	f.Add([]byte("id\tlabel\tsynonyms\tdefinition\tobsolete\tparents\ntopic_0622\tGenomics\tGenome informatics\tWhole genomes.\tfalse\ttopic_3391\n"))
	f.Add([]byte("id\tlabel\tsynonyms\tdefinition\tobsolete\tparents\noperation_0004\tOperation\t\t\tTRUE\t\n\n"))
	f.Add([]byte("id\tlabel\n"))
	f.Add([]byte("\ufeffid\tlabel\tsynonyms\tdefinition\tobsolete\tparents\r\ntopic_1\tx\t\t\tmaybe\t\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := vocab.ParseEDAM(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, term := range terms {
			if _, _, ok := vocab.SplitID(term.ID); !ok || term.Label == "" || term.Source != vocab.SourceEDAM {
				t.Fatalf("accepted %+v", term)
			}
			for _, p := range term.Parents {
				if _, _, ok := vocab.SplitID(p); !ok {
					t.Fatalf("accepted parent %q", p)
				}
			}
		}
	})
}

func FuzzParseMeSH(f *testing.F) {
	f.Add([]byte("Tree Number\tDesc Ui\tTerm\nC06\tD004066\tDigestive System Diseases\nC06.552\tD008107\tLiver Diseases\nC06.552.630\tD008103\tLiver Cirrhosis\n"))
	f.Add([]byte("Tree Number\tDesc Ui\tTerm\nC06.552\tD008107\tA\nC06.552\tD008108\tB\n"))
	f.Add([]byte("Tree Number\tDesc Ui\tTerm\nC06.5\tD1\tx\n"))
	f.Add([]byte("Tree Number\tDesc Ui\tTerm\nA01\tD000001\tInverted, Label, Three\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := vocab.ParseMeSH(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, term := range terms {
			if ids[term.ID] {
				t.Fatalf("descriptor %s twice", term.ID)
			}
			ids[term.ID] = true
			if len(term.TreeNumbers) == 0 || term.Label == "" {
				t.Fatalf("accepted %+v", term)
			}
		}
		for _, term := range terms {
			for _, p := range term.Parents {
				if !ids[p] || p == term.ID {
					t.Fatalf("%s has parent %s", term.ID, p)
				}
			}
		}
	})
}

func FuzzParseLocal(f *testing.F) {
	f.Add([]byte("id\tlabel\tsynonyms\tdefinition\tparents\norgan-on-chip\tOrgan-on-a-chip\tOoC\tDevices.\tMESH:D056656|LOCAL:x\n"))
	f.Add([]byte("id\tlabel\tsynonyms\tdefinition\tparents\nLOCAL:a-b\tA\t\t\tEDAM:topic_0003\n"))
	f.Add([]byte("id\tlabel\tsynonyms\tdefinition\tparents\n--\tA\t\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := vocab.ParseLocal(bytes.NewReader(data), "fuzz")
		if err == nil {
			for _, term := range terms {
				if _, _, ok := vocab.SplitID(term.ID); !ok || term.Label == "" {
					t.Fatalf("accepted %+v", term)
				}
			}
		}
		// The same bytes as extra local terms of a whole vocabulary: an
		// error or a vocabulary, never a panic.
		if v, err := vocab.LoadWithLocal("fuzz", bytes.NewReader(data)); err == nil && v.Len() < 20000 {
			t.Fatalf("vocabulary of %d terms", v.Len())
		}
	})
}

func FuzzAuxiliaryTables(f *testing.F) {
	f.Add([]byte("term_id\tsynonyms\nMESH:D008103\tLiver fibrosis|Hepatic fibrosis\n"), []byte("text\texpansions\nngs\tnext generation sequencing|x\n"))
	f.Add([]byte("term_id\tsynonyms\nnot-an-id\tx\n"), []byte("text\texpansions\n\t\n"))
	f.Fuzz(func(t *testing.T, syn, abbr []byte) {
		if m, err := vocab.ParseSynonyms(bytes.NewReader(syn), "fuzz"); err == nil {
			for id := range m {
				if _, _, ok := vocab.SplitID(id); !ok {
					t.Fatalf("accepted id %q", id)
				}
			}
		}
		if m, err := vocab.ParseAbbreviations(bytes.NewReader(abbr), "fuzz"); err == nil {
			for k := range m {
				if k == "" {
					t.Fatal("accepted an empty abbreviation")
				}
			}
		}
	})
}

// FuzzSearch: any query, however odd, gets a bounded, ordered list of
// non-obsolete terms from both search and resolve.
func FuzzSearch(f *testing.F) {
	v, err := vocab.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{"rna seq", "RNA-Seq", "genomcs", "", " ", "a", "EDAM:topic_0622", "D005796", "mass spec",
		"crispr screening", "Müller-Lyer", "\xff\xfe", strings.Repeat("x", 300), "of the and", "ÅÄÖ ß", "日本語", "edam:", "--"} {
		f.Add(q, 5)
	}
	f.Fuzz(func(t *testing.T, q string, limit int) {
		limit = limit%60 + 1
		if limit < 1 {
			limit = -limit + 1
		}
		if len(q) > 400 {
			q = q[:400]
		}
		for name, ms := range map[string][]vocab.Match{"search": v.Search(q, limit), "resolve": v.Resolve(q, limit)} {
			if len(ms) > limit {
				t.Fatalf("%s %q: %d results, limit %d", name, q, len(ms), limit)
			}
			for i, m := range ms {
				if m.Term == nil || m.Term.Obsolete {
					t.Fatalf("%s %q: result %d is %+v", name, q, i, m.Term)
				}
				if i > 0 && m.Score > ms[i-1].Score {
					t.Fatalf("%s %q: results out of order", name, q)
				}
				if !utf8.ValidString(m.MatchedText) && utf8.ValidString(q) {
					t.Fatalf("%s %q: matched text %q", name, q, m.MatchedText)
				}
			}
		}
	})
}
