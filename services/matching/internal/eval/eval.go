// Package eval measures suggestion quality offline on real collaborations
// the index never saw: tools of bio.tools credited to several organisations,
// and EU projects of CORDIS that join companies with research. A share of
// the collaborations is held out; the index is built from the rest, through
// the same domain code the service uses (organisations, then the training
// collaborations as history, then the fit of the weights); each held-out
// collaboration's members ask for partners and its other members are the
// right answers.
package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Question is one seeker asking for partners.
type Question struct {
	Seeker string
	// Need is the typed need, "" for none; NeedVec is the same need as the
	// baselines read it (terms or words with counts).
	Need    string
	NeedVec map[string]float64
	// Relevant are the right answers.
	Relevant map[string]bool
	// Project is the held-out CORDIS project asked about (nil for
	// bio.tools); only what a seeker states of it (call, programme, title)
	// is read, by the diagnostic ceiling.
	Project *Project
}

// Task is one evaluation: what the index is built from and what is asked.
type Task struct {
	Orgs    []domain.Change               // organisations (and any competencies)
	Collabs []*domain.Collaboration       // the training history
	Vec     map[string]map[string]float64 // organisation -> what the baselines compare (terms or words)
	Count   map[string]int                // organisation -> training collaborations
}

// Index builds the read model as the service does: organisations first,
// then the history, then the fit of the weights to it.
func (t *Task) Index(ont domain.Ontology) (*domain.Index, domain.FitReport) {
	x := domain.NewIndex(ont)
	x.Apply(t.Orgs...)
	changes := make([]domain.Change, 0, len(t.Collabs))
	for _, c := range t.Collabs {
		changes = append(changes, domain.Change{Key: domain.CollabKey(c.ID), Version: c.Version, Collab: c})
	}
	x.Apply(changes...)
	return x, x.Fit()
}

// Ranker ranks candidate organisations for a question, best first.
type Ranker func(q Question, k int) []string

// Ours ranks with SuggestPartners.
func Ours(x *domain.Index) Ranker {
	return func(q Question, k int) []string {
		res, err := x.Suggest(domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: q.Seeker}, Need: domain.Need{Text: q.Need},
			Limit: k, Viewer: domain.Viewer{Admin: true}, Diversity: matchingv1.Diversity_DIVERSITY_BALANCED})
		if err != nil {
			return nil
		}
		out := make([]string, 0, len(res.GetSuggestions()))
		for _, s := range res.GetSuggestions() {
			out = append(out, s.GetCandidate().GetRef().GetOrganizationId())
		}
		return out
	}
}

// Metrics of one method on one run, averaged over questions.
type Metrics struct {
	R5, R10, R20, MRR float64
	Questions         int
}

// Cutoff is the depth MRR looks at.
const Cutoff = 20

// Evaluate asks every question: recall@k is the share of the relevant
// organisations in the top k; MRR the reciprocal rank of the first one in
// the top 20 (0 when none is).
func Evaluate(r Ranker, qs []Question) Metrics {
	var m Metrics
	for _, q := range qs {
		got := r(q, Cutoff)
		hits := func(k int) float64 {
			n := 0
			for _, id := range got[:min(k, len(got))] {
				if q.Relevant[id] {
					n++
				}
			}
			return float64(n) / float64(len(q.Relevant))
		}
		m.R5 += hits(5)
		m.R10 += hits(10)
		m.R20 += hits(20)
		for i, id := range got[:min(Cutoff, len(got))] {
			if q.Relevant[id] {
				m.MRR += 1 / float64(i+1)
				break
			}
		}
	}
	m.Questions = len(qs)
	if n := float64(len(qs)); n > 0 {
		m.R5, m.R10, m.R20, m.MRR = m.R5/n, m.R10/n, m.R20/n, m.MRR/n
	}
	return m
}

// Summary is a method's metrics over several runs (seeds).
type Summary struct {
	Name string
	Runs []Metrics
}

// Mean and Std of one metric over the runs.
func (s Summary) Mean(f func(Metrics) float64) float64 {
	var t float64
	for _, m := range s.Runs {
		t += f(m)
	}
	return t / float64(max(1, len(s.Runs)))
}

// Std is the sample standard deviation of a metric over the runs.
func (s Summary) Std(f func(Metrics) float64) float64 {
	if len(s.Runs) < 2 {
		return 0
	}
	mu := s.Mean(f)
	var v float64
	for _, m := range s.Runs {
		v += (f(m) - mu) * (f(m) - mu)
	}
	return math.Sqrt(v / float64(len(s.Runs)-1))
}

