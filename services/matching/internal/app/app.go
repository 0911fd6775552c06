// Package app holds the matching service's use cases: suggest, explain,
// feedback, saved searches and their matches.
package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// DefaultMinScore is the score a new match must reach to be pushed when the
// saved search sets none.
const DefaultMinScore = 0.1

// EventStore keeps aggregates as their latest event (eventkv.Store).
type EventStore interface {
	Create(ctx context.Context, key string, ev proto.Message) (uint64, error)
	Erase(ctx context.Context, key string, erasedEv proto.Message, lastRev uint64) (uint64, error)
	Get(ctx context.Context, key string) (proto.Message, uint64, error)
}

// Claims remembers which resource a client request created (eventkv.Claims).
type Claims interface {
	Claim(ctx context.Context, key, value string) (winner string, created bool, err error)
}

// MatchFeed carries the matches found to watchers (adapters.Matches).
type MatchFeed interface {
	// Publish publishes a match once for good.
	Publish(ctx context.Context, ev *eventsv1.MatchFound) error
	// Follow delivers the matches found from now on, or after the match
	// afterID, until ctx ends or stop; stop returns why the follow had
	// ended by itself.
	Follow(ctx context.Context, afterID string) (matches <-chan *eventsv1.MatchFound, stop func() error, err error)
}

// Stores are the service's own stores.
type Stores struct {
	Feedback, Searches EventStore
	Claims             Claims
	Matches            MatchFeed
}

// Service implements the use cases over the read model and the stores.
type Service struct {
	Index    *domain.Index
	Ont      domain.Ontology
	Book     *domain.FeedbackBook
	Feedback EventStore
	Searches EventStore
	Claims   Claims
	Matches  MatchFeed
	Log      *slog.Logger
	Stopping <-chan struct{}

	mu       sync.RWMutex
	searches map[string]*matchingv1.SavedSearch
	// commented are the stored feedback with a comment, by id, with the
	// profiles they concern, so an erasure finds the comments to remove.
	commented map[string][]string
	// sealer makes the opaque references of anonymous candidates.
	sealer *sealer
	// Kept keeps the answers to queries without a typed need (kept.go).
	Kept *Kept
}

// New returns the service.
func New(index *domain.Index, ont domain.Ontology, stores Stores, log *slog.Logger, stopping <-chan struct{}) *Service {
	return &Service{Index: index, Ont: ont, Book: domain.NewFeedbackBook(), Feedback: stores.Feedback, Searches: stores.Searches,
		Claims: stores.Claims, Matches: stores.Matches, Log: log, Stopping: stopping, searches: map[string]*matchingv1.SavedSearch{}, commented: map[string][]string{},
		Kept: NewKept(index, DefaultKeptAnswers, DefaultHotFor)}
}

// ApplyStored feeds the feedback book and the saved searches from the
// JetStream stores.
func (s *Service) ApplyStored(ev proto.Message) {
	switch e := ev.(type) {
	case *eventsv1.FeedbackRecorded:
		s.Book.Apply(e.GetFeedback())
		s.mu.Lock()
		if e.GetFeedback().GetComment() == "" {
			delete(s.commented, e.GetAggregateId())
		} else {
			s.commented[e.GetAggregateId()] = s.concerned(e.GetFeedback())
		}
		s.mu.Unlock()
	case *eventsv1.SavedSearchSaved:
		s.mu.Lock()
		s.searches[e.GetAggregateId()] = e.GetSavedSearch()
		s.mu.Unlock()
	}
}

func viewerOf(p auth.Principal) domain.Viewer {
	return domain.Viewer{Subject: p.Subject, Org: p.Organization, Clusters: p.Clusters, Admin: p.Has(auth.RoleAdmin)}
}

