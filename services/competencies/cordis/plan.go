package cordis

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Source names CORDIS in collaborations and external ids.
const Source = "cordis"

// ExternalKey is the external id under which an imported organisation
// keeps its deduplication key, "<country> <normalised name>".
const ExternalKey = "cordis-name"

// Org is one distinct organisation of the files.
type Org struct {
	Key          string // country + normalised name
	Name         string // as first seen
	ShortName    string
	Kind         profilesv1.OrganizationKind
	Country      string // ISO 3166-1
	NUTS, City   string
	PIC          string // CORDIS organisation id, when the export has it
	Rows         int    // participation rows that name it
	ActivityType string
}

// Plan is what the files say, ready to import.
type Plan struct {
	Orgs     []*Org
	Projects []*competenciesv1.Collaboration
	// Members holds, per project (same order), the keys of its organisations.
	Members [][]string
	Stats   Stats
}

// Stats counts the rows of the files honestly.
type Stats struct {
	Projects       int // rows of project.csv
	Participations int // rows of organization.csv
	// MergedRows: participation rows whose organisation an earlier row
	// already named (the same organisation in another project, or spelt
	// differently), so they created no organisation of their own.
	MergedRows int
	// DuplicateRows: the same organisation twice in one project.
	DuplicateRows int
	// SkippedRows: participation rows of no project in project.csv, or without a name.
	SkippedRows int
	// ProjectsWithoutParticipants are left out.
	ProjectsWithoutParticipants int
}

var legalForms = map[string]bool{
	"gmbh": true, "ag": true, "sa": true, "spa": true, "srl": true, "sl": true, "sas": true, "sarl": true, "bv": true, "nv": true,
	"ltd": true, "limited": true, "plc": true, "inc": true, "llc": true, "ab": true, "as": true, "oy": true, "ev": true,
	"kg": true, "co": true, "sro": true, "scarl": true, "gie": true, "ug": true, "aps": true, "asa": true, "oyj": true,
}

// NormalizeName folds an organisation name for deduplication: case,
// accents and punctuation do not count, nor a trailing legal form
// ("GmbH", "S.p.A.", "Ltd").
func NormalizeName(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, name)
	if err != nil {
		folded = name
	}
	folded = strings.ToLower(folded)
	// "S.p.A." and "e.V." lose their dots before splitting, so they read as one word.
	folded = strings.NewReplacer(".", "", "'", "", "’", "").Replace(folded)
	words := strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && legalForms[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	return strings.Join(words, " ")
}

// Country maps a CORDIS country code to ISO 3166-1: CORDIS writes the
// United Kingdom as UK and Greece as EL. Unknown or malformed is "ZZ".
func Country(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	switch code {
	case "UK":
		return "GB"
	case "EL":
		return "GR"
	}
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return "ZZ"
	}
	return code
}

// Kind maps a CORDIS activity type to an organisation kind. Participants
// without one are, in the CORDIS data, mostly companies (industry partners
// without EU funding); OTH is mostly foundations, patient organisations
// and hospitals, told apart by name.
func Kind(activityType, name string) profilesv1.OrganizationKind {
	switch strings.ToUpper(strings.TrimSpace(activityType)) {
	case "HES":
		return profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
	case "REC":
		return profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	case "PRC", "":
		return profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	case "PUB":
		return profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY
	}
	n := " " + NormalizeName(name) + " "
	for _, w := range []string{" hospital", " hopita", " ospedal", " klinik", " clinic", " irccs ", " ziekenhuis", " hospice", " sjukhus", " azienda sanitaria"} {
		if strings.Contains(n, w) {
			return profilesv1.OrganizationKind_ORGANIZATION_KIND_HEALTHCARE_PROVIDER
		}
	}
	return profilesv1.OrganizationKind_ORGANIZATION_KIND_ASSOCIATION
}

// Role maps the CORDIS role column; an export without roles gives participants.
func Role(role string) competenciesv1.ParticipantRole {
	switch strings.ToLower(strings.TrimSpace(role)) {
	case "coordinator":
		return competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR
	case "partner", "associatedpartner", "thirdparty", "internationalpartner":
		return competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTNER
	}
	return competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT
}

var yearPattern = regexp.MustCompile(`(?:^|[^0-9A-Za-z])((?:19|20)[0-9]{2})(?:[^0-9]|$)`)

