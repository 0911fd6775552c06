package domain

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// suggestion renders a scored pair, redacted for the viewer; maxItems < 0
// keeps every explanation.
func (x *Index) suggestion(q Query, p *profile, c *cand, d *detail, maxItems int) *matchingv1.Suggestion {
	score := math.Max(0, d.total-d.penalty)
	s := &matchingv1.Suggestion{
		Candidate: x.summary(c),
		Score:     round(score),
		Components: &matchingv1.ScoreComponents{
			Ontology: round(d.ont), Text: round(d.text), Reciprocity: round(d.recip), Evidence: round(d.evid),
			Complementarity: round(d.compl), ClusterRegion: round(d.region), DiversityPenalty: round(d.penalty),
			Graph: round(d.graph), Experience: round(d.exper), Activity: round(d.activity),
		},
	}
	rs := x.reasons(p, d)
	if d.total > 0 {
		for k := range rs {
			rs[k].contrib = round(rs[k].contrib / d.total)
		}
	}
	slices.SortStableFunc(rs, func(a, b reason) int { return cmp.Compare(b.contrib, a.contrib) })
	if maxItems >= 0 && len(rs) > maxItems {
		rs = rs[:maxItems]
	}
	s.Explanations = make([]*matchingv1.ExplanationItem, len(rs))
	for k := range rs {
		s.Explanations[k] = x.explain(q.Lang, p, c, d, &rs[k])
	}
	return s
}

func round(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// summary is what a suggestion shows of a candidate; anonymous candidates
// show a neutral description instead of their identity.
func (x *Index) summary(c *cand) *matchingv1.CandidateSummary {
	o := c.org
	s := &matchingv1.CandidateSummary{Kind: o.Kind, CountryCode: o.Country, NutsCode: o.NUTS, Sectors: slices.Clone(o.Sectors), ClusterIds: slices.Clone(o.Clusters)}
	if c.ref.Kind == KindOrg {
		s.Ref = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: c.ref.ID}}
	} else {
		s.Ref = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: c.ref.ID}}
	}
	if c.vis == profilesv1.Visibility_VISIBILITY_ANONYMOUS {
		s.Anonymous = true
		where := o.NUTS
		if where == "" {
			where = o.Country
		}
		what := KindLabel(o.Kind)
		if c.ref.Kind == KindPerson {
			what = "expert at a " + what
		}
		s.DisplayName = strings.ToUpper(what[:1]) + what[1:]
		if where != "" {
			s.DisplayName += " in " + where
		}
		return s
	}
	s.City = o.City
	if c.ref.Kind == KindOrg {
		s.DisplayName = o.Name
		return s
	}
	s.DisplayName = c.person.Name
	if o.Visibility != profilesv1.Visibility_VISIBILITY_ANONYMOUS {
		s.OrganizationId, s.OrganizationName = o.ID, o.Name
	} else {
		s.City = ""
	}
	return s
}

var relationText = map[matchingv1.TermRelation][2]string{
	matchingv1.TermRelation_TERM_RELATION_EXACT:    {"same term", "stesso termine"},
	matchingv1.TermRelation_TERM_RELATION_BROADER:  {"broader term", "termine più ampio"},
	matchingv1.TermRelation_TERM_RELATION_NARROWER: {"narrower term", "termine più specifico"},
	matchingv1.TermRelation_TERM_RELATION_RELATED:  {"related term", "termine correlato"},
	matchingv1.TermRelation_TERM_RELATION_LINKED:   {"same concept in another vocabulary", "stesso concetto in un altro vocabolario"},
}

// termLabel names a term in the language: Italian explanations use the
// label of the Italian glossary shipped with the vocabulary when it names
// the term.
func (x *Index) termLabel(lang, id string) string {
	if isItalian(lang) {
		if it := vocab.ItalianLabel(id); it != "" {
			return it
		}
	}
	return x.ont.Label(id)
}

func isItalian(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "it") }

func pick(lang, en, itText string) string {
	if isItalian(lang) {
		return itText
	}
	return en
}

// reason is one explanation item before it is written: its kind, its
// contribution, and what writing it needs. A suggestion shows its few
// largest reasons, and writing only those saves most of the strings and
// messages of a response.
type reason struct {
	kind    matchingv1.ExplanationKind
	ev      competenciesv1.EvidenceKind
	n       int32 // evidence items of kind ev
	contrib float64
	m       *termMatch  // term match, offer answering a request
	r       *reciprocal // request answered by the seeker
	coopID  string      // their offer behind m
}

