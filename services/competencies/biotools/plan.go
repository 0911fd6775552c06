package biotools

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// ExternalSource is the key of the organisations' external id.
const ExternalSource = "biotools"

// Evidence caps per competency: the tools credited, and their papers.
const (
	maxToolEvidence        = 20
	maxPublicationEvidence = 20
)

// creditedKinds are the credit types that name an organisation holding the
// tool's know-how; funders and projects are credited too but hold none.
var creditedKinds = map[string]profilesv1.OrganizationKind{
	"Institute":  profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"Division":   profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"Consortium": profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
}

// OrgPlan is what the import creates for one credited organisation.
type OrgPlan struct {
	ExternalID   string // slug, the value of external_ids["biotools"]
	Organization *profilesv1.Organization
	// Competencies without holder; the import sets it once the
	// organisation's id is known.
	Competencies []*competenciesv1.Competency
}

// PlanStats counts what planning saw.
type PlanStats struct {
	Tools        int
	SkippedTerms int // annotations with no usable term (unknown, or obsolete without replacement)
}

// Plan groups tools by credited organisation and derives each one's
// competencies. The result is deterministic (sorted), so a re-run publishes
// identical competencies and changes nothing.
func Plan(tools []Tool, v *vocab.Vocabulary) ([]OrgPlan, PlanStats) {
	type orgAcc struct {
		name    string
		kind    profilesv1.OrganizationKind
		urls    map[string]int
		nodes   map[string]int
		byTerm  map[string][]*Tool
		toolIDs map[string]bool
	}
	stats := PlanStats{Tools: len(tools)}
	orgs := map[string]*orgAcc{}
	for i := range tools {
		t := &tools[i]
		terms := toolTerms(t, v, &stats)
		for _, c := range t.OrganisationCredits {
			kind, ok := creditedKinds[c.TypeEntity]
			name := strings.Join(strings.Fields(c.Name), " ")
			slug := Slug(name)
			if !ok || slug == "" {
				continue
			}
			a := orgs[slug]
			if a == nil {
				a = &orgAcc{name: name, kind: kind, urls: map[string]int{}, nodes: map[string]int{}, byTerm: map[string][]*Tool{}, toolIDs: map[string]bool{}}
				orgs[slug] = a
			}
			if a.toolIDs[t.ID] {
				continue // credited twice on one tool
			}
			a.toolIDs[t.ID] = true
			if c.URL != "" {
				a.urls[c.URL]++
			}
			for _, n := range t.ElixirNode {
				a.nodes[n]++
			}
			for _, id := range terms {
				a.byTerm[id] = append(a.byTerm[id], t)
			}
		}
	}
	slugs := make([]string, 0, len(orgs))
	for s := range orgs {
		slugs = append(slugs, s)
	}
	slices.Sort(slugs)
	out := make([]OrgPlan, 0, len(slugs))
	for _, slug := range slugs {
		a := orgs[slug]
		website := mostFrequent(a.urls)
		if !webURL(website) {
			website = ""
		}
		o := &profilesv1.Organization{
			Kind: a.kind, Name: truncate(a.name, 200), CountryCode: country(mostFrequent(a.nodes), website, a.name),
			Website: website, Sectors: []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOINFORMATICS},
			Description: fmt.Sprintf("Credited on %d tools in the bio.tools registry.", len(a.toolIDs)),
			ExternalIds: map[string]string{ExternalSource: slug},
			// The bio.tools registry is public; the profiles default
			// (cluster members only) would hide them from every company.
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		}
		p := OrgPlan{ExternalID: slug, Organization: o}
		termIDs := make([]string, 0, len(a.byTerm))
		for id := range a.byTerm {
			termIDs = append(termIDs, id)
		}
		slices.Sort(termIDs)
		for _, id := range termIDs {
			p.Competencies = append(p.Competencies, competency(v, id, a.byTerm[id]))
		}
		out = append(out, p)
	}
	return out, stats
}

