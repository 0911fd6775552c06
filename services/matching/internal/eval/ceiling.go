package eval

// The ceiling is a diagnostic, not a model: for every CORDIS question it
// computes every signal the eval can (Tandem's components, popularity, the
// candidate's projects in the need's programme and call, country, words,
// graph distances, its place in its consortia) for every candidate, and
// fits a ranking to the very questions it is then scored on. What even
// that cheating fit cannot reach, no weighting of these signals reaches on
// the slice. Nothing it learns is used by Tandem.

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// ceilingNames name the features, Tandem's components first.
var ceilingNames = func() []string {
	var out []string
	for k := range domain.NumFeatures {
		out = append(out, "Tandem: "+domain.Feature(k).String())
	}
	return append(out,
		"projects (log)", "projects in the need's programme (log)", "share of projects in the need's programme",
		"projects in the same call (log)", "projects in the same call family (log)", "best call similarity",
		"share of projects in the need's framework (FP7/H2020)", "same country", "university", "university or research organisation",
		"need words in its projects (log)", "need words in its projects, IDF share", "TF-IDF cosine with the need",
		"projects with the seeker (log)", "seeker's partners it worked with (log)", "within 3 steps of the seeker",
		"partners (log)", "mean place in its consortia", "listed first (log)", "share of its projects with a company",
		"projects with an organisation of the seeker's country (log)", "projects with a company (log)",
	)
}()

// researchFeature is the number of the feature "university or research
// organisation" (rankBy breaks its ties by projects: popularity among them).
var researchFeature = slices.Index(ceilingNames, "university or research organisation")

// tandemFeatures is how many of the features are Tandem's components.
const tandemFeatures = int(domain.NumFeatures)

// ceilQ is one question with every candidate's features.
type ceilQ struct {
	project string
	ids     []string
	rel     []bool
	nrel    int
	f       [][]float64
}