// authorizeSeeker applies the rule profiles applies to changes: a caller
// acts for their own organization (its people and cooperation profiles), a
// cluster manager for the members of the clusters they manage, an admin for
// anyone. An unknown seeker outside the caller's own organization is refused
// the same way as one of another cluster, so refusals tell nothing apart.
func (s *Service) authorizeSeeker(p auth.Principal, sk domain.Seeker) error {
	org := seekerOrg(s.Index, sk)
	if sk.Kind == domain.SeekOrg {
		org = sk.ID
	}
	clusters, _ := s.Index.OrgClusters(org)
	if p.ActsFor(org, clusters) {
		return nil
	}
	return fmt.Errorf("%w: %s may seek partners only for their own organization or the members of clusters they manage", grpcerr.ErrPermission, p.Subject)
}

// authorizeEvent authorizes seeking for sk, restricted to a brokerage event
// when eventID is set. In-event suggestions ("who should I meet here") are
// kept to the event's participants and organizers, as who attends is theirs
// to see; an event's organizers may seek for anyone in it, to broker
// meetings for participants.
func (s *Service) authorizeEvent(p auth.Principal, eventID string, sk domain.Seeker) error {
	if eventID == "" || !s.Index.Organizes(eventID, p.Subject) {
		if err := s.authorizeSeeker(p, sk); err != nil {
			return err
		}
	}
	if eventID == "" {
		return nil
	}
	return s.Index.EventAccess(eventID, sk, p.Subject, p.Has(auth.RoleAdmin))
}

// Suggest answers SuggestPartners.
func (s *Service) Suggest(ctx context.Context, r *matchingv1.SuggestPartnersRequest) (*matchingv1.SuggestPartnersResponse, error) {
	res, _, err := s.SuggestWire(ctx, r)
	return res, err
}

// SuggestWire answers SuggestPartners from the kept answers, with its wire
// encoding, made once per kept answer.
func (s *Service) SuggestWire(ctx context.Context, r *matchingv1.SuggestPartnersRequest) (*matchingv1.SuggestPartnersResponse, []byte, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	q, err := domain.ParseSuggest(r, s.Ont)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorizeEvent(p, q.Filter.EventID, q.Seeker); err != nil {
		return nil, nil, err
	}
	org := seekerOrg(s.Index, q.Seeker)
	q.Filter.CandidateIDs = s.openIDs(p, org, q.Filter.CandidateIDs)
	q.Filter.ExcludeIDs = s.openIDs(p, org, q.Filter.ExcludeIDs)
	q.Viewer = viewerOf(p)
	s.Book.For(&q)
	seal := func(res *matchingv1.SuggestPartnersResponse) *matchingv1.SuggestPartnersResponse {
		return s.sealAnswer(org, res)
	}
	// Visibility goes by the viewer's organisation, clusters and role: the
	// members of an organisation share its kept answers.
	q.Viewer.Subject = ""
	v, err := s.Kept.answer(q)
	if err != nil {
		return nil, nil, err
	}
	sa, err := v.servedAs(seal)
	if err != nil {
		return nil, nil, err
	}
	return sa.res, sa.wire, nil
}

// sealAnswer seals the anonymous candidates of res for org. The index may
// answer the same query again with res: it is copied, never changed, where
// an anonymous candidate is sealed.
func (s *Service) sealAnswer(org string, res *matchingv1.SuggestPartnersResponse) *matchingv1.SuggestPartnersResponse {
	out := res
	for i, sg := range res.GetSuggestions() {
		if sealed := s.sealFor(org, sg); sealed != sg {
			if out == res {
				out = proto.CloneOf(res)
			}
			out.Suggestions[i] = sealed
		}
	}
	return out
}

// Explain answers ExplainMatch.
func (s *Service) Explain(ctx context.Context, r *matchingv1.ExplainMatchRequest) (*matchingv1.ExplainMatchResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, cand, err := domain.ParseExplain(r, s.Ont)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSeeker(p, q.Seeker); err != nil {
		return nil, err
	}
	org := seekerOrg(s.Index, q.Seeker)
	if cand, err = s.openRef(p, org, cand); err != nil {
		return nil, err
	}
	q.Viewer = viewerOf(p)
	s.Book.For(&q)
	res, err := s.Index.Explain(q, cand)
	if err != nil {
		return nil, err
	}
	res.Suggestion = s.sealFor(org, res.GetSuggestion())
	return res, nil
}

