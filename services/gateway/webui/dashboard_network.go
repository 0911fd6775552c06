package webui

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strings"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// maxNetworkPairs is how many pairs the network's table lists, strongest
// first; maxNetworkChoices how many organisations or people the focus
// choice offers, the most connected first.
const (
	maxNetworkPairs   = 50
	maxNetworkChoices = 200
)

// networkNode is where an organisation or person of the network stands:
// its kind and region (a person's are its organisation's).
type networkNode struct {
	Kind   profilesv1.OrganizationKind
	Region string
}

// pairRow is a pair of the network as its table shows it.
type pairRow struct {
	A, B                  string // names
	AHref, BHref          string
	Met, Contacted, Saved int
}

// networkView is the network of who met, contacted or saved whom, filtered
// by kind and region and focused on one organisation or person as the
// manager chose.
type networkView struct {
	// Kind, Region and Focus are the filters chosen ("" for any).
	Kind, Region, Focus, FocusName string
	Kinds                          []choice // enum names and catalogue keys
	Regions                        []string
	Choices                        []choice // profile keys and names
	// Pairs are the pairs shown, strongest first; Total counts them all.
	Pairs []pairRow
	Total int
	// All counts the pairs before the filters.
	All int
}

func (n networkView) Sampled() bool  { return n.Total > len(n.Pairs) }
func (n networkView) Filtered() bool { return n.Kind != "" || n.Region != "" || n.Focus != "" }

// networkOf filters pairs by the query's net_kind, net_region and focus: a
// pair stays when one side is of the kind and region chosen and, with a
// focus, when that side is the focus.
func networkOf(l *Lang, q url.Values, pairs []pair, nodes map[string]networkNode, names map[string]string) (networkView, []pair) {
	v := networkView{Kind: q.Get("net_kind"), Region: q.Get("net_region"), Focus: q.Get("focus"), All: len(pairs)}
	kinds, regions, degree := map[profilesv1.OrganizationKind]bool{}, map[string]bool{}, map[string]int{}
	for _, p := range pairs {
		for _, k := range []string{p.A, p.B} {
			degree[k]++
			if n, ok := nodes[k]; ok {
				kinds[n.Kind] = true
				if n.Region != "" {
					regions[n.Region] = true
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		v.Kinds = append(v.Kinds, choice{Key: k.String(), Label: l.E(k)})
	}
	if _, ok := profilesv1.OrganizationKind_value[v.Kind]; !ok {
		v.Kind = ""
	}
	v.Regions = slices.Sorted(maps.Keys(regions))
	if !regions[v.Region] {
		v.Region = ""
	}
	if degree[v.Focus] == 0 {
		v.Focus = ""
	}
	keys := make([]string, 0, len(degree))
	for k := range degree {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(degree[b]-degree[a], strings.Compare(a, b)) })
	keys = keys[:min(len(keys), maxNetworkChoices)]
	if v.Focus != "" && !slices.Contains(keys, v.Focus) {
		keys = append(keys, v.Focus)
	}
	for _, k := range keys {
		v.Choices = append(v.Choices, choice{Key: k, Label: nodeName(l, names, k)})
	}
	slices.SortFunc(v.Choices, func(a, b choice) int { return cmp.Or(strings.Compare(a.Label, b.Label), strings.Compare(a.Key, b.Key)) })
	if v.Focus != "" {
		v.FocusName = nodeName(l, names, v.Focus)
	}

	matches := func(k string) bool {
		n := nodes[k]
		return (v.Kind == "" || n.Kind.String() == v.Kind) && (v.Region == "" || n.Region == v.Region) && (v.Focus == "" || k == v.Focus)
	}
	var shown []pair
	for _, p := range pairs {
		if matches(p.A) || matches(p.B) {
			shown = append(shown, p)
		}
	}
	strength := func(p pair) int { return 4*p.Met + 2*p.Contacted + p.Saved }
	slices.SortFunc(shown, func(a, b pair) int {
		return cmp.Or(strength(b)-strength(a), strings.Compare(a.A, b.A), strings.Compare(a.B, b.B))
	})
	v.Total = len(shown)
	for _, p := range shown[:min(len(shown), maxNetworkPairs)] {
		a, b := p.A, p.B
		if b == v.Focus { // the focus reads first
			a, b = b, a
		}
		v.Pairs = append(v.Pairs, pairRow{A: nodeName(l, names, a), B: nodeName(l, names, b), AHref: nodeHref(names, a), BHref: nodeHref(names, b),
			Met: p.Met, Contacted: p.Contacted, Saved: p.Saved})
	}
	return v, shown
}

// nodeHref is the profile page of a node the caller may see by name.
func nodeHref(names map[string]string, key string) string {
	if names[key] == "" {
		return ""
	}
	return profileHref(refFromKey(key))
}
