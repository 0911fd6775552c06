package app

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// Kept answers: above all to the common query, an organisation's (or
// person's, or cooperation profile's) suggestions without a typed need,
// asked again on every visit; and to questions with a typed need, asked
// again as a member pages, returns to a search or reruns a saved one. The
// two are kept apart, so searches asked once never push out the common
// answers. The scorer is called as for any query and its answer kept
// with the index epoch it was computed at; it is served only while the
// epoch holds, so a kept answer is always the one the scorer would give
// now. When an event moves the epoch on, a background worker brings the
// answers asked for recently up to date, the most recently asked first, so
// the next visit finds a fresh answer instead of scoring. An answer the
// event cannot move (domain.Index.Holds: only documents changed, none
// that its seeker or its pool read, none now reaching its pool) is kept
// as it is at the new epoch; the others are computed again. Only answers
// served again after they were computed are refreshed: where events come
// faster than an answer is asked, computing it on asking costs less than
// computing it after every event.
const (
	// DefaultKeptAnswers is how many answers without a need are kept
	// (least recently asked dropped first), and a quarter as many with a
	// need: about 16 KB each with its encoding (ten explained
	// suggestions), 100 MB at most.
	DefaultKeptAnswers = 5000
	// DefaultHotFor is how recently an answer must have been asked for the
	// worker to compute it again after an event; older ones are computed
	// when next asked.
	DefaultHotFor = 10 * time.Minute
)

// Kept holds the kept answers and runs their refresh.
type Kept struct {
	x      *domain.Index
	hotFor time.Duration
	// common holds the answers without a need, needs those with one.
	common, needs *lru.Cache[string, *keptAnswer]
	// onRefresh, when set, is told of each answer a refresh computes and
	// when a pass has left every hot answer fresh at an epoch.
	onRefresh atomic.Pointer[func(epoch uint64, computed int, done bool)]
	// workers compute the stale answers again side by side.
	workers atomic.Int32
	// computed counts the answers the scorer computed for the kept answers,
	// asked or refreshed; held those found to hold at a later epoch.
	computed, held atomic.Int64
}

type keptAnswer struct {
	q     domain.Query
	mu    sync.Mutex // held while computing, so concurrent askers score once
	val   atomic.Pointer[keptValue]
	asked atomic.Int64 // unix nanoseconds of the last ask
}

type keptValue struct {
	epoch uint64
	res   *matchingv1.SuggestPartnersResponse
	fp    *domain.Footprint // what it read, for Holds
	// hit tells whether the answer was served again after the ask or
	// refresh that computed it.
	hit atomic.Bool
	// served is the answer as served (sealed for the seeker) and its wire
	// encoding, made on the first ask.
	served atomic.Pointer[servedAnswer]
}

type servedAnswer struct {
	res  *matchingv1.SuggestPartnersResponse
	wire []byte
}

// servedAs returns the answer sealed by seal and encoded, made once.
func (v *keptValue) servedAs(seal func(*matchingv1.SuggestPartnersResponse) *matchingv1.SuggestPartnersResponse) (*servedAnswer, error) {
	if sa := v.served.Load(); sa != nil {
		return sa, nil
	}
	res := seal(v.res)
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(res)
	if err != nil {
		return nil, err
	}
	sa := &servedAnswer{res: res, wire: wire}
	if !v.served.CompareAndSwap(nil, sa) {
		return v.served.Load(), nil
	}
	return sa, nil
}

// NewKept keeps up to size answers without a need and a quarter as many
// with one, refreshing those asked within hotFor.
func NewKept(x *domain.Index, size int, hotFor time.Duration) *Kept {
	k := &Kept{x: x, hotFor: hotFor, common: newKeptCache(size), needs: newKeptCache(size / 4)}
	k.SetRefreshWorkers(max(1, runtime.GOMAXPROCS(0)-1))
	return k
}