// SavedPartners answers ListSavedPartners: the seeker's saved candidates
// that the caller may still see, each explained. A candidate hidden or
// erased since it was saved is left out, as SuggestPartners would.
func (s *Service) SavedPartners(ctx context.Context, r *matchingv1.ListSavedPartnersRequest) (*matchingv1.ListSavedPartnersResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, err := domain.ParseSavedPartners(r)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSeeker(p, q.Seeker); err != nil {
		return nil, err
	}
	q.Viewer = viewerOf(p)
	s.Book.For(&q)
	res := &matchingv1.ListSavedPartnersResponse{}
	for _, c := range s.Book.Saved(q.Seeker) {
		ex, err := s.Index.Explain(q, c.Ref)
		if errors.Is(err, grpcerr.ErrNotFound) {
			continue // hidden from the caller or erased since it was saved
		}
		if err != nil {
			return nil, err
		}
		res.SavedPartners = append(res.SavedPartners, &matchingv1.SavedPartner{Suggestion: ex.GetSuggestion(), SavedAt: timestamppb.New(c.SavedAt)})
	}
	return res, nil
}

// RecordFeedback stores feedback durably (FeedbackRecorded on
// TANDEM_MATCHING) and applies it at once, so this replica's next
// suggestions honour it.
func (s *Service) RecordFeedback(ctx context.Context, r *matchingv1.RecordFeedbackRequest) (*matchingv1.RecordFeedbackResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	sk, cand, err := domain.ParseFeedback(r)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSeeker(p, sk); err != nil {
		return nil, err
	}
	org := seekerOrg(s.Index, sk)
	asked := r.GetFeedback().GetCandidate()
	if cand, err = s.openRef(p, org, cand); err != nil {
		return nil, err
	}
	// The caller gets the candidate back as they named it.
	answer := func(f *matchingv1.Feedback) *matchingv1.RecordFeedbackResponse {
		f = proto.CloneOf(f)
		f.Candidate = asked
		return &matchingv1.RecordFeedbackResponse{Feedback: f}
	}
	// Feedback is from a seeker the read model knows, about a profile the
	// seeker could be shown: an unknown or hidden candidate would plant
	// partner edges no suggestion ever had.
	if _, ok := s.Index.OrgClusters(seekerOrg(s.Index, sk)); !ok {
		return nil, fmt.Errorf("seeker %s: %w", sk.ID, grpcerr.ErrNotFound)
	}
	if !s.Index.Sees(viewerOf(p), cand) {
		return nil, fmt.Errorf("candidate %s: %w", cand.ID, grpcerr.ErrNotFound)
	}
	id := ulid.Make().String()
	if crid := r.GetClientRequestId(); crid != "" {
		winner, created, err := s.Claims.Claim(ctx, "feedback:"+p.Subject+":"+crid, id)
		if err != nil {
			return nil, err
		}
		if !created {
			ev, _, err := s.Feedback.Get(ctx, winner)
			if err != nil {
				return nil, fmt.Errorf("feedback of an earlier request: %w", err)
			}
			return answer(ev.(*eventsv1.FeedbackRecorded).GetFeedback()), nil
		}
	}
	now := timestamppb.Now()
	f := proto.CloneOf(r.GetFeedback())
	f.Id, f.RecordedBy, f.CreatedAt = id, p.Subject, now
	// Stored with the candidate's id, which the feedback book and erasure
	// go by.
	f.Candidate = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: cand.ID}}
	if cand.Kind == domain.KindPerson {
		f.Candidate = &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: cand.ID}}
	}
	ev := &eventsv1.FeedbackRecorded{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: 1, ActorSubject: p.Subject, Feedback: f}
	if _, err := s.Feedback.Create(ctx, id, ev); err != nil {
		return nil, err
	}
	s.Book.Apply(f)
	return answer(f), nil
}

