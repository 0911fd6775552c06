package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// MaxBatch is the most items a batch call takes.
const MaxBatch = 1000

// batchWorkers bounds the items of one batch in flight at once: enough to
// overlap the JetStream round trips each item waits for (its claim, then its
// write), few enough to leave room for other calls.
const batchWorkers = 64

// CreateItem is one organisation of a batch and its client request id.
type CreateItem struct {
	Org       *profilesv1.Organization
	RequestID string
}

// BatchCreateOrganizations creates every item as CreateOrganization would,
// many at once, and returns each item's outcome in the items' order: the
// organisation, or why it was not created. The whole call fails only for a
// caller who may not call it or a batch of the wrong size.
func (s *Service) BatchCreateOrganizations(ctx context.Context, items []CreateItem) ([]*profilesv1.CreateOrganizationResult, error) {
	if _, err := s.viewer(ctx); err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "items", Description: fmt.Sprintf("must hold 1 to %d items, not %d", MaxBatch, len(items))})
	}
	res := make([]*profilesv1.CreateOrganizationResult, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(items)) {
		wg.Go(func() {
			for i := range next {
				o, err := s.CreateOrganization(ctx, items[i].Org, items[i].RequestID)
				res[i] = &profilesv1.CreateOrganizationResult{Organization: o, Error: s.itemError(err)}
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return res, nil
}

// itemError is an item's error as the single call's status would carry it.
func (s *Service) itemError(err error) *profilesv1.ItemError {
	if err == nil {
		return nil
	}
	code, msg, vs := grpcerr.Item(s.log, err)
	out := &profilesv1.ItemError{Code: code, Message: msg}
	for _, v := range vs {
		out.FieldViolations = append(out.FieldViolations, &profilesv1.ItemFieldViolation{Field: v.Field, Description: v.Description})
	}
	return out
}
