package vocab_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

func load(t testing.TB) *vocab.Vocabulary {
	t.Helper()
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCounts(t *testing.T) {
	t.Parallel()
	s := load(t).Stats()
	// EDAM 1.25: 448 topics and 802 operations, 453 of them obsolete.
	// MeSH 2017 C, D, E, G, H, J, N: 20,942 descriptors. Plus the shipped local terms.
	want := map[string]int{"EDAM/topic": 260, "EDAM/operation": 537, "local/local": 8}
	for k, n := range want {
		if s.ByBranch[k] != n {
			t.Errorf("%s: %d terms, want %d", k, s.ByBranch[k], n)
		}
	}
	if s.Obsolete != 453 {
		t.Errorf("obsolete: %d, want 453", s.Obsolete)
	}
	if s.BySource[vocab.SourceMeSH] != 20942 {
		t.Errorf("MeSH: %d descriptors, want 20942", s.BySource[vocab.SourceMeSH])
	}
	for _, b := range []string{"C", "D", "E", "G", "H", "J", "N"} {
		if s.ByBranch["MeSH/"+b] == 0 {
			t.Errorf("MeSH branch %s is empty", b)
		}
	}
	if s.Terms != 448+802+20942+8 {
		t.Errorf("terms: %d", s.Terms)
	}
	if s.Links < 100 {
		t.Errorf("only %d EDAM-MeSH links", s.Links)
	}
}

func TestHierarchy(t *testing.T) {
	t.Parallel()
	v := load(t)
	cases := []struct {
		id        string
		parents   []string
		ancestors map[string]int // a subset, with distances
		child     string
	}{
		// EDAM with two parents.
		{id: "EDAM:operation_3680", parents: []string{"EDAM:operation_3921", "EDAM:operation_2495"}},
		{id: "EDAM:topic_3170", parents: []string{"EDAM:topic_3168"}, ancestors: map[string]int{"EDAM:topic_3168": 1, "EDAM:topic_0003": 3}},
		{id: "EDAM:topic_3168", child: "EDAM:topic_3170"},
		// MeSH: a descriptor's parents come from all its tree numbers; Cystic
		// Fibrosis (C06.689.202, C08.381.187, C16.320.190, C16.614.213) has four.
		{id: "MESH:D003550", parents: []string{"MESH:D010182", "MESH:D008171", "MESH:D007232", "MESH:D030342"}},
		{id: "MESH:D008103", parents: []string{"MESH:D008107"}, ancestors: map[string]int{"MESH:D008107": 1, "MESH:D004066": 2}},
		{id: "MESH:D013058", child: "MESH:D053719"},
		// Local terms hang under MeSH.
		{id: "LOCAL:organ-on-chip", parents: []string{"MESH:D023822", "MESH:D056656"}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			term, ok := v.Term(c.id)
			if !ok {
				t.Fatalf("%s missing", c.id)
			}
			if c.parents != nil {
				got := slices.Sorted(slices.Values(term.Parents))
				if !slices.Equal(got, slices.Sorted(slices.Values(c.parents))) {
					t.Errorf("parents = %v, want %v", got, c.parents)
				}
			}
			anc := v.Ancestors(c.id)
			for a, d := range c.ancestors {
				if anc[a] != d {
					t.Errorf("ancestor %s at %d, want %d", a, anc[a], d)
				}
			}
			if c.child != "" && !slices.Contains(v.Children(c.id), c.child) {
				t.Errorf("children %v lack %s", v.Children(c.id), c.child)
			}
			if _, self := anc[c.id]; self {
				t.Error("a term is its own ancestor")
			}
		})
	}
	if d := v.Descendants("EDAM:topic_3168"); d["EDAM:topic_3170"] != 1 {
		t.Errorf("descendants of Sequencing: RNA-Seq at %d", d["EDAM:topic_3170"])
	}
	// Cut short, the walk keeps exactly the descendants within reach, at the
	// same distances.
	for _, root := range []string{"EDAM:topic_0003", "EDAM:topic_3168", "MESH:D008103"} {
		all := v.Descendants(root)
		for depth := range 4 {
			within := v.DescendantsWithin(root, depth)
			want := 0
			for id, d := range all {
				if d <= depth {
					want++
					if within[id] != d {
						t.Errorf("%s within %d: %s at %d, want %d", root, depth, id, within[id], d)
					}
				}
			}
			if len(within) != want {
				t.Errorf("%s within %d: %d descendants, want %d", root, depth, len(within), want)
			}
		}
	}
	if ic := v.InformationContent("EDAM:topic_3170"); ic <= v.InformationContent("EDAM:topic_3168") || ic > 1 {
		t.Errorf("information content of RNA-Seq %.3f not above Sequencing %.3f", ic, v.InformationContent("EDAM:topic_3168"))
	}
	if ic := v.InformationContent("EDAM:topic_0003"); ic > 0.1 {
		t.Errorf("root topic has information content %.3f", ic)
	}
}