// RecordEventFeedback stores feedback another service's event implies
// (adapters.FeedbackOf) as RecordFeedback stores a user's, under the
// feedback's own id: a redelivered event finds it stored and changes
// nothing.
func (s *Service) RecordEventFeedback(ctx context.Context, f *matchingv1.Feedback) error {
	ev := &eventsv1.FeedbackRecorded{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: f.GetId(), AggregateVersion: 1,
		ActorSubject: f.GetRecordedBy(), Feedback: f}
	if _, err := s.Feedback.Create(ctx, f.GetId(), ev); err != nil && !errors.Is(err, grpcerr.ErrAlreadyExists) {
		return err
	}
	s.Book.Apply(f)
	return nil
}

// saveSearch stores a new saved search for p.
func (s *Service) saveSearch(ctx context.Context, p auth.Principal, in *matchingv1.SavedSearch, crid string) (*matchingv1.SavedSearch, error) {
	sk, err := domain.ParseSeeker(in.GetSeeker(), "saved_search.seeker")
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEvent(p, in.GetFilter().GetEventId(), sk); err != nil {
		return nil, err
	}
	id := ulid.Make().String()
	if crid != "" {
		winner, created, err := s.Claims.Claim(ctx, "saved_search:"+p.Subject+":"+crid, id)
		if err != nil {
			return nil, err
		}
		if !created {
			ev, _, err := s.Searches.Get(ctx, winner)
			if err != nil {
				return nil, fmt.Errorf("saved search of an earlier request: %w", err)
			}
			return ev.(*eventsv1.SavedSearchSaved).GetSavedSearch(), nil
		}
	}
	now := timestamppb.Now()
	ss := proto.CloneOf(in)
	ss.Id, ss.OwnerSubject, ss.Version, ss.CreatedAt, ss.UpdatedAt = id, p.Subject, 1, now, now
	ev := &eventsv1.SavedSearchSaved{EventId: ulid.Make().String(), OccurredAt: now, AggregateId: id, AggregateVersion: 1, ActorSubject: p.Subject, SavedSearch: ss}
	if _, err := s.Searches.Create(ctx, id, ev); err != nil {
		return nil, err
	}
	s.ApplyStored(ev)
	return ss, nil
}

// Watch streams the caller's saved searches and then their new matches
// until the client goes away or the server stops.
func (s *Service) Watch(ctx context.Context, r *matchingv1.WatchMatchesRequest, send func(*matchingv1.WatchMatchesResponse) error) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if err := domain.ParseWatch(r, s.Ont); err != nil {
		return err
	}
	var watched []*matchingv1.SavedSearch
	switch {
	case r.GetSavedSearch() != nil:
		ss, err := s.saveSearch(ctx, p, r.GetSavedSearch(), r.GetClientRequestId())
		if err != nil {
			return err
		}
		watched = append(watched, ss)
	case len(r.GetSavedSearchIds()) > 0:
		s.mu.RLock()
		for _, id := range r.GetSavedSearchIds() {
			ss := s.searches[id]
			if ss == nil || ss.GetOwnerSubject() != p.Subject {
				s.mu.RUnlock()
				return fmt.Errorf("saved search %s: %w", id, grpcerr.ErrNotFound)
			}
			watched = append(watched, ss)
		}
		s.mu.RUnlock()
	default:
		s.mu.RLock()
		for _, ss := range s.searches {
			if ss.GetOwnerSubject() == p.Subject {
				watched = append(watched, ss)
			}
		}
		s.mu.RUnlock()
		slices.SortFunc(watched, func(a, b *matchingv1.SavedSearch) int { return strings.Compare(a.GetId(), b.GetId()) })
	}
	ids := map[string]bool{}
	for _, ss := range watched {
		ids[ss.GetId()] = true
	}

	// The feed follows before the first message is sent, so a client that
	// saw its search misses no match found after that.
	matches, stop, err := s.Matches.Follow(ctx, r.GetResumeAfterMatchId())
	if err != nil {
		return err
	}
	defer func() { _ = stop() }()
	for _, ss := range watched {
		if err := send(&matchingv1.WatchMatchesResponse{Payload: &matchingv1.WatchMatchesResponse_SavedSearch{SavedSearch: ss}}); err != nil {
			return err
		}
	}
	sent := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.Stopping:
			return nil
		case mf, ok := <-matches:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("watch matches interrupted; resume after the last match received: %w", stop())
			}
			if mf.GetOwnerSubject() != p.Subject || !ids[mf.GetMatch().GetSavedSearchId()] || sent[mf.GetMatch().GetId()] {
				continue
			}
			// Another replica may have found the match before this one's
			// read model applied the change behind it: a candidate not
			// resolved yet is tried again for a while before it is taken
			// for gone, hidden or no longer a match.
			match, ok := s.resolveMatch(mf.GetMatch(), r.GetLanguageCode())
			for until := time.Now().Add(resolveWait); !ok && time.Now().Before(until); {
				select {
				case <-ctx.Done():
					return nil
				case <-s.Stopping:
					return nil
				case <-time.After(50 * time.Millisecond):
				}
				match, ok = s.resolveMatch(mf.GetMatch(), r.GetLanguageCode())
			}
			if !ok {
				continue
			}
			// The receiving side's check: a match id reaches a watcher once,
			// whatever reached the stream.
			sent[mf.GetMatch().GetId()] = true
			if err := send(&matchingv1.WatchMatchesResponse{Payload: &matchingv1.WatchMatchesResponse_Match{Match: match}}); err != nil {
				return err
			}
		}
	}
}