// ceilingQuestions computes the features of every candidate (every
// organisation with training history but the seeker) for each question.
func ceilingQuestions(t *Task, x *domain.Index, qs []Question) ([]ceilQ, error) {
	kind := map[string]bool{} // university
	research := map[string]bool{}
	country := map[string]string{}
	company := map[string]bool{}
	for _, ch := range t.Orgs {
		if o := ch.Org; o != nil {
			country[o.ID] = o.Country
			kind[o.ID] = o.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
			research[o.ID] = Participation{Kind: o.Kind}.research()
			company[o.ID] = o.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		}
	}
	cols := map[string][]int{}
	for i, c := range t.Collabs {
		for _, a := range c.Members {
			cols[a.OrgID] = append(cols[a.OrgID], i)
		}
	}
	partners := partnerCounts(t.Collabs)
	idf := idfOf(t.Vec)
	norm := map[string]float64{}
	for id, v := range t.Vec {
		var s float64
		for _, w := range slices.Sorted(maps.Keys(v)) {
			s += math.Pow((1+math.Log(v[w]))*idf(w), 2)
		}
		norm[id] = math.Sqrt(s)
	}
	ids := candidates(t)
	refs := make([]domain.Ref, len(ids))
	for i, id := range ids {
		refs[i] = domain.OrgRef(id)
	}
	l := func(v int) float64 { return math.Log1p(float64(v)) }
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	var out []ceilQ
	for _, q := range qs {
		if q.Project == nil {
			continue
		}
		comps, err := x.Components(domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: q.Seeker}, Need: domain.Need{Text: q.Need},
			Viewer: domain.Viewer{Admin: true}, Diversity: matchingv1.Diversity_DIVERSITY_BALANCED}, refs)
		if err != nil {
			return nil, fmt.Errorf("components for %s: %w", q.Seeker, err)
		}
		call := domain.CallFamily(q.Project.Collab.GetCall())
		framework := q.Project.Collab.GetProgramme()
		home := country[q.Seeker]
		two := map[string]int{}
		three := map[string]bool{}
		for p := range partners[q.Seeker] {
			three[p] = true
			for pp := range partners[p] {
				two[pp]++
				three[pp] = true
				for ppp := range partners[pp] {
					three[ppp] = true
				}
			}
		}
		needWords := slices.Sorted(maps.Keys(q.NeedVec)) // a fixed order: sums of floats do not depend on map order
		var needW float64
		for _, w := range needWords {
			needW += idf(w)
		}
		cq := ceilQ{project: q.Project.ID, nrel: len(q.Relevant)}
		for i, id := range ids {
			if id == q.Seeker {
				continue
			}
			var inProg, sameCall, sameFam, inFramework, withHome, withCompany, mixed, first int
			var bestSim, place float64
			for _, ci := range cols[id] {
				c := t.Collabs[ci]
				cs := domain.CallFamily(c.Call)
				if len(call) > 0 && len(cs) > 0 && programmeOf(cs[0]) == programmeOf(call[0]) {
					inProg++
				}
				if c.Call != "" && c.Call == q.Project.Collab.GetCall() {
					sameCall++
				}
				if len(call) > 1 && len(cs) > 1 && cs[0] == call[0] && cs[1] == call[1] {
					sameFam++
				}
				bestSim = max(bestSim, callSimilarity(call, cs))
				if framework != "" && c.Programme == framework {
					inFramework++
				}
				atHome, comp := false, false
				for k, m := range c.Members {
					if m.OrgID == id {
						place += float64(k) / float64(max(1, len(c.Members)-1))
						if k == 0 {
							first++
						}
						continue
					}
					atHome = atHome || (country[m.OrgID] != "" && country[m.OrgID] == country[q.Seeker])
					comp = comp || company[m.OrgID]
				}
				if atHome {
					withHome++
				}
				if comp {
					withCompany++
					mixed++
				}
			}
			np := len(cols[id])
			share := func(v int) float64 { return float64(v) / float64(max(1, np)) }
			words, wordIDF := 0, 0.0
			var cos, needNorm float64
			for _, w := range needWords {
				f := q.NeedVec[w]
				qw := (1 + math.Log(f)) * idf(w)
				needNorm += qw * qw
				if cf, ok := t.Vec[id][w]; ok {
					words++
					wordIDF += idf(w)
					cos += qw * (1 + math.Log(cf)) * idf(w)
				}
			}
			if needNorm > 0 && norm[id] > 0 {
				cos /= math.Sqrt(needNorm) * norm[id]
			}
			f := make([]float64, 0, len(ceilingNames))
			f = append(f, comps[i][:]...)
			f = append(f, l(np), l(inProg), share(inProg), l(sameCall), l(sameFam), bestSim, share(inFramework),
				b(home != "" && home != "ZZ" && country[id] == home), b(kind[id]), b(research[id]),
				l(words), wordIDF/math.Max(needW, 1e-9), cos,
				l(partners[q.Seeker][id]), l(two[id]), b(three[id]),
				l(len(partners[id])), place/float64(max(1, np)), l(first), share(mixed),
				l(withHome), l(withCompany))
			cq.ids = append(cq.ids, id)
			cq.rel = append(cq.rel, q.Relevant[id])
			cq.f = append(cq.f, f)
		}
		out = append(out, cq)
	}
	return out, nil
}

// programmeOf is a call's programme without its generation: IMI2 is IMI.
func programmeOf(seg string) string {
	return strings.TrimRightFunc(seg, unicode.IsDigit)
}

// callSimilarity is the share of leading segments two codes share.
func callSimilarity(a, b []string) float64 {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return float64(n) / float64(max(1, len(a), len(b)))
}

// eachPair calls f with every (right answer, other candidate) pair.
func (q *ceilQ) eachPair(f func(i, j int)) {
	for i, ri := range q.rel {
		if !ri {
			continue
		}
		for j, rj := range q.rel {
			if !rj {
				f(i, j)
			}
		}
	}
}

// ceilMetrics scores one ranking (candidate indices, best first).
func ceilMetrics(q *ceilQ, order []int) Metrics {
	var m Metrics
	hits := 0
	for r, i := range order[:min(Cutoff, len(order))] {
		if q.rel[i] {
			hits++
			if m.MRR == 0 {
				m.MRR = 1 / float64(r+1)
			}
		}
		switch r + 1 {
		case 5:
			m.R5 = float64(hits) / float64(q.nrel)
		case 10:
			m.R10 = float64(hits) / float64(q.nrel)
		case 20:
			m.R20 = float64(hits) / float64(q.nrel)
		}
	}
	m.Questions = 1
	return m
}

