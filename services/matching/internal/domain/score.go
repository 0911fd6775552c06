package domain

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
)

// Scoring limits that keep a query fast on a large index.
const (
	maxNeedTerms   = 40
	maxExpansions  = 48
	maxQueryWords  = 30
	minRelevance   = 0.03
	bm25K1         = 1.2
	bm25B          = 0.75
	defaultLimit   = 10
	maxLimit       = 100
	maxExplanation = 5
)

// ErrSeekerNotFound is returned for a seeker the read model does not hold.
var ErrSeekerNotFound = fmt.Errorf("seeker: %w", grpcerr.ErrNotFound)

// termMatch is the best candidate term for one seeker term.
type termMatch struct {
	need  seekerTerm
	rel   Related
	t     int32 // the candidate term's number
	hit   *termHit
	value float64 // in [0, 1]
	share float64 // weight of the seeker term in the ontology component
}

// reciprocal is a candidate request the seeker can answer.
type reciprocal struct {
	reqTerm, offerTerm string
	reqIDs             []string
	offer              offerTerm
	rel                Related
	value, share       float64
}

// detail is a pair's score with what it is made of.
type detail struct {
	ont, text, recip, evid, compl, region float64
	graph, exper, activity                float64
	total, penalty                        float64
	// History behind the pair: collaborations shared with the seeker,
	// seeker partners the candidate worked with, its collaborations on
	// the topic.
	shared, network, onTopic    int
	matches                     []termMatch
	recips                      []reciprocal
	words                       []string
	termSet                     []int32 // numbers of the matched candidate terms, sorted, for diversity
	evidence                    int     // evidence items behind the matched terms
	sharedCluster, sharedRegion string
	sharedCountry               string
	collab                      []competenciesv1.CollaborationType
	sideText                    string
}

// relevance says whether a candidate is worth suggesting at all: something
// of the need matches it, it is close in the history, or it is among the
// most active (a prior that stands in when the need's words are not the
// ones its collaborations used).
func (d *detail) relevance() float64 {
	return d.ont + d.text + d.recip + d.graph + d.exper + 0.5*d.activity
}

// features lists the components in Feature order.
func (d *detail) features() [NumFeatures]float64 {
	return [NumFeatures]float64{d.ont, d.text, d.recip, d.evid, d.compl, d.region, d.graph, d.exper, d.activity}
}

