package domain_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// TestQueriesDuringChanges runs queries while the feed changes the index
// (the race detector watches the caches queries share: flat posting lists,
// numbered expansions, reciprocity lists, score arrays), then checks that
// what the queries kept from before the changes does not leak into answers
// after them: the fast path still matches the exhaustive one.
func TestQueriesDuringChanges(t *testing.T) {
	t.Parallel()
	ont := ontology()
	terms := nearTerms(rnaSeq, proteomics, "EDAM:topic_0622")
	r := rand.New(rand.NewPCG(9, 4))
	term := func() string { return terms[r.IntN(len(terms))] }
	kinds := []profilesv1.OrganizationKind{company, university, institute}
	x := domain.NewIndex(ont)
	x.SetPruneFloor(5) // leave words and broad terms out of the first pass too
	const n = 400
	var changes []domain.Change
	for i := range n {
		id := fmt.Sprintf("Q%04d", i)
		changes = append(changes, org(id, "Lab "+id, kinds[i%3], pub, "ITH41", cluster))
		for j := range 3 {
			changes = append(changes, comp(fmt.Sprintf("%s-C%d", id, j), domain.OrgRef(id), term(), int32(j)))
		}
		if i%5 == 0 {
			changes = append(changes, coop(id+"-R", domain.OrgRef(id), techRequest, "Need "+ont.Label(term()), term()))
		}
	}
	x.Apply(changes...)
	query := func(r *rand.Rand) domain.Query {
		q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: fmt.Sprintf("Q%04d", r.IntN(n))}, Viewer: domain.Viewer{Admin: true}}
		if r.IntN(2) == 0 {
			q.Filter.Kinds = kinds[1:]
		}
		return q
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := x.Suggest(query(r)); err != nil && !domain.IsNotFound(err) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for round := range 30 {
		var batch []domain.Change
		for k := range 10 {
			id := fmt.Sprintf("Q%04d", r.IntN(n))
			batch = append(batch, comp(fmt.Sprintf("%s-N%d-%d", id, round, k), domain.OrgRef(id), term(), 1))
		}
		// Requests come and go, so the terms some candidate requests change.
		id := fmt.Sprintf("Q%04d", r.IntN(n))
		batch = append(batch, coop(fmt.Sprintf("%s-R%d", id, round), domain.OrgRef(id), techRequest, "Need", term()),
			domain.Change{Key: domain.CoopKey(fmt.Sprintf("Q%04d-R", 5*r.IntN(n/5))), Version: int64(10 + round), Removed: true},
			domain.Change{Key: domain.OrgKey(fmt.Sprintf("Q%04d", r.IntN(n))), Version: int64(10 + round), Removed: true})
		x.Apply(batch...)
	}
	close(stop)
	wg.Wait()

	for k := range 60 {
		samePaths(t, x, query(r), fmt.Sprintf("query %d after changes", k))
	}
}
