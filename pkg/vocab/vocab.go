// Package vocab is Tandem's term vocabulary: the EDAM topics and operations,
// the MeSH descriptors of the branches a life-sciences cluster works in, and
// local terms, as one polyhierarchy with synonyms and cross-vocabulary links,
// plus ranked search (autocomplete) and resolution of free text to terms.
//
// The competencies service serves it over gRPC; the matching service uses
// the same package for ontology-aware scoring (ancestors with distances,
// information content, links between EDAM and MeSH).
//
// A Vocabulary is immutable after it is built, so it is safe for concurrent
// use without locks.
package vocab

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Source is the vocabulary a term comes from.
type Source int

// The vocabularies.
const (
	SourceEDAM Source = iota + 1
	SourceMeSH
	SourceLocal
)

func (s Source) String() string {
	switch s {
	case SourceEDAM:
		return "EDAM"
	case SourceMeSH:
		return "MeSH"
	case SourceLocal:
		return "local"
	}
	return "unknown"
}

// Term is one concept. Its slices are shared with the vocabulary: callers
// must not modify them.
type Term struct {
	ID          string // "EDAM:topic_0622", "MESH:D005796", "LOCAL:organ-on-chip"
	Label       string
	Synonyms    []string
	Definition  string
	Parents     []string // direct parents (EDAM is_a; MeSH descriptors above each tree number)
	Source      Source
	Branch      string   // EDAM "topic" or "operation"; MeSH category letter; "local"
	TreeNumbers []string // MeSH only
	Obsolete    bool     // resolvable, never suggested
	ReplacedBy  []string // for obsolete terms: what to use instead
	Linked      []string // equivalent terms of other vocabularies (same label or synonym)
}

// Vocabulary is a loaded, indexed vocabulary.
type Vocabulary struct {
	terms    []Term
	byID     map[string]int32
	parents  [][]int32
	children [][]int32
	abbrev   map[string][]string
	idx      index

	icOnce sync.Once
	ic     []float64
	pool   sync.Pool // *collector scratch space of searches
}

//go:embed data/edam_topics.tsv data/edam_operations.tsv data/edam_replacements.tsv data/mesh_tree_2017_CDEGHJN.tsv.gz data/local_terms.tsv data/synonyms.tsv data/glossary_it.tsv data/abbreviations.tsv
var dataFS embed.FS

// Files are the inputs of a vocabulary. Nil readers are skipped.
type Files struct {
	EDAM             []NamedReader // edam_topics.tsv, edam_operations.tsv
	EDAMReplacements io.Reader
	MeSH             io.Reader // tree file, uncompressed
	Local            []NamedReader
	Synonyms         io.Reader
	// Glossaries add names in other languages, in the layout of
	// Synonyms (glossary_it.tsv: Italian, the first name of a row being
	// the term's Italian label).
	Glossaries    []NamedReader
	Abbreviations io.Reader
}

// NamedReader is a file's content with the name used in error messages.
type NamedReader struct {
	Name string
	R    io.Reader
}

var loadShipped = sync.OnceValues(func() (*Vocabulary, error) { return build(shippedFiles(nil)) })

// Load returns the vocabulary shipped with Tandem (EDAM 1.25, MeSH 2017
// branches C, D, E, G, H, J, N and the shipped local terms). It is built once
// per process and shared.
func Load() (*Vocabulary, error) { return loadShipped() }

// LoadWithLocal builds a new vocabulary from the shipped files plus extra
// local terms (the layout of data/local_terms.tsv), for deployments whose
// admins keep their own terms in a file.
func LoadWithLocal(name string, extra io.Reader) (*Vocabulary, error) {
	return build(shippedFiles(&NamedReader{Name: name, R: extra}))
}

func shippedFiles(extra *NamedReader) (Files, error) {
	open := func(name string) io.Reader {
		b, err := dataFS.ReadFile("data/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot be missing
		}
		return bytes.NewReader(b)
	}
	gz, err := gzip.NewReader(open("mesh_tree_2017_CDEGHJN.tsv.gz"))
	if err != nil {
		return Files{}, fmt.Errorf("mesh tree: %w", err)
	}
	f := Files{
		EDAM: []NamedReader{
			{Name: "edam_topics.tsv", R: open("edam_topics.tsv")},
			{Name: "edam_operations.tsv", R: open("edam_operations.tsv")},
		},
		EDAMReplacements: open("edam_replacements.tsv"),
		MeSH:             gz,
		Local:            []NamedReader{{Name: "local_terms.tsv", R: open("local_terms.tsv")}},
		Synonyms:         open("synonyms.tsv"),
		Glossaries:       []NamedReader{{Name: "glossary_it.tsv", R: open("glossary_it.tsv")}},
		Abbreviations:    open("abbreviations.tsv"),
	}
	if extra != nil && extra.R != nil {
		f.Local = append(f.Local, *extra)
	}
	return f, nil
}