// ToolCollab is a tool credited to several organisations: a collaboration
// among them.
type ToolCollab struct {
	Collaboration *competenciesv1.Collaboration
	Members       []string // external ids (slugs) of the credited organisations, in participant order
}

// Collaborations returns a collaboration for every tool credited to two or
// more organisations, with the tool's EDAM topics and operations as terms
// (none when v is nil).
func Collaborations(tools []Tool, v *vocab.Vocabulary) []ToolCollab {
	var out []ToolCollab
	for i := range tools {
		t := &tools[i]
		var members []string
		for _, c := range t.OrganisationCredits {
			slug := Slug(strings.Join(strings.Fields(c.Name), " "))
			if _, ok := creditedKinds[c.TypeEntity]; ok && slug != "" && !slices.Contains(members, slug) && len(members) < 500 {
				members = append(members, slug)
			}
		}
		if len(members) < 2 {
			continue
		}
		var terms []string
		if v != nil {
			terms = toolTerms(t, v, &PlanStats{})
		}
		if len(terms) > 30 {
			terms = terms[:30]
		}
		title := truncate(t.Name, 500)
		if strings.TrimSpace(title) == "" {
			title = t.ID
		}
		y := year(t.AdditionDate)
		if y < 1900 {
			y = 0
		}
		c := &competenciesv1.Collaboration{Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_TOOL, Title: title,
			Source: ExternalSource, SourceId: truncate(t.ID, 100), Year: y, TermIds: terms, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}
		for range members {
			c.Participants = append(c.Participants, &competenciesv1.CollaborationParticipant{Role: competenciesv1.ParticipantRole_PARTICIPANT_ROLE_CREDITED})
		}
		out = append(out, ToolCollab{Collaboration: c, Members: members})
	}
	return out
}

// toolTerms returns the usable term ids of a tool's EDAM annotations:
// obsolete terms become their replacement, unknown ones are skipped.
func toolTerms(t *Tool, v *vocab.Vocabulary, stats *PlanStats) []string {
	var ids []string
	for _, r := range append(slices.Clone(t.Topic), t.Operation...) {
		term, ok := v.Term(vocab.PrefixEDAM + r.ID)
		if ok && term.Obsolete {
			ok = false
			for _, rid := range term.ReplacedBy {
				if rt, found := v.Term(rid); found && !rt.Obsolete {
					term, ok = rt, true
					break
				}
			}
		}
		if !ok {
			stats.SkippedTerms++
			continue
		}
		if !slices.Contains(ids, term.ID) {
			ids = append(ids, term.ID)
		}
	}
	return ids
}

func competency(v *vocab.Vocabulary, termID string, tools []*Tool) *competenciesv1.Competency {
	tools = slices.Clone(tools)
	slices.SortFunc(tools, func(a, b *Tool) int { return strings.Compare(a.ID, b.ID) })
	term, _ := v.Term(termID)
	c := &competenciesv1.Competency{
		TermId:      termID,
		Level:       levelFor(len(tools)),
		Description: fmt.Sprintf("Credited on %d bio.tools %s annotated with %s.", len(tools), plural(len(tools), "entry", "entries"), term.Label),
	}
	seenPub := map[string]bool{}
	var pubs []*competenciesv1.Evidence
	for i, t := range tools {
		if i < maxToolEvidence {
			c.Evidence = append(c.Evidence, &competenciesv1.Evidence{
				Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_SERVICE, Reference: t.ID, Title: truncate(t.Name, 500),
				Url: "https://bio.tools/" + url.PathEscape(t.ID), Year: year(t.AdditionDate),
			})
		}
		for _, p := range t.Publication {
			e := publication(p)
			if e == nil || seenPub[e.Reference] {
				continue
			}
			seenPub[e.Reference] = true
			pubs = append(pubs, e)
		}
	}
	slices.SortFunc(pubs, func(a, b *competenciesv1.Evidence) int { return strings.Compare(a.Reference, b.Reference) })
	if len(pubs) > maxPublicationEvidence {
		pubs = pubs[:maxPublicationEvidence]
	}
	c.Evidence = append(c.Evidence, pubs...)
	return c
}