// Metric selectors.
var (
	R5  = func(m Metrics) float64 { return m.R5 }
	R10 = func(m Metrics) float64 { return m.R10 }
	R20 = func(m Metrics) float64 { return m.R20 }
	MRR = func(m Metrics) float64 { return m.MRR }
)

// Table renders summaries as Markdown, mean ± spread.
func Table(ss []Summary) string {
	var b strings.Builder
	b.WriteString("| method | recall@5 | recall@10 | recall@20 | MRR@20 |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, s := range ss {
		fmt.Fprintf(&b, "| %s |", s.Name)
		for _, f := range []func(Metrics) float64{R5, R10, R20, MRR} {
			fmt.Fprintf(&b, " %.3f ± %.3f |", s.Mean(f), s.Std(f))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Popularity ranks organisations by their training collaborations.
func Popularity(t *Task) Ranker {
	ids := candidates(t)
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(t.Count[b], t.Count[a]), strings.Compare(a, b)) })
	return func(q Question, k int) []string {
		out := make([]string, 0, k)
		for _, id := range ids {
			if id != q.Seeker && len(out) < k {
				out = append(out, id)
			}
		}
		return out
	}
}

func candidates(t *Task) []string {
	ids := make([]string, 0, len(t.Count))
	for id, n := range t.Count {
		if n > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Cosine ranks by the TF-IDF cosine of the seeker's vector (plus the
// need's, when there is one) with each candidate's. With graph, the
// co-credit graph is added: having worked with the seeker, and with its
// partners.
func Cosine(t *Task, graph bool) Ranker {
	idf := idfOf(t.Vec)
	weigh := func(v map[string]float64) map[string]float64 {
		out := map[string]float64{}
		var s float64
		for k, f := range v {
			w := (1 + math.Log(f)) * idf(k)
			out[k] = w
			s += w * w
		}
		for k := range out {
			out[k] /= math.Sqrt(s)
		}
		return out
	}
	vec := map[string]map[string]float64{}
	for id, v := range t.Vec {
		vec[id] = weigh(v)
	}
	partners := map[string]map[string]int{}
	if graph {
		partners = partnerCounts(t.Collabs)
	}
	ids := candidates(t)
	return func(q Question, k int) []string {
		query := map[string]float64{}
		for t, w := range vec[q.Seeker] {
			query[t] += w
		}
		if len(q.NeedVec) > 0 {
			for t, w := range weigh(q.NeedVec) {
				query[t] += w
			}
		}
		type sc struct {
			id string
			s  float64
		}
		var all []sc
		for _, id := range ids {
			if id == q.Seeker {
				continue
			}
			var s float64
			for t, w := range query {
				s += w * vec[id][t]
			}
			if graph {
				direct := partners[q.Seeker][id]
				two := 0
				for p := range partners[q.Seeker] {
					if partners[p][id] > 0 {
						two++
					}
				}
				s += 0.5*(1-math.Exp(-float64(direct))) + 0.2*(1-math.Exp(-float64(two)/2))
			}
			if s > 0 {
				all = append(all, sc{id, s})
			}
		}
		slices.SortFunc(all, func(a, b sc) int { return cmp.Or(cmp.Compare(b.s, a.s), strings.Compare(a.id, b.id)) })
		out := make([]string, 0, k)
		for _, a := range all[:min(k, len(all))] {
			out = append(out, a.id)
		}
		return out
	}
}

// idfOf is the inverse document frequency of the words or terms of the
// organisations' vectors.
func idfOf(vec map[string]map[string]float64) func(string) float64 {
	df := map[string]int{}
	for _, v := range vec {
		for k := range v {
			df[k]++
		}
	}
	n := float64(len(vec))
	return func(k string) float64 { return math.Log((n + 1) / (float64(df[k]) + 0.5)) }
}

// partnerCounts counts, for each organisation, the collaborations it
// shares with each other one.
func partnerCounts(cs []*domain.Collaboration) map[string]map[string]int {
	partners := map[string]map[string]int{}
	for _, c := range cs {
		for _, a := range c.Members {
			for _, b := range c.Members {
				if a.OrgID != b.OrgID {
					if partners[a.OrgID] == nil {
						partners[a.OrgID] = map[string]int{}
					}
					partners[a.OrgID][b.OrgID]++
				}
			}
		}
	}
	return partners
}

// OrgID turns an organisation name into a read-model id.
func OrgID(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(strings.ReplaceAll(name, ".", ""))) {
		if unicode.Is(unicode.Mn, r) {
			continue // accents: "Università" is "Universita"
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" {
		s = "org"
	}
	return s
}