func build(f Files, err error) (*Vocabulary, error) {
	if err != nil {
		return nil, err
	}
	return Build(f)
}

// Build parses and indexes a vocabulary. Every parent, replacement and
// synonym target must exist; a local term may not reuse an id.
func Build(f Files) (*Vocabulary, error) {
	// MeSH is most of the work; parse it while EDAM and the local terms parse.
	type parsed struct {
		terms []Term
		err   error
	}
	meshDone := make(chan parsed, 1)
	go func() {
		if f.MeSH == nil {
			meshDone <- parsed{}
			return
		}
		ts, err := ParseMeSH(f.MeSH, "mesh tree")
		meshDone <- parsed{ts, err}
	}()
	var terms []Term
	var firstErr error
	for _, nr := range f.EDAM {
		ts, err := ParseEDAM(nr.R, nr.Name)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		terms = append(terms, ts...)
	}
	mesh := <-meshDone
	if firstErr != nil {
		return nil, firstErr
	}
	if mesh.err != nil {
		return nil, mesh.err
	}
	terms = append(terms, mesh.terms...)
	for _, nr := range f.Local {
		if nr.R == nil {
			continue
		}
		ts, err := ParseLocal(nr.R, nr.Name)
		if err != nil {
			return nil, err
		}
		terms = append(terms, ts...)
	}
	v := &Vocabulary{terms: terms, byID: make(map[string]int32, len(terms)), abbrev: map[string][]string{}}
	for i := range terms {
		if _, dup := v.byID[terms[i].ID]; dup {
			return nil, fmt.Errorf("term %s defined twice", terms[i].ID)
		}
		v.byID[terms[i].ID] = int32(i)
	}
	if f.EDAMReplacements != nil {
		repl, err := ParseEDAMReplacements(f.EDAMReplacements, "edam_replacements.tsv")
		if err != nil {
			return nil, err
		}
		for id, ids := range repl {
			i, ok := v.byID[id]
			if !ok {
				return nil, fmt.Errorf("edam_replacements.tsv: unknown term %s", id)
			}
			for _, r := range ids {
				if _, ok := v.byID[r]; ok {
					v.terms[i].ReplacedBy = append(v.terms[i].ReplacedBy, r)
				}
			}
		}
	}
	if f.Synonyms != nil {
		syn, err := ParseSynonyms(f.Synonyms, "synonyms.tsv")
		if err != nil {
			return nil, err
		}
		for id, ss := range syn {
			i, ok := v.byID[id]
			if !ok {
				return nil, fmt.Errorf("synonyms.tsv: unknown term %s", id)
			}
			t := &v.terms[i]
			t.Synonyms = dedupe(t.Label, append(slices.Clip(t.Synonyms), ss...))
		}
	}
	for _, g := range f.Glossaries {
		syn, err := ParseSynonyms(g.R, g.Name)
		if err != nil {
			return nil, err
		}
		for id, ss := range syn {
			i, ok := v.byID[id]
			if !ok {
				return nil, fmt.Errorf("%s: unknown term %s", g.Name, id)
			}
			t := &v.terms[i]
			t.Synonyms = dedupe(t.Label, append(slices.Clip(t.Synonyms), ss...))
		}
	}
	if f.Abbreviations != nil {
		ab, err := ParseAbbreviations(f.Abbreviations, "abbreviations.tsv")
		if err != nil {
			return nil, err
		}
		v.abbrev = ab
	}
	v.parents = make([][]int32, len(terms))
	v.children = make([][]int32, len(terms))
	for i := range v.terms {
		for _, p := range v.terms[i].Parents {
			j, ok := v.byID[p]
			if !ok {
				return nil, fmt.Errorf("term %s: unknown parent %s", v.terms[i].ID, p)
			}
			v.parents[i] = append(v.parents[i], j)
			v.children[j] = append(v.children[j], int32(i))
		}
	}
	if err := v.checkAcyclic(); err != nil {
		return nil, err
	}
	for _, ch := range v.children {
		slices.SortFunc(ch, func(a, b int32) int { return strings.Compare(v.terms[a].Label, v.terms[b].Label) })
	}
	v.idx = buildIndex(v.terms)
	v.link()
	return v, nil
}

