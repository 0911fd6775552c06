package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/app"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

var ontology = sync.OnceValue(func() *adapters.Ontology {
	v, err := vocab.Load()
	if err != nil {
		panic(err)
	}
	return adapters.NewOntology(v)
})

// world generates a random corpus and random events on it, dense in near
// terms so that events move candidates in and out of answers.
type world struct {
	r     *rand.Rand
	ont   *adapters.Ontology
	terms []string
	n     int
	ver   map[string]int64
	seq   int
}

var kinds = []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY,
	profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY}

func newWorld(seed uint64, n int) *world {
	w := &world{r: rand.New(rand.NewPCG(seed, 17)), ont: ontology(), n: n, ver: map[string]int64{}}
	for _, root := range []string{"EDAM:topic_3170", "EDAM:topic_0121", "EDAM:topic_0622", "EDAM:operation_2945", "MESH:D008099"} {
		for _, e := range w.ont.Expand(root) {
			w.terms = append(w.terms, e.TermID)
		}
	}
	return w
}

func (w *world) term() string { f := w.r.Float64(); return w.terms[int(f*f*float64(len(w.terms)))] }

func (w *world) orgID(i int) string { return fmt.Sprintf("R%04d", i) }

func (w *world) next(key string) int64 { w.ver[key]++; return w.ver[key] }

func (w *world) org(id string, vis profilesv1.Visibility) domain.Change {
	key := domain.OrgKey(id)
	v := w.next(key)
	nuts := []string{"ITH41", "ITC11", "DE111", "FR101", "SI042"}[w.r.IntN(5)]
	return domain.Change{Key: key, Version: v, Org: &domain.Org{ID: id, Name: "Lab " + id, Kind: kinds[w.r.IntN(len(kinds))], Visibility: vis,
		NUTS: nuts, Country: nuts[:2], Clusters: []string{fmt.Sprintf("CL%d", w.r.IntN(3))}, Version: v,
		Description: w.ont.Label(w.term()) + " and " + w.ont.Label(w.term())}}
}

func (w *world) comp(holder string) domain.Change {
	w.seq++
	id := fmt.Sprintf("%s-C%d", holder, w.seq)
	t := w.term()
	c := &domain.Competency{ID: id, Holder: domain.OrgRef(holder), TermID: t, Label: w.ont.Label(t), Level: competenciesv1.CompetencyLevel(1 + w.r.IntN(4)), Version: 1}
	c.Evidence[competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION] = int32(w.r.IntN(3))
	return domain.Change{Key: domain.CompKey(id), Version: w.next(domain.CompKey(id)), Comp: c}
}

func (w *world) coop(holder string) domain.Change {
	w.seq++
	id := fmt.Sprintf("%s-P%d", holder, w.seq)
	kind := competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST
	if w.r.IntN(2) == 0 {
		kind = competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER
	}
	return domain.Change{Key: domain.CoopKey(id), Version: w.next(domain.CoopKey(id)), Coop: &domain.Coop{ID: id, Holder: domain.OrgRef(holder), Kind: kind,
		Title: "About " + w.ont.Label(w.term()), TermIDs: []string{w.term(), w.term()}, Status: competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED, Version: 1}}
}

func (w *world) collab() domain.Change {
	w.seq++
	id := fmt.Sprintf("P%05d", w.seq)
	c := &domain.Collaboration{ID: id, Kind: domain.CollabProject, Year: int32(2010 + w.r.IntN(14)), Programme: "H2020", Version: 1, TermIDs: []string{w.term()}, Title: "Project " + id}
	for range 2 + w.r.IntN(3) {
		c.Members = append(c.Members, domain.CollabMember{OrgID: w.orgID(w.r.IntN(w.n)), Role: domain.RoleParticipant})
	}
	return domain.Change{Key: domain.CollabKey(id), Version: w.next(domain.CollabKey(id)), Collab: c}
}

func (w *world) initial() []domain.Change {
	var out []domain.Change
	for i := range w.n {
		out = append(out, w.org(w.orgID(i), profilesv1.Visibility_VISIBILITY_PUBLIC))
		for range w.r.IntN(5) {
			out = append(out, w.comp(w.orgID(i)))
		}
		if w.r.IntN(6) == 0 {
			out = append(out, w.coop(w.orgID(i)))
		}
	}
	for range w.n / 2 {
		out = append(out, w.collab())
	}
	return out
}