// resolveWait is how long a watch waits for this replica's read model to
// resolve a match's candidate.
const resolveWait = 5 * time.Second

// OnApplied looks for new matches of saved searches after a change to a
// profile, competency or cooperation profile, and publishes each as
// MatchFound. Its ids derive from the search, candidate and triggering
// event, so a redelivered event publishes nothing twice.
func (s *Service) OnApplied(ctx context.Context, c domain.Change, eventID string) error {
	if c.Removed || c.Purge || hidden(c) {
		return s.eraseComments(ctx, c)
	}
	var holder domain.Ref
	switch {
	case c.Comp != nil:
		holder = c.Comp.Holder
	case c.Coop != nil:
		if !c.Coop.Matchable() {
			return nil
		}
		holder = c.Coop.Holder
	case c.Org != nil && c.Version == 1:
		holder = domain.OrgRef(c.Org.ID)
	case c.Person != nil && c.Version == 1:
		holder = domain.PersonRef(c.Person.ID)
	default:
		return nil
	}
	s.mu.RLock()
	searches := make([]*matchingv1.SavedSearch, 0, len(s.searches))
	for _, ss := range s.searches {
		searches = append(searches, ss)
	}
	s.mu.RUnlock()
	slices.SortFunc(searches, func(a, b *matchingv1.SavedSearch) int { return strings.Compare(a.GetId(), b.GetId()) })
	cands := s.Index.CandidatesOf(holder)
	occurred, timed := triggerTime(eventID)
	for _, ss := range searches {
		// A search learns of changes made after it was saved; a rebuild
		// replaying older events tells it nothing new.
		if timed && ss.GetCreatedAt() != nil && occurred.Before(ss.GetCreatedAt().AsTime()) {
			continue
		}
		q := s.savedSearchQuery(ss)
		min := ss.GetMinScore()
		if min == 0 {
			min = DefaultMinScore
		}
		for _, cand := range cands {
			sg, ok, err := s.Index.Score(q, cand)
			if errors.Is(err, domain.ErrSeekerNotFound) {
				break
			}
			if err != nil || !ok || sg.GetScore() < min || !triggered(sg, c) {
				continue
			}
			if err := s.publishMatch(ctx, ss, sg, eventID); err != nil {
				return err
			}
		}
	}
	return nil
}

// savedSearchQuery is the question a saved search asks, seen as its owner's
// organization sees candidates.
func (s *Service) savedSearchQuery(ss *matchingv1.SavedSearch) domain.Query {
	q := domain.QueryOfSavedSearch(ss, s.Ont)
	q.Limit = 1
	if o, ok := s.Index.Org(seekerOrg(s.Index, q.Seeker)); ok {
		q.Viewer = domain.Viewer{Subject: ss.GetOwnerSubject(), Org: o.ID, Clusters: o.Clusters}
	}
	s.Book.For(&q)
	return q
}

