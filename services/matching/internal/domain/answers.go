package domain

import (
	"sync"
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

	// Since the last change that may move every answer (epoch full), the
	// epochs that changed documents only, each with the candidates whose
	// documents changed: Holds tells from them whether an answer moved.
	mu   sync.Mutex
	full uint64
	log  []docDelta
}

// docDelta is an epoch that changed documents only.
type docDelta struct {
	epoch uint64
	refs  []Ref   // the documents rebuilt
	cands []int32 // the indexes of those still candidates
}

// deltaLog is how many epochs of document changes are remembered; an
// answer older than that is stale.
const deltaLog = 64

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
	a.mu.Lock()
	a.full = a.epoch.Add(1)
	a.log = a.log[:0]
	a.mu.Unlock()
	a.signal()
}

// changedDocs moves the epoch on for a change to the documents of refs
// alone (cands the indexes of those still candidates).
func (a *answers) changedDocs(refs []Ref, cands []int32) {
	a.mu.Lock()
	if len(a.log) == deltaLog {
		a.log = append(a.log[:0], a.log[1:]...)
	}
	a.log = append(a.log, docDelta{epoch: a.epoch.Add(1), refs: refs, cands: cands})
	a.mu.Unlock()
	a.signal()
}

func (a *answers) signal() {
	select {
	case a.moved <- struct{}{}:
	default:
	}
}

// since returns the current epoch and the document changes after epoch
// e; ok is false when a change that may move every answer came after e,
// or e is older than the log remembers.
func (a *answers) since(e uint64) (now uint64, ds []docDelta, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now = a.epoch.Load()
	if now == e {
		return now, nil, true
	}
	if a.full > e || len(a.log) == 0 || a.log[0].epoch > e+1 {
		return now, nil, false
	}
	return now, append([]docDelta(nil), a.log[e+1-a.log[0].epoch:]...), true
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
