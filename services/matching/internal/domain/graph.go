package domain

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
)

// collabDoc is what scoring reads of a collaboration: its members and its
// words and terms by the index's numbers.
type collabDoc struct {
	c       *Collaboration
	call    []string // callFamily of its call
	members []int32  // organisation numbers
	words   []int32  // distinct word numbers of its title and summary, sorted
	terms   []int32  // term numbers, sorted
}

// Walk limits: how far and how wide the random walk from a seeker goes.
const (
	walkSteps      = 3
	maxWalkCollabs = 400 // of one organisation, most recent first
	maxExpCollabs  = 300 // an organisation's collaborations read for experience
	onTopic        = 0.25
)

// walkDecay weighs the organisations reached after each step: partners,
// partners of partners, and one step further.
var walkDecay = [walkSteps + 1]float64{0, 1, 0.45, 0.2}

// indexCollab makes a collaboration's document and links it to its
// members; unindexCollab undoes it. Both mark the members' documents for a
// rebuild, as a candidate's document holds its history. Callers hold the
// write lock.
func (x *Index) indexCollab(c *Collaboration) {
	cd := &collabDoc{c: c, call: callFamily(c.Call)}
	for _, m := range c.Members {
		n := numberOf(x.orgNum, m.OrgID)
		cd.members = append(cd.members, n)
		x.growOrgs()
		x.orgCols[n] = append(x.orgCols[n], cd)
		slices.SortFunc(x.orgCols[n], func(a, b *collabDoc) int { return strings.Compare(a.c.ID, b.c.ID) })
		x.markOrg(m.OrgID)
	}
	for _, w := range Tokens(c.Title + " " + c.Summary) {
		cd.words = append(cd.words, x.wordNumber(w))
	}
	slices.Sort(cd.words)
	cd.words = slices.Compact(cd.words)
	for _, t := range c.TermIDs {
		if x.known(t) {
			cd.terms = append(cd.terms, x.number(t))
		}
	}
	slices.Sort(cd.terms)
	cd.terms = slices.Compact(cd.terms)
	x.colDocs[c.ID] = cd
}

func (x *Index) unindexCollab(id string) {
	cd := x.colDocs[id]
	if cd == nil {
		return
	}
	for k, n := range cd.members {
		x.orgCols[n] = slices.DeleteFunc(x.orgCols[n], func(o *collabDoc) bool { return o == cd })
		x.markOrg(cd.c.Members[k].OrgID)
	}
	delete(x.colDocs, id)
}

// known reports whether a term is in the vocabulary (none without one).
func (x *Index) known(t string) bool { return x.ont != nil && x.ont.Known(t) }

// growOrgs sizes the arrays kept per organisation number.
func (x *Index) growOrgs() {
	for len(x.orgCols) < len(x.orgNum) {
		x.orgCols = append(x.orgCols, nil)
		x.orgCand = append(x.orgCand, -1)
	}
}

// setOrgCand forgets an organisation's candidate when it has none.
func (x *Index) setOrgCand(id string, doc *cand) {
	if doc != nil {
		numberOf(x.orgNum, id)
		x.growOrgs()
		return
	}
	if n, ok := x.orgNum[id]; ok && int(n) < len(x.orgCand) {
		x.orgCand[n] = -1
	}
}

// historyOf adds an organisation's collaborations to its document: their
// titles and summaries to its text, their terms to its terms.
func (x *Index) historyOf(orgID string, hit func(string) *termHit, texts []string) []string {
	n, ok := x.orgNum[orgID]
	if !ok || int(n) >= len(x.orgCols) {
		return texts
	}
	for _, cd := range x.orgCols[n] {
		c := cd.c
		texts = append(texts, c.Title, c.Summary)
		ev := competenciesv1.EvidenceKind_EVIDENCE_KIND_PROJECT
		if c.Kind == CollabTool {
			ev = competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE
		}
		for _, t := range c.TermIDs {
			if !x.known(t) {
				continue
			}
			h := hit(t)
			h.collabs++
			h.strength = max(h.strength, min(1, 0.6+0.1*float32(h.collabs)))
			h.evidence[ev]++
		}
	}
	return texts
}