func publication(p Publication) *competenciesv1.Evidence {
	doi := strings.TrimSpace(p.DOI)
	doi = strings.TrimPrefix(strings.TrimPrefix(doi, "https://doi.org/"), "doi:")
	switch {
	case strings.HasPrefix(doi, "10.") && len(doi) <= 200 && !strings.ContainsAny(doi, " \t"):
		return &competenciesv1.Evidence{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: doi, Url: "https://doi.org/" + doi}
	case p.PMID != "" && allDigits(p.PMID) && len(p.PMID) <= 12:
		return &competenciesv1.Evidence{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "PMID:" + p.PMID,
			Url: "https://pubmed.ncbi.nlm.nih.gov/" + p.PMID + "/"}
	}
	return nil
}

// levelFor grades by how many of the organisation's tools carry the term.
func levelFor(n int) competenciesv1.CompetencyLevel {
	switch {
	case n >= 15:
		return competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT
	case n >= 5:
		return competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED
	case n >= 2:
		return competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_INTERMEDIATE
	}
	return competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_BASIC
}

func year(date string) int32 {
	if len(date) < 4 || !allDigits(date[:4]) {
		return 0
	}
	y := int32(date[0]-'0')*1000 + int32(date[1]-'0')*100 + int32(date[2]-'0')*10 + int32(date[3]-'0')
	if y < 1800 || y > 2200 {
		return 0
	}
	return y
}

// Slug turns an organisation name into its external id: lower-case ASCII
// letters and digits joined by dashes ("EMBL-EBI" -> "embl-ebi").
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return truncate(b.String(), 100)
}

func mostFrequent(m map[string]int) string {
	best, n := "", 0
	for k, c := range m {
		if c > n || (c == n && k < best) {
			best, n = k, c
		}
	}
	return best
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// elixirNodes maps the ELIXIR node names bio.tools uses to country codes.
var elixirNodes = map[string]string{
	"France": "FR", "Czech Republic": "CZ", "Germany": "DE", "Switzerland": "CH", "Netherlands": "NL", "Spain": "ES",
	"Italy": "IT", "UK": "GB", "Portugal": "PT", "Belgium": "BE", "Slovenia": "SI", "Luxembourg": "LU", "Norway": "NO",
	"Estonia": "EE", "Greece": "GR", "Sweden": "SE", "Denmark": "DK", "Finland": "FI", "Hungary": "HU", "Ireland": "IE",
	"Israel": "IL", "Cyprus": "CY", "Latvia": "LV", "Lithuania": "LT", "Poland": "PL", "Austria": "AT",
}

// countryTLDs are the country-code domains worth reading a country from;
// generic ones (.org, .eu, .int) say nothing.
var countryTLDs = map[string]string{
	"fr": "FR", "cz": "CZ", "de": "DE", "ch": "CH", "nl": "NL", "es": "ES", "it": "IT", "uk": "GB", "pt": "PT",
	"be": "BE", "si": "SI", "lu": "LU", "no": "NO", "ee": "EE", "gr": "GR", "se": "SE", "dk": "DK", "fi": "FI",
	"hu": "HU", "ie": "IE", "il": "IL", "at": "AT", "pl": "PL", "cn": "CN", "jp": "JP", "kr": "KR", "in": "IN",
	"au": "AU", "ca": "CA", "br": "BR", "ru": "RU", "sg": "SG", "tw": "TW", "za": "ZA", "nz": "NZ", "mx": "MX",
}

// country guesses the country of an organisation from its ELIXIR node, its
// website or a domain used as its name; "ZZ" (unknown) otherwise.
func country(node, website, name string) string {
	if c, ok := elixirNodes[node]; ok {
		return c
	}
	for _, s := range []string{website, "http://" + name} {
		u, err := url.Parse(s)
		if err != nil || u.Hostname() == "" {
			continue
		}
		h := u.Hostname()
		if c, ok := countryTLDs[h[strings.LastIndexByte(h, '.')+1:]]; ok && strings.Contains(h, ".") {
			return c
		}
	}
	return "ZZ"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