// event is one random change of the kinds that move suggestions: a
// competency, a cooperation profile, a collaboration, a profile edit, a
// profile hidden to other clusters, an organisation erased.
func (w *world) event() domain.Change {
	id := w.orgID(w.r.IntN(w.n))
	switch w.r.IntN(8) {
	case 0, 1, 2:
		return w.comp(id)
	case 3:
		return w.coop(id)
	case 4:
		return w.collab()
	case 5:
		return w.org(id, profilesv1.Visibility_VISIBILITY_PUBLIC)
	case 6:
		return w.org(id, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS)
	}
	key := domain.OrgKey(id)
	return domain.Change{Key: key, Version: w.next(key), Removed: true}
}

// query is a random question as members ask it: a third with a typed
// need (a term's label as text, or chosen terms), the rest without.
func (w *world) query() domain.Query {
	seeker := w.orgID(w.r.IntN(w.n))
	q := domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: seeker}, Limit: 1 + w.r.IntN(20),
		Diversity: matchingv1.Diversity(w.r.IntN(4)), Viewer: domain.Viewer{Org: seeker, Clusters: []string{fmt.Sprintf("CL%d", w.r.IntN(3))}}}
	switch w.r.IntN(3) {
	case 0:
		q.Filter.Kinds = kinds[1:3]
	case 1:
		q.Filter.NUTSPrefixes = []string{"IT"}
	}
	switch w.r.IntN(6) {
	case 0:
		q.Need.Text = strings.ToLower(w.ont.Label(w.term()))
	case 1:
		q.Need.Terms = []string{w.term()}
	}
	return q
}

// keptWorld is a random corpus of n organisations in an index that keeps
// no answers of its own (every reference answer is scored), its kept
// answers, and nq random questions.
func keptWorld(seed uint64, n, nq int) (*world, *domain.Index, *app.Kept, []domain.Query) {
	w := newWorld(seed, n)
	x := domain.NewIndex(w.ont)
	x.KeepAnswers(false)
	x.Apply(w.initial()...)
	var qs []domain.Query
	for range nq {
		qs = append(qs, w.query())
	}
	return w, x, app.NewKept(x, 1000, time.Hour), qs
}

// sameAnswer fails t unless the kept answer to q is the scorer's answer
// computed now, or both refuse.
func sameAnswer(t *testing.T, x *domain.Index, k *app.Kept, q domain.Query, what string) {
	t.Helper()
	got, gerr := k.Suggest(q)
	want, werr := x.Suggest(q)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s: kept answer error %v, scorer %v", what, gerr, werr)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("%s (%+v): kept answer differs from the scorer's\nkept:   %v\nscorer: %v", what, q, got, want)
	}
}

// TestKeptAnswersMatchScorerAfterEvents applies random sequences of events
// (competencies, cooperation profiles, collaborations, profile edits and
// visibility, erasures) and checks after each that every kept answer is
// the scorer's answer computed afresh (which TestFastPathMatchesExhaustive
// pins to the exhaustive scorer): answered again after a refresh, served
// without scoring; answered again without one, scored once more. An answer
// asked only once after it was computed is not refreshed (its next ask
// scores it), so each question is asked twice.
func TestKeptAnswersMatchScorerAfterEvents(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			w, x, k, qs := keptWorld(seed, 300, 30)
			// More refresh workers than answers in some rounds, fewer in
			// others: they share the answers to compute again.
			k.SetRefreshWorkers(1 + int(seed)*3)
			// Asked twice: an answer served again is one the refresh keeps
			// fresh.
			ask := func(q domain.Query, what string) {
				sameAnswer(t, x, k, q, what)
				sameAnswer(t, x, k, q, what+", again")
			}
			for i, q := range qs {
				ask(q, fmt.Sprint("first ask ", i))
			}
			ctx := context.Background()
			for round := range 30 {
				batch := make([]domain.Change, 1+w.r.IntN(4))
				for j := range batch {
					batch[j] = w.event()
				}
				x.Apply(batch...)
				refreshed := round%3 != 2
				if refreshed {
					epoch, _, err := k.Refresh(ctx)
					if err != nil || epoch != x.Epoch() {
						t.Fatalf("round %d: refresh ended at epoch %d (index at %d): %v", round, epoch, x.Epoch(), err)
					}
					if n := k.Stale(); n > 0 {
						t.Fatalf("round %d: after a refresh %d answers served again are stale", round, n)
					}
				}
				before := k.Computed()
				for i, q := range qs {
					ask(q, fmt.Sprintf("round %d query %d", round, i))
				}
				if refreshed && k.Computed() != before {
					t.Fatalf("round %d: %d answers scored on asking after a refresh", round, k.Computed()-before)
				}
				if !refreshed && k.Computed() == before {
					t.Fatalf("round %d: no answer scored again after the index changed", round)
				}
				// New questions join the hot ones.
				qs = append(qs, w.query())
				ask(qs[len(qs)-1], fmt.Sprintf("round %d new query", round))
			}
		})
	}
}

