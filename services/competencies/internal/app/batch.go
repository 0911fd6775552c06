package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// MaxBatch is the most items a batch call takes.
const MaxBatch = 1000

// batchWorkers bounds the reads of one batch made at once (holders,
// claims) and the items that take the one-by-one path at once.
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
// last one wins, as if sent one by one); different ones at once.
//
// Each holder is read once, the items' claims are looked up together, and
// the items are written in rounds, the first item of every key, then the
// second, and so on: a round's writes are decided on the service's index and
// published together, waiting once for all the acknowledgements
// (eventkv.Store.WriteMany). An item the index cannot decide (a no-op, a
// stale index) goes PublishCompetency's own way, reading the store; an item
// that repeats the request of an earlier item goes it after the batch, and
// finds the earlier item's claim.
func (s *Service) BatchPublishCompetencies(ctx context.Context, v domain.Viewer, items []PublishItem) ([]*competenciesv1.PublishCompetencyResult, error) {
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "items", Description: fmt.Sprintf("must hold 1 to %d items, not %d", MaxBatch, len(items))})
	}
	res := make([]*competenciesv1.PublishCompetencyResult, len(items))
	answer := func(i int, r PublishResult, err error) {
		res[i] = &competenciesv1.PublishCompetencyResult{Competency: r.Competency, Changed: r.Changed, Error: s.itemError(err)}
	}
	keys := make([]string, len(items))
	refs := make([]domain.HolderRef, len(items))
	comps := make([]*competenciesv1.Competency, len(items))
	holders := map[domain.HolderRef]error{}
	for i, it := range items {
		var err error
		if keys[i], refs[i], comps[i], err = s.toPublish(it.Competency); err != nil {
			answer(i, PublishResult{}, err)
			continue
		}
		holders[refs[i]] = nil
	}
	s.checkHolders(ctx, v, holders)
	// The items to publish, grouped by key in the items' order; requests
	// repeated in the batch wait for the end.
	var (
		claimed, repeated []int
		claimKeys         []string
	)
	seen := map[string]bool{}
	for i, it := range items {
		switch {
		case comps[i] == nil:
		case holders[refs[i]] != nil:
			answer(i, PublishResult{}, holders[refs[i]])
			comps[i] = nil
		case it.RequestID == "":
		case seen[it.RequestID]:
			repeated = append(repeated, i)
			comps[i] = nil
		default:
			seen[it.RequestID] = true
			claimed = append(claimed, i)
			claimKeys = append(claimKeys, publishClaimKey(v, it.RequestID))
		}
	}
	prev := s.lookupClaims(ctx, claimKeys)
	replays := map[int]string{}
	for j, i := range claimed {
		switch p := prev[j]; {
		case p.err != nil:
			answer(i, PublishResult{}, p.err)
			comps[i] = nil
		case p.found:
			replays[i] = p.value
		}
	}
	var toClaim []int
	for _, round := range keyRounds(keys, comps) {
		var publish, replay []int
		for _, i := range round {
			if _, ok := replays[i]; ok {
				replay = append(replay, i)
			} else {
				publish = append(publish, i)
			}
		}
		s.eachAtOnce(len(replay), func(j int) {
			r, err := s.replayPublish(ctx, replays[replay[j]])
			answer(replay[j], r, err)
		})
		s.publishRound(ctx, v, items, keys, comps, publish, answer)
		for _, i := range publish {
			if items[i].RequestID != "" && res[i].GetChanged() {
				toClaim = append(toClaim, i)
			}
		}
	}
	s.recordClaims(ctx, v, items, keys, res, toClaim)
	for _, i := range repeated {
		it := items[i]
		r, err := s.PublishCompetency(ctx, v, it.Competency, it.ExpectedVersion, it.RequestID)
		answer(i, r, err)
	}
	return res, nil
}

