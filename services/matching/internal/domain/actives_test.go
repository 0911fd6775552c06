package domain

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// flatOntology knows every term, each near itself alone.
type flatOntology struct{}

func (flatOntology) Known(string) bool                 { return true }
func (flatOntology) Label(id string) string            { return id }
func (flatOntology) Expand(id string) []Related        { return []Related{{TermID: id, Sim: 1, IC: 0.5}} }
func (flatOntology) InformationContent(string) float64 { return 0.5 }
func (flatOntology) Resolve(string) []Resolved         { return nil }
func (flatOntology) Closest(string) []string           { return nil }

// TestActiveListFollowsTheIndex checks that the kept list of the most
// active organisations, kept across changes to candidates' documents, is
// the list built afresh after random competencies, new organisations
// (some already in projects), erasures and projects.
func TestActiveListFollowsTheIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	x := NewIndex(flatOntology{})
	orgID := func(i int) string { return fmt.Sprintf("A%04d", i) }
	orgCh := func(id string, v int64) Change {
		return Change{Key: OrgKey(id), Version: v, Org: &Org{ID: id, Name: id, Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Country: "IT", NUTS: "ITH41", Version: v}}
	}
	const n = 600
	seq := 0
	project := func() Change {
		seq++
		c := &Collaboration{ID: fmt.Sprintf("P%05d", seq), Kind: CollabProject, Year: 2020, Version: 1, Title: "project"}
		for range 2 + r.IntN(4) {
			// Some members are organisations the index does not hold yet.
			c.Members = append(c.Members, CollabMember{OrgID: orgID(r.IntN(n + n/4)), Role: RoleParticipant})
		}
		return Change{Key: CollabKey(c.ID), Version: 1, Collab: c}
	}
	var changes []Change
	for i := range n {
		changes = append(changes, orgCh(orgID(i), 1))
	}
	for range 2 * n {
		changes = append(changes, project())
	}
	x.Apply(changes...)
	versions := map[string]int64{}
	for round := range 200 {
		id := orgID(r.IntN(n + n/4))
		key := OrgKey(id)
		versions[key] = max(versions[key], 1) + 1
		switch r.IntN(4) {
		case 0:
			seq++
			cid := fmt.Sprintf("C%05d", seq)
			x.Apply(Change{Key: CompKey(cid), Version: 1, Comp: &Competency{ID: cid, Holder: OrgRef(id), TermID: fmt.Sprint("T", r.IntN(50)), Version: 1}})
		case 1:
			x.Apply(orgCh(id, versions[key]))
		case 2:
			x.Apply(Change{Key: key, Version: versions[key], Removed: true})
		case 3:
			x.Apply(project())
		}
		x.mu.RLock()
		kept := x.actives()
		x.active.Store(nil)
		fresh := x.actives()
		x.mu.RUnlock()
		if !slices.Equal(kept.cands, fresh.cands) || !slices.Equal(kept.n, fresh.n) {
			t.Fatalf("round %d: kept active list %v %v, built afresh %v %v", round, kept.cands, kept.n, fresh.cands, fresh.n)
		}
	}
}