// resolveMatch fills a stored match's suggestion from the read model as it
// is now; ok is false when the candidate is gone, hidden from the owner, or
// no longer a match, and the match is then not shown.
func (s *Service) resolveMatch(m *matchingv1.NewMatch, lang string) (*matchingv1.NewMatch, bool) {
	s.mu.RLock()
	ss := s.searches[m.GetSavedSearchId()]
	s.mu.RUnlock()
	ref := m.GetSuggestion().GetCandidate().GetRef()
	if ss == nil || ref == nil {
		return nil, false
	}
	cand := domain.OrgRef(ref.GetOrganizationId())
	if id := ref.GetPersonId(); id != "" {
		cand = domain.PersonRef(id)
	}
	q := s.savedSearchQuery(ss)
	q.Lang = lang
	if !s.Index.Sees(q.Viewer, cand) {
		return nil, false
	}
	sg, ok, err := s.Index.Score(q, cand)
	if err != nil || !ok {
		return nil, false
	}
	out := proto.CloneOf(m)
	out.Suggestion = s.sealFor(seekerOrg(s.Index, q.Seeker), sg)
	return out, true
}

// concerned lists the profiles a feedback is about, as index keys: its
// seeker's and candidate's, and the organizations of people among them,
// whose erasure takes the people along.
func (s *Service) concerned(f *matchingv1.Feedback) []string {
	var keys []string
	add := func(r domain.Ref) {
		switch r.Kind {
		case domain.KindOrg:
			keys = append(keys, domain.OrgKey(r.ID))
		case domain.KindPerson:
			keys = append(keys, domain.PersonKey(r.ID))
			if pe, ok := s.Index.Person(r.ID); ok {
				keys = append(keys, domain.OrgKey(pe.OrgID))
			}
		}
	}
	if sk, err := domain.ParseSeeker(f.GetSeeker(), ""); err == nil {
		switch sk.Kind {
		case domain.SeekOrg:
			add(domain.OrgRef(sk.ID))
		case domain.SeekPerson:
			add(domain.PersonRef(sk.ID))
		}
		if org := seekerOrg(s.Index, sk); org != "" {
			keys = append(keys, domain.OrgKey(org))
		}
	}
	if r := f.GetCandidate(); r.GetPersonId() != "" {
		add(domain.PersonRef(r.GetPersonId()))
	} else if r.GetOrganizationId() != "" {
		add(domain.OrgRef(r.GetOrganizationId()))
	}
	return keys
}

// eraseComments removes the comments of the feedback about an erased or
// hidden organization or person. The erase rewrites the feedback without its
// comment, drops its earlier revisions from the bucket and, through the
// relay, its earlier events from TANDEM_MATCHING; the feedback itself
// (a dismissal, a contact) stays, as ids only.
func (s *Service) eraseComments(ctx context.Context, c domain.Change) error {
	if !strings.HasPrefix(c.Key, "org:") && !strings.HasPrefix(c.Key, "person:") {
		return nil
	}
	s.mu.RLock()
	var ids []string
	for id, keys := range s.commented {
		if slices.Contains(keys, c.Key) {
			ids = append(ids, id)
		}
	}
	s.mu.RUnlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.eraseComment(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) eraseComment(ctx context.Context, id string) error {
	for {
		ev, rev, err := s.Feedback.Get(ctx, id)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("erase comment of feedback %s: %w", id, err)
		}
		cur, ok := ev.(*eventsv1.FeedbackRecorded)
		if !ok || cur.GetFeedback().GetComment() == "" {
			return nil
		}
		f := proto.CloneOf(cur.GetFeedback())
		f.Comment = ""
		next := &eventsv1.FeedbackRecorded{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: id,
			AggregateVersion: cur.GetAggregateVersion() + 1, ActorSubject: "system", Feedback: f}
		_, err = s.Feedback.Erase(ctx, id, next, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // another replica got there first, or the feedback changed: look again
		}
		if err != nil {
			return fmt.Errorf("erase comment of feedback %s: %w", id, err)
		}
		s.ApplyStored(next)
		return nil
	}
}

