package eval

import (
	"bufio"
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

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Tool is what the evaluation reads of a bio.tools entry.
type Tool struct {
	ID          string `json:"biotoolsID"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Topic       []struct {
		ID   string `json:"id"`
		Term string `json:"term"`
	} `json:"topic"`
	Operation []struct {
		ID string `json:"id"`
	} `json:"operation"`
	Credits []struct {
		Name       string  `json:"name"`
		TypeEntity string  `json:"typeEntity"`
		URL        *string `json:"url"`
	} `json:"organisationCredits"`
	ElixirNode []string `json:"elixirNode"`
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

// SplitTools holds out share of the tools that credit two or more
// organisations, chosen with seed.
func SplitTools(tools []*Tool, share float64, seed uint64) (train, held []*Tool) {
	return holdOut(tools, func(t *Tool) bool { return len(t.orgs()) >= 2 }, func(t *Tool) string { return t.ID }, share, seed)
}

// holdOut holds out share of the items eligible says may be, chosen with
// seed; the rest, in their order, are the training items.
func holdOut[T any](items []T, eligible func(T) bool, id func(T) string, share float64, seed uint64) (train, held []T) {
	var pick []T
	for _, it := range items {
		if eligible(it) {
			pick = append(pick, it)
		}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
	out := map[string]bool{}
	for _, it := range pick[:int(math.Round(share*float64(len(pick))))] {
		out[id(it)] = true
		held = append(held, it)
	}
	for _, it := range items {
		if !out[id(it)] {
			train = append(train, it)
		}
	}
	return train, held
}

var nodeCountry = map[string]string{
	"France": "FR", "Czech Republic": "CZ", "Germany": "DE", "Switzerland": "CH", "Netherlands": "NL", "Spain": "ES",
	"Italy": "IT", "UK": "GB", "Portugal": "PT", "Belgium": "BE", "Slovenia": "SI", "Luxembourg": "LU", "Norway": "NO",
	"Estonia": "EE", "Greece": "GR", "Sweden": "SE", "Denmark": "DK", "Finland": "FI",
}

// BioTools makes the bio.tools task: each training tool is a collaboration
// (kind tool) among the organisations it credits, with its EDAM topics and
// operations and its description; organisations are known by name, kind
// and the country their web addresses and ELIXIR nodes suggest, nothing
// else. Each held-out tool asks once per credited organisation that has a
// training tool; the right answers are its other such organisations. With
// need, the tool's EDAM topic labels are the need.
func BioTools(train, held []*Tool, need bool) (*Task, []Question) {
	t := &Task{Vec: map[string]map[string]float64{}, Count: map[string]int{}}
	names := map[string]string{}
	country := map[string]map[string]int{}
	for _, tool := range train {
		orgs := tool.orgs()
		if len(orgs) == 0 {
			continue
		}
		c := &domain.Collaboration{ID: tool.ID, Kind: domain.CollabTool, Programme: "bio.tools", Title: tool.Name,
			Summary: clipText(tool.Description, 600), Version: 1}
		for _, tp := range tool.Topic {
			c.TermIDs = append(c.TermIDs, "EDAM:"+tp.ID)
		}
		for _, op := range tool.Operation {
			c.TermIDs = append(c.TermIDs, "EDAM:"+op.ID)
		}
		for _, name := range orgs {
			id := OrgID(name)
			c.Members = append(c.Members, domain.CollabMember{OrgID: id, Role: domain.RoleCredited})
			if _, ok := names[id]; !ok {
				names[id] = name
				country[id] = map[string]int{}
				t.Vec[id] = map[string]float64{}
			}
			t.Count[id]++
			for _, tp := range tool.Topic {
				t.Vec[id][tp.ID]++
			}
			for _, n := range tool.ElixirNode {
				if cc := nodeCountry[n]; cc != "" {
					country[id][cc]++
				}
			}
			for _, cr := range tool.Credits {
				if cr.Name == name && cr.URL != nil {
					if cc := urlCountry(*cr.URL); cc != "" {
						country[id][cc] += 2
					}
				}
			}
		}
		t.Collabs = append(t.Collabs, c)
	}
	for _, id := range sortedIDs(names) {
		kind := profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
		if strings.Contains(strings.ToLower(names[id]), "univ") {
			kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
		}
		cc, best := "", 0
		for c, n := range country[id] {
			if n > best || n == best && c < cc {
				cc, best = c, n
			}
		}
		t.Orgs = append(t.Orgs, domain.Change{Key: domain.OrgKey(id), Version: 1, Org: &domain.Org{
			ID: id, Name: names[id], Kind: kind, Country: cc, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1}})
	}
	var qs []Question
	for _, tool := range held {
		var in []string
		for _, name := range tool.orgs() {
			if id := OrgID(name); t.Count[id] > 0 && !slices.Contains(in, id) {
				in = append(in, id)
			}
		}
		for _, s := range in {
			q := Question{Seeker: s, Relevant: map[string]bool{}}
			for _, o := range in {
				if o != s {
					q.Relevant[o] = true
				}
			}
			if len(q.Relevant) == 0 {
				continue
			}
			if need {
				var labels []string
				q.NeedVec = map[string]float64{}
				for _, tp := range tool.Topic {
					if tp.Term != "" {
						labels = append(labels, tp.Term)
					}
					q.NeedVec[tp.ID]++
				}
				q.Need = strings.Join(labels, ", ")
			}
			qs = append(qs, q)
		}
	}
	return t, qs
}

func urlCountry(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	i := strings.LastIndexByte(h, '.')
	if i < 0 || len(h)-i != 3 {
		return ""
	}
	cc := strings.ToUpper(h[i+1:])
	if cc == "UK" {
		cc = "GB"
	}
	return cc
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !strings.HasPrefix(s[n:], " ") {
		n--
	}
	return s[:n]
}

func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
