package domain

import "fmt"

// Feature is one component of a pair's score, each in [0, 1].
type Feature int

// The score's components. docs/matching.md describes them.
const (
	FeatOntology Feature = iota
	FeatText
	FeatReciprocity
	FeatEvidence
	FeatComplementarity
	FeatClusterRegion
	FeatGraph
	FeatExperience
	FeatActivity
	NumFeatures
)

var featureNames = [NumFeatures]string{"ontology", "text", "reciprocity", "evidence", "complementarity", "cluster/region", "graph", "experience", "activity"}

func (f Feature) String() string {
	if f >= 0 && f < NumFeatures {
		return featureNames[f]
	}
	return fmt.Sprintf("feature(%d)", int(f))
}

// Weights weigh the components; they are non-negative and sum to 1, so a
// score stays in [0, 1].
type Weights [NumFeatures]float64

// DefaultWeights are used until the index has been fitted to enough
// collaboration history (see Fit), and whenever a fit has too little to
// learn from.
var DefaultWeights = Weights{
	FeatOntology:        0.28,
	FeatText:            0.16,
	FeatReciprocity:     0.10,
	FeatEvidence:        0.06,
	FeatComplementarity: 0.10,
	FeatClusterRegion:   0.06,
	FeatGraph:           0.14,
	FeatExperience:      0.06,
	FeatActivity:        0.04,
}

// normalized returns w with negative weights set to 0, summing to 1; the
// defaults when nothing is left.
func (w Weights) normalized() Weights {
	var s float64
	for k := range w {
		w[k] = max(0, w[k])
		s += w[k]
	}
	if s <= 0 {
		return DefaultWeights
	}
	for k := range w {
		w[k] /= s
	}
	return w
}

func (w *Weights) dot(f *[NumFeatures]float64) float64 {
	var s float64
	for k := range w {
		s += w[k] * f[k]
	}
	return s
}

// Weights returns the weights the index scores queries with.
func (x *Index) Weights() Weights { return *x.weights.Load() }

// SetWeights makes the index score every query with w (normalised).
func (x *Index) SetWeights(w Weights) {
	n := w.normalized()
	x.weights.Store(&n)
	x.answers.changed()
}