// rankBy orders a question's candidates by score, best first; ties go to
// the more active candidate (feature tandemFeatures is its projects),
// then by id.
func rankBy(q *ceilQ, score func(f []float64) float64) []int {
	s := make([]float64, len(q.f))
	for i, f := range q.f {
		s[i] = score(f)
	}
	order := make([]int, len(q.f))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(s[b], s[a]), cmp.Compare(q.f[b][tandemFeatures], q.f[a][tandemFeatures]), strings.Compare(q.ids[a], q.ids[b]))
	})
	return order
}

func meanMetrics(ms []Metrics) Metrics {
	var m Metrics
	for _, x := range ms {
		m.R5 += x.R5
		m.R10 += x.R10
		m.R20 += x.R20
		m.MRR += x.MRR
	}
	if n := float64(len(ms)); n > 0 {
		m.R5, m.R10, m.R20, m.MRR = m.R5/n, m.R10/n, m.R20/n, m.MRR/n
	}
	m.Questions = len(ms)
	return m
}

// linear is a fitted ranking: weights on standardised features.
type linear struct {
	use       []int // feature numbers
	mu, sd, w []float64
}

func (m *linear) score(f []float64) float64 {
	var s float64
	for k, j := range m.use {
		s += m.w[k] * (f[j] - m.mu[k]) / m.sd[k]
	}
	return s
}

// fitPairwise fits a pairwise logistic regression over the features use:
// every (relevant, other) pair of every question should score the
// relevant one higher; each question weighs the same. Full-batch gradient
// descent on standardised features with a small ridge.
func fitPairwise(qs []ceilQ, use []int) *linear {
	m := &linear{use: use, mu: make([]float64, len(use)), sd: make([]float64, len(use)), w: make([]float64, len(use))}
	var rows float64
	for _, q := range qs {
		for _, f := range q.f {
			rows++
			for k, j := range use {
				m.mu[k] += f[j]
			}
		}
	}
	for k := range m.mu {
		m.mu[k] /= max(rows, 1)
	}
	for _, q := range qs {
		for _, f := range q.f {
			for k, j := range use {
				m.sd[k] += (f[j] - m.mu[k]) * (f[j] - m.mu[k])
			}
		}
	}
	for k := range m.sd {
		m.sd[k] = math.Sqrt(m.sd[k] / max(rows, 1))
		if m.sd[k] < 1e-9 {
			m.sd[k] = 1 // constant: its weight stays 0
		}
	}
	z := make([][][]float64, len(qs))
	for a, q := range qs {
		z[a] = make([][]float64, len(q.f))
		for i, f := range q.f {
			z[a][i] = make([]float64, len(use))
			for k, j := range use {
				z[a][i][k] = (f[j] - m.mu[k]) / m.sd[k]
			}
		}
	}
	const (
		steps = 600
		rate  = 1.0
		ridge = 1e-4
	)
	g := make([]float64, len(use))
	for range steps {
		clear(g)
		live := 0
		for a, q := range qs {
			if q.nrel == 0 || q.nrel == len(q.f) {
				continue
			}
			live++
			s := make([]float64, len(q.f))
			for i := range s {
				for k, v := range z[a][i] {
					s[i] += m.w[k] * v
				}
			}
			coef := make([]float64, len(q.f))
			var pairs float64
			q.eachPair(func(i, j int) {
				e := 1 / (1 + math.Exp(s[i]-s[j])) // d/dm log(1+e^-m) = -e
				coef[i] -= e
				coef[j] += e
				pairs++
			})
			for i, c := range coef {
				if c != 0 {
					for k, v := range z[a][i] {
						g[k] += c * v / pairs
					}
				}
			}
		}
		for k := range m.w {
			m.w[k] -= rate * (g[k]/float64(max(1, live)) + 2*ridge*m.w[k])
		}
	}
	return m
}

// ceilVariant gathers one variant's questions over the seeds.
type ceilVariant struct {
	name  string
	seeds []uint64
	qs    [][]ceilQ
	held  []map[string]bool // held-out projects of each seed
	base  [][]Metrics       // Tandem and popularity, per seed
}