// SetRefreshWorkers sets how many answers a refresh computes side by side
// (at least one). The default leaves a core to requests and the garbage
// collector: on 2 cores, two workers gave each answer fresh again sooner at
// the median (26–36 ms against 50) but later at the p99 (186 ms against
// 114, medians of 5), the collection of the index's heap starved of a core.
func (k *Kept) SetRefreshWorkers(n int) { k.workers.Store(int32(max(1, n))) }

func newKeptCache(size int) *lru.Cache[string, *keptAnswer] {
	c, err := lru.New[string, *keptAnswer](max(size, 1))
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return c
}

// commonQuery reports whether q is the common query: no typed need,
// neither text nor chosen terms.
func commonQuery(q domain.Query) bool {
	return q.Need.Text == "" && len(q.Need.Terms) == 0 && len(q.Need.ExcludedTerms) == 0
}

// cacheOf is the cache q's answer is kept in.
func (k *Kept) cacheOf(q domain.Query) *lru.Cache[string, *keptAnswer] {
	if commonQuery(q) {
		return k.common
	}
	return k.needs
}

// keptKey is q in a canonical form (domain.Query.AppendKey): every field
// of the query, the feedback read into it included, tells answers apart.
func keptKey(q *domain.Query) string {
	var buf [256]byte
	return string(q.AppendKey(buf[:0]))
}

// promoteEvery is how often at most an answer asked again is moved to the
// front of the least-recently-used order: the move takes the cache's
// exclusive lock, which every call in flight would otherwise queue on,
// while a lookup takes its shared one.
const promoteEvery = time.Second

// Suggest answers q from a kept answer while the index's epoch holds, and
// otherwise asks the scorer and keeps its answer.
func (k *Kept) Suggest(q domain.Query) (*matchingv1.SuggestPartnersResponse, error) {
	v, err := k.answer(q)
	if err != nil {
		return nil, err
	}
	return v.res, nil
}

func (k *Kept) answer(q domain.Query) (*keptValue, error) {
	key := keptKey(&q)
	cache := k.cacheOf(q)
	now := time.Now().UnixNano()
	e, found := cache.Peek(key)
	switch {
	case !found:
		e = &keptAnswer{q: q}
		if prev, ok, _ := cache.PeekOrAdd(key, e); ok {
			e = prev
		}
	case now-e.asked.Load() >= int64(promoteEvery):
		cache.Get(key)
	}
	e.asked.Store(now)
	if v := e.val.Load(); v != nil && v.epoch == k.x.Epoch() {
		if !v.hit.Load() {
			v.hit.Store(true)
		}
		return v, nil
	}
	v, _, err := k.compute(e)
	return v, err
}

// compute brings e's answer to the current epoch, unless another caller
// has just done so: kept as it is where the changes since cannot move it,
// asked of the scorer otherwise (scored tells).
func (k *Kept) compute(e *keptAnswer) (v *keptValue, scored bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.val.Load()
	if old != nil && old.epoch == k.x.Epoch() {
		return old, false, nil
	}
	if old != nil {
		if epoch, ok := k.x.Holds(e.q, old.fp, old.epoch); ok {
			k.held.Add(1)
			v := &keptValue{epoch: epoch, res: old.res, fp: old.fp}
			v.served.Store(old.served.Load())
			e.val.Store(v)
			return v, false, nil
		}
	}
	// The epoch is read with the scoring: a change after it moves the
	// epoch on, and the answer is kept under the older one, never served.
	res, epoch, fp, err := k.x.SuggestKept(e.q)
	if err != nil {
		return nil, false, err
	}
	k.computed.Add(1)
	v = &keptValue{epoch: epoch, res: res, fp: fp}
	if old := e.val.Load(); old == nil || old.epoch <= epoch {
		e.val.Store(v)
	}
	return v, true, nil
}

