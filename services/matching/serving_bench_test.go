package matching_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/app"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
	"github.com/tandem-cluster/tandem/services/matching/internal/ports"
)

// serveBare serves impl on a bare grpc-go server: no interceptors, no
// authentication, nothing but gRPC itself.
func serveBare(b *testing.B, impl matchingv1.MatchingServiceServer) matchingv1.MatchingServiceClient {
	b.Helper()
	return listen(b, grpc.NewServer(), impl)
}

// BenchmarkSuggestServing compares SuggestPartners, through the service's
// server stack, with a bare grpc-go server's no-op handler, at 1 and 8
// calls in flight, alternating the two in rounds of the same run so both
// see the same load. One iteration is one round of each (-benchtime Nx for
// N rounds). Paths:
//   - warm-no-need: 1,000 organisations asking without a need, answers kept;
//   - first-ask-no-need: organisations asking without a need for the first
//     time (every call scored);
//   - warm-need: the need texts of 1,000 organisations asked again,
//     answers kept (a member paging, returning to a search or rerunning
//     a saved one);
//   - need: a need text asked for the first time (firstNeeds), so every
//     call is scored;
//   - no-need-events: as warm, 64 organisations, while a competency is
//     published every 250 ms and the refresh recomputes the kept answers.
//
// Metrics: x-bare (median over rounds of SuggestPartners' QPS over the
// bare no-op's), qps and bare-qps over all rounds, p50/p99 of
// SuggestPartners and the bare no-op's p99 in ms, and scored/call: answers
// the scorer computed (on asking or by the refresh) per call, 0 where every
// call is answered from a kept answer, 1 where every call is a first ask.
func BenchmarkSuggestServing(b *testing.B) {
	c, x := loadBench(b)
	a := authtest.Default().Verifier
	tok := authtest.Token(b, auth.Principal{Subject: "bench", Roles: []auth.Role{auth.RoleAdmin}})
	creds := grpc.PerRPCCredentials(auth.BearerToken(tok))
	svc := app.New(x, benchOnt, app.Stores{}, slog.New(slog.DiscardHandler), nil)
	bare := serveBare(b, noop{})
	suggest := serve(b, ports.NewGRPC(svc), a)
	research := &matchingv1.SuggestionFilter{Kinds: []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
		profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL}}
	noNeed := func(org string) *matchingv1.SuggestPartnersRequest {
		return &matchingv1.SuggestPartnersRequest{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: org}}, Filter: research}
	}
	orgIDs := make([]string, len(c.orgs))
	for i := range orgIDs {
		orgIDs[i] = fmt.Sprintf("O%07d", i)
	}
	ctx := context.Background()
	ask := func(reqs []*matchingv1.SuggestPartnersRequest) {
		for _, r := range reqs {
			if _, err := suggest.SuggestPartners(ctx, r, creds); err != nil {
				b.Fatal(err)
			}
		}
	}
	var warm []*matchingv1.SuggestPartnersRequest
	for _, o := range orgIDs[:min(1000, len(orgIDs))] {
		warm = append(warm, noNeed(o))
	}
	hot := warm[:min(64, len(warm))]
	var warmNeed []*matchingv1.SuggestPartnersRequest
	for i := range min(1000, len(c.seekers)) {
		warmNeed = append(warmNeed, &matchingv1.SuggestPartnersRequest{Seeker: noNeed(c.seekers[i]).GetSeeker(), Need: &matchingv1.Need{Text: c.needs[i]}, Filter: research})
	}
	need := firstNeeds(c, research)
	// First asks walk the organisations from the far end, never asked.
	firstAsk := make([]*matchingv1.SuggestPartnersRequest, 0, len(orgIDs)/2)
	for _, o := range slices.Backward(orgIDs[len(orgIDs)/2:]) {
		firstAsk = append(firstAsk, noNeed(o))
	}
	// Both walk on across sub-benchmarks, so no question is asked twice.
	var firstAt, needAt atomic.Int64

	type path struct {
		name  string
		reqs  func(i int64) *matchingv1.SuggestPartnersRequest
		setup func(b *testing.B) func()
	}
	paths := []path{
		{name: "warm-no-need", reqs: func(i int64) *matchingv1.SuggestPartnersRequest { return warm[i%int64(len(warm))] },
			setup: func(*testing.B) func() { ask(warm); return func() {} }},
		{name: "first-ask-no-need", reqs: func(int64) *matchingv1.SuggestPartnersRequest {
			return firstAsk[firstAt.Add(1)%int64(len(firstAsk))]
		}, setup: func(*testing.B) func() { return func() {} }},
		{name: "warm-need", reqs: func(i int64) *matchingv1.SuggestPartnersRequest { return warmNeed[i%int64(len(warmNeed))] },
			setup: func(b *testing.B) func() {
				if len(warmNeed) == 0 {
					b.Skip("no seeker with a need: too few organisations (MATCHING_BENCH_ORGS)")
				}
				ask(warmNeed)
				return func() {}
			}},
		{name: "need", reqs: func(int64) *matchingv1.SuggestPartnersRequest { return need[needAt.Add(1)%int64(len(need))] },
			setup: func(b *testing.B) func() { skipFewNeeds(b, need); return func() {} }},
		{name: "no-need-events", reqs: func(i int64) *matchingv1.SuggestPartnersRequest { return warm[i%int64(len(hot))] },
			setup: func(b *testing.B) func() {
				ask(hot)
				ctx, cancel := context.WithCancel(ctx)
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); _ = svc.Kept.Run(ctx) }()
				go func() {
					defer wg.Done()
					publishEvery(ctx, x, orgIDs, 250*time.Millisecond)
				}()
				return func() { cancel(); wg.Wait() }
			}},
	}
	for _, p := range paths {
		for _, inFlight := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/inflight-%d", p.name, inFlight), func(b *testing.B) {
				done := p.setup(b)
				defer done()
				perRound := 50 * inFlight
				var tBare, tSuggest time.Duration
				var ratios []float64
				var lat, latBare []time.Duration
				var latMu sync.Mutex
				var next atomic.Int64
				computed0 := svc.Kept.Computed()
				round := func(client matchingv1.MatchingServiceClient, record bool) time.Duration {
					var left atomic.Int64
					left.Store(int64(perRound))
					var wg sync.WaitGroup
					t0 := time.Now()
					for range inFlight {
						wg.Add(1)
						go func() {
							defer wg.Done()
							var mine []time.Duration
							for left.Add(-1) >= 0 {
								r := p.reqs(next.Add(1))
								r0 := time.Now()
								if _, err := client.SuggestPartners(ctx, r, creds); err != nil {
									b.Error(err)
									return
								}
								mine = append(mine, time.Since(r0))
							}
							latMu.Lock()
							if record {
								lat = append(lat, mine...)
							} else {
								latBare = append(latBare, mine...)
							}
							latMu.Unlock()
						}()
					}
					wg.Wait()
					return time.Since(t0)
				}
				b.ResetTimer()
				for n := range b.N {
					var dBare, dSuggest time.Duration
					if n%2 == 0 {
						dBare = round(bare, false)
						dSuggest = round(suggest, true)
					} else {
						dSuggest = round(suggest, true)
						dBare = round(bare, false)
					}
					tBare += dBare
					tSuggest += dSuggest
					ratios = append(ratios, dBare.Seconds()/dSuggest.Seconds())
				}
				b.StopTimer()
				slices.Sort(lat)
				slices.Sort(latBare)
				slices.Sort(ratios)
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				calls := float64(b.N * perRound)
				b.ReportMetric(ratios[len(ratios)/2], "x-bare")
				b.ReportMetric(calls/tSuggest.Seconds(), "qps")
				b.ReportMetric(calls/tBare.Seconds(), "bare-qps")
				b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
				b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
				b.ReportMetric(ms(latBare[min(len(latBare)-1, len(latBare)*99/100)]), "bare-p99-ms")
				// Scored answers, on asking or by the refresh, against calls.
				b.ReportMetric(float64(svc.Kept.Computed()-computed0)/calls, "scored/call")
			})
		}
	}
}

