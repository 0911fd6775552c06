package domain

import (
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

// Answers kept for repeated queries. A query's answer depends only on the
// index and the query itself (feedback and viewer included), so it can be
// kept until the index changes: every change to what scoring reads (an
// applied change, new weights) moves the index's epoch on, and an answer
// of an older epoch is never served. The common query (an organisation's
// suggestions without a need, asked again on every visit) is answered
// from here until an event changes something; it is fresh at once after.
const answerCacheSize = 4096

type answer struct {
	epoch uint64
	res   *matchingv1.SuggestPartnersResponse
}

type answers struct {
	epoch atomic.Uint64
	off   atomic.Bool
	kept  *lru.Cache[string, answer]
	// moved is signalled (at most one signal pending) when the epoch moves.
	moved chan struct{}
}

// Epoch counts the changes to what scoring reads (applied events, new
// weights). An answer computed while the epoch read before it still holds
// is the index's answer; once the epoch moves on it may not be.
func (x *Index) Epoch() uint64 { return x.answers.epoch.Load() }

// EpochMoved is signalled after the epoch moves on; signals coalesce, so a
// reader reads Epoch after each.
func (x *Index) EpochMoved() <-chan struct{} { return x.answers.moved }

// KeepAnswers turns keeping answers on (the default) or off; off, every
// query is scored, as benchmarks of the scoring itself need.
func (x *Index) KeepAnswers(on bool) {
	x.answers.off.Store(!on)
	x.answers.kept.Purge()
}

func newAnswers() *answers {
	c, err := lru.New[string, answer](answerCacheSize)
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return &answers{kept: c, moved: make(chan struct{}, 1)}
}

// changed makes every kept answer stale.
func (a *answers) changed() {
	a.epoch.Add(1)
	select {
	case a.moved <- struct{}{}:
	default:
	}
}

// answerKey is the query in a canonical form (Query.AppendKey).
func answerKey(q Query) (string, bool) {
	return string(q.AppendKey(nil)), true
}

func (a *answers) get(key string, epoch uint64) *matchingv1.SuggestPartnersResponse {
	if a.off.Load() {
		return nil
	}
	if v, ok := a.kept.Get(key); ok && v.epoch == epoch {
		return v.res
	}
	return nil
}

func (a *answers) put(key string, epoch uint64, res *matchingv1.SuggestPartnersResponse) {
	if a.off.Load() {
		return
	}
	a.kept.Add(key, answer{epoch: epoch, res: res})
}
