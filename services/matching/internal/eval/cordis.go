package eval

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Project is a CORDIS project with its participations.
type Project struct {
	ID, Acronym, Title, Topic, TopicTitle, Programme string
	Year                                             int32
	Orgs                                             []Participation
}

// Participation is one organisation's part in a project.
type Participation struct {
	ID, Name, Country, Activity string
}

// research reports whether a participation is a university or research
// organisation; company whether a company (an empty activity type is, in
// practice, a company without EU funding).
func (p Participation) research() bool { return p.Activity == "HES" || p.Activity == "REC" }
func (p Participation) company() bool  { return p.Activity == "PRC" || p.Activity == "" }

// readCSV reads a CORDIS export: semicolon-separated, quoted, with a
// header; each row as a map by column name.
func readCSV(r io.Reader) ([]map[string]string, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		row := map[string]string{}
		for i, h := range head {
			if i < len(rec) {
				row[strings.TrimPrefix(h, "\ufeff")] = strings.TrimSpace(rec[i])
			}
		}
		out = append(out, row)
	}
}

func readCSVFile(dir, name string) ([]map[string]string, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := readCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}

var yearIn = regexp.MustCompile(`20[0-3][0-9]`)

// isoCountry maps CORDIS country codes to ISO 3166.
func isoCountry(cc string) string {
	switch cc {
	case "UK":
		return "GB"
	case "EL":
		return "GR"
	}
	return cc
}

// CordisOrgID identifies an organisation by its normalised name and
// country, as the same one is written differently in different projects.
func CordisOrgID(name, country string) string {
	return OrgID(name) + "-" + strings.ToLower(isoCountry(country))
}

// LoadCordis reads project.csv, organization.csv and topics.csv of dir.
func LoadCordis(dir string) ([]*Project, error) {
	prows, err := readCSVFile(dir, "project.csv")
	if err != nil {
		return nil, err
	}
	orows, err := readCSVFile(dir, "organization.csv")
	if err != nil {
		return nil, err
	}
	trows, err := readCSVFile(dir, "topics.csv")
	if err != nil {
		return nil, err
	}
	topics := map[string]string{}
	for _, r := range trows {
		topics[r["projectID"]] = r["title"]
	}
	byID := map[string]*Project{}
	var out []*Project
	for _, r := range prows {
		p := &Project{ID: r["id"], Acronym: r["acronym"], Title: r["title"], Topic: r["topics"], TopicTitle: topics[r["id"]], Programme: r["frameworkProgramme"]}
		if y := yearIn.FindString(p.Topic); y != "" {
			n, _ := strconv.Atoi(y)
			p.Year = int32(n)
		}
		byID[p.ID] = p
		out = append(out, p)
	}
	for _, r := range orows {
		p := byID[r["projectID"]]
		if p == nil || r["name"] == "" {
			continue
		}
		id := CordisOrgID(r["name"], r["country"])
		if slices.ContainsFunc(p.Orgs, func(o Participation) bool { return o.ID == id }) {
			continue
		}
		p.Orgs = append(p.Orgs, Participation{ID: id, Name: r["name"], Country: isoCountry(r["country"]), Activity: r["activityType"]})
	}
	return out, nil
}

// mixed reports whether a project joins a company with research.
func (p *Project) mixed() bool {
	return slices.ContainsFunc(p.Orgs, Participation.company) && slices.ContainsFunc(p.Orgs, Participation.research)
}

// SplitProjects holds out share of the mixed projects, chosen with seed.
func SplitProjects(ps []*Project, share float64, seed uint64) (train, held []*Project) {
	return holdOut(ps, (*Project).mixed, func(p *Project) string { return p.ID }, share, seed)
}

var activityKind = map[string]profilesv1.OrganizationKind{
	"PRC": profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
	"":    profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
	"HES": profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
	"REC": profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"PUB": profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY,
	"OTH": profilesv1.OrganizationKind_ORGANIZATION_KIND_ASSOCIATION,
}

// needOf is what a company in a project asks with: the project's title and
// its call topic, code and title.
func needOf(p *Project) string {
	return strings.TrimSpace(p.Title + " | " + p.Topic + " | " + p.TopicTitle)
}

// Cordis makes the CORDIS task: every organisation is known by name, kind
// and country; each training project is a collaboration (kind project)
// with its title and call topic. Each company of a held-out mixed project
// asks with the project's title and call topic as its need; the right
// answers are the project's universities and research organisations that
// took part in a training project (the others are unknown to any method).
// With newcomers, the asking companies' training projects are recorded
// without them: they are new to the system.
func Cordis(all, train, held []*Project, newcomers bool) (*Task, []Question) {
	t := &Task{Vec: map[string]map[string]float64{}, Count: map[string]int{}}
	asking := map[string]bool{}
	for _, p := range held {
		for _, o := range p.Orgs {
			if o.company() {
				asking[o.ID] = true
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range all {
		for _, o := range p.Orgs {
			if seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			t.Orgs = append(t.Orgs, domain.Change{Key: domain.OrgKey(o.ID), Version: 1, Org: &domain.Org{
				ID: o.ID, Name: o.Name, Kind: activityKind[o.Activity], Country: o.Country, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1}})
		}
	}
	for _, p := range train {
		c := &domain.Collaboration{ID: p.ID, Kind: domain.CollabProject, Year: p.Year, Programme: p.Programme, Call: p.Topic,
			Title: p.Title, Summary: p.TopicTitle, Version: 1}
		for i, o := range p.Orgs {
			if newcomers && asking[o.ID] {
				continue
			}
			role := domain.RoleParticipant
			if i == 0 {
				role = domain.RoleCoordinator
			}
			c.Members = append(c.Members, domain.CollabMember{OrgID: o.ID, Role: role})
			t.Count[o.ID]++
			if t.Vec[o.ID] == nil {
				t.Vec[o.ID] = map[string]float64{}
			}
			for _, w := range domain.Tokens(p.Title + " " + p.TopicTitle) {
				t.Vec[o.ID][w]++
			}
		}
		t.Collabs = append(t.Collabs, c)
	}
	var qs []Question
	for _, p := range held {
		rel := map[string]bool{}
		for _, o := range p.Orgs {
			if o.research() && t.Count[o.ID] > 0 {
				rel[o.ID] = true
			}
		}
		if len(rel) == 0 {
			continue
		}
		need := needOf(p)
		nv := map[string]float64{}
		for _, w := range domain.Tokens(p.Title + " " + p.TopicTitle) {
			nv[w]++
		}
		for _, o := range p.Orgs {
			if o.company() {
				qs = append(qs, Question{Seeker: o.ID, Need: need, NeedVec: nv, Relevant: rel})
			}
		}
	}
	return t, qs
}
