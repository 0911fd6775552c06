package app

import (
	"fmt"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
)

// SourceProto maps a vocabulary source to the API enum.
func SourceProto(s vocab.Source) competenciesv1.TermSource {
	switch s {
	case vocab.SourceEDAM:
		return competenciesv1.TermSource_TERM_SOURCE_EDAM
	case vocab.SourceMeSH:
		return competenciesv1.TermSource_TERM_SOURCE_MESH
	case vocab.SourceLocal:
		return competenciesv1.TermSource_TERM_SOURCE_LOCAL
	}
	return competenciesv1.TermSource_TERM_SOURCE_UNSPECIFIED
}

// SourceOf maps the API enum to a vocabulary source (0 when unspecified).
func SourceOf(s competenciesv1.TermSource) vocab.Source {
	switch s {
	case competenciesv1.TermSource_TERM_SOURCE_EDAM:
		return vocab.SourceEDAM
	case competenciesv1.TermSource_TERM_SOURCE_MESH:
		return vocab.SourceMeSH
	case competenciesv1.TermSource_TERM_SOURCE_LOCAL:
		return vocab.SourceLocal
	}
	return 0
}

// TermProto converts a vocabulary term.
func TermProto(t *vocab.Term) *competenciesv1.Term {
	return &competenciesv1.Term{
		Id: t.ID, Label: t.Label, Synonyms: t.Synonyms, Definition: t.Definition, ParentIds: t.Parents,
		Source: SourceProto(t.Source), Branch: t.Branch, TreeNumbers: t.TreeNumbers, Obsolete: t.Obsolete,
		ReplacedByIds: t.ReplacedBy, LinkedTermIds: t.Linked,
	}
}

// TermRefProto converts a vocabulary term to a short reference.
func TermRefProto(t *vocab.Term) *competenciesv1.TermRef {
	return &competenciesv1.TermRef{Id: t.ID, Label: t.Label, Source: SourceProto(t.Source), Obsolete: t.Obsolete}
}

// MatchKindProto maps a vocabulary match kind to the API enum.
func MatchKindProto(k vocab.MatchKind) competenciesv1.TermMatchKind {
	switch k {
	case vocab.MatchExact:
		return competenciesv1.TermMatchKind_TERM_MATCH_KIND_EXACT
	case vocab.MatchLabelPrefix:
		return competenciesv1.TermMatchKind_TERM_MATCH_KIND_LABEL_PREFIX
	case vocab.MatchSynonym:
		return competenciesv1.TermMatchKind_TERM_MATCH_KIND_SYNONYM
	case vocab.MatchFuzzy:
		return competenciesv1.TermMatchKind_TERM_MATCH_KIND_FUZZY
	case vocab.MatchText:
		return competenciesv1.TermMatchKind_TERM_MATCH_KIND_TEXT
	}
	return competenciesv1.TermMatchKind_TERM_MATCH_KIND_UNSPECIFIED
}

// MatchProto converts a search or resolve result, with the term's parents.
func MatchProto(v *vocab.Vocabulary, m vocab.Match) *competenciesv1.TermMatch {
	out := &competenciesv1.TermMatch{Term: TermProto(m.Term), Score: m.Score, MatchKind: MatchKindProto(m.Kind), MatchedText: m.MatchedText}
	for _, p := range m.Term.Parents {
		if pt, ok := v.Term(p); ok {
			out.Parents = append(out.Parents, TermRefProto(pt))
		}
	}
	return out
}

// checkTerm finds a term a competency or profile may use: known and not
// obsolete. Otherwise it returns a violation of field that names the
// closest terms, so the caller can correct the id.
func checkTerm(v *vocab.Vocabulary, field, id string) (*vocab.Term, error) {
	t, ok := v.Term(id)
	switch {
	case !ok:
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: field, Description: fmt.Sprintf("unknown term %q%s", id, closest(v.Closest(id, 3)))})
	case t.Obsolete:
		var alts []vocab.Match
		for _, r := range t.ReplacedBy {
			if rt, ok := v.Term(r); ok {
				alts = append(alts, vocab.Match{Term: rt})
			}
		}
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: field, Description: fmt.Sprintf("term %s (%s) is obsolete%s", t.ID, t.Label, closest(alts))})
	}
	return t, nil
}

func closest(ms []vocab.Match) string {
	if len(ms) == 0 {
		return ""
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s (%s)", m.Term.ID, m.Term.Label)
	}
	return "; closest terms: " + strings.Join(parts, ", ")
}
