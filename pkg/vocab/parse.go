package vocab

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Id prefixes of the three vocabularies.
const (
	PrefixEDAM  = "EDAM:"
	PrefixMeSH  = "MESH:"
	PrefixLocal = "LOCAL:"
)

// The id checks are hand-written rather than regular expressions because
// the loader runs them on every one of ~46,000 MeSH rows at start-up.

// isEDAMID reports whether s is "topic_NNNN" or "operation_NNNN" (4 to 7 digits).
func isEDAMID(s string) bool {
	var rest string
	switch {
	case strings.HasPrefix(s, "topic_"):
		rest = s[len("topic_"):]
	case strings.HasPrefix(s, "operation_"):
		rest = s[len("operation_"):]
	default:
		return false
	}
	return len(rest) >= 4 && len(rest) <= 7 && allDigits(rest)
}

// isMeSHID reports whether s is a descriptor id such as "D005796".
func isMeSHID(s string) bool {
	return len(s) >= 7 && len(s) <= 10 && s[0] == 'D' && allDigits(s[1:])
}

// isTreeNumber reports whether s is a MeSH tree number such as "C06.552.380".
func isTreeNumber(s string) bool {
	if len(s) < 3 || s[0] < 'A' || s[0] > 'Z' || !allDigits(s[1:3]) {
		return false
	}
	for rest := s[3:]; rest != ""; rest = rest[4:] {
		if len(rest) < 4 || rest[0] != '.' || !allDigits(rest[1:4]) {
			return false
		}
	}
	return true
}

// isLocalSlug reports whether s is a lower-case slug: words of a-z and 0-9
// joined by single dashes, at most 100 bytes.
func isLocalSlug(s string) bool {
	if s == "" || len(s) > 100 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maxField bounds every field of a vocabulary file so a corrupt file cannot
// make the loader hold huge strings.
const maxField = 64 << 10

// tsvReader reads a tab-separated file with a header line, checking that
// the header starts with the wanted columns.
type tsvReader struct {
	sc   *bufio.Scanner
	line int
	name string
}

func newTSV(r io.Reader, name string, want ...string) (*tsvReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	t := &tsvReader{sc: sc, name: name}
	rec, err := t.next()
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if len(rec) < len(want) {
		return nil, fmt.Errorf("%s: header %q has fewer than %d columns", name, strings.Join(rec, "\t"), len(want))
	}
	for i, w := range want {
		if !strings.EqualFold(strings.TrimPrefix(rec[i], "\ufeff"), w) {
			return nil, fmt.Errorf("%s: header column %d is %q, want %q", name, i+1, rec[i], w)
		}
	}
	return t, nil
}

// next returns the next non-empty record, nil at the end.
func (t *tsvReader) next() ([]string, error) {
	for t.sc.Scan() {
		t.line++
		s := strings.TrimRight(t.sc.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		rec := strings.Split(s, "\t")
		for _, f := range rec {
			if len(f) > maxField {
				return nil, t.errf("field longer than %d bytes", maxField)
			}
		}
		return rec, nil
	}
	if err := t.sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	return nil, nil
}

func (t *tsvReader) errf(format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", t.name, t.line, fmt.Sprintf(format, args...))
}

func field(rec []string, i int) string {
	if i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseEDAM reads an EDAM export in the layout of edam_topics.tsv (id, label,
// synonyms, definition, obsolete, parents). Parent ids are short EDAM ids.
func ParseEDAM(r io.Reader, name string) ([]Term, error) {
	t, err := newTSV(r, name, "id", "label", "synonyms", "definition", "obsolete", "parents")
	if err != nil {
		return nil, err
	}
	var out []Term
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return out, nil
		}
		id := field(rec, 0)
		if !isEDAMID(id) {
			return nil, t.errf("id %q is not an EDAM topic or operation id", id)
		}
		label := field(rec, 1)
		if label == "" {
			return nil, t.errf("%s has no label", id)
		}
		var obsolete bool
		switch strings.ToLower(field(rec, 4)) {
		case "true":
			obsolete = true
		case "false", "":
		default:
			return nil, t.errf("%s: obsolete is %q, want true or false", id, field(rec, 4))
		}
		term := Term{
			ID: PrefixEDAM + id, Label: label, Synonyms: dedupe(label, splitList(field(rec, 2))),
			Definition: field(rec, 3), Obsolete: obsolete, Source: SourceEDAM, Branch: id[:strings.IndexByte(id, '_')],
		}
		for _, p := range splitList(field(rec, 5)) {
			if !isEDAMID(p) {
				return nil, t.errf("%s: parent %q is not an EDAM topic or operation id", id, p)
			}
			term.Parents = append(term.Parents, PrefixEDAM+p)
		}
		out = append(out, term)
	}
}

// ParseEDAMReplacements reads edam_replacements.tsv (id, replaced_by,
// consider) into the replacements of obsolete EDAM terms: replaced_by when
// EDAM names one, otherwise the terms it suggests to consider.
func ParseEDAMReplacements(r io.Reader, name string) (map[string][]string, error) {
	t, err := newTSV(r, name, "id", "replaced_by", "consider")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return out, nil
		}
		id := field(rec, 0)
		if !isEDAMID(id) {
			return nil, t.errf("id %q is not an EDAM topic or operation id", id)
		}
		ids := splitList(field(rec, 1))
		if len(ids) == 0 {
			ids = splitList(field(rec, 2))
		}
		var full []string
		for _, x := range ids {
			if isEDAMID(x) { // "consider" may name data or format classes we do not load
				full = append(full, PrefixEDAM+x)
			}
		}
		if len(full) > 0 {
			out[PrefixEDAM+id] = full
		}
	}
}

