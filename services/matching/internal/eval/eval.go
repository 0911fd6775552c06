// Package eval measures suggestion quality offline on bio.tools: organisations
// credited together on the same tool are real collaborations. A random 20%
// of those tools (fixed seed) is held out, profiles are built from the rest,
// and each held-out organisation asks for partners; the ones it was credited
// with on held-out tools are the right answers.
package eval

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Tool is what the evaluation reads of a bio.tools entry.
type Tool struct {
	ID          string `json:"biotoolsID"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Topic       []struct {
		ID string `json:"id"`
	} `json:"topic"`
	Operation []struct {
		ID string `json:"id"`
	} `json:"operation"`
	Credits []struct {
		Name       string  `json:"name"`
		TypeEntity string  `json:"typeEntity"`
		URL        *string `json:"url"`
	} `json:"organisationCredits"`
	Publication []json.RawMessage `json:"publication"`
	ElixirNode  []string          `json:"elixirNode"`
}

// orgs lists the distinct research organisations credited on the tool.
func (t *Tool) orgs() []string {
	var out []string
	for _, c := range t.Credits {
		switch c.TypeEntity {
		case "Institute", "Consortium", "Division":
			if n := strings.TrimSpace(c.Name); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// ReadTools reads tools.jsonl.
func ReadTools(r io.Reader) ([]*Tool, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	var out []*Tool
	for sc.Scan() {
		var t Tool
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("tools.jsonl line %d: %w", len(out)+1, err)
		}
		out = append(out, &t)
	}
	return out, sc.Err()
}

// LoadTools reads dir/tools.jsonl.
func LoadTools(dir string) ([]*Tool, error) {
	f, err := os.Open(filepath.Join(dir, "tools.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTools(f)
}

// Split holds out share of the tools that credit two or more
// organisations, chosen with seed.
func Split(tools []*Tool, share float64, seed uint64) (train, held []*Tool) {
	var collab []*Tool
	for _, t := range tools {
		if len(t.orgs()) >= 2 {
			collab = append(collab, t)
		}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(collab), func(i, j int) { collab[i], collab[j] = collab[j], collab[i] })
	n := int(math.Round(share * float64(len(collab))))
	out := map[string]bool{}
	for _, t := range collab[:n] {
		out[t.ID] = true
		held = append(held, t)
	}
	for _, t := range tools {
		if !out[t.ID] {
			train = append(train, t)
		}
	}
	return train, held
}

var nodeCountry = map[string]string{
	"France": "FR", "Czech Republic": "CZ", "Germany": "DE", "Switzerland": "CH", "Netherlands": "NL", "Spain": "ES",
	"Italy": "IT", "UK": "GB", "Portugal": "PT", "Belgium": "BE", "Slovenia": "SI", "Luxembourg": "LU", "Norway": "NO",
	"Estonia": "EE", "Greece": "GR", "Sweden": "SE", "Denmark": "DK", "Finland": "FI",
}

// OrgID turns an organisation name into a read-model id.
func OrgID(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
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

// Corpus is the training side: profiles of organisations and what the
// baselines need.
type Corpus struct {
	Changes []domain.Change
	Names   map[string]string         // id -> name
	Tools   map[string]int            // id -> training tools credited
	Topics  map[string]map[string]int // id -> EDAM topic -> tools
}

// Build derives organisation profiles from the training tools: each topic
// and operation of a tool becomes a competency of every organisation
// credited on it, with the tool and its publications as evidence.
func Build(train []*Tool) *Corpus {
	type acc struct {
		name     string
		terms    map[string]*[2]int32 // term -> tools, publications
		text     []string
		country  map[string]int
		isUni    bool
		toolsCnt int
	}
	byID := map[string]*acc{}
	c := &Corpus{Names: map[string]string{}, Tools: map[string]int{}, Topics: map[string]map[string]int{}}
	for _, t := range train {
		for _, name := range t.orgs() {
			id := OrgID(name)
			a := byID[id]
			if a == nil {
				a = &acc{name: name, terms: map[string]*[2]int32{}, country: map[string]int{}}
				byID[id] = a
				c.Topics[id] = map[string]int{}
			}
			a.toolsCnt++
			lower := strings.ToLower(name)
			a.isUni = a.isUni || strings.Contains(lower, "univ")
			if len(strings.Join(a.text, " ")) < 4000 {
				a.text = append(a.text, t.Name+". "+t.Description)
			}
			for _, n := range t.ElixirNode {
				if cc := nodeCountry[n]; cc != "" {
					a.country[cc]++
				}
			}
			for _, cr := range t.Credits {
				if cr.Name == name && cr.URL != nil {
					if u, err := url.Parse(*cr.URL); err == nil {
						h := u.Hostname()
						if i := strings.LastIndexByte(h, '.'); i >= 0 && len(h)-i == 3 {
							cc := strings.ToUpper(h[i+1:])
							if cc == "UK" {
								cc = "GB"
							}
							a.country[cc] += 2
						}
					}
				}
			}
			seen := map[string]bool{}
			for _, tp := range t.Topic {
				c.Topics[id][tp.ID]++
				seen["EDAM:"+tp.ID] = true
			}
			for _, op := range t.Operation {
				seen["EDAM:"+op.ID] = true
			}
			for term := range seen {
				e := a.terms[term]
				if e == nil {
					e = &[2]int32{}
					a.terms[term] = e
				}
				e[0]++
				e[1] += int32(len(t.Publication))
			}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := byID[id]
		c.Names[id] = a.name
		c.Tools[id] = a.toolsCnt
		kind := profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
		if a.isUni {
			kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
		}
		country, best := "", 0
		for cc, n := range a.country {
			if n > best || n == best && cc < country {
				country, best = cc, n
			}
		}
		c.Changes = append(c.Changes, domain.Change{Key: domain.OrgKey(id), Version: 1, Org: &domain.Org{
			ID: id, Name: a.name, Kind: kind, Country: country, Description: strings.Join(a.text, " "),
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1}})
		terms := make([]string, 0, len(a.terms))
		for t := range a.terms {
			terms = append(terms, t)
		}
		slices.Sort(terms)
		for i, t := range terms {
			e := a.terms[t]
			level := competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_INTERMEDIATE
			switch {
			case e[0] >= 3:
				level = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT
			case e[0] == 2:
				level = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED
			}
			comp := &domain.Competency{ID: fmt.Sprintf("%s-%d", id, i), Holder: domain.OrgRef(id), TermID: t, Level: level, Version: 1}
			comp.Evidence[competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE] = e[0]
			comp.Evidence[competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION] = e[1]
			c.Changes = append(c.Changes, domain.Change{Key: domain.CompKey(comp.ID), Version: 1, Comp: comp})
		}
	}
	return c
}

// Truth maps each held-out organisation with a training profile to the
// organisations it was credited with on held-out tools (those with a
// profile too: nobody can suggest an organisation it has never seen).
func Truth(held []*Tool, c *Corpus) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, t := range held {
		orgs := t.orgs()
		for _, a := range orgs {
			ia := OrgID(a)
			if _, ok := c.Names[ia]; !ok {
				continue
			}
			for _, b := range orgs {
				ib := OrgID(b)
				if _, ok := c.Names[ib]; !ok || ia == ib {
					continue
				}
				if out[ia] == nil {
					out[ia] = map[string]bool{}
				}
				out[ia][ib] = true
			}
		}
	}
	return out
}

// Ranker ranks candidates for a seeker, best first.
type Ranker func(seeker string, k int) []string

// Ours ranks with the matching service's scorer.
func Ours(x *domain.Index) Ranker {
	return func(seeker string, k int) []string {
		res, err := x.Suggest(domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: seeker}, Limit: k, Viewer: domain.Viewer{Admin: true},
			Diversity: matchingv1.Diversity_DIVERSITY_BALANCED})
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

// Popularity ranks organisations by how many training tools credit them.
func Popularity(c *Corpus) Ranker {
	ids := make([]string, 0, len(c.Tools))
	for id := range c.Tools {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(c.Tools[b], c.Tools[a]), strings.Compare(a, b)) })
	return func(seeker string, k int) []string {
		out := make([]string, 0, k)
		for _, id := range ids {
			if id != seeker && len(out) < k {
				out = append(out, id)
			}
		}
		return out
	}
}

// TFIDF ranks by cosine similarity of TF-IDF vectors over EDAM topics.
func TFIDF(c *Corpus) Ranker {
	df := map[string]int{}
	for _, ts := range c.Topics {
		for t := range ts {
			df[t]++
		}
	}
	n := float64(len(c.Topics))
	vec := map[string]map[string]float64{}
	norm := map[string]float64{}
	for id, ts := range c.Topics {
		v := map[string]float64{}
		var s float64
		for t, f := range ts {
			w := (1 + math.Log(float64(f))) * math.Log(n/float64(df[t]))
			v[t] = w
			s += w * w
		}
		vec[id], norm[id] = v, math.Sqrt(s)
	}
	ids := make([]string, 0, len(vec))
	for id := range vec {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return func(seeker string, k int) []string {
		q := vec[seeker]
		type sc struct {
			id string
			s  float64
		}
		var all []sc
		for _, id := range ids {
			if id == seeker || norm[id] == 0 || norm[seeker] == 0 {
				continue
			}
			var dot float64
			for t, w := range q {
				dot += w * vec[id][t]
			}
			if dot > 0 {
				all = append(all, sc{id, dot / (norm[id] * norm[seeker])})
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

// Metrics are averaged over seekers.
type Metrics struct {
	Name              string
	R5, R10, R20, MRR float64
	Seekers           int
}

// Evaluate scores r against truth; rankings are cut at 100 for MRR.
func Evaluate(name string, r Ranker, truth map[string]map[string]bool) Metrics {
	m := Metrics{Name: name}
	seekers := make([]string, 0, len(truth))
	for s := range truth {
		seekers = append(seekers, s)
	}
	slices.Sort(seekers)
	for _, s := range seekers {
		rel := truth[s]
		got := r(s, 100)
		hits := func(k int) float64 {
			n := 0
			for _, id := range got[:min(k, len(got))] {
				if rel[id] {
					n++
				}
			}
			return float64(n) / float64(len(rel))
		}
		m.R5 += hits(5)
		m.R10 += hits(10)
		m.R20 += hits(20)
		for i, id := range got {
			if rel[id] {
				m.MRR += 1 / float64(i+1)
				break
			}
		}
	}
	m.Seekers = len(seekers)
	if n := float64(len(seekers)); n > 0 {
		m.R5, m.R10, m.R20, m.MRR = m.R5/n, m.R10/n, m.R20/n, m.MRR/n
	}
	return m
}

// Table renders metrics as Markdown.
func Table(ms []Metrics) string {
	var b strings.Builder
	b.WriteString("| method | recall@5 | recall@10 | recall@20 | MRR |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f | %.3f |\n", m.Name, m.R5, m.R10, m.R20, m.MRR)
	}
	return b.String()
}