func TestObsolete(t *testing.T) {
	t.Parallel()
	v := load(t)
	term, ok := v.Term("EDAM:topic_0134") // Mass spectrometry, obsolete in EDAM
	if !ok || !term.Obsolete {
		t.Fatalf("EDAM:topic_0134 = %+v, want obsolete and resolvable", term)
	}
	if len(term.ReplacedBy) == 0 {
		t.Error("obsolete term has no replacement")
	}
	for _, q := range []string{"mass spectrometry", "Mass spectrometry"} {
		for _, m := range append(v.Search(q, 50), v.Resolve(q, 50)...) {
			if m.Term.Obsolete {
				t.Errorf("%q suggests obsolete %s", q, m.Term.ID)
			}
		}
	}
	if _, ok := v.Term("edam:topic_0134"); !ok {
		t.Error("prefix is not case-insensitive")
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	v := load(t)
	for _, pair := range [][2]string{
		{"EDAM:topic_0121", "MESH:D040901"},    // Proteomics = Proteomics
		{"EDAM:topic_3336", "MESH:D055808"},    // Drug discovery
		{"EDAM:topic_3474", "MESH:D000069550"}, // Machine learning
		{"EDAM:topic_3170", "MESH:D017423"},    // RNA-Seq, via a curated MeSH synonym
		{"EDAM:topic_3520", "MESH:D013058"},    // "Mass spectrometry" is an EDAM synonym
	} {
		if !slices.Contains(v.Linked(pair[0]), pair[1]) || !slices.Contains(v.Linked(pair[1]), pair[0]) {
			t.Errorf("%s and %s are not linked both ways: %v / %v", pair[0], pair[1], v.Linked(pair[0]), v.Linked(pair[1]))
		}
	}
	for term := range v.All() {
		for _, l := range term.Linked {
			other, _ := v.Term(l)
			if other.Source == term.Source {
				t.Fatalf("%s links %s of its own vocabulary", term.ID, l)
			}
		}
		if term.Obsolete && len(term.Linked) > 0 {
			t.Fatalf("obsolete %s is linked", term.ID)
		}
	}
}

// TestSearchQuality: what people type, and the term that must be among the
// first three suggestions.
func TestSearchQuality(t *testing.T) {
	t.Parallel()
	v := load(t)
	cases := []struct{ query, want string }{
		{"rna seq", "EDAM:topic_3170"},
		{"RNA-Seq", "EDAM:topic_3170"},
		{"rnaseq", "EDAM:topic_3170"},
		{"genomics", "EDAM:topic_0622"},
		{"genomcs", "EDAM:topic_0622"},
		{"proteom", "EDAM:topic_0121"},
		{"protien structure", "EDAM:topic_2814"},
		{"sequencing", "EDAM:topic_3168"},
		{"next generation sequencing", "EDAM:topic_3168"},
		{"ngs", "MESH:D059014"},
		{"machine learn", "EDAM:topic_3474"},
		{"drug discovery", "EDAM:topic_3336"},
		{"immunology", "EDAM:topic_0804"},
		{"metabolomics", "EDAM:topic_3172"},
		{"transcriptomics", "EDAM:topic_3308"},
		{"phylogenetics", "EDAM:topic_3293"},
		{"sequence alignment", "EDAM:operation_0292"},
		{"variant calling", "EDAM:operation_3227"},
		{"mass spec", "MESH:D013058"},
		{"mass spectrometry", "MESH:D013058"},
		{"crispr", "MESH:D064113"},
		{"liver cirrhosis", "MESH:D008103"},
		{"liver fibrosis", "MESH:D008103"},
		{"breast cancer", "MESH:D001943"},
		{"diabetes", "MESH:D003920"},
		{"alzheimer", "MESH:D000544"},
		{"neoplasms", "MESH:D009369"},
		{"flow cytometry", "MESH:D005434"},
		{"polymerase chain reaction", "MESH:D016133"},
		{"pcr", "MESH:D016133"},
		{"telemedicine", "MESH:D017216"},
		{"precision medicine", "MESH:D057285"},
		{"organ on chip", "LOCAL:organ-on-chip"},
		{"nutraceutical", "LOCAL:nutraceuticals"},
		{"gene editing", "MESH:D000072669"},
		{"single cell", "MESH:D059010"},
		{"EDAM:topic_0622", "EDAM:topic_0622"},
		{"D005796", "MESH:D005796"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			ms := v.Search(c.query, 3)
			for _, m := range ms {
				if m.Term.ID == c.want {
					return
				}
			}
			t.Errorf("top 3 for %q = %v, want %s among them", c.query, ids(ms), c.want)
		})
	}
	if ms := v.Search("rna seq", 1); len(ms) == 0 || ms[0].Term.ID != "EDAM:topic_3170" || ms[0].Kind != vocab.MatchExact {
		t.Errorf("rna seq: first %v", ids(ms))
	}
}