// TestKeptAnswersUnderConcurrentEvents asks, applies events and refreshes
// at once (for the race detector), then checks every kept answer against
// the scorer once the index is still.
func TestKeptAnswersUnderConcurrentEvents(t *testing.T) {
	t.Parallel()
	w, x, k, qs := keptWorld(9, 300, 30)
	var events [][]domain.Change
	for range 60 {
		events = append(events, []domain.Change{w.event(), w.event()})
	}
	ctx, cancel := context.WithCancel(context.Background())
	refresher := make(chan error, 1)
	go func() { refresher <- k.Run(ctx) }()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				_, _ = k.Suggest(qs[(g*7+i)%len(qs)])
			}
		}()
	}
	for _, ev := range events {
		x.Apply(ev...)
	}
	wg.Wait()
	cancel()
	if err := <-refresher; err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := k.Stale(); n > 0 {
		t.Fatalf("%d answers served again stale after a refresh", n)
	}
	for i, q := range qs {
		sameAnswer(t, x, k, q, fmt.Sprint("query ", i))
	}
}

// A member's question goes through the kept answers, with a need or
// without; the members of one organisation share them.
func TestSuggestKeepsAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(4, 200)
	x := domain.NewIndex(w.ont)
	x.KeepAnswers(false)
	x.Apply(w.initial()...)
	svc := app.New(x, w.ont, app.Stores{}, nil, nil)
	ask := func(subject string, need *matchingv1.Need) *matchingv1.SuggestPartnersResponse {
		t.Helper()
		ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: subject, Organization: "R0001", Roles: []auth.Role{auth.RoleMember}})
		res, err := svc.Suggest(ctx, &matchingv1.SuggestPartnersRequest{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "R0001"}}, Need: need})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := ask("alice", nil)
	if len(first.GetSuggestions()) == 0 {
		t.Fatal("no suggestions: the test checks nothing")
	}
	before := svc.Kept.Computed()
	if again := ask("bob", nil); again != first || svc.Kept.Computed() != before {
		t.Fatal("another member of the organisation did not get the kept answer")
	}
	need := &matchingv1.Need{Text: "proteomics"}
	withNeed := ask("alice", need)
	if svc.Kept.Computed() != before+1 {
		t.Fatal("a question with a need was not scored once")
	}
	if again := ask("bob", need); again != withNeed || svc.Kept.Computed() != before+1 {
		t.Fatal("another member of the organisation did not get the kept answer to the need")
	}
	if other := ask("bob", &matchingv1.Need{Text: "genome assembly"}); other == withNeed || svc.Kept.Computed() != before+2 {
		t.Fatal("another need was answered from the first need's kept answer")
	}
	x.Apply(w.event())
	if _, _, err := svc.Kept.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Served again after it was computed: the answer without a need and
	// the first need's; the second need was asked once.
	if n := svc.Kept.Computed() + svc.Kept.Held() - before - 2; n != 2 {
		t.Fatalf("the refresh after an event brought %d answers up to date, want the 2 served again", n)
	}
}

// TestEventsMoveUntouchedAnswers pins why an answer is kept across an
// event only by Holds, which reads the statistics' snapshot, never because
// the event left its candidates in place: scoring reads corpus-wide
// statistics, and once they are taken again (after any change to the
// history or to who the candidates are, or a hundredth of the documents)
// the scores of answers whose candidates stayed put move too.
func TestEventsMoveUntouchedAnswers(t *testing.T) {
	t.Parallel()
	w, x, _, qs := keptWorld(5, 300, 50)
	prev := make([]*matchingv1.SuggestPartnersResponse, len(qs))
	for i, q := range qs {
		prev[i], _ = x.Suggest(q)
	}
	total, moved, listed := 0, 0, 0
	for range 40 {
		x.Apply(w.event())
		for i, q := range qs {
			res, err := x.Suggest(q)
			if err != nil || prev[i] == nil {
				prev[i] = res
				continue
			}
			total++
			if !proto.Equal(res, prev[i]) {
				moved++
				if slices.Equal(candidates(res), candidates(prev[i])) {
					listed++
				}
			}
			prev[i] = res
		}
	}
	t.Logf("of %d answers after an event, %d changed, %d of them with the same candidates in the same order", total, moved, listed)
	if listed == 0 {
		t.Fatal("no event changed an answer without changing its candidates")
	}
}

func candidates(res *matchingv1.SuggestPartnersResponse) []string {
	var out []string
	for _, sg := range res.GetSuggestions() {
		out = append(out, sg.GetCandidate().GetRef().GetOrganizationId())
	}
	return out
}
