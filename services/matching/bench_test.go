package matching_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcserver"
	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/app"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
	"github.com/tandem-cluster/tandem/services/matching/internal/ports"
)

// benchSize is the generated corpus: MATCHING_BENCH_ORGS organisations (20,000
// when unset, for a quick run) with 10 competencies each; `make bench` sets
// 100,000, the full 100k/1M corpus.
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("MATCHING_BENCH_ORGS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

const compsPerOrg = 10

var nutsCodes = []string{"ITH41", "ITH42", "ITH43", "ITH44", "ITC11", "ITI43", "DE111", "FR101", "ES300", "NL329", "AT130", "SI042"}

// corpus generates events drawn from the real vocabulary: terms are picked
// with a skew (few popular, many rare), organisations are 30% companies,
// 10% of companies publish a request, descriptions are made of term labels
// and definitions.
type corpus struct {
	orgs, comps, coops []proto.Message
	collabs            []*domain.Collaboration
	seekers            []string
	needs              []string
}

func generate(n int) *corpus {
	v, err := vocab.Load()
	if err != nil {
		panic(err)
	}
	var terms []*vocab.Term
	for t := range v.All() {
		if !t.Obsolete {
			terms = append(terms, t)
		}
	}
	r := rand.New(rand.NewPCG(7, 11))
	pick := func() *vocab.Term {
		// Squaring a uniform draw skews towards the start: popular terms.
		f := r.Float64()
		return terms[int(f*f*float64(len(terms)))]
	}
	c := &corpus{}
	var ownTerms [][]string
	now := timestamppb.Now()
	kinds := []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL}
	for i := range n {
		id := fmt.Sprintf("O%07d", i)
		kind := kinds[r.IntN(len(kinds))]
		if r.IntN(10) < 3 {
			kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
		}
		var desc []string
		var own, ownLabels []string
		for j := range compsPerOrg {
			t := pick()
			own = append(own, t.ID)
			ownLabels = append(ownLabels, t.Label)
			if j < 3 {
				desc = append(desc, t.Label, firstWords(t.Definition, 12))
			}
			cid := fmt.Sprintf("%s-C%d", id, j)
			ev := &competenciesv1.Evidence{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION, Reference: "10.1/" + cid}
			c.comps = append(c.comps, &eventsv1.CompetencyPublished{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: cid, AggregateVersion: 1,
				Competency: &competenciesv1.Competency{Id: cid, Holder: orgRef(id), TermId: t.ID, Level: competenciesv1.CompetencyLevel(1 + r.IntN(4)), Evidence: []*competenciesv1.Evidence{ev}}})
		}
		c.orgs = append(c.orgs, &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: 1,
			Organization: &profilesv1.Organization{Id: id, Kind: kind, Name: "Organisation " + id, CountryCode: nutsCodes[i%len(nutsCodes)][:2], NutsCode: nutsCodes[i%len(nutsCodes)],
				Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC, Description: strings.Join(desc, ". "),
				ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: fmt.Sprintf("CL%02d", i%20)}}}})
		if kind == profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY && r.IntN(10) == 0 {
			rid := id + "-R"
			need := []string{pick().ID, pick().ID, own[0]}
			c.coops = append(c.coops, &eventsv1.CooperationProfileUpserted{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: rid, AggregateVersion: 1,
				CooperationProfile: &competenciesv1.CooperationProfile{Id: rid, Holder: orgRef(id), Kind: competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST,
					Title: "Partner for " + ownLabels[0], Summary: desc[0], TermIds: need, Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED}})
			c.seekers = append(c.seekers, id)
			c.needs = append(c.needs, firstWords(desc[1], 4))
		}
		ownTerms = append(ownTerms, own)
	}
	// History: projects of 5 members on average, drawn mostly from near one
	// another (a community), so every organisation is in about 3.
	for j := range n * 3 / 5 {
		anchor := r.IntN(n)
		size := 3 + r.IntN(5)
		col := &domain.Collaboration{ID: fmt.Sprintf("P%07d", j), Kind: domain.CollabProject, Year: int32(2008 + r.IntN(16)), Programme: "H2020", Version: 1}
		var labels []string
		for k := range size {
			m := anchor
			if k > 0 {
				m = ((anchor+r.IntN(200)-100)%n + n) % n
				if r.IntN(10) == 0 {
					m = r.IntN(n)
				}
			}
			col.Members = append(col.Members, domain.CollabMember{OrgID: fmt.Sprintf("O%07d", m), Role: domain.RoleParticipant})
			if k < 2 {
				t := ownTerms[m][r.IntN(len(ownTerms[m]))]
				col.TermIDs = append(col.TermIDs, t)
				if tt, ok := v.Term(t); ok {
					labels = append(labels, tt.Label)
				}
			}
		}
		col.Title = "Project on " + strings.Join(labels, " and ")
		c.collabs = append(c.collabs, col)
	}
	return c
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

