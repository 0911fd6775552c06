// Package adapters connects the matching read model to the outside: the
// vocabulary, the Redis projection, the NATS consumers and the JetStream
// stores of feedback and saved searches.
package adapters

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Ontology serves domain.Ontology from the shared vocabulary. Expansions
// are cached: the vocabulary never changes in a process.
type Ontology struct {
	v     *vocab.Vocabulary
	cache sync.Map // term id -> []domain.Related

	// Reading a need costs more than the rest of a small query, and the
	// same needs come back: saved searches are scored again on every
	// change, and people repeat their searches. The vocabulary never
	// changes in a process, so a reading stays right; the cache is bounded
	// by dropping it whole when full.
	resolvedMu sync.Mutex
	resolved   map[string][]domain.Resolved
}

// maxResolved bounds the cache of need readings.
const maxResolved = 4096

// NewOntology wraps v.
func NewOntology(v *vocab.Vocabulary) *Ontology { return &Ontology{v: v} }

// Known reports whether id names a term.
func (o *Ontology) Known(id string) bool { _, ok := o.v.Term(id); return ok }

// Label returns the preferred label.
func (o *Ontology) Label(id string) string {
	if t, ok := o.v.Term(id); ok {
		return t.Label
	}
	return id
}

// InformationContent is the vocabulary's intrinsic information content.
func (o *Ontology) InformationContent(id string) float64 { return o.v.InformationContent(id) }

// Closest suggests ids for an unknown one.
func (o *Ontology) Closest(id string) []string {
	var out []string
	for _, m := range o.v.Closest(id, 3) {
		out = append(out, m.Term.ID)
	}
	return out
}

// Resolve reads a need as terms: the best matches within reach of the top one.
func (o *Ontology) Resolve(text string) []domain.Resolved {
	o.resolvedMu.Lock()
	out, ok := o.resolved[text]
	o.resolvedMu.Unlock()
	if ok {
		return slices.Clone(out)
	}
	out = o.resolve(text)
	o.resolvedMu.Lock()
	if o.resolved == nil || len(o.resolved) >= maxResolved {
		o.resolved = make(map[string][]domain.Resolved)
	}
	o.resolved[text] = out
	o.resolvedMu.Unlock()
	return slices.Clone(out)
}

func (o *Ontology) resolve(text string) []domain.Resolved {
	ms := o.v.Resolve(text, 8)
	if len(ms) == 0 || ms[0].Score <= 0 {
		return nil
	}
	best := ms[0].Score
	var out []domain.Resolved
	for _, m := range ms {
		if m.Score < 0.6*best || len(out) == 5 {
			break
		}
		out = append(out, domain.Resolved{TermID: m.Term.ID, Confidence: m.Score / best})
	}
	return out
}

// Similarity of terms by relation; broader terms are discounted by how
// general they are, so "Topic" is never a good match for anything.
const (
	simLinked      = 0.9
	simBroaderStep = 0.75
	simNarrowStep  = 0.8
	simSibling     = 0.5
	maxDescendants = 30
	maxSiblings    = 20
)

// Expand lists the term and its neighbours in both vocabularies, best first.
func (o *Ontology) Expand(id string) []domain.Related {
	if e, ok := o.cache.Load(id); ok {
		return e.([]domain.Related)
	}
	e := o.expand(id)
	o.cache.Store(id, e)
	return e
}

func (o *Ontology) expand(id string) []domain.Related {
	t, ok := o.v.Term(id)
	if !ok {
		return nil
	}
	got := map[string]domain.Related{}
	add := func(r domain.Related) {
		if old, ok := got[r.TermID]; !ok || r.Sim > old.Sim {
			got[r.TermID] = r
		}
	}
	neighbours := func(id string, factor float64, linked bool) {
		for a, d := range o.v.Ancestors(id) {
			if d <= 2 {
				sim := math.Pow(simBroaderStep, float64(d)) * (0.2 + 0.8*o.v.InformationContent(a))
				add(domain.Related{TermID: a, Sim: factor * sim, Relation: matchingv1.TermRelation_TERM_RELATION_BROADER, Linked: linked})
			}
		}
		desc := o.v.DescendantsWithin(id, 2)
		ids := make([]string, 0, len(desc))
		for d, dist := range desc {
			if dist <= 2 {
				ids = append(ids, d)
			}
		}
		slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(desc[a], desc[b]), strings.Compare(a, b)) })
		for _, d := range ids[:min(len(ids), maxDescendants)] {
			add(domain.Related{TermID: d, Sim: factor * math.Pow(simNarrowStep, float64(desc[d])), Relation: matchingv1.TermRelation_TERM_RELATION_NARROWER, Linked: linked})
		}
		for _, p := range o.v.Parents(id) {
			sim := simSibling * (0.2 + 0.8*o.v.InformationContent(p))
			for i, s := range o.v.Children(p) {
				if i == maxSiblings {
					break
				}
				if s != id {
					add(domain.Related{TermID: s, Sim: factor * sim, Relation: matchingv1.TermRelation_TERM_RELATION_RELATED, Linked: linked})
				}
			}
		}
	}
	neighbours(t.ID, 1, false)
	for _, l := range t.Linked {
		add(domain.Related{TermID: l, Sim: simLinked, Relation: matchingv1.TermRelation_TERM_RELATION_LINKED, Linked: true})
		neighbours(l, simLinked, true)
	}
	delete(got, t.ID)
	out := make([]domain.Related, 0, len(got)+1)
	out = append(out, domain.Related{TermID: t.ID, Sim: 1, Relation: matchingv1.TermRelation_TERM_RELATION_EXACT})
	for _, r := range got {
		if r.Sim >= 0.05 {
			out = append(out, r)
		}
	}
	slices.SortFunc(out[1:], func(a, b domain.Related) int {
		return cmp.Or(cmp.Compare(b.Sim, a.Sim), strings.Compare(a.TermID, b.TermID))
	})
	for i := range out {
		out[i].IC = o.v.InformationContent(out[i].TermID)
	}
	return out
}