// collabsOf returns an organisation's collaborations.
func (x *Index) collabsOf(orgN int32) []*collabDoc {
	if orgN < 0 || int(orgN) >= len(x.orgCols) {
		return nil
	}
	return x.orgCols[orgN]
}

// walk runs a random walk with restart from the seeker's organisation over
// the graph of organisations and collaborations, a few steps deep: from an
// organisation to each of its collaborations alike, from a collaboration to
// each of its other members alike. It fills p.gv with the organisations
// reached, scaled so the closest is 1, and p.partners with the seeker's
// direct partners and how many collaborations it shares with each. Sums run
// in a fixed order, so scores are the same bit for bit on every run.
func (x *Index) walk(p *profile) {
	cols := x.collabsOf(p.orgN)
	if len(cols) == 0 {
		return
	}
	if w := x.walks.get(p.orgN, x.histGen); w != nil {
		w.into(p, len(x.orgCols))
		p.walked = w
		return
	}
	x.walkFrom(p, cols)
	p.walked = keepWalk(p, x.histGen)
	x.walks.put(p.orgN, p.walked)
}

// walkFrom is walk, from the seeker's collaborations cols.
func (x *Index) walkFrom(p *profile, cols []*collabDoc) {
	for _, cd := range cols {
		for _, m := range cd.members {
			if m != p.orgN {
				p.partners[m]++
			}
		}
	}
	// Dense arrays by organisation number, with the entries touched listed:
	// a walk reaches thousands of organisations on a large index, and maps
	// cost it more than the walk itself.
	n := len(x.orgCols)
	p.gv, p.wa, p.wb = grown(p.gv, n), grown(p.wa, n), grown(p.wb, n)
	cur, next := p.wa, p.wb
	curT, nextT := append(p.wta[:0], p.orgN), p.wtb[:0]
	cur[p.orgN] = 1
	for step := 1; step <= walkSteps; step++ {
		slices.Sort(curT)
		for _, o := range curT {
			oc := x.collabsOf(o)
			if len(oc) > maxWalkCollabs {
				oc = oc[:maxWalkCollabs]
			}
			if len(oc) == 0 {
				continue
			}
			// Every collaboration counts alike, with a need or without: a
			// need does not narrow who the seeker has worked with (what
			// it names counts in experience and the other components).
			share := cur[o] / float64(len(oc))
			for _, cd := range oc {
				if len(cd.members) < 2 {
					continue
				}
				per := share / float64(len(cd.members)-1)
				for _, m := range cd.members {
					if m != o {
						if next[m] == 0 {
							nextT = append(nextT, m)
						}
						next[m] += per
					}
				}
			}
		}
		for _, o := range nextT {
			if p.gv[o] == 0 {
				p.gt = append(p.gt, o)
			}
			p.gv[o] += walkDecay[step] * next[o]
		}
		for _, o := range curT {
			cur[o] = 0
		}
		cur, next, curT, nextT = next, cur, nextT, curT[:0]
	}
	for _, o := range curT {
		cur[o] = 0
	}
	p.wta, p.wtb = curT[:0], nextT[:0]
	p.gv[p.orgN] = 0
	var top float64
	for _, o := range p.gt {
		top = max(top, p.gv[o])
	}
	if top > 0 {
		for _, o := range p.gt {
			p.gv[o] = math.Sqrt(p.gv[o] / top)
		}
	}
}

// graphOf is an organisation's graph component for the query.
func (p *profile) graphOf(orgN int32) float64 {
	if orgN < 0 || int(orgN) >= len(p.gv) {
		return 0
	}
	return p.gv[orgN]
}