func orgRef(id string) *profilesv1.ProfileRef {
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
}

func (c *corpus) changes() []domain.Change {
	var out []domain.Change
	for _, group := range [][]proto.Message{c.orgs, c.comps, c.coops} {
		for _, ev := range group {
			ch, _, _, err := adapters.ChangeOf(ev)
			if err != nil {
				panic(err)
			}
			out = append(out, ch)
		}
	}
	for _, col := range c.collabs {
		out = append(out, domain.Change{Key: domain.CollabKey(col.ID), Version: col.Version, Collab: col})
	}
	return out
}

var (
	benchOnce   sync.Once
	benchCorpus *corpus
	benchIndex  *domain.Index
	benchOnt    *adapters.Ontology
	benchHeap   uint64
)

func heapInUse() uint64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapAlloc
}

func loadBench(b *testing.B) (*corpus, *domain.Index) {
	b.Helper()
	benchOnce.Do(func() {
		v, err := vocab.Load()
		if err != nil {
			panic(err)
		}
		benchOnt = adapters.NewOntology(v)
		benchCorpus = generate(benchSize())
		changes := benchCorpus.changes()
		before := heapInUse()
		benchIndex = domain.NewIndex(benchOnt)
		benchIndex.Apply(changes...)
		benchHeap = heapInUse() - before
	})
	return benchCorpus, benchIndex
}

// noop answers SuggestPartners with an empty response: the baseline for
// what gRPC, auth and the interceptors cost by themselves.
type noop struct {
	matchingv1.UnimplementedMatchingServiceServer
}

func (noop) SuggestPartners(context.Context, *matchingv1.SuggestPartnersRequest) (*matchingv1.SuggestPartnersResponse, error) {
	return &matchingv1.SuggestPartnersResponse{}, nil
}

func serve(b *testing.B, impl matchingv1.MatchingServiceServer, a *auth.Verifier) matchingv1.MatchingServiceClient {
	b.Helper()
	srv, _ := grpcserver.New(grpcserver.Options{Log: slog.New(slog.DiscardHandler), Auth: a})
	return listen(b, srv, impl)
}

// listen serves impl on srv over TCP and returns a client of it.
func listen(b *testing.B, srv *grpc.Server, impl matchingv1.MatchingServiceServer) matchingv1.MatchingServiceClient {
	b.Helper()
	matchingv1.RegisterMatchingServiceServer(srv, impl)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return matchingv1.NewMatchingServiceClient(conn)
}

// firstNeeds is up to 20,000 distinct questions with a need: the k-th
// pairs seeker k mod S with need text (k mod S + 1 + k/S) mod U, S seekers
// and U distinct texts, leaving out each seeker's own need (the warm runs
// ask those; many seekers share a text). Asked in turn, they are more than
// the service keeps answers with a need (app.DefaultKeptAnswers/4), so
// each ask is a first ask.
func firstNeeds(c *corpus, filter *matchingv1.SuggestionFilter) []*matchingv1.SuggestPartnersRequest {
	texts := slices.Compact(slices.Sorted(slices.Values(c.needs)))
	n, u := len(c.seekers), len(texts)
	var out []*matchingv1.SuggestPartnersRequest
	for k := 0; k < n*u && len(out) < 20000; k++ {
		s, text := k%n, texts[(k%n+1+k/n)%u]
		if text == c.needs[s] {
			continue
		}
		out = append(out, &matchingv1.SuggestPartnersRequest{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: c.seekers[s]}},
			Need: &matchingv1.Need{Text: text}, Filter: filter})
	}
	return out
}

// skipFewNeeds skips b when the corpus gives too few distinct questions
// with a need for every ask to be a first ask.
func skipFewNeeds(b *testing.B, reqs []*matchingv1.SuggestPartnersRequest) {
	if len(reqs) <= app.DefaultKeptAnswers/4 {
		b.Skipf("%d distinct questions with a need, no more than the service keeps: too few organisations (MATCHING_BENCH_ORGS) for first asks", len(reqs))
	}
}