// reasons lists every reason for the pair, contributions unscaled.
func (x *Index) reasons(p *profile, d *detail) []reason {
	out := make([]reason, 0, len(d.matches)+len(d.recips)+5)
	// Most candidates match no request with an offer: the map is made on
	// first use.
	var answered map[string]bool
	for k := range d.matches {
		m := &d.matches[k]
		coopID := matchedOffer(m)
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_TERM_MATCH, contrib: p.w[FeatOntology] * m.share * m.value, m: m, coopID: coopID})
		// An offer of theirs that answers a request of the seeker is the
		// strongest reason a company reads.
		if m.need.origin == fromRequest && coopID != "" && !answered[m.need.coopID+coopID] {
			if answered == nil {
				answered = map[string]bool{}
			}
			answered[m.need.coopID+coopID] = true
			out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_OFFER_ANSWERS_REQUEST, contrib: p.w[FeatOntology] * m.share * m.value * 0.5, m: m, coopID: coopID})
		}
	}
	for k := range d.recips {
		r := &d.recips[k]
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_REQUEST_ANSWERED_BY_SEEKER, contrib: p.w[FeatReciprocity] * r.share * r.value, r: r})
	}
	if len(d.words) > 0 {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_TEXT_MATCH, contrib: p.w[FeatText] * d.text})
	}
	// Evidence by kind, behind the matched terms.
	var evidence [7]int32
	for _, m := range d.matches {
		for k, n := range m.hit.evidence {
			evidence[k] += n
		}
	}
	total := int32(d.evidence)
	for k, n := range evidence {
		if n == 0 {
			continue
		}
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_EVIDENCE, contrib: p.w[FeatEvidence] * d.evid * float64(n) / float64(total),
			ev: competenciesv1.EvidenceKind(k), n: n})
	}
	if d.sideText != "" {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_COMPLEMENTARY_KIND, contrib: p.w[FeatComplementarity] * d.compl})
	}
	if len(d.collab) > 0 {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_COLLABORATION_TYPE, contrib: p.w[FeatComplementarity] * 0.3})
	}
	if d.sharedCluster != "" {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_CLUSTER, contrib: p.w[FeatClusterRegion] * d.region})
	} else if d.sharedRegion != "" {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION, contrib: p.w[FeatClusterRegion] * d.region})
	} else if d.sharedCountry != "" {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_COUNTRY, contrib: p.w[FeatClusterRegion] * d.region})
	}
	// History: the graph's share goes to working together before, or else
	// to the partners in common.
	switch {
	case d.shared > 0:
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_PAST_COLLABORATION, contrib: p.w[FeatGraph] * d.graph})
	case d.network > 0:
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_PARTNER_NETWORK, contrib: p.w[FeatGraph] * d.graph})
	}
	if d.onTopic > 0 {
		out = append(out, reason{kind: matchingv1.ExplanationKind_EXPLANATION_KIND_EXPERIENCE, contrib: p.w[FeatExperience]*d.exper + p.w[FeatActivity]*d.activity})
	}
	return out
}