// Refresh computes again every hot answer that is stale and was served
// again after it was computed, on the refresh workers taking them most
// recently asked first; when the epoch moves on meanwhile it starts over
// from the most recently asked. It returns the epoch at which every hot
// answer is fresh and how many it computed, or early, with ctx's error,
// when ctx ends.
func (k *Kept) Refresh(ctx context.Context) (uint64, int, error) {
	var n atomic.Int64
	for {
		epoch := k.x.Epoch()
		todo := k.stale(epoch)
		var moved atomic.Bool
		var next atomic.Int64
		work := func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				if k.x.Epoch() != epoch {
					moved.Store(true)
					return
				}
				// An answer the scorer refuses (its seeker erased) is
				// dropped: the next ask gets the refusal from the scorer.
				_, scored, err := k.compute(todo[i].e)
				if err != nil {
					todo[i].cache.Remove(todo[i].key)
				}
				done := n.Add(1)
				if f := k.onRefresh.Load(); f != nil {
					(*f)(epoch, int(done), false)
				}
				// Low priority: requests waiting to run go first after a
				// scoring. An answer kept as it is took microseconds;
				// yielding after each would hand the core to whatever
				// runs (under load, the collector's mark workers) 64
				// times over.
				if scored {
					runtime.Gosched()
				}
			}
		}
		workers := min(int(k.workers.Load()), len(todo))
		var wg sync.WaitGroup
		for range workers - 1 {
			wg.Go(work)
		}
		if workers > 0 {
			work()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return epoch, int(n.Load()), err
		}
		if !moved.Load() && k.x.Epoch() == epoch {
			if f := k.onRefresh.Load(); f != nil {
				(*f)(epoch, int(n.Load()), true)
			}
			return epoch, int(n.Load()), nil
		}
	}
}

type keptEntry struct {
	cache *lru.Cache[string, *keptAnswer]
	key   string
	e     *keptAnswer
	asked int64
}

// stale lists the hot answers not fresh at epoch that were served again
// after they were computed, most recently asked first.
func (k *Kept) stale(epoch uint64) []keptEntry {
	hot := time.Now().Add(-k.hotFor).UnixNano()
	var out []keptEntry
	for _, cache := range []*lru.Cache[string, *keptAnswer]{k.common, k.needs} {
		for _, key := range cache.Keys() {
			e, ok := cache.Peek(key)
			if !ok || e.asked.Load() < hot {
				continue
			}
			if v := e.val.Load(); v == nil || v.epoch == epoch || !v.hit.Load() {
				continue
			}
			out = append(out, keptEntry{cache: cache, key: key, e: e, asked: e.asked.Load()})
		}
	}
	// The order of use moves at most once a second per answer: the time
	// of the last ask tells more recent asks apart.
	slices.SortStableFunc(out, func(a, b keptEntry) int { return cmp.Compare(b.asked, a.asked) })
	return out
}

// Run refreshes the hot answers after every change to the index until ctx
// ends.
func (k *Kept) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.x.EpochMoved():
		}
		if _, _, err := k.Refresh(ctx); err != nil {
			return nil
		}
	}
}

// OnRefresh sets f to be told, by the refresh, of each answer it computed
// at an epoch (done false, with how many so far) and when every hot answer
// is fresh at the epoch (done true); nil stops.
func (k *Kept) OnRefresh(f func(epoch uint64, computed int, done bool)) {
	if f == nil {
		k.onRefresh.Store(nil)
		return
	}
	k.onRefresh.Store(&f)
}

// Stale counts the answers a refresh keeps fresh (served again after they
// were computed) that are not fresh at the index's current epoch.
func (k *Kept) Stale() int {
	epoch := k.x.Epoch()
	n := 0
	for _, cache := range []*lru.Cache[string, *keptAnswer]{k.common, k.needs} {
		for _, key := range cache.Keys() {
			if e, ok := cache.Peek(key); ok {
				if v := e.val.Load(); v != nil && v.hit.Load() && v.epoch != epoch {
					n++
				}
			}
		}
	}
	return n
}

// Computed counts the answers the scorer has computed for the kept
// answers, asked or refreshed.
func (k *Kept) Computed() int64 { return k.computed.Load() }

// Held counts the kept answers found to hold at a later epoch instead of
// being computed again.
func (k *Kept) Held() int64 { return k.held.Load() }