// checkAcyclic rejects a parent cycle, which would make ancestor walks
// meaningless (local terms can name any parent).
func (v *Vocabulary) checkAcyclic() error {
	const (
		unseen = iota
		active
		done
	)
	state := make([]uint8, len(v.terms))
	var visit func(i int32) error
	visit = func(i int32) error {
		switch state[i] {
		case active:
			return fmt.Errorf("term %s is its own ancestor", v.terms[i].ID)
		case done:
			return nil
		}
		state[i] = active
		for _, p := range v.parents[i] {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[i] = done
		return nil
	}
	for i := range v.terms {
		if err := visit(int32(i)); err != nil {
			return err
		}
	}
	return nil
}

// link connects terms of different vocabularies that share a label or
// synonym exactly (case- and punctuation-insensitively), so matching can
// cross from EDAM to MeSH. Obsolete terms are not linked.
func (v *Vocabulary) link() {
	byName := map[string][]int32{}
	for _, nm := range v.idx.names { // the index holds no obsolete term
		ids := byName[nm.norm]
		if !slices.Contains(ids, nm.term) {
			byName[nm.norm] = append(ids, nm.term)
		}
	}
	for _, ids := range byName {
		if len(ids) < 2 {
			continue
		}
		for _, a := range ids {
			for _, b := range ids {
				ta, tb := &v.terms[a], &v.terms[b]
				if ta.Source != tb.Source && !contains(ta.Linked, tb.ID) {
					ta.Linked = append(ta.Linked, tb.ID)
				}
			}
		}
	}
	for i := range v.terms {
		slices.Sort(v.terms[i].Linked)
	}
}

// Len is the number of terms, obsolete ones included.
func (v *Vocabulary) Len() int { return len(v.terms) }

// All yields every term in load order (EDAM, MeSH, local).
func (v *Vocabulary) All() iter.Seq[*Term] {
	return func(yield func(*Term) bool) {
		for i := range v.terms {
			if !yield(&v.terms[i]) {
				return
			}
		}
	}
}

// Term returns the term with this id; obsolete terms resolve too. The
// prefix is case-insensitive ("edam:topic_0622").
func (v *Vocabulary) Term(id string) (*Term, bool) {
	i, ok := v.lookup(id)
	if !ok {
		return nil, false
	}
	return &v.terms[i], true
}

func (v *Vocabulary) lookup(id string) (int32, bool) {
	if i, ok := v.byID[id]; ok {
		return i, true
	}
	if c := strings.IndexByte(id, ':'); c > 0 {
		if i, ok := v.byID[strings.ToUpper(id[:c])+id[c:]]; ok {
			return i, true
		}
	}
	return 0, false
}

// Parents returns the ids of the direct parents.
func (v *Vocabulary) Parents(id string) []string {
	t, ok := v.Term(id)
	if !ok {
		return nil
	}
	return t.Parents
}

// Children returns the ids of the direct children, ordered by label.
func (v *Vocabulary) Children(id string) []string {
	i, ok := v.lookup(id)
	if !ok {
		return nil
	}
	out := make([]string, len(v.children[i]))
	for k, c := range v.children[i] {
		out[k] = v.terms[c].ID
	}
	return out
}

// Linked returns the ids of the equivalent terms in other vocabularies.
func (v *Vocabulary) Linked(id string) []string {
	t, ok := v.Term(id)
	if !ok {
		return nil
	}
	return t.Linked
}

// Ancestors returns every ancestor with its distance (parent steps on the
// shortest path, 1 = parent). The term itself is not included.
func (v *Vocabulary) Ancestors(id string) map[string]int {
	i, ok := v.lookup(id)
	if !ok {
		return nil
	}
	return v.walk(i, v.parents)
}

// Descendants returns every descendant with its distance.
func (v *Vocabulary) Descendants(id string) map[string]int {
	i, ok := v.lookup(id)
	if !ok {
		return nil
	}
	return v.walk(i, v.children)
}

// DescendantsWithin returns the descendants at most depth steps below the
// term, with their distance: Descendants cut short, for a broad term whose
// whole subtree would be thousands of terms.
func (v *Vocabulary) DescendantsWithin(id string, depth int) map[string]int {
	i, ok := v.lookup(id)
	if !ok {
		return nil
	}
	return v.walkWithin(i, v.children, depth)
}

func (v *Vocabulary) walk(start int32, next [][]int32) map[string]int {
	return v.walkWithin(start, next, -1)
}

// walkWithin walks next breadth first from start, at most depth steps (no
// limit when depth < 0), so every distance is that of a shortest path.
func (v *Vocabulary) walkWithin(start int32, next [][]int32, depth int) map[string]int {
	dist := map[int32]int{start: 0}
	frontier := []int32{start}
	for d := 1; len(frontier) > 0 && (depth < 0 || d <= depth); d++ {
		var nf []int32
		for _, i := range frontier {
			for _, j := range next[i] {
				if _, seen := dist[j]; !seen {
					dist[j] = d
					nf = append(nf, j)
				}
			}
		}
		frontier = nf
	}
	out := make(map[string]int, len(dist)-1)
	for i, d := range dist {
		if i != start {
			out[v.terms[i].ID] = d
		}
	}
	return out
}

// InformationContent is the intrinsic information content of a term in
// [0, 1]: 1 for a leaf, near 0 for the root of a large branch (Seco et al.:
// 1 - log(descendants+1)/log(terms of its vocabulary)). Matching weighs a
// shared specific term more than a shared broad one. Unknown ids get 0.
func (v *Vocabulary) InformationContent(id string) float64 {
	i, ok := v.lookup(id)
	if !ok {
		return 0
	}
	v.icOnce.Do(v.computeIC)
	return v.ic[i]
}

func (v *Vocabulary) computeIC() {
	n := len(v.terms)
	desc := make([]int, n)
	// EDAM topics and operations are separate trees; MeSH categories share
	// one descriptor space, so its whole size is the reference.
	group := func(t *Term) string {
		if t.Source == SourceEDAM {
			return t.Branch
		}
		return t.Source.String()
	}
	perGroup := map[string]int{}
	mark := make([]int32, n)
	for i := range mark {
		mark[i] = -1
	}
	for i := range v.terms {
		if !v.terms[i].Obsolete {
			perGroup[group(&v.terms[i])]++
		}
		// Every distinct ancestor of i counts i once among its descendants.
		stack := slices.Clone(v.parents[i])
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if mark[a] == int32(i) {
				continue
			}
			mark[a] = int32(i)
			desc[a]++
			stack = append(stack, v.parents[a]...)
		}
	}
	v.ic = make([]float64, n)
	for i := range v.terms {
		total := perGroup[group(&v.terms[i])]
		if total < 2 {
			v.ic[i] = 1
			continue
		}
		v.ic[i] = math.Max(0, 1-math.Log(float64(desc[i]+1))/math.Log(float64(total)))
	}
}

