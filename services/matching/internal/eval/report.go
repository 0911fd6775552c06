package eval

import (
	"fmt"
	"os"
	"strings"

	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Report gathers the runs of every variant over the seeds.
type Report struct {
	Seeds    []uint64
	variants []*variant
	Cluster  *ClusterCheck
}

type variant struct {
	name      string
	methods   []Summary // Tandem first, then the baselines
	questions []int
	fits      []domain.FitReport
	need      bool // its questions state a need
}

// Methods evaluated beside Tandem, in the order of the tables.
var baselineNames = []string{"baseline: popularity", "baseline: TF-IDF cosine", "baseline: TF-IDF cosine + co-credit graph"}

// Add evaluates Tandem and the baselines on one variant's questions of one
// seed.
func (r *Report) Add(name string, seed uint64, t *Task, x *domain.Index, fit domain.FitReport, qs []Question) {
	var v *variant
	for _, o := range r.variants {
		if o.name == name {
			v = o
		}
	}
	if v == nil {
		v = &variant{name: name, methods: []Summary{{Name: "Tandem (SuggestPartners)"}}}
		for _, b := range baselineNames {
			v.methods = append(v.methods, Summary{Name: b})
		}
		r.variants = append(r.variants, v)
	}
	rankers := []Ranker{Ours(x), Popularity(t), Cosine(t, false), Cosine(t, true)}
	for k, rk := range rankers {
		v.methods[k].Runs = append(v.methods[k].Runs, Evaluate(rk, qs))
	}
	v.questions = append(v.questions, len(qs))
	v.fits = append(v.fits, fit)
	for _, q := range qs {
		v.need = v.need || q.Need != ""
	}
}

// Missed lists the targets not met.
func (r *Report) Missed() []string {
	var out []string
	get := func(name string) *variant {
		for _, v := range r.variants {
			if v.name == name {
				return v
			}
		}
		return nil
	}
	if plain, need := get("bio.tools, no need"), get("bio.tools, EDAM topics as need"); plain != nil && need != nil {
		p, n := plain.methods[0], need.methods[0]
		if p.Mean(R10) < 0.85 {
			out = append(out, fmt.Sprintf("bio.tools recall@10 %.3f < 0.85", p.Mean(R10)))
		}
		if p.Mean(MRR) < 0.82 {
			out = append(out, fmt.Sprintf("bio.tools MRR %.3f < 0.82", p.Mean(MRR)))
		}
		if n.Mean(R10) < p.Mean(R10) || n.Mean(MRR) < p.Mean(MRR) {
			out = append(out, fmt.Sprintf("bio.tools with a need (%.3f, %.3f) below without (%.3f, %.3f)", n.Mean(R10), n.Mean(MRR), p.Mean(R10), p.Mean(MRR)))
		}
	}
	for _, v := range r.variants {
		if !strings.HasPrefix(v.name, "CORDIS") {
			continue
		}
		ours, pop := v.methods[0], v.methods[1]
		if ours.Mean(R10) < 2*pop.Mean(R10) {
			out = append(out, fmt.Sprintf("%s: recall@10 %.3f < 2 × popularity's %.3f", v.name, ours.Mean(R10), pop.Mean(R10)))
		}
		if ours.Mean(MRR) < 0.35 {
			out = append(out, fmt.Sprintf("%s: MRR %.3f < 0.35", v.name, ours.Mean(MRR)))
		}
	}
	if c := r.Cluster; c != nil && (10*c.WithResearch < 8*c.Companies || c.UnknownRegion > 0) {
		out = append(out, fmt.Sprintf("cluster: %d of %d companies get research-side suggestions, %d same-region reasons for unknown countries", c.WithResearch, c.Companies, c.UnknownRegion))
	}
	return out
}

// Markdown renders the tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	fmt.Fprintf(&b, "Seeds %s; each cell is the mean ± standard deviation over the seeds.\n\n", strings.Join(seeds, ", "))
	for _, v := range r.variants {
		var qs []string
		for _, n := range v.questions {
			qs = append(qs, fmt.Sprint(n))
		}
		fmt.Fprintf(&b, "### %s\n\nQuestions per seed: %s.\n\n", v.name, strings.Join(qs, ", "))
		b.WriteString(Table(v.methods))
		var w domain.Weights
		fallback := 0
		for _, f := range v.fits {
			fw := f.Weights
			for k := range w {
				w[k] += fw[k] / float64(len(v.fits))
			}
			if f.Fallback {
				fallback++
			}
		}
		var parts []string
		for k, x := range w {
			parts = append(parts, fmt.Sprintf("%s %.2f", domain.Feature(k), x))
		}
		fmt.Fprintf(&b, "\nFitted weights for queries %s a need (mean over seeds; %d of %d fits fell back to the defaults): %s.\n\n", map[bool]string{false: "without", true: "with"}[v.need], fallback, len(v.fits), strings.Join(parts, ", "))
	}
	if c := r.Cluster; c != nil {
		fmt.Fprintf(&b, "### Demo cluster\n\n%d of %d companies get a university, research institute or research hospital in their top 5; "+
			"%d have a reason for every suggestion; %d \"same region\" reasons between organisations of unknown country.\n\n",
			c.WithResearch, c.Companies, c.Explained, c.UnknownRegion)
		if c.Example != "" {
			b.WriteString("```\n" + c.Example + "```\n")
		}
	}
	return b.String()
}

// Markers delimit the generated part of docs/matching.md.
const (
	beginMarker = "<!-- eval:begin (make eval writes this part) -->"
	endMarker   = "<!-- eval:end -->"
)

// WriteInto replaces the part of a Markdown file between the eval markers
// with text (appending the markers when the file has none).
func WriteInto(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	block := beginMarker + "\n\n" + text + "\n" + endMarker
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i >= 0 && j > i {
		s = s[:i] + block + s[j+len(endMarker):]
	} else {
		s += "\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