// publishEvery applies a new competency of a random organisation every
// period until ctx ends.
func publishEvery(ctx context.Context, x *domain.Index, orgs []string, period time.Duration) {
	r := rand.New(rand.NewPCG(1, 2))
	t := time.NewTicker(period)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		x.Apply(benchCompetency(r, orgs, fmt.Sprintf("EV%d-%d", time.Now().UnixNano(), i)))
	}
}

var benchTerms = []string{"EDAM:topic_3170", "EDAM:topic_0121", "EDAM:topic_0622", "EDAM:operation_2945", "EDAM:topic_0080"}

func benchCompetency(r *rand.Rand, orgs []string, id string) domain.Change {
	t := benchTerms[r.IntN(len(benchTerms))]
	return domain.Change{Key: domain.CompKey(id), Version: 1, Comp: &domain.Competency{ID: id, Holder: domain.OrgRef(orgs[r.IntN(len(orgs))]), TermID: t,
		Label: benchOnt.Label(t), Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED, Version: 1}}
}

// BenchmarkKeptFreshness measures how soon after an event the kept answers
// are fresh again: 64 organisations ask without a need; each
// iteration publishes a competency of a random organisation (applied to the
// index, as the event feed does) and times, from the event, each kept
// answer's refresh (answer-p50/p99) and the refresh of all 64 (all-p50/p99),
// in ms; scored/event is how many of the 64 were computed again (the others
// held: the event could not move them).
func BenchmarkKeptFreshness(b *testing.B) {
	c, x := loadBench(b)
	hot := min(64, len(c.orgs))
	svc := app.New(x, benchOnt, app.Stores{}, slog.New(slog.DiscardHandler), nil)
	orgIDs := make([]string, len(c.orgs))
	for i := range orgIDs {
		orgIDs[i] = fmt.Sprintf("O%07d", i)
	}
	// Answers served again are the ones kept fresh: each is asked twice
	// first, and again after every refresh, as visitors would.
	askAll := func() {
		for _, o := range orgIDs[:hot] {
			q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: o}, Viewer: domain.Viewer{Org: o}}
			if _, err := svc.Kept.Suggest(q); err != nil {
				b.Fatal(err)
			}
		}
	}
	askAll()
	askAll()
	var mu sync.Mutex
	var t0 time.Time
	var target uint64
	var each, all []time.Duration
	fresh := make(chan struct{}, 1)
	svc.Kept.OnRefresh(func(epoch uint64, _ int, done bool) {
		mu.Lock()
		defer mu.Unlock()
		if epoch != target {
			return
		}
		d := time.Since(t0)
		if !done {
			each = append(each, d)
			return
		}
		all = append(all, d)
		fresh <- struct{}{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = svc.Kept.Run(ctx) }()
	r := rand.New(rand.NewPCG(3, 4))
	computed0 := svc.Kept.Computed()
	b.ResetTimer()
	for i := range b.N {
		ch := benchCompetency(r, orgIDs, fmt.Sprintf("FR%d-%d", time.Now().UnixNano(), i))
		mu.Lock()
		t0 = time.Now()
		target = x.Epoch() + 1
		mu.Unlock()
		x.Apply(ch)
		<-fresh
		askAll()
	}
	b.StopTimer()
	ms := func(ds []time.Duration) (float64, float64) {
		slices.Sort(ds)
		return float64(ds[len(ds)/2]) / 1e6, float64(ds[min(len(ds)-1, len(ds)*99/100)]) / 1e6
	}
	p50, p99 := ms(each)
	b.ReportMetric(p50, "answer-p50-ms")
	b.ReportMetric(p99, "answer-p99-ms")
	p50, p99 = ms(all)
	b.ReportMetric(p50, "all-p50-ms")
	b.ReportMetric(p99, "all-p99-ms")
	b.ReportMetric(float64(svc.Kept.Computed()-computed0)/float64(b.N), "scored/event")
}

// BenchmarkApplyEvent measures one competency event applied to the index:
// the time the index's write lock is held, which every query arriving
// meanwhile waits out.
func BenchmarkApplyEvent(b *testing.B) {
	c, x := loadBench(b)
	orgIDs := make([]string, len(c.orgs))
	for i := range orgIDs {
		orgIDs[i] = fmt.Sprintf("O%07d", i)
	}
	r := rand.New(rand.NewPCG(5, 6))
	changes := make([]domain.Change, b.N)
	for i := range changes {
		changes[i] = benchCompetency(r, orgIDs, fmt.Sprintf("AP%d-%d", time.Now().UnixNano(), i))
	}
	b.ResetTimer()
	for i := range b.N {
		x.Apply(changes[i])
	}
}