// BenchmarkSuggestPartnersGRPC measures SuggestPartners over gRPC on the
// generated corpus against a no-op handler behind the same server stack,
// in the same run. Metrics: p50/p99 latency in ms, QPS, and the ratio of
// QPS to the no-op handler's.
func BenchmarkSuggestPartnersGRPC(b *testing.B) {
	c, x := loadBench(b)
	a := authtest.Default().Verifier
	tok := authtest.Token(b, auth.Principal{Subject: "bench", Roles: []auth.Role{auth.RoleAdmin}})
	creds := grpc.PerRPCCredentials(auth.BearerToken(tok))
	svc := app.New(x, benchOnt, app.Stores{}, slog.New(slog.DiscardHandler), nil)
	// Distinct questions with a need, asked in turn, are scored every time:
	// more of them than the service keeps answers with a need, so none is
	// still kept when asked again. The kept answers are measured apart, in
	// the warm run below.
	reqs := firstNeeds(c, &matchingv1.SuggestionFilter{Kinds: []profilesv1.OrganizationKind{
		profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL}})
	skipFewNeeds(b, reqs)
	run := func(b *testing.B, client matchingv1.MatchingServiceClient) (p50, p99, qps float64) {
		var mu sync.Mutex
		var lat []time.Duration
		var next int64
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				if _, err := client.SuggestPartners(context.Background(), reqs[int(i)%len(reqs)], creds); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(lat)
		if len(lat) == 0 {
			return 0, 0, 0
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		return ms(lat[len(lat)/2]), ms(lat[min(len(lat)-1, len(lat)*99/100)]), float64(len(lat)) / elapsed.Seconds()
	}
	var noopQPS float64
	b.Run("noop", func(b *testing.B) {
		p50, p99, qps := run(b, serve(b, noop{}, a))
		noopQPS = qps
		b.ReportMetric(p50, "p50-ms")
		b.ReportMetric(p99, "p99-ms")
		b.ReportMetric(qps, "qps")
	})
	// On a shared machine the load changes between the two runs above, which
	// moves their ratio more than any change to SuggestPartners does. This
	// one alternates the two handlers in short rounds, two clients each, so
	// both see the same load, and reports the ratio of their throughputs.
	noopC, suggestC := serve(b, noop{}, a), serve(b, ports.NewGRPC(svc), a)
	interleaved := func(b *testing.B, reqs []*matchingv1.SuggestPartnersRequest) {
		const round = 20
		var spent [2]time.Duration
		var done [2]int
		var lat []time.Duration
		next := 0
		b.ResetTimer()
		for n := 0; n < b.N; n += round {
			for k, client := range []matchingv1.MatchingServiceClient{noopC, suggestC} {
				var wg sync.WaitGroup
				var mu sync.Mutex
				t0 := time.Now()
				for g := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := g; j < round; j += 2 {
							r0 := time.Now()
							if _, err := client.SuggestPartners(context.Background(), reqs[(next+j)%len(reqs)], creds); err != nil {
								b.Error(err)
								return
							}
							if k == 1 {
								mu.Lock()
								lat = append(lat, time.Since(r0))
								mu.Unlock()
							}
						}
					}()
				}
				wg.Wait()
				spent[k] += time.Since(t0)
				done[k] += round
			}
			next += round
		}
		b.StopTimer()
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		noop, suggest := float64(done[0])/spent[0].Seconds(), float64(done[1])/spent[1].Seconds()
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
		b.ReportMetric(suggest, "qps")
		b.ReportMetric(noop, "noop-qps")
		b.ReportMetric(suggest/noop, "x-noop-qps")
	}
	b.Run("interleaved", func(b *testing.B) { interleaved(b, reqs) })
	// The common query: an organisation's suggestions without a need, asked
	// again on every visit and answered from the kept answers until an
	// event changes the index.
	b.Run("interleaved-warm-no-need", func(b *testing.B) {
		warm := make([]*matchingv1.SuggestPartnersRequest, min(64, len(c.seekers)))
		for i := range warm {
			warm[i] = &matchingv1.SuggestPartnersRequest{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: c.seekers[i]}},
				Filter: reqs[i].GetFilter()}
			if _, err := suggestC.SuggestPartners(context.Background(), warm[i], creds); err != nil {
				b.Fatal(err)
			}
		}
		interleaved(b, warm)
	})
	b.Run(fmt.Sprintf("suggest-%dorgs-%dcomps", len(c.orgs), len(c.comps)), func(b *testing.B) {
		p50, p99, qps := run(b, serve(b, ports.NewGRPC(svc), a))
		b.ReportMetric(p50, "p50-ms")
		b.ReportMetric(p99, "p99-ms")
		b.ReportMetric(qps, "qps")
		if noopQPS > 0 {
			b.ReportMetric(qps/noopQPS, "x-noop-qps")
		}
	})
}