// TestResolveQuality: free texts and the term each must resolve to, first
// or within the first three.
func TestResolveQuality(t *testing.T) {
	t.Parallel()
	v := load(t)
	cases := []struct {
		text, want string
		first      bool
	}{
		{"RNA-seq", "EDAM:topic_3170", true},
		{"next generation sequencing", "EDAM:topic_3168", false},
		{"next generation sequencing", "MESH:D059014", false},
		{"CRISPR screening", "MESH:D064113", true},
		{"liver fibrosis", "MESH:D008103", true},
		{"mass spec", "MESH:D013058", true},
		{"drug repurposing", "MESH:D058492", true},
		{"protein structure prediction", "EDAM:operation_0474", true},
		{"gut microbiome", "MESH:D000069196", false},
		{"medical imaging and AI", "EDAM:topic_3384", false},
		{"NGS", "MESH:D059014", false},
		{"we do whole exome sequencing", "EDAM:topic_3676", false},
		{"Tumour immunology", "EDAM:topic_0804", false},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			ms := v.Resolve(c.text, 3)
			if c.first {
				if len(ms) == 0 || ms[0].Term.ID != c.want {
					t.Errorf("%q resolves first to %v, want %s", c.text, ids(ms), c.want)
				}
				return
			}
			if !slices.ContainsFunc(ms, func(m vocab.Match) bool { return m.Term.ID == c.want }) {
				t.Errorf("%q resolves to %v, want %s among them", c.text, ids(ms), c.want)
			}
		})
	}
	if ms := v.Resolve("xqzv blorp", 5); len(ms) != 0 {
		t.Errorf("nonsense resolves to %v", ids(ms))
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	v := load(t)
	for in, want := range map[string]string{
		"EDAM:topic_317":  "EDAM:topic_3170",
		"EDAM:topic_3107": "EDAM:topic_3170", // digits swapped
		"LOCAL:rna-seq":   "EDAM:topic_3170",
		"MESH:D0130588":   "MESH:D013058",
	} {
		if got := ids(v.Closest(in, 3)); !slices.Contains(got, want) {
			t.Errorf("Closest(%q) = %v, want %s among them", in, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	v := load(t)
	for _, m := range v.Query("cancer", vocab.Options{Limit: 20, Branches: []string{"C"}}) {
		if !slices.ContainsFunc(m.Term.TreeNumbers, func(tn string) bool { return strings.HasPrefix(tn, "C") }) {
			t.Errorf("branch filter let %s through", m.Term.ID)
		}
	}
	for _, m := range v.Query("sequencing", vocab.Options{Limit: 20, Sources: []vocab.Source{vocab.SourceEDAM}, Branches: []string{"operation"}}) {
		if m.Term.Source != vocab.SourceEDAM || m.Term.Branch != "operation" {
			t.Errorf("filters let %s through", m.Term.ID)
		}
	}
	all := v.Query("sequencing", vocab.Options{Limit: 10})
	page2 := v.Query("sequencing", vocab.Options{Limit: 5, Offset: 5})
	if len(all) != 10 || len(page2) != 5 || all[5].Term.ID != page2[0].Term.ID {
		t.Errorf("offset paging: %v vs %v", ids(all), ids(page2))
	}
}

func TestLocalTerms(t *testing.T) {
	t.Parallel()
	extra := "id\tlabel\tsynonyms\tdefinition\tparents\nliquid-biopsy\tLiquid biopsy\tCirculating tumour DNA|ctDNA\tBlood-based tumour diagnostics.\tMESH:D009369\n"
	v, err := vocab.LoadWithLocal("extra.tsv", strings.NewReader(extra))
	if err != nil {
		t.Fatal(err)
	}
	if ms := v.Search("ctdna", 1); len(ms) == 0 || ms[0].Term.ID != "LOCAL:liquid-biopsy" {
		t.Errorf("ctdna: %v", ids(ms))
	}
	bad := []string{
		"id\tlabel\tsynonyms\tdefinition\tparents\nx\tX\t\t\tMESH:D000000001\n",            // unknown parent
		"id\tlabel\tsynonyms\tdefinition\tparents\norgan-on-chip\tDup\t\t\t\n",             // duplicate id
		"id\tlabel\tsynonyms\tdefinition\tparents\nBad Id\tX\t\t\t\n",                      // malformed id
		"id\tlabel\tsynonyms\tdefinition\tparents\na\tA\t\t\tLOCAL:b\nb\tB\t\t\tLOCAL:a\n", // cycle
		"label\tid\n", // wrong header
	}
	for _, b := range bad {
		if _, err := vocab.LoadWithLocal("bad.tsv", strings.NewReader(b)); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
}

func ids(ms []vocab.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Term.ID
	}
	return out
}

// TestItalianLabel: terms the glossary names read in Italian; others not.
func TestItalianLabel(t *testing.T) {
	for id, want := range map[string]string{"MESH:D008103": "Fibrosi epatica", "MESH:D015415": "Biomarcatori", "EDAM:topic_0000": ""} {
		if got := vocab.ItalianLabel(id); got != want {
			t.Errorf("ItalianLabel(%s) = %q, want %q", id, got, want)
		}
	}
}