// Year is the start year, else the year in the call code
// ("IMI-JU-08-2012-04" is 2012), else 0.
func Year(startDate, call string) int32 {
	for _, s := range []string{startDate, call} {
		if m := yearPattern.FindStringSubmatch(s); m != nil {
			y, _ := strconv.Atoi(m[1])
			return int32(y)
		}
	}
	return 0
}

// maxTopicTerms bounds the terms read from one project's text.
const maxTopicTerms = 5

// Terms reads vocabulary terms from a project's title and call topic,
// keeping only those whose whole name (label or synonym) appears among the
// text's words, so "Ebola vaccine" gives Ebola Vaccines but "Prophylactic
// ..." does not give Prophylactic Mastectomy.
func Terms(v *vocab.Vocabulary, text string) []string {
	words := wordSet(text)
	var out []string
	for _, m := range v.Resolve(text, 40) {
		if m.Term.Obsolete || slices.Contains(out, m.Term.ID) {
			continue
		}
		name := wordList(m.MatchedText)
		if len(name) == 0 || !all(name, words) {
			continue
		}
		out = append(out, m.Term.ID)
		if len(out) == maxTopicTerms {
			break
		}
	}
	return out
}

var stopWords = map[string]bool{"and": true, "of": true, "the": true, "for": true, "in": true, "a": true, "an": true, "to": true, "on": true, "with": true, "by": true}

func splitWords(s string) []string { return strings.Fields(s) }

func wordList(s string) []string {
	var out []string
	for _, w := range splitWords(NormalizeName(s)) {
		if stopWords[w] {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}

func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range wordList(strings.NewReplacer("-", " ").Replace(s)) {
		set[w] = true
	}
	return set
}

func all(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if !set[w] {
			return false
		}
	}
	return true
}

// MakePlan joins the three files: distinct organisations by normalised
// name and country, and a collaboration per project with its participants.
func MakePlan(projects []Project, rows []Participation, topics []Topic, v *vocab.Vocabulary) Plan {
	pl := Plan{Stats: Stats{Projects: len(projects), Participations: len(rows)}}
	topicTitle := map[string]string{}
	for _, t := range topics {
		if t.Title != "" && topicTitle[t.ProjectID] == "" {
			topicTitle[t.ProjectID] = t.Title
		}
	}
	byProject := map[string][]Participation{}
	known := map[string]bool{}
	for _, p := range projects {
		known[p.ID] = true
	}
	orgs := map[string]*Org{}
	for _, r := range rows {
		if !known[r.ProjectID] || NormalizeName(r.Name) == "" {
			pl.Stats.SkippedRows++
			continue
		}
		byProject[r.ProjectID] = append(byProject[r.ProjectID], r)
		key := Country(r.Country) + " " + NormalizeName(r.Name)
		if o, ok := orgs[key]; ok {
			o.Rows++
			pl.Stats.MergedRows++
			continue
		}
		o := &Org{Key: key, Name: strings.Join(strings.Fields(r.Name), " "), ShortName: r.ShortName, Kind: Kind(r.ActivityType, r.Name),
			Country: Country(r.Country), NUTS: strings.ToUpper(r.NUTS), City: r.City, PIC: r.OrgID, Rows: 1, ActivityType: r.ActivityType}
		orgs[key] = o
		pl.Orgs = append(pl.Orgs, o)
	}
	for _, p := range projects {
		c := &competenciesv1.Collaboration{Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Title: clip(p.Title, 500),
			Acronym: clip(p.Acronym, 100), Summary: clip(p.Objective, 8000), Programme: clip(p.Programme, 100), Call: clip(p.Topic, 100),
			Year: Year(p.StartDate, p.Topic), Source: Source, SourceId: p.ID}
		if c.Summary == "" {
			c.Summary = clip(topicTitle[p.ID], 8000)
		}
		if c.Title == "" {
			c.Title = c.Acronym
		}
		if v != nil {
			c.TermIds = Terms(v, p.Title+". "+topicTitle[p.ID])
		}
		var members []string
		for _, r := range byProject[p.ID] {
			key := Country(r.Country) + " " + NormalizeName(r.Name)
			if i := slices.Index(members, key); i >= 0 {
				pl.Stats.DuplicateRows++
				if Role(r.Role) == competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR {
					c.Participants[i].Role = competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR
				}
				continue
			}
			members = append(members, key)
			c.Participants = append(c.Participants, &competenciesv1.CollaborationParticipant{Role: Role(r.Role)})
		}
		if len(members) == 0 {
			pl.Stats.ProjectsWithoutParticipants++
			continue
		}
		pl.Projects = append(pl.Projects, c)
		pl.Members = append(pl.Members, members)
	}
	return pl
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