// Ceiling gathers the in-sample ceiling of the CORDIS variants.
type Ceiling struct {
	variants   []*ceilVariant
	train      map[string][][]ceilQ // variant -> questions of the training seeds
	trainSeeds []uint64
}

func (c *Ceiling) variant(name string) *ceilVariant {
	for _, v := range c.variants {
		if v.name == name {
			return v
		}
	}
	v := &ceilVariant{name: name}
	c.variants = append(c.variants, v)
	return v
}

// Add computes the features of one variant's questions of one seed, and
// Tandem's and popularity's metrics on them.
func (c *Ceiling) Add(name string, seed uint64, t *Task, x *domain.Index, qs []Question, held []*Project) error {
	cq, err := ceilingQuestions(t, x, qs)
	if err != nil {
		return err
	}
	v := c.variant(name)
	h := map[string]bool{}
	for _, p := range held {
		h[p.ID] = true
	}
	v.seeds = append(v.seeds, seed)
	v.qs = append(v.qs, cq)
	v.held = append(v.held, h)
	v.base = append(v.base, []Metrics{Evaluate(Ours(x), qs), Evaluate(Popularity(t), qs)})
	return nil
}

// AddTraining computes the features of one variant's questions of a seed
// used only to train the out-of-sample fit.
func (c *Ceiling) AddTraining(name string, seed uint64, t *Task, x *domain.Index, qs []Question) error {
	cq, err := ceilingQuestions(t, x, qs)
	if err != nil {
		return err
	}
	if c.train == nil {
		c.train = map[string][][]ceilQ{}
	}
	c.train[name] = append(c.train[name], cq)
	if !slices.Contains(c.trainSeeds, seed) {
		c.trainSeeds = append(c.trainSeeds, seed)
	}
	return nil
}

// Markdown fits and scores every ranking and renders one table per
// variant.
func (c *Ceiling) Markdown() string {
	var b strings.Builder
	all := make([]int, len(ceilingNames))
	for i := range all {
		all[i] = i
	}
	nine := all[:tandemFeatures]
	b.WriteString("## In-sample ceiling — diagnostic, not a model\n\n" +
		"Each fit is trained on the very questions it is scored on (per variant and seed); nothing here is used by Tandem.\n\n")
	for _, v := range c.variants {
		rows := []Summary{{Name: "Tandem (SuggestPartners)"}, {Name: "baseline: popularity"},
			{Name: "popularity among universities and research organisations (not fitted)"},
			{Name: "in-sample pairwise logistic regression, all features"}, {Name: "in-sample pairwise logistic regression, Tandem's nine components"},
			{Name: "in-sample LambdaMART, 100 trees of depth 3, all features"},
			{Name: "oracle: best single feature per question, by recall@10"}, {Name: "oracle: best single feature per question, by MRR"}}
		oos := len(c.train[v.name]) > 0
		if oos {
			rows = append(rows, Summary{Name: fmt.Sprintf("out of sample: pairwise logistic regression trained on seeds %s", seedList(c.trainSeeds))},
				Summary{Name: fmt.Sprintf("out of sample: LambdaMART trained on seeds %s", seedList(c.trainSeeds))})
		}
		weights := make([]float64, len(all))
		for s, qs := range v.qs {
			add := func(row int, m Metrics) { rows[row].Runs = append(rows[row].Runs, m) }
			add(0, v.base[s][0])
			add(1, v.base[s][1])
			add(2, scoreRanking(qs, func(f []float64) float64 { return f[researchFeature] }))
			for r, use := range [][]int{all, nine} {
				m := fitPairwise(qs, use)
				if r == 0 {
					for k := range m.w {
						weights[k] += m.w[k] / float64(len(v.qs))
					}
				}
				add(3+r, scoreAll(qs, m))
			}
			add(5, scoreRanking(qs, fitLambdaMART(qs, 100, 3, 0.1).score))
			byR10, byMRR := oracle(qs)
			add(6, byR10)
			add(7, byMRR)
			if oos {
				var train []ceilQ
				for _, tq := range c.train[v.name] {
					for _, q := range tq {
						if !v.held[s][q.project] {
							train = append(train, q)
						}
					}
				}
				add(8, scoreAll(qs, fitPairwise(train, all)))
				add(9, scoreRanking(qs, fitLambdaMART(train, 100, 3, 0.1).score))
			}
		}
		fmt.Fprintf(&b, "### %s (seeds %s)\n\n", v.name, seedList(v.seeds))
		b.WriteString(Table(rows))
		order := slices.Clone(all)
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(math.Abs(weights[b]), math.Abs(weights[a])) })
		var parts []string
		for _, k := range order[:8] {
			parts = append(parts, fmt.Sprintf("%s %+.2f", ceilingNames[k], weights[k]))
		}
		fmt.Fprintf(&b, "\nLargest in-sample weights (all features, standardised, mean over seeds): %s.\n\n", strings.Join(parts, "; "))
	}
	return b.String()
}