// network counts, for a candidate organisation, the seeker's partners it
// has worked with.
func (x *Index) network(p *profile, orgN int32) int {
	if len(p.partners) == 0 {
		return 0
	}
	var seen []int32
	cols := x.collabsOf(orgN)
	if len(cols) > maxWalkCollabs {
		cols = cols[:maxWalkCollabs]
	}
	for _, cd := range cols {
		for _, m := range cd.members {
			if m != orgN && m != p.orgN && p.partners[m] > 0 && !slices.Contains(seen, m) {
				seen = append(seen, m)
			}
		}
	}
	return len(seen)
}

// experience measures a candidate organisation's collaborations on what
// the seeker looks for: each counts by how much of the query's words (by
// IDF) and sought terms (by weight) it covers. It returns the component in
// [0, 1] and how many collaborations are on the topic.
func (x *Index) experience(p *profile, orgN int32) (float64, int) {
	cols := x.collabsOf(orgN)
	if len(cols) == 0 || (len(p.expWords) == 0 && len(p.need) == 0 && len(p.calls) == 0) {
		return 0, 0
	}
	if len(cols) > maxExpCollabs {
		cols = cols[:maxExpCollabs]
	}
	var sum float64
	n := 0
	for _, cd := range cols {
		m := x.collabMatch(p, cd)
		sum += m
		if m >= onTopic {
			n++
		}
	}
	return 1 - math.Exp(-sum/2), n
}

// collabMatch is how much of the query a collaboration covers, in [0, 1]:
// the share of its words (by IDF) and of its sought terms (by weight), and
// the call named in the need.
func (x *Index) collabMatch(p *profile, cd *collabDoc) float64 {
	var wm float64
	if p.idfSum > 0 {
		i, j := 0, 0
		for i < len(cd.words) && j < len(p.expWords) {
			switch a, b := cd.words[i], p.expWords[j].w; {
			case a < b:
				i++
			case a > b:
				j++
			default:
				wm += p.expWords[j].idf
				i++
				j++
			}
		}
		wm /= p.idfSum
	}
	var tm float64
	if p.wsum > 0 && len(cd.terms) > 0 {
		clear(p.expBest)
		for _, t := range cd.terms {
			at, ok := p.expOf[t]
			if !ok {
				continue
			}
			for ; at >= 0; at = p.expAt[at].next {
				r := p.expAt[at]
				p.expBest[r.k] = max(p.expBest[r.k], p.exps[r.k][r.j].Sim)
			}
		}
		for k, v := range p.expBest {
			tm += v * p.needW[k]
		}
		tm /= p.wsum
	}
	m := wm
	if len(p.expWords) == 0 {
		m = tm
	} else if p.wsum > 0 {
		m = 0.5*wm + 0.5*tm
	}
	// A collaboration of the call the need names counts too.
	var cs float64
	for _, call := range p.calls {
		cs = max(cs, callSim(call, cd.call))
	}
	return min(1, m+0.5*cs)
}

// expWord is a query word by number, with its IDF, for experience.
type expWord struct {
	w   int32
	idf float64
}

// activity is a candidate's prior: how much it collaborates at all.
func activity(n int) float64 { return 1 - math.Exp(-float64(n)/6) }

// sharedWork describes the collaborations of the seeker and a candidate:
// how many, and the programme and year of the latest, e.g. "(FP7, 2012)".
func (x *Index) sharedWork(p *profile, orgN int32) (n int, kind CollabKind, where string) {
	var latest *Collaboration
	for _, cd := range x.collabsOf(p.orgN) {
		if !slices.Contains(cd.members, orgN) {
			continue
		}
		n++
		if latest == nil || cd.c.Year > latest.Year || cd.c.Year == latest.Year && cd.c.ID > latest.ID {
			latest = cd.c
		}
	}
	if latest == nil {
		return 0, 0, ""
	}
	var parts []string
	if latest.Programme != "" {
		parts = append(parts, latest.Programme)
	}
	if latest.Year > 0 {
		parts = append(parts, strconv.Itoa(int(latest.Year)))
	}
	return n, latest.Kind, strings.Join(parts, ", ")
}

