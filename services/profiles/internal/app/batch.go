package app

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// MaxBatch is the most items a batch call takes.
const MaxBatch = 1000

// batchWorkers bounds the items of one batch that take the one-by-one
// path at once (a request claimed before, or repeated in the batch).
const batchWorkers = 64

// CreateItem is one organisation of a batch and its client request id.
type CreateItem struct {
	Org       *profilesv1.Organization
	RequestID string
}

// BatchCreateOrganizations creates every item as CreateOrganization would
// and returns each item's outcome in the items' order: the organisation, or
// why it was not created. The whole call fails only for a caller who may not
// call it or a batch of the wrong size.
//
// The items' claims are published together and then their organisations,
// each step waiting once for all the acknowledgements (eventkv.ClaimMany,
// eventkv.Store.WriteMany), instead of two round trips per item. An item
// whose request was claimed before (a re-import), or that repeats the
// request of an earlier item, goes CreateOrganization's own way afterwards
// and gets the organisation created first.
func (s *Service) BatchCreateOrganizations(ctx context.Context, items []CreateItem) ([]*profilesv1.CreateOrganizationResult, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "items", Description: fmt.Sprintf("must hold 1 to %d items, not %d", MaxBatch, len(items))})
	}
	res := make([]*profilesv1.CreateOrganizationResult, len(items))
	answer := func(i int, o *profilesv1.Organization, err error) {
		res[i] = &profilesv1.CreateOrganizationResult{Organization: o, Error: s.itemError(err)}
	}
	orgs := make([]*profilesv1.Organization, len(items))
	ids := make([]string, len(items))
	var (
		claimed, repeated, write []int
		keys, values             []string
	)
	seen := map[string]bool{}
	for i, it := range items {
		o, err := s.newOrg(ctx, v, it.Org, it.RequestID)
		if err != nil {
			answer(i, nil, err)
			continue
		}
		orgs[i], ids[i] = o, newID()
		switch {
		case it.RequestID == "":
			write = append(write, i)
		case seen[it.RequestID]:
			repeated = append(repeated, i)
		default:
			seen[it.RequestID] = true
			claimed = append(claimed, i)
			keys = append(keys, claimKey("organization", v, it.RequestID))
			values = append(values, ids[i])
		}
	}
	var before []int // claimed by an earlier attempt: ids[i] is that attempt's id
	for j, c := range s.claims.ClaimMany(ctx, keys, values) {
		i := claimed[j]
		switch {
		case c.Err != nil:
			answer(i, nil, fmt.Errorf("create organization: %w", c.Err))
		case c.Created:
			write = append(write, i)
		default:
			ids[i] = c.Winner
			before = append(before, i)
		}
	}
	slices.Sort(write)
	ws := make([]eventkv.Write, len(write))
	for j, i := range write {
		ws[j] = eventkv.Write{Key: ids[i], Event: s.orgCreated(v, orgs[i], ids[i])}
	}
	for j, w := range s.orgs.WriteMany(ctx, ws) {
		i := write[j]
		o, err := s.created(ctx, v, orgs[i], items[i].RequestID, w.Err)
		answer(i, o, err)
	}
	s.eachAtOnce(before, func(i int) {
		o, err := s.createClaimed(ctx, v, orgs[i], ids[i], items[i].RequestID)
		answer(i, o, err)
	})
	s.eachAtOnce(repeated, func(i int) {
		o, err := s.CreateOrganization(ctx, items[i].Org, items[i].RequestID)
		answer(i, o, err)
	})
	return res, nil
}

// eachAtOnce calls f for every index, batchWorkers at once.
func (s *Service) eachAtOnce(idx []int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(idx)) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for _, i := range idx {
		next <- i
	}
	close(next)
	wg.Wait()
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