// explain writes a reason as an explanation item.
func (x *Index) explain(lang string, p *profile, c *cand, d *detail, rs *reason) *matchingv1.ExplanationItem {
	it := &matchingv1.ExplanationItem{Kind: rs.kind, Contribution: rs.contrib}
	switch m, r := rs.m, rs.r; rs.kind {
	case matchingv1.ExplanationKind_EXPLANATION_KIND_TERM_MATCH:
		li := 0
		if isItalian(lang) {
			li = 1
		}
		rel := relationText[m.rel.Relation][li]
		if m.rel.Linked && m.rel.Relation != matchingv1.TermRelation_TERM_RELATION_LINKED {
			rel += pick(lang, ", across vocabularies", ", tra vocabolari")
		}
		it.Text = x.seekerSideText(lang, m.need) + " ↔ " + x.candidateSideText(lang, c, *m) + " (" + rel + ")"
		it.SeekerTermIds = []string{m.need.id}
		it.CandidateTermIds = []string{m.rel.TermID}
		it.Relation = m.rel.Relation
		it.SeekerCooperationProfileId, it.CandidateCooperationProfileId = m.need.coopID, rs.coopID
		it.CandidateCompetencyIds = slices.Clone(m.hit.comps)
	case matchingv1.ExplanationKind_EXPLANATION_KIND_OFFER_ANSWERS_REQUEST:
		offer := x.coops[rs.coopID]
		it.Text = pick(lang,
			"their "+offer.KindLabel()+" '"+offer.Title+"' answers your request '"+m.need.title+"'",
			"la loro offerta '"+offer.Title+"' risponde alla vostra richiesta '"+m.need.title+"'")
		it.SeekerTermIds = []string{m.need.id}
		it.CandidateTermIds = []string{m.rel.TermID}
		it.SeekerCooperationProfileId, it.CandidateCooperationProfileId = m.need.coopID, rs.coopID
	case matchingv1.ExplanationKind_EXPLANATION_KIND_REQUEST_ANSWERED_BY_SEEKER:
		mine := r.offer.title
		if mine == "" {
			mine = x.termLabel(lang, r.offerTerm)
		}
		theirs := x.coops[r.reqIDs[0]]
		title := x.termLabel(lang, r.reqTerm)
		kind := "request"
		if theirs != nil {
			title, kind = theirs.Title, theirs.KindLabel()
		}
		it.Text = pick(lang,
			"your '"+mine+"' answers their "+kind+" '"+title+"'",
			"il vostro '"+mine+"' risponde alla loro richiesta '"+title+"'")
		it.SeekerTermIds = []string{r.offerTerm}
		it.CandidateTermIds = []string{r.reqTerm}
		it.Relation = r.rel.Relation
		it.SeekerCooperationProfileId, it.CandidateCooperationProfileId = r.offer.coopID, r.reqIDs[0]
	case matchingv1.ExplanationKind_EXPLANATION_KIND_TEXT_MATCH:
		quoted := make([]string, len(d.words))
		for i, w := range d.words {
			quoted[i] = "'" + w + "'"
		}
		it.Text = pick(lang, "their descriptions mention "+strings.Join(quoted, ", "),
			"le loro descrizioni citano "+strings.Join(quoted, ", "))
	case matchingv1.ExplanationKind_EXPLANATION_KIND_EVIDENCE:
		it.Text = evidenceText(lang, rs.ev, rs.n)
		it.EvidenceKind, it.EvidenceCount = rs.ev, rs.n
	case matchingv1.ExplanationKind_EXPLANATION_KIND_COMPLEMENTARY_KIND:
		mine := "organization"
		if p.org != nil {
			mine = KindLabel(p.org.Kind)
		}
		it.Text = pick(lang, "a "+mine+" and a "+d.sideText+" complement each other",
			labelIT(mine)+" e "+labelIT(d.sideText)+" sono complementari")
	case matchingv1.ExplanationKind_EXPLANATION_KIND_COLLABORATION_TYPE:
		names, namesIT := make([]string, len(d.collab)), make([]string, len(d.collab))
		for i, ct := range d.collab {
			names[i], namesIT[i] = collabLabel(ct), collabLabelsIT[ct]
		}
		it.Text = pick(lang, "they offer "+strings.Join(names, ", ")+", which you seek", "offrono "+strings.Join(namesIT, ", ")+", che cercate")
	case matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_CLUSTER:
		name := d.sharedCluster
		if o := x.orgs[d.sharedCluster]; o != nil {
			name = o.Name
		}
		it.Text = pick(lang, "same cluster: "+name, "stesso cluster: "+name)
		it.SharedValue = d.sharedCluster
	case matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION:
		it.Text = pick(lang, "same region: "+d.sharedRegion, "stessa regione: "+d.sharedRegion)
		it.SharedValue = d.sharedRegion
	case matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_COUNTRY:
		it.Text = pick(lang, "same country: "+d.sharedCountry, "stesso paese: "+d.sharedCountry)
		it.SharedValue = d.sharedCountry
	case matchingv1.ExplanationKind_EXPLANATION_KIND_PAST_COLLABORATION:
		n, kind, where := x.sharedWork(p, c.orgN)
		name := x.summary(c).GetDisplayName()
		it.Text = pick(lang, "worked with "+name+" on "+collabNoun(lang, kind, n), "ha lavorato con "+name+" su "+collabNoun(lang, kind, n))
		if where != "" {
			it.Text += " (" + where + ")"
		}
		it.EvidenceCount = int32(n)
	case matchingv1.ExplanationKind_EXPLANATION_KIND_PARTNER_NETWORK:
		n := strconv.Itoa(d.network)
		if d.network == 1 {
			it.Text = pick(lang, "a partner of one of your partners", "partner di uno dei vostri partner")
		} else {
			it.Text = pick(lang, "a partner of "+n+" of your partners", "partner di "+n+" dei vostri partner")
		}
		it.EvidenceCount = int32(d.network)
	case matchingv1.ExplanationKind_EXPLANATION_KIND_EXPERIENCE:
		it.Text = pick(lang, collabNoun(lang, x.mainKind(c.orgN), d.onTopic)+" on this topic", collabNoun(lang, x.mainKind(c.orgN), d.onTopic)+" su questo tema")
		it.EvidenceCount = int32(d.onTopic)
	}
	return it
}