// Stats counts terms per source and branch, obsolete ones apart.
type Stats struct {
	Terms    int
	Obsolete int
	Links    int            // pairs of linked terms
	BySource map[Source]int // non-obsolete terms
	ByBranch map[string]int // non-obsolete terms, keys "EDAM/topic", "MeSH/C"
}

// Stats returns the vocabulary's counts.
func (v *Vocabulary) Stats() Stats {
	s := Stats{Terms: len(v.terms), BySource: map[Source]int{}, ByBranch: map[string]int{}}
	for i := range v.terms {
		t := &v.terms[i]
		s.Links += len(t.Linked)
		if t.Obsolete {
			s.Obsolete++
			continue
		}
		s.BySource[t.Source]++
		s.ByBranch[t.Source.String()+"/"+t.Branch]++
	}
	s.Links /= 2
	return s
}

// sortedIDs returns the keys of m ordered by distance, then id.
func sortedIDs(m map[string]int) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool {
		if m[ids[a]] != m[ids[b]] {
			return m[ids[a]] < m[ids[b]]
		}
		return ids[a] < ids[b]
	})
	return ids
}

// SortedAncestors returns the ancestors ordered by distance, then id.
func (v *Vocabulary) SortedAncestors(id string) (ids []string, distances map[string]int) {
	m := v.Ancestors(id)
	return sortedIDs(m), m
}

// italianLabels is read once from the shipped Italian glossary.
var italianLabels = sync.OnceValue(func() map[string]string {
	b, err := dataFS.ReadFile("data/glossary_it.tsv")
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	syn, err := ParseSynonyms(bytes.NewReader(b), "glossary_it.tsv")
	if err != nil {
		panic(err) // the shipped glossary is checked by the tests
	}
	out := make(map[string]string, len(syn))
	for id, names := range syn {
		if len(names) > 0 {
			out[id] = names[0]
		}
	}
	return out
})

// ItalianLabel is a term's Italian label from the shipped glossary (the
// first name of its row), or "" when the glossary does not name the term.
// It reads only the glossary, so pages can show Italian labels without
// loading the vocabulary.
func ItalianLabel(id string) string { return italianLabels()[id] }
