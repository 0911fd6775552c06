package eval

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/cordis"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Project is a CORDIS project as `tandem import cordis` records it, with
// its participations.
type Project struct {
	ID string
	// Collab is the collaboration the import records: title, summary (the
	// objective, or the call topic's title when the export has none), call,
	// year, vocabulary terms and roles.
	Collab *competenciesv1.Collaboration
	// TopicTitle is the call topic's title, part of the need.
	TopicTitle string
	Orgs       []Participation
}

// Participation is one organisation's part in a project.
type Participation struct {
	ID, Name, Country, NUTS string
	Kind                    profilesv1.OrganizationKind
	Role                    competenciesv1.ParticipantRole
}

// research reports whether a participation is a university or research
// organisation; company whether a company (an empty activity type is, in
// practice, a company without EU funding).
func (p Participation) research() bool {
	return p.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY ||
		p.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
}
func (p Participation) company() bool {
	return p.Kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
}

// LoadCordis reads project.csv, organization.csv and topics.csv of dir
// with the parser and the plan of `tandem import cordis`: organisations are
// one by normalised name and country, and each project carries what the
// import records (an export with objectives, roles and NUTS codes gives
// them to the index as the import would).
func LoadCordis(dir string, v *vocab.Vocabulary) ([]*Project, error) {
	read := func(name string, parse func(io.Reader) error) error {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		return parse(f)
	}
	var (
		projects []cordis.Project
		rows     []cordis.Participation
		topics   []cordis.Topic
		err      error
	)
	if err := read("project.csv", func(r io.Reader) error { projects, err = cordis.ReadProjects(r); return err }); err != nil {
		return nil, err
	}
	if err := read("organization.csv", func(r io.Reader) error { rows, err = cordis.ReadParticipations(r); return err }); err != nil {
		return nil, err
	}
	if err := read("topics.csv", func(r io.Reader) error { topics, err = cordis.ReadTopics(r); return err }); err != nil {
		return nil, err
	}
	pl := cordis.MakePlan(projects, rows, topics, v)
	orgs := map[string]*cordis.Org{}
	for _, o := range pl.Orgs {
		orgs[o.Key] = o
	}
	topicTitle := map[string]string{}
	for _, t := range topics {
		if t.Title != "" && topicTitle[t.ProjectID] == "" {
			topicTitle[t.ProjectID] = t.Title
		}
	}
	out := make([]*Project, 0, len(pl.Projects))
	for i, c := range pl.Projects {
		p := &Project{ID: c.GetSourceId(), Collab: c, TopicTitle: topicTitle[c.GetSourceId()]}
		for j, key := range pl.Members[i] {
			o := orgs[key]
			if o == nil {
				return nil, fmt.Errorf("project %s: organisation %q not in the plan", p.ID, key)
			}
			p.Orgs = append(p.Orgs, Participation{ID: OrgID(key), Name: o.Name, Country: o.Country, NUTS: o.NUTS, Kind: o.Kind,
				Role: c.GetParticipants()[j].GetRole()})
		}
		out = append(out, p)
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

// needOf is what a company in a project asks with: the project's title and
// its call topic, code and title.
func needOf(p *Project) string {
	return strings.TrimSpace(p.Collab.GetTitle() + " | " + p.Collab.GetCall() + " | " + p.TopicTitle)
}

var roles = map[competenciesv1.ParticipantRole]domain.CollabRole{
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR: domain.RoleCoordinator,
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT: domain.RoleParticipant,
	competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTNER:     domain.RolePartner,
}

// Cordis makes the CORDIS task: every organisation is known by name, kind,
// country and NUTS region (as the export gives them); each training project
// is a collaboration (kind project) as the import records it. Each company
// of a held-out mixed project asks with the project's title and call topic
// as its need; the right answers are the project's universities and
// research organisations that took part in a training project (the others
// are unknown to any method). With newcomers, the asking companies'
// training projects are recorded without them: they are new to the system.
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
				ID: o.ID, Name: o.Name, Kind: o.Kind, Country: o.Country, NUTS: o.NUTS, Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Version: 1}})
		}
	}
	for _, p := range train {
		pc := p.Collab
		c := &domain.Collaboration{ID: p.ID, Kind: domain.CollabProject, Year: pc.GetYear(), Programme: pc.GetProgramme(), Call: pc.GetCall(),
			Title: pc.GetTitle(), Summary: pc.GetSummary(), TermIDs: pc.GetTermIds(), Version: 1}
		for _, o := range p.Orgs {
			if newcomers && asking[o.ID] {
				continue
			}
			c.Members = append(c.Members, domain.CollabMember{OrgID: o.ID, Role: roles[o.Role]})
			t.Count[o.ID]++
			if t.Vec[o.ID] == nil {
				t.Vec[o.ID] = map[string]float64{}
			}
			for _, w := range domain.Tokens(pc.GetTitle() + " " + pc.GetSummary()) {
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
		for _, w := range domain.Tokens(p.Collab.GetTitle() + " " + p.TopicTitle) {
			nv[w]++
		}
		for _, o := range p.Orgs {
			if o.company() {
				qs = append(qs, Question{Seeker: o.ID, Need: need, NeedVec: nv, Relevant: rel, Project: p})
			}
		}
	}
	return t, qs
}
