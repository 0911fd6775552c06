package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// MaxBatch is the most items a batch call takes.
const MaxBatch = 1000

// batchWorkers bounds the competencies of one batch written at once: enough
// to overlap the JetStream round trips each waits for (its holder, its
// current version, its write), few enough to leave room for other calls.
const batchWorkers = 64

// PublishItem is one competency of a batch.
type PublishItem struct {
	Competency      *competenciesv1.Competency
	ExpectedVersion int64
	RequestID       string
}

// BatchPublishCompetencies publishes every item as PublishCompetency would
// and returns each item's outcome in the items' order. Items for the same
// holder and term are applied one after the other in the items' order (the
// last one wins, as if sent one by one); different ones many at once.
func (s *Service) BatchPublishCompetencies(ctx context.Context, v domain.Viewer, items []PublishItem) ([]*competenciesv1.PublishCompetencyResult, error) {
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "items", Description: fmt.Sprintf("must hold 1 to %d items, not %d", MaxBatch, len(items))})
	}
	// Group by the key the competency is stored under, so one key's items
	// never race each other.
	var groups [][]int
	at := map[string]int{}
	for i, it := range items {
		k := s.batchKey(it.Competency)
		g, ok := at[k]
		if !ok {
			g = len(groups)
			at[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	res := make([]*competenciesv1.PublishCompetencyResult, len(items))
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(groups)) {
		wg.Go(func() {
			for g := range next {
				for _, i := range g {
					it := items[i]
					r, err := s.PublishCompetency(ctx, v, it.Competency, it.ExpectedVersion, it.RequestID)
					res[i] = &competenciesv1.PublishCompetencyResult{Competency: r.Competency, Changed: r.Changed, Error: s.itemError(err)}
				}
			}
		})
	}
	for _, g := range groups {
		next <- g
	}
	close(next)
	wg.Wait()
	return res, nil
}

// batchKey is the key a competency is stored under (its term's id as
// stored, whatever form the item names it by).
func (s *Service) batchKey(c *competenciesv1.Competency) string {
	ref, _ := domain.RefOf(c.GetHolder())
	if t, ok := s.Vocab.Term(c.GetTermId()); ok {
		return domain.CompetencyKey(ref, t.ID)
	}
	return domain.CompetencyKey(ref, c.GetTermId())
}

// itemError is an item's error as the single call's status would carry it.
func (s *Service) itemError(err error) *competenciesv1.ItemError {
	if err == nil {
		return nil
	}
	code, msg, vs := grpcerr.Item(s.Log, err)
	out := &competenciesv1.ItemError{Code: code, Message: msg}
	for _, v := range vs {
		out.FieldViolations = append(out.FieldViolations, &competenciesv1.ItemFieldViolation{Field: v.Field, Description: v.Description})
	}
	return out
}