// publishRound publishes the items round (indexes into items, each of
// another key) as publishKey would, holding their keys: their writes are decided on the index
// and made together; the items the index cannot decide, or whose write
// found the key changed, go publishKey's way, reading the store (several at
// once). (Deciding those on the store all together too let two batches over
// the same keys keep overtaking each other: each item's read and write
// must follow each other closely.)
func (s *Service) publishRound(ctx context.Context, v domain.Viewer, items []PublishItem, keys []string, comps []*competenciesv1.Competency, round []int, answer func(int, PublishResult, error)) {
	held := make([]string, len(round))
	for j, i := range round {
		held[j] = keys[i]
	}
	unlock, err := s.publishing.lock(ctx, held...)
	if err != nil {
		for _, i := range round {
			answer(i, PublishResult{}, err)
		}
		return
	}
	defer unlock()
	var fresh, write []int
	var ws []eventkv.Write
	for _, i := range round {
		cur, rev, _ := s.Index.StoredCompetency(keys[i])
		w, r, _ := s.nextPublish(v, keys[i], comps[i], items[i].ExpectedVersion, cur, rev)
		if w == nil {
			fresh = append(fresh, i) // the index alone cannot tell
			continue
		}
		write = append(write, i)
		ws = append(ws, *w)
		answer(i, r, nil)
	}
	for j, out := range s.Competencies.WriteMany(ctx, ws) {
		i := write[j]
		switch err := publishConflict(keys[i], out.Err); {
		case err == nil:
			s.Index.ApplyCompetency(keys[i], ws[j].Event, out.Rev)
		case errors.Is(err, grpcerr.ErrConflict):
			fresh = append(fresh, i) // the index was behind the store
		default:
			answer(i, PublishResult{}, err)
		}
	}
	s.eachAtOnce(len(fresh), func(j int) {
		i := fresh[j]
		r, err := s.publishLocked(ctx, v, keys[i], comps[i], items[i].ExpectedVersion, true)
		answer(i, r, err)
	})
}

// keyRounds orders the items still to publish (comps[i] not nil) in
// rounds: the first item of every key, then the second of every key, and so
// on, so that a round holds each key at most once and a key's items come in
// the items' order.
func keyRounds(keys []string, comps []*competenciesv1.Competency) [][]int {
	var rounds [][]int
	n := map[string]int{}
	for i, c := range comps {
		if c == nil {
			continue
		}
		r := n[keys[i]]
		n[keys[i]] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	return rounds
}

// checkHolders records, for each holder, why v may not change what it
// holds (nil when v may), reading the holders several at once.
func (s *Service) checkHolders(ctx context.Context, v domain.Viewer, holders map[domain.HolderRef]error) {
	refs := slices.Collect(maps.Keys(holders))
	errs := make([]error, len(refs))
	s.eachAtOnce(len(refs), func(j int) {
		_, errs[j] = s.holderFor(ctx, v, refs[j])
	})
	for j, ref := range refs {
		holders[ref] = errs[j]
	}
}

// claimLookup is what a claim's look-up found.
type claimLookup struct {
	value string
	found bool
	err   error
}

// lookupClaims looks up the claims of keys, several at once.
func (s *Service) lookupClaims(ctx context.Context, keys []string) []claimLookup {
	out := make([]claimLookup, len(keys))
	s.eachAtOnce(len(keys), func(j int) {
		out[j].value, out[j].found, out[j].err = s.Claims.Lookup(ctx, keys[j])
	})
	return out
}

// recordClaims records the claims of the items published (indexes into
// items), all at once, as PublishCompetency records each one's.
func (s *Service) recordClaims(ctx context.Context, v domain.Viewer, items []PublishItem, keys []string, res []*competenciesv1.PublishCompetencyResult, published []int) {
	if len(published) == 0 {
		return
	}
	ck, cv := make([]string, len(published)), make([]string, len(published))
	for j, i := range published {
		ck[j] = publishClaimKey(v, items[i].RequestID)
		cv[j] = publishClaim(keys[i], PublishResult{Competency: res[i].GetCompetency()})
	}
	for _, c := range s.Claims.ClaimMany(ctx, ck, cv) {
		if c.Err != nil {
			s.Log.WarnContext(ctx, "record publish request", "err", c.Err)
		}
	}
}

// eachAtOnce calls f(0), ..., f(n-1), batchWorkers at once.
func (s *Service) eachAtOnce(n int, f func(j int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, n) {
		wg.Go(func() {
			for j := range next {
				f(j)
			}
		})
	}
	for j := range n {
		next <- j
	}
	close(next)
	wg.Wait()
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