// score computes every component of one pair exactly. Suggest and Explain
// both use it, so they always agree.
func (x *Index) score(q Query, p *profile, c *cand) *detail {
	det := p.newDetail()
	// Ontology: per need term, the expansion that scores best, the first
	// in expansion order on a tie. The candidate's terms are walked rather
	// than every expansion, as a candidate holds few terms and a query
	// expands to hundreds.
	clear(p.bestV)
	clear(p.bestH)
	for _, ct := range c.terms {
		at, ok := p.expOf[ct.t]
		if !ok {
			continue
		}
		for ; at >= 0; at = p.expAt[at].next {
			r := p.expAt[at]
			v := p.exps[r.k][r.j].Sim * p.cws[r.k][r.j] * float64(ct.strength)
			if v > p.bestV[r.k] || (v > 0 && v == p.bestV[r.k] && r.j < p.bestJ[r.k]) {
				p.bestV[r.k], p.bestJ[r.k], p.bestT[r.k], p.bestH[r.k], p.bestE[r.k] = v, r.j, ct.t, ct.hit, ct.ev
			}
		}
	}
	matched := 0
	for _, h := range p.bestH {
		if h != nil {
			matched++
		}
	}
	if matched > 0 {
		det.matches = p.newMatches(matched)
	}
	for k, t := range p.need {
		h := p.bestH[k]
		if h == nil {
			continue
		}
		share := p.needW[k] / p.wsum
		bm := termMatch{need: t, rel: p.exps[k][p.bestJ[k]], t: p.bestT[k], hit: h, value: p.bestV[k], share: share}
		det.ont += share * bm.value
		det.matches = append(det.matches, bm)
		det.evidence += int(p.bestE[k])
	}
	// Text relevance (BM25, saturated into [0, 1]).
	if len(p.wordList) > 0 {
		var bm25 float64
		idfSum := p.idfSum
		contrib := p.contrib[:0]
		avg := x.avgLen()
		for k, w := range p.wordList {
			idf := p.idfs[k]
			n := p.wordNums[k]
			if n < 0 {
				continue
			}
			f, ok := c.tf(n)
			if !ok {
				continue
			}
			tf := float64(f)
			s := idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(c.length)/avg))
			bm25 += s
			contrib = append(contrib, wordScore{w, s})
		}
		p.contrib = contrib
		if bm25 > 0 {
			det.text = bm25 / (bm25 + 0.5*idfSum)
			slices.SortFunc(contrib, func(a, b wordScore) int {
				if c := cmp.Compare(b.c, a.c); c != 0 {
					return c
				}
				return strings.Compare(a.w, b.w)
			})
			det.words = make([]string, 0, min(4, len(contrib)))
			for _, a := range contrib[:min(4, len(contrib))] {
				det.words = append(det.words, x.shown(a.w))
			}
		}
	}
	// Reciprocity: the candidate's requests against what the seeker offers.
	if len(c.reqTerms) > 0 && len(p.offers) > 0 {
		var rsum float64
		for _, r := range sortedKeys(c.reqTerms) {
			w := 0.4 + 0.6*x.rarity(r)
			rsum += w
			var best reciprocal
			for _, e := range x.expand(r) {
				o, ok := p.offers[e.TermID]
				if !ok {
					continue
				}
				if e.Sim > best.value {
					best = reciprocal{reqTerm: r, offerTerm: e.TermID, reqIDs: c.reqTerms[r], offer: o, rel: e, value: e.Sim, share: w}
				}
			}
			if best.value > 0 {
				det.recips = append(det.recips, best)
			}
		}
		for i := range det.recips {
			det.recips[i].share /= rsum
			det.recip += det.recips[i].share * det.recips[i].value
		}
	}
	// Evidence behind the matched terms.
	det.evid = 1 - math.Exp(-float64(det.evidence)/4)
	// Complementarity.
	if p.org != nil {
		ss, cs := SideOf(p.org.Kind), SideOf(c.kind)
		switch {
		case ss != cs && ss != SideOther && cs != SideOther:
			det.compl = 1
			det.sideText = KindLabel(c.kind)
		case ss == SideResearch && cs == SideResearch:
			det.compl = 0.4
		case ss == SideOther || cs == SideOther:
			det.compl = 0.2
		default:
			det.compl = 0.3
		}
		if slices.Contains(p.partnerKinds, c.kind) {
			det.compl = 1
			det.sideText = KindLabel(c.kind)
		}
		for ct := range p.wantCollab {
			if c.collab[ct] {
				det.collab = append(det.collab, ct)
			}
		}
		slices.Sort(det.collab)
		if len(det.collab) > 0 {
			det.compl = min(1, 0.8*det.compl+0.3)
		}
		// Cluster and region.
		for k, cl := range p.clusters {
			if cl >= 0 && slices.Contains(c.clusters, cl) {
				det.sharedCluster = p.org.Clusters[k]
				break
			}
		}
		switch {
		case det.sharedCluster != "":
			det.region = 1
		case p.nuts2 != 0 && p.nuts2 == c.nuts2:
			det.region, det.sharedRegion = 0.7, c.org.NUTS[:4]
		case p.countryN >= 0 && p.countryN == c.countryN:
			det.region, det.sharedCountry = 0.4, c.org.Country
		}
	}
	// History: closeness in the collaboration graph, experience on the
	// topic, activity.
	if c.ref.Kind == KindOrg {
		det.graph = p.graphOf(c.orgN)
		if det.graph > 0 {
			det.shared = int(p.partners[c.orgN])
			det.network = x.network(p, c.orgN)
		}
		det.exper, det.onTopic = x.experience(p, c.orgN)
		det.activity = activity(len(x.collabsOf(c.orgN)))
	}
	f := det.features()
	det.total = p.w.dot(&f)
	return det
}