// collabNoun names n collaborations of a kind.
func collabNoun(lang string, k CollabKind, n int) string {
	words := map[CollabKind][4]string{
		CollabProject:    {"project", "projects", "progetto", "progetti"},
		CollabConsortium: {"consortium", "consortia", "consorzio", "consorzi"},
		CollabTool:       {"tool", "tools", "strumento", "strumenti"},
	}
	w, ok := words[k]
	if !ok {
		w = [4]string{"collaboration", "collaborations", "collaborazione", "collaborazioni"}
	}
	i := 0
	if n != 1 {
		i = 1
	}
	if isItalian(lang) {
		i += 2
	}
	return strconv.Itoa(n) + " " + w[i]
}

// mainKind is the commonest kind of an organisation's collaborations.
func (x *Index) mainKind(orgN int32) CollabKind {
	var counts [4]int
	for _, cd := range x.collabsOf(orgN) {
		if k := int(cd.c.Kind); k >= 0 && k < len(counts) {
			counts[k]++
		}
	}
	best := CollabProject
	for k := range counts {
		if counts[k] > counts[best] {
			best = CollabKind(k)
		}
	}
	return best
}

// sortExpWords orders the query's words by number for experience.
func sortExpWords(ws []expWord) {
	slices.SortFunc(ws, func(a, b expWord) int { return cmp.Compare(a.w, b.w) })
}

// activeList is the most active organisations of the history, for the
// first pass: a prior that reaches candidates no word or term of the
// query reaches. It holds until the history changes or a candidate is
// added or removed: what it reads (collaborations per organisation, which
// candidate an organisation is, ids) does not change with a candidate's
// document, and rebuilding it sorts every organisation of the history
// (27 ms at 100,000, once after every event before).
type activeList struct {
	gen   uint64 // x.slotGen and x.histGen, combined, when made
	cands []int32
	n     []int // their collaborations
}

// maxActive is how many of the most active organisations the first pass
// reaches by activity alone.
const maxActive = 256

// actives returns the current activeList. Callers hold the read lock.
func (x *Index) actives() *activeList {
	g := x.slotGen<<32 ^ x.histGen
	if a := x.active.Load(); a != nil && a.gen == g {
		return a
	}
	x.activeMu.Lock()
	defer x.activeMu.Unlock()
	if a := x.active.Load(); a != nil && a.gen == g {
		return a
	}
	type on struct {
		i int32
		n int
	}
	var all []on
	for o, cols := range x.orgCols {
		if i := x.orgCand[o]; i >= 0 && len(cols) > 0 {
			all = append(all, on{i, len(cols)})
		}
	}
	slices.SortFunc(all, func(a, b on) int { return cmp.Or(cmp.Compare(b.n, a.n), x.compareIDs(a.i, b.i)) })
	a := &activeList{gen: g}
	for _, e := range all[:min(len(all), maxActive)] {
		a.cands = append(a.cands, e.i)
		a.n = append(a.n, e.n)
	}
	x.active.Store(a)
	return a
}

// callFamily splits a call or topic code into its segments, years left
// out: "HEALTH.2012.2.1.1-1" is HEALTH 2 1 1 1, "IMI2-2015-03-01" IMI2 03 01.
func callFamily(code string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(strings.ToUpper(code), func(r rune) bool { return r == '-' || r == '.' || r == '/' || r == '_' }) {
		if len(s) == 4 && strings.HasPrefix(s, "20") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// callSim compares two codes: 0 unless they share their first segment
// (the programme), more the more leading segments they share.
func callSim(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 || a[0] != b[0] {
		return 0
	}
	n := 1
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return 0.5 + 0.5*float64(n-1)/float64(max(1, max(len(a), len(b))-1))
}