// ParseMeSH reads a MeSH tree file (Tree Number, Desc Ui, Term) into one
// term per descriptor, with all its tree numbers and, as parents, the
// descriptors at the parent tree numbers.
func ParseMeSH(r io.Reader, name string) ([]Term, error) {
	t, err := newTSV(r, name, "tree number", "desc ui", "term")
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, 24000)
	atTree := make(map[string]string, 48000)
	out := make([]Term, 0, 24000)
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		tn, ui, label := field(rec, 0), field(rec, 1), field(rec, 2)
		if !isTreeNumber(tn) {
			return nil, t.errf("tree number %q is malformed", tn)
		}
		if !isMeSHID(ui) {
			return nil, t.errf("descriptor id %q is malformed", ui)
		}
		if label == "" {
			return nil, t.errf("%s has no label", ui)
		}
		if prev, dup := atTree[tn]; dup && prev != ui {
			return nil, t.errf("tree number %s belongs to both %s and %s", tn, prev, ui)
		}
		atTree[tn] = ui
		id := PrefixMeSH + ui
		i, ok := byID[id]
		if !ok {
			i = len(out)
			byID[id] = i
			out = append(out, Term{ID: id, Label: label, Source: SourceMeSH, Branch: tn[:1]})
		} else if out[i].Label != label {
			return nil, t.errf("%s is labelled both %q and %q", ui, out[i].Label, label)
		}
		out[i].TreeNumbers = append(out[i].TreeNumbers, tn)
	}
	for i := range out {
		term := &out[i]
		for _, tn := range term.TreeNumbers {
			dot := strings.LastIndexByte(tn, '.')
			if dot < 0 {
				continue
			}
			if p, ok := atTree[tn[:dot]]; ok && PrefixMeSH+p != term.ID && !contains(term.Parents, PrefixMeSH+p) {
				term.Parents = append(term.Parents, PrefixMeSH+p)
			}
		}
		term.Branch = minBranch(term.TreeNumbers)
		if inv := uninvert(term.Label); inv != "" {
			term.Synonyms = append(term.Synonyms, inv)
		}
	}
	return out, nil
}

func minBranch(tns []string) string {
	b := ""
	for _, tn := range tns {
		if b == "" || tn[:1] < b {
			b = tn[:1]
		}
	}
	return b
}

// ParseLocal reads local terms (id slug, label, synonyms, definition,
// parents as full ids of any vocabulary).
func ParseLocal(r io.Reader, name string) ([]Term, error) {
	t, err := newTSV(r, name, "id", "label", "synonyms", "definition", "parents")
	if err != nil {
		return nil, err
	}
	var out []Term
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return out, nil
		}
		slug := strings.TrimPrefix(field(rec, 0), PrefixLocal)
		if !isLocalSlug(slug) {
			return nil, t.errf("local id %q must be a lower-case slug (a-z, 0-9, dashes)", slug)
		}
		label := field(rec, 1)
		if label == "" {
			return nil, t.errf("%s has no label", slug)
		}
		term := Term{
			ID: PrefixLocal + slug, Label: label, Synonyms: dedupe(label, splitList(field(rec, 2))),
			Definition: field(rec, 3), Source: SourceLocal, Branch: "local",
		}
		for _, p := range splitList(field(rec, 4)) {
			if _, _, ok := SplitID(p); !ok {
				return nil, t.errf("%s: parent %q is not a term id", slug, p)
			}
			term.Parents = append(term.Parents, p)
		}
		out = append(out, term)
	}
}

// ParseSynonyms reads extra synonyms (term_id, synonyms): the MeSH tree
// file carries no entry terms, so the everyday names of common headings are
// curated here.
func ParseSynonyms(r io.Reader, name string) (map[string][]string, error) {
	t, err := newTSV(r, name, "term_id", "synonyms")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return out, nil
		}
		id := field(rec, 0)
		if _, _, ok := SplitID(id); !ok {
			return nil, t.errf("%q is not a term id", id)
		}
		out[id] = append(out[id], splitList(field(rec, 1))...)
	}
}

// ParseAbbreviations reads the expansion table (text, expansions) that
// ResolveTerms uses for abbreviations and everyday phrases. Keys and
// expansions are stored normalized.
func ParseAbbreviations(r io.Reader, name string) (map[string][]string, error) {
	t, err := newTSV(r, name, "text", "expansions")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for {
		rec, err := t.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return out, nil
		}
		key := normalize(field(rec, 0))
		if key == "" {
			return nil, t.errf("empty text")
		}
		for _, e := range splitList(field(rec, 1)) {
			if n := normalize(e); n != "" && n != key {
				out[key] = append(out[key], n)
			}
		}
	}
}

// SplitID splits "EDAM:topic_0622" into its prefix and local part and
// checks the local part's form.
func SplitID(id string) (prefix, local string, ok bool) {
	i := strings.IndexByte(id, ':')
	if i < 0 {
		return "", "", false
	}
	prefix, local = id[:i+1], id[i+1:]
	switch prefix {
	case PrefixEDAM:
		ok = isEDAMID(local)
	case PrefixMeSH:
		ok = isMeSHID(local)
	case PrefixLocal:
		ok = isLocalSlug(local)
	}
	return prefix, local, ok
}

func dedupe(label string, syns []string) []string {
	seen := map[string]bool{normalize(label): true}
	out := syns[:0]
	for _, s := range syns {
		n := normalize(s)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