// matchedOffer is the offer of theirs behind a match, if any.
func matchedOffer(m *termMatch) string {
	if len(m.hit.coops) > 0 {
		return m.hit.coops[0]
	}
	return ""
}

func (x *Index) seekerSideText(lang string, t seekerTerm) string {
	label := x.termLabel(lang, t.id)
	switch t.origin {
	case fromRequest:
		return pick(lang, "your request '"+label+"'", "la vostra richiesta '"+label+"'")
	case fromOffer:
		return pick(lang, "your offer '"+label+"'", "la vostra offerta '"+label+"'")
	case fromCompetency:
		return pick(lang, "your competency '"+label+"'", "la vostra competenza '"+label+"'")
	}
	return pick(lang, "your need '"+label+"'", "il vostro bisogno '"+label+"'")
}

func (x *Index) candidateSideText(lang string, c *cand, m termMatch) string {
	label := x.termLabel(lang, m.rel.TermID)
	if len(m.hit.comps) == 0 && len(m.hit.coops) > 0 {
		offer := x.coops[m.hit.coops[0]]
		return pick(lang, "their "+offer.KindLabel()+" '"+offer.Title+"' ('"+label+"')",
			"la loro offerta '"+offer.Title+"' ('"+label+"')")
	}
	return pick(lang, "their competency '"+label+"'", "la loro competenza '"+label+"'")
}

// evidenceWords name each evidence kind, singular and plural, in English
// and Italian.
var (
	evidenceWordsEN = map[competenciesv1.EvidenceKind][2]string{
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION: {"publication", "publications"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PROJECT:     {"project", "projects"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PATENT:      {"patent", "patents"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_EQUIPMENT:   {"facility", "facilities"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE:     {"service", "services"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PRODUCT:     {"product", "products"},
	}
	evidenceWordsIT = map[competenciesv1.EvidenceKind][2]string{
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION: {"pubblicazione", "pubblicazioni"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PROJECT:     {"progetto", "progetti"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PATENT:      {"brevetto", "brevetti"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_EQUIPMENT:   {"struttura", "strutture"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE:     {"servizio", "servizi"},
		competenciesv1.EvidenceKind_EVIDENCE_KIND_PRODUCT:     {"prodotto", "prodotti"},
	}
)

func evidenceText(lang string, k competenciesv1.EvidenceKind, n int32) string {
	words, tail := evidenceWordsEN[k], "as evidence"
	if isItalian(lang) {
		words, tail = evidenceWordsIT[k], "come evidenza"
	}
	w := words[1]
	if n == 1 {
		w = words[0]
	}
	return strconv.Itoa(int(n)) + " " + w + " " + tail
}

func collabLabel(ct competenciesv1.CollaborationType) string {
	s := strings.TrimPrefix(ct.String(), "COLLABORATION_TYPE_")
	return strings.ReplaceAll(strings.ToLower(s), "_", " ")
}

// kindLabelsIT are the Italian names of the organisation kinds KindLabel
// names in English.
var kindLabelsIT = map[string]string{
	"company": "azienda", "university": "università", "research institute": "istituto di ricerca",
	"research hospital": "ospedale di ricerca (IRCCS)", "science park": "parco scientifico", "public body": "ente pubblico",
	"training body": "ente di formazione", "cluster": "cluster", "association": "associazione",
	"healthcare provider": "struttura sanitaria", "organization": "organizzazione",
}

// labelIT is the Italian of an English kind label.
func labelIT(en string) string {
	if it, ok := kindLabelsIT[en]; ok {
		return it
	}
	return en
}

var collabLabelsIT = map[competenciesv1.CollaborationType]string{
	competenciesv1.CollaborationType_COLLABORATION_TYPE_CONTRACT_RESEARCH:       "ricerca su commessa",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_LICENSING:               "licenze",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_JOINT_GRANT_APPLICATION: "candidature congiunte a bandi",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_CLINICAL_STUDY:          "studi clinici",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_SERVICE_PROVISION:       "fornitura di servizi",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_EQUIPMENT_ACCESS:        "accesso a strumentazione",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_JOINT_VENTURE:           "joint venture",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_TECHNICAL_COOPERATION:   "cooperazione tecnica",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_COMMERCIAL_AGREEMENT:    "accordi commerciali",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_MANUFACTURING:           "produzione",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_INVESTMENT:              "investimenti",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_VALIDATION_AND_TESTING:  "validazione e sperimentazione",
	competenciesv1.CollaborationType_COLLABORATION_TYPE_TRAINING:                "formazione e scambio di personale",
}