func seedList(seeds []uint64) string {
	s := make([]string, len(seeds))
	for i, x := range seeds {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func scoreAll(qs []ceilQ, m *linear) Metrics { return scoreRanking(qs, m.score) }

func scoreRanking(qs []ceilQ, score func([]float64) float64) Metrics {
	var ms []Metrics
	for i := range qs {
		ms = append(ms, ceilMetrics(&qs[i], rankBy(&qs[i], score)))
	}
	return meanMetrics(ms)
}

// oracle ranks each question by the single feature (either way up) that
// serves it best: by recall@10 (then MRR), and by MRR (then recall@10).
func oracle(qs []ceilQ) (byR10, byMRR Metrics) {
	var a, b []Metrics
	for i := range qs {
		q := &qs[i]
		var bestR, bestM Metrics
		first := true
		for k := range ceilingNames {
			for _, sign := range []float64{1, -1} {
				m := ceilMetrics(q, rankBy(q, func(f []float64) float64 { return sign * f[k] }))
				if first || m.R10 > bestR.R10 || m.R10 == bestR.R10 && m.MRR > bestR.MRR {
					bestR = m
				}
				if first || m.MRR > bestM.MRR || m.MRR == bestM.MRR && m.R10 > bestM.R10 {
					bestM = m
				}
				first = false
			}
		}
		a, b = append(a, bestR), append(b, bestM)
	}
	return meanMetrics(a), meanMetrics(b)
}

// ensemble is a fitted ranking of small regression trees (LambdaMART).
type ensemble struct {
	trees []ceilTree
	rate  float64
}

// ceilTree is a regression tree: node k splits on feat[k] at thr[k]
// (left when below or equal), or is a leaf (feat[k] < 0) with val[k].
type ceilTree struct {
	feat        []int
	thr, val    []float64
	left, right []int
}

func (e *ensemble) score(f []float64) float64 {
	var s float64
	for i := range e.trees {
		s += e.rate * e.trees[i].value(f)
	}
	return s
}

func (t *ceilTree) value(f []float64) float64 {
	k := 0
	for t.feat[k] >= 0 {
		if f[t.feat[k]] <= t.thr[k] {
			k = t.left[k]
		} else {
			k = t.right[k]
		}
	}
	return t.val[k]
}

// fitLambdaMART fits a small LambdaMART: trees of the given depth on the
// pairwise gradients weighted by what swapping the pair changes in NDCG
// over the top Cutoff, splits chosen among up to 32 quantiles of each
// feature, leaves of at least minLeaf rows.
func fitLambdaMART(qs []ceilQ, trees, depth int, rate float64) *ensemble {
	const (
		bins    = 32
		minLeaf = 20
	)
	type row struct {
		q, i int
		f    []float64
	}
	var rows []row
	for a, q := range qs {
		for i, f := range q.f {
			rows = append(rows, row{a, i, f})
		}
	}
	nf := len(ceilingNames)
	cuts := make([][]float64, nf)
	for k := range nf {
		vals := make([]float64, len(rows))
		for r, x := range rows {
			vals[r] = x.f[k]
		}
		slices.Sort(vals)
		for b := 1; b < bins; b++ {
			c := vals[b*len(vals)/bins]
			if len(cuts[k]) == 0 || c > cuts[k][len(cuts[k])-1] {
				if c < vals[len(vals)-1] {
					cuts[k] = append(cuts[k], c)
				}
			}
		}
	}
	binOf := make([][]uint8, len(rows))
	for r, x := range rows {
		binOf[r] = make([]uint8, nf)
		for k := range nf {
			b, _ := slices.BinarySearch(cuts[k], x.f[k])
			binOf[r][k] = uint8(b) // row in bin b: value <= cuts[k][b] (or above every cut)
		}
	}
	e := &ensemble{rate: rate}
	scores := make([][]float64, len(qs))
	for a, q := range qs {
		scores[a] = make([]float64, len(q.f))
	}
	grad := make([]float64, len(rows))
	hess := make([]float64, len(rows))
	start := make([]int, len(qs))
	for r := len(rows) - 1; r >= 0; r-- {
		start[rows[r].q] = r
	}
	disc := func(rank int) float64 {
		if rank >= Cutoff {
			return 0
		}
		return 1 / math.Log2(float64(rank)+2)
	}
	for range trees {
		clear(grad)
		clear(hess)
		for a := range qs {
			q := &qs[a]
			if q.nrel == 0 {
				continue
			}
			s := scores[a]
			order := rankBy(q, func(f []float64) float64 { return 0 })
			// rank by the current scores (ties as rankBy breaks them)
			slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(s[y], s[x]) })
			rank := make([]int, len(order))
			for r, i := range order {
				rank[i] = r
			}
			var ideal float64
			for r := range min(q.nrel, Cutoff) {
				ideal += disc(r)
			}
			q.eachPair(func(i, j int) {
				delta := math.Abs(disc(rank[i])-disc(rank[j])) / ideal
				if delta == 0 {
					return
				}
				rho := 1 / (1 + math.Exp(s[i]-s[j]))
				grad[start[a]+i] += rho * delta
				grad[start[a]+j] -= rho * delta
				h := rho * (1 - rho) * delta
				hess[start[a]+i] += h
				hess[start[a]+j] += h
			})
		}
		t := ceilTree{}
		var grow func(members []int, d int) int
		grow = func(members []int, d int) int {
			k := len(t.feat)
			var g, h float64
			for _, r := range members {
				g += grad[r]
				h += hess[r]
			}
			t.feat = append(t.feat, -1)
			t.thr = append(t.thr, 0)
			t.left = append(t.left, -1)
			t.right = append(t.right, -1)
			t.val = append(t.val, g/math.Max(h, 1e-9))
			if d == depth || len(members) < 2*minLeaf {
				return k
			}
			bestGain, bestF, bestB := 1e-12, -1, 0
			gb := make([]float64, bins)
			hb := make([]float64, bins)
			nb := make([]int, bins)
			for f := range nf {
				clear(gb)
				clear(hb)
				clear(nb)
				for _, r := range members {
					b := binOf[r][f]
					gb[b] += grad[r]
					hb[b] += hess[r]
					nb[b]++
				}
				var gl, hl float64
				nl := 0
				for b := range len(cuts[f]) {
					gl, hl, nl = gl+gb[b], hl+hb[b], nl+nb[b]
					if nl < minLeaf || len(members)-nl < minLeaf {
						continue
					}
					gr, hr := g-gl, h-hl
					gain := gl*gl/math.Max(hl, 1e-9) + gr*gr/math.Max(hr, 1e-9) - g*g/math.Max(h, 1e-9)
					if gain > bestGain {
						bestGain, bestF, bestB = gain, f, b
					}
				}
			}
			if bestF < 0 {
				return k
			}
			var l, r []int
			for _, m := range members {
				if int(binOf[m][bestF]) <= bestB {
					l = append(l, m)
				} else {
					r = append(r, m)
				}
			}
			t.feat[k], t.thr[k] = bestF, cuts[bestF][bestB]
			lk := grow(l, d+1)
			rk := grow(r, d+1)
			t.left[k], t.right[k] = lk, rk
			return k
		}
		all := make([]int, len(rows))
		for r := range all {
			all[r] = r
		}
		grow(all, 0)
		e.trees = append(e.trees, t)
		for _, x := range rows {
			scores[x.q][x.i] += rate * t.value(x.f)
		}
	}
	return e
}