// BenchmarkMemoryPerProfile reports the index's heap per organisation (with
// its 10 competencies) on the generated corpus.
func BenchmarkMemoryPerProfile(b *testing.B) {
	c, _ := loadBench(b)
	for b.Loop() {
	}
	b.ReportMetric(float64(benchHeap)/float64(len(c.orgs)), "B/org")
	b.ReportMetric(float64(benchHeap)/float64(len(c.comps)), "B/competency")
}

// BenchmarkIndexRebuild measures a replica's start: reading the projection
// from Redis and building the in-memory index, for a corpus of 5,000
// organisations and 50,000 competencies.
func BenchmarkIndexRebuild(b *testing.B) {
	c := generate(5000)
	rc, prefix := testenv.Redis(b)
	key := func(parts ...string) string { return strings.Join(append([]string{prefix}, parts...), ":") }
	ctx := context.Background()
	pipe := rc.Pipeline()
	n := 0
	for _, group := range [][]proto.Message{c.orgs, c.comps, c.coops} {
		for _, ev := range group {
			ch, _, _, err := adapters.ChangeOf(ev)
			if err != nil {
				b.Fatal(err)
			}
			a, _ := anypb.New(ev)
			data, _ := proto.Marshal(a)
			pipe.HSet(ctx, key("matching", "aggregates"), ch.Key, data)
			pipe.HSet(ctx, key("matching", "versions"), ch.Key, ch.Version)
			if n++; n%5000 == 0 {
				if _, err := pipe.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	v, _ := vocab.Load()
	ont := adapters.NewOntology(v)
	proj := adapters.NewProjection(rc, key)
	for b.Loop() {
		changes, _, err := proj.Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		x := domain.NewIndex(ont)
		x.Apply(changes...)
		if o, _, _, _ := x.Counts(); o != len(c.orgs) {
			b.Fatalf("rebuilt %d organisations, want %d", o, len(c.orgs))
		}
	}
	b.ReportMetric(float64(len(c.orgs)), "orgs")
	b.ReportMetric(float64(len(c.comps)), "competencies")
}

// BenchmarkFreshness measures, through NATS, Redis and gRPC, the time from
// publishing a competency to the first SuggestPartners answer that shows
// it; it reports the p50 and p99 in ms.
func BenchmarkFreshness(b *testing.B) {
	e := newBenchEnv(b)
	c := e.start()
	e.org("SEEK", "Seeker Co", company, public, 1)
	e.request("REQ", "SEEK", "Need RNA-Seq", rnaSeq)
	orgs := make([]string, b.N+1)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("F%06d", i)
		e.org(orgs[i], "Fresh lab "+orgs[i], institute, public, 1)
	}
	// Warm up: the consumers have caught up once the first one shows.
	e.comp("FC-warm", orgs[len(orgs)-1], rnaSeq, 1)
	req := suggestReq("SEEK")
	req.Filter = &matchingv1.SuggestionFilter{CandidateIds: []string{orgs[len(orgs)-1]}}
	e.suggestUntil(c, req, e.as("SEEK"), "warm-up visible", contains(orgs[len(orgs)-1]))
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Filter.CandidateIds = []string{orgs[i]}
		t0 := time.Now()
		e.comp(fmt.Sprintf("FC%06d", i), orgs[i], rnaSeq, 1)
		for {
			res, err := c.SuggestPartners(e.ctx, req, e.as("SEEK"))
			if err != nil {
				b.Fatal(err)
			}
			if len(res.GetSuggestions()) == 1 {
				break
			}
			if e.ctx.Err() != nil {
				b.Fatal("competency never became visible")
			}
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
}

// BenchmarkSuggestIndex measures SuggestPartners on the read model alone,
// without gRPC, on the generated corpus: what a profile of the scoring
// should look at.
func BenchmarkSuggestIndex(b *testing.B) {
	c, x := loadBench(b)
	research := []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
		profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL}
	qs := make([]domain.Query, len(c.seekers))
	for i, s := range c.seekers {
		qs[i] = domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: s}, Need: domain.Need{Text: c.needs[i]},
			Filter: domain.Filter{Kinds: research}, Viewer: domain.Viewer{Subject: "bench"}}
	}
	// Every query scored: the kept answers are off (see the warm run of
	// BenchmarkSuggestPartnersGRPC for them).
	x.KeepAnswers(false)
	b.Cleanup(func() { x.KeepAnswers(true) })
	// The first query after a load builds the flat posting lists.
	if _, err := x.Suggest(qs[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := x.Suggest(qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