func seekerOrg(x *domain.Index, sk domain.Seeker) string {
	switch sk.Kind {
	case domain.SeekOrg:
		return sk.ID
	case domain.SeekPerson:
		if p, ok := x.Person(sk.ID); ok {
			return p.OrgID
		}
	case domain.SeekCoop:
		if c, ok := x.Coop(sk.ID); ok {
			if c.Holder.Kind == domain.KindOrg {
				return c.Holder.ID
			}
			if p, ok := x.Person(c.Holder.ID); ok {
				return p.OrgID
			}
		}
	}
	return ""
}

// hidden reports whether c sets an organization or a person to hidden:
// like an erasure, that removes the comments about it, as nothing may show
// a hidden profile's name.
func hidden(c domain.Change) bool {
	return (c.Org != nil && c.Org.Visibility == profilesv1.Visibility_VISIBILITY_HIDDEN) ||
		(c.Person != nil && c.Person.Visibility == profilesv1.Visibility_VISIBILITY_HIDDEN)
}

// triggered reports whether the change itself is part of why the pair
// matches, so an unrelated edit of a matching candidate pushes nothing.
func triggered(sg *matchingv1.Suggestion, c domain.Change) bool {
	if c.Org != nil || c.Person != nil {
		return true
	}
	for _, e := range sg.GetExplanations() {
		if c.Comp != nil && (slices.Contains(e.GetCandidateCompetencyIds(), c.Comp.ID) || slices.Contains(e.GetCandidateTermIds(), c.Comp.TermID)) {
			return true
		}
		if c.Coop != nil && (e.GetCandidateCooperationProfileId() == c.Coop.ID || slices.ContainsFunc(e.GetCandidateTermIds(), func(t string) bool { return slices.Contains(c.Coop.TermIDs, t) })) {
			return true
		}
	}
	return false
}

func (s *Service) publishMatch(ctx context.Context, ss *matchingv1.SavedSearch, sg *matchingv1.Suggestion, trigger string) error {
	cand := sg.GetCandidate().GetRef().GetOrganizationId() + sg.GetCandidate().GetRef().GetPersonId()
	sum := sha256.Sum256([]byte(ss.GetId() + "|" + cand + "|" + trigger))
	ts := time.Now()
	if t, err := ulid.Parse(trigger); err == nil {
		ts = ulid.Time(t.Time())
	}
	id, err := ulid.New(ulid.Timestamp(ts), &fixedReader{b: sum[:]})
	if err != nil {
		return fmt.Errorf("match id: %w", err)
	}
	now := timestamppb.Now()
	// The event carries references only: who matched and how well. Names,
	// places and explanations are resolved when the match is read, so an
	// erased or hidden candidate shows nothing from a stored event.
	ref := &matchingv1.Suggestion{Candidate: &matchingv1.CandidateSummary{Ref: sg.GetCandidate().GetRef()}, Score: sg.GetScore()}
	m := &matchingv1.NewMatch{Id: id.String(), SavedSearchId: ss.GetId(), Suggestion: ref, TriggerEventId: trigger, MatchedAt: now}
	ev := &eventsv1.MatchFound{EventId: id.String(), OccurredAt: now, AggregateId: id.String(), AggregateVersion: 1, ActorSubject: "system", OwnerSubject: ss.GetOwnerSubject(), Match: m}
	// Published once for good: a redelivered or replayed event finds its
	// matches published.
	return s.Matches.Publish(ctx, ev)
}

// triggerTime is when the event with id eventID (a ULID) occurred.
func triggerTime(eventID string) (time.Time, bool) {
	id, err := ulid.Parse(eventID)
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(id.Time()), true
}

// fixedReader hands out a hash as ULID entropy, so match ids are
// reproducible.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
