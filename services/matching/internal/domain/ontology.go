package domain

import matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"

// Related is a term close to another one in the vocabulary, with how close.
type Related struct {
	TermID   string
	Sim      float64 // 1 for the term itself
	Relation matchingv1.TermRelation
	Linked   bool // reached through an EDAM <-> MeSH link
	// IC is TermID's information content, as Ontology.InformationContent
	// gives it: carried along because scoring weighs every expanded term.
	IC float64
}

// Resolved is a term a free text was read as, with a confidence in (0, 1].
type Resolved struct {
	TermID     string
	Confidence float64
}

// Ontology is what scoring needs of the vocabulary. Implementations are safe
// for concurrent use.
type Ontology interface {
	// Known reports whether id names a term.
	Known(id string) bool
	// Label is the term's preferred label ("" when unknown).
	Label(id string) string
	// Expand lists the term itself and the terms near it (broader,
	// narrower, related, linked), best first.
	Expand(id string) []Related
	// InformationContent is in [0, 1]: 1 for the most specific terms.
	InformationContent(id string) float64
	// Resolve reads free text as terms, best first.
	Resolve(text string) []Resolved
	// Closest suggests ids for an unknown one, for error messages.
	Closest(id string) []string
}
