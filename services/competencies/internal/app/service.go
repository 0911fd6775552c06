// Package app holds the use cases of the competencies service: publishing
// and retracting competencies, the cooperation profile lifecycle, reads
// filtered by visibility, and the reaction to erased profiles.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// SystemActor is the actor of changes the service makes on its own.
const SystemActor = "system"

// EventStore keeps aggregates as their latest event (eventkv.Store).
type EventStore interface {
	Create(ctx context.Context, key string, ev proto.Message) (uint64, error)
	Update(ctx context.Context, key string, ev proto.Message, lastRev uint64) (uint64, error)
	Erase(ctx context.Context, key string, erasedEv proto.Message, lastRev uint64) (uint64, error)
	Get(ctx context.Context, key string) (proto.Message, uint64, error)
	// WriteMany stores many writes at once, each as Create or Update would.
	WriteMany(ctx context.Context, ws []eventkv.Write) []eventkv.Written
}

// Claims remembers which resource a client request created (eventkv.Claims).
type Claims interface {
	Claim(ctx context.Context, key, value string) (winner string, created bool, err error)
	Lookup(ctx context.Context, key string) (value string, found bool, err error)
	// ClaimMany claims many keys at once, each as Claim would.
	ClaimMany(ctx context.Context, keys, values []string) []eventkv.ClaimResult
}

// HolderStore is the service's record of existing organisations and people.
type HolderStore interface {
	Get(ctx context.Context, ref domain.HolderRef) (domain.Holder, bool, error)
	Cached(ref domain.HolderRef) (domain.Holder, bool)
	Put(ctx context.Context, h domain.Holder) (bool, error)
	PeopleOf(orgID string) []domain.HolderRef
}

// Service implements the use cases.
type Service struct {
	Vocab        *vocab.Vocabulary
	Competencies EventStore
	Cooperations EventStore
	// Collaborations is the collaboration history.
	Collaborations EventStore
	Claims         Claims
	Holders        HolderStore
	Index          *Index
	Log            *slog.Logger
	Now            func() time.Time
	// Synced is closed once Index holds everything stored; erasures wait
	// for it so they miss nothing.
	Synced <-chan struct{}

	// refs makes the opaque references to anonymous holders (SetRefKey).
	refs *anonref.Sealer
	// publishing holds the competencies being published in this replica.
	publishing keyLocks
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func newEventID() string { return ulid.Make().String() }

// effective completes a holder for access checks: a person has the clusters
// of their organisation and, unless set, its visibility.
func (s *Service) effective(h domain.Holder) domain.Holder {
	if h.Ref.Kind != domain.HolderPerson || h.Organization == "" {
		return h
	}
	if org, ok := s.Holders.Cached(domain.HolderRef{Kind: domain.HolderOrganization, ID: h.Organization}); ok {
		h.Clusters = org.Clusters
		if h.Visibility == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
			h.Visibility = org.Visibility
		}
	}
	return h
}

// holderFor loads the holder a change is for and checks the viewer may make it.
func (s *Service) holderFor(ctx context.Context, v domain.Viewer, ref domain.HolderRef) (domain.Holder, error) {
	h, ok, err := s.Holders.Get(ctx, ref)
	if err != nil {
		return domain.Holder{}, err
	}
	if !ok || h.Erased {
		return domain.Holder{}, domain.ErrHolderUnknown(ref)
	}
	if h.Ref.Kind == domain.HolderPerson && h.Organization != "" {
		if org, ok, err := s.Holders.Get(ctx, domain.HolderRef{Kind: domain.HolderOrganization, ID: h.Organization}); err == nil && ok {
			h.Clusters = org.Clusters
		}
	}
	if !v.CanChange(h) {
		return domain.Holder{}, fmt.Errorf("%w: %s may not change what %s %s holds", grpcerr.ErrPermission, v.Subject, ref.Kind, ref.ID)
	}
	return h, nil
}

// PublishResult is the outcome of PublishCompetency.
type PublishResult struct {
	Competency *competenciesv1.Competency
	Changed    bool
}

// PublishCompetency creates or replaces the competency of a holder in a term.
func (s *Service) PublishCompetency(ctx context.Context, v domain.Viewer, in *competenciesv1.Competency, expectedVersion int64, requestID string) (PublishResult, error) {
	key, ref, c, err := s.toPublish(in)
	if err != nil {
		return PublishResult{}, err
	}
	if _, err := s.holderFor(ctx, v, ref); err != nil {
		return PublishResult{}, err
	}
	claimKey := ""
	if requestID != "" {
		claimKey = publishClaimKey(v, requestID)
		if prev, ok, err := s.Claims.Lookup(ctx, claimKey); err != nil {
			return PublishResult{}, err
		} else if ok {
			return s.replayPublish(ctx, prev)
		}
	}
	res, err := s.publishKey(ctx, v, key, c, expectedVersion, false)
	if err == nil && claimKey != "" && res.Changed {
		if _, _, err := s.Claims.Claim(ctx, claimKey, publishClaim(key, res)); err != nil {
			s.Log.WarnContext(ctx, "record publish request", "err", err)
		}
	}
	return res, err
}

// toPublish checks in and returns the key it is stored under, its holder
// and the competency to store, its term and holder in stored form.
func (s *Service) toPublish(in *competenciesv1.Competency) (string, domain.HolderRef, *competenciesv1.Competency, error) {
	if vs := domain.ValidateCompetency(in); len(vs) > 0 {
		return "", domain.HolderRef{}, nil, grpcerr.Invalid(vs...)
	}
	term, err := checkTerm(s.Vocab, "competency.term_id", in.GetTermId())
	if err != nil {
		return "", domain.HolderRef{}, nil, err
	}
	ref, _ := domain.RefOf(in.GetHolder())
	c := proto.Clone(in).(*competenciesv1.Competency)
	c.TermId = term.ID
	c.Term = TermRefProto(term)
	c.Holder = ref.Proto()
	domain.NormalizeCompetency(c)
	return domain.CompetencyKey(ref, term.ID), ref, c, nil
}

// publishClaimKey names the claim of a publish request.
func publishClaimKey(v domain.Viewer, requestID string) string {
	return "publish|" + v.Subject + "|" + requestID
}

// publishClaim is what the claim of a publish records: "key|version".
func publishClaim(key string, res PublishResult) string {
	return fmt.Sprintf("%s|%d", key, res.Competency.GetVersion())
}

// publishKey publishes c under key, reading what is there from the index
// first unless fresh. Without an expected version the caller asked to
// replace whatever is there, so losing a race to another writer is
// retried, not reported.
func (s *Service) publishKey(ctx context.Context, v domain.Viewer, key string, c *competenciesv1.Competency, expectedVersion int64, fresh bool) (PublishResult, error) {
	unlock, err := s.publishing.lock(ctx, key)
	if err != nil {
		return PublishResult{}, err
	}
	defer unlock()
	return s.publishLocked(ctx, v, key, c, expectedVersion, fresh)
}

// publishLocked is publishKey once key is held.
func (s *Service) publishLocked(ctx context.Context, v domain.Viewer, key string, c *competenciesv1.Competency, expectedVersion int64, fresh bool) (PublishResult, error) {
	for attempt := 1; ; attempt++ {
		res, err := s.publishOnce(ctx, v, key, c, expectedVersion, fresh)
		if errors.Is(err, grpcerr.ErrConflict) && !fresh {
			// The index may be behind the store: read the store, as a
			// first attempt.
			fresh, attempt = true, attempt-1
			continue
		}
		if errors.Is(err, grpcerr.ErrConflict) && expectedVersion == 0 && attempt < maxPublishAttempts {
			continue
		}
		return res, err
	}
}

// maxPublishAttempts bounds the retries of an unversioned publish that
// keeps losing races.
const maxPublishAttempts = 5

// publishOnce is one read-compare-write of a competency. Unless fresh, it
// reads the competency from the index (nothing there reads as never
// written), saving a round trip to the store, and only to write: the write
// expects the revision read, so a stale read fails as a conflict; any other
// outcome is decided on the store's copy.
func (s *Service) publishOnce(ctx context.Context, v domain.Viewer, key string, in *competenciesv1.Competency, expectedVersion int64, fresh bool) (PublishResult, error) {
	var (
		cur proto.Message
		rev uint64
		err error
	)
	if fresh {
		cur, rev, err = s.Competencies.Get(ctx, key)
		if err != nil && !errors.Is(err, grpcerr.ErrNotFound) {
			return PublishResult{}, err
		}
	} else {
		cur, rev, _ = s.Index.StoredCompetency(key)
	}
	w, res, err := s.nextPublish(v, key, in, expectedVersion, cur, rev)
	switch {
	case w == nil && !fresh:
		return s.publishOnce(ctx, v, key, in, expectedVersion, true)
	case w == nil:
		if err == nil {
			s.Index.ApplyCompetency(key, cur, rev)
		}
		return res, err
	}
	var newRev uint64
	if w.LastRev == 0 {
		newRev, err = s.Competencies.Create(ctx, key, w.Event)
	} else {
		newRev, err = s.Competencies.Update(ctx, key, w.Event, w.LastRev)
	}
	if err != nil {
		return PublishResult{}, publishConflict(key, err)
	}
	s.Index.ApplyCompetency(key, w.Event, newRev)
	return res, nil
}

// publishConflict words a create that found the key written as the
// conflict it is.
func publishConflict(key string, err error) error {
	if errors.Is(err, grpcerr.ErrAlreadyExists) {
		return fmt.Errorf("competency %s was published concurrently: %w", key, grpcerr.ErrConflict)
	}
	return err
}

// nextPublish decides the publish of in over cur, stored under key at
// revision rev: the write to make and the result once it is made, or (no
// write) the answer, which holds only if cur is the store's latest.
func (s *Service) nextPublish(v domain.Viewer, key string, in *competenciesv1.Competency, expectedVersion int64, cur proto.Message, rev uint64) (*eventkv.Write, PublishResult, error) {
	existing, _ := cur.(*eventsv1.CompetencyPublished)
	switch {
	case existing != nil && expectedVersion != 0 && existing.GetCompetency().GetVersion() != expectedVersion:
		return nil, PublishResult{}, fmt.Errorf("competency %s is at version %d, not %d: %w", existing.GetCompetency().GetId(), existing.GetCompetency().GetVersion(), expectedVersion, grpcerr.ErrConflict)
	case existing == nil && expectedVersion != 0:
		return nil, PublishResult{}, fmt.Errorf("no competency %s to update at version %d: %w", key, expectedVersion, grpcerr.ErrConflict)
	case existing != nil && domain.SameContent(existing.GetCompetency(), in):
		return nil, PublishResult{Competency: existing.GetCompetency(), Changed: false}, nil
	}
	c := proto.Clone(in).(*competenciesv1.Competency)
	now := timestamppb.New(s.now())
	if existing != nil {
		old := existing.GetCompetency()
		c.Id, c.Version, c.CreatedAt = old.GetId(), old.GetVersion()+1, old.GetCreatedAt()
	} else {
		c.Id, c.Version, c.CreatedAt = ulid.Make().String(), 1, now
	}
	c.UpdatedAt = now
	ev := &eventsv1.CompetencyPublished{EventId: newEventID(), OccurredAt: now, AggregateId: c.GetId(),
		AggregateVersion: c.GetVersion(), ActorSubject: v.Subject, Competency: c}
	if cur == nil {
		rev = 0
	}
	return &eventkv.Write{Key: key, Event: ev, LastRev: rev}, PublishResult{Competency: c, Changed: true}, nil
}

// replayPublish answers a retried publish from its claim "key|version".
func (s *Service) replayPublish(ctx context.Context, claim string) (PublishResult, error) {
	var key string
	var version int64
	for i := len(claim) - 1; i >= 0; i-- {
		if claim[i] == '|' {
			key = claim[:i]
			if _, err := fmt.Sscan(claim[i+1:], &version); err != nil {
				return PublishResult{}, fmt.Errorf("publish claim %q: %w", claim, err)
			}
			break
		}
	}
	cur, _, err := s.Competencies.Get(ctx, key)
	if err != nil {
		return PublishResult{}, fmt.Errorf("competency of an earlier request: %w", err)
	}
	p, ok := cur.(*eventsv1.CompetencyPublished)
	if !ok {
		return PublishResult{}, fmt.Errorf("%w: the competency of this request was retracted since", grpcerr.ErrPrecondition)
	}
	return PublishResult{Competency: p.GetCompetency(), Changed: p.GetCompetency().GetVersion() == version}, nil
}

// RetractCompetency removes a competency.
func (s *Service) RetractCompetency(ctx context.Context, v domain.Viewer, id string, expectedVersion int64) (time.Time, error) {
	key, ok := s.Index.CompetencyKey(id)
	if !ok {
		return time.Time{}, fmt.Errorf("competency %s: %w", id, grpcerr.ErrNotFound)
	}
	cur, rev, err := s.Competencies.Get(ctx, key)
	if err != nil {
		return time.Time{}, fmt.Errorf("competency %s: %w", id, err)
	}
	p, ok := cur.(*eventsv1.CompetencyPublished)
	if !ok || p.GetCompetency().GetId() != id {
		return time.Time{}, fmt.Errorf("competency %s: %w", id, grpcerr.ErrNotFound)
	}
	c := p.GetCompetency()
	ref, _ := domain.RefOf(c.GetHolder())
	h, found, err := s.Holders.Get(ctx, ref)
	if err != nil {
		return time.Time{}, err
	}
	if !found {
		h = domain.Holder{Ref: ref}
	}
	if !v.CanChange(s.effective(h)) {
		return time.Time{}, fmt.Errorf("%w: %s may not retract competency %s", grpcerr.ErrPermission, v.Subject, id)
	}
	if expectedVersion != 0 && c.GetVersion() != expectedVersion {
		return time.Time{}, fmt.Errorf("competency %s is at version %d, not %d: %w", id, c.GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	now := s.now()
	ev := &eventsv1.CompetencyRetracted{EventId: newEventID(), OccurredAt: timestamppb.New(now), AggregateId: id,
		AggregateVersion: c.GetVersion() + 1, ActorSubject: v.Subject, Holder: c.GetHolder(), TermId: c.GetTermId(),
		Reason: eventsv1.RemovalReason_REMOVAL_REASON_BY_USER}
	newRev, err := s.Competencies.Update(ctx, key, ev, rev)
	if err != nil {
		return time.Time{}, err
	}
	s.Index.ApplyCompetency(key, ev, newRev)
	return now, nil
}

// HolderChanged records an organisation or person the profiles service
// created or changed.
func (s *Service) HolderChanged(ctx context.Context, h domain.Holder) error {
	_, err := s.Holders.Put(ctx, h)
	return err
}

// HolderErased records the erasure and removes, with a GDPR roll-up, every
// competency and cooperation profile the holder had. Running it again finds
// nothing left to remove.
func (s *Service) HolderErased(ctx context.Context, h domain.Holder) error {
	if s.Synced != nil {
		select {
		case <-s.Synced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, err := s.Holders.Put(ctx, h); err != nil {
		return err
	}
	comps, coops := s.Index.HeldBy(h.Ref)
	for _, key := range comps {
		if err := s.eraseCompetency(ctx, key); err != nil {
			return err
		}
	}
	for _, key := range coops {
		if err := s.eraseCooperation(ctx, key); err != nil {
			return err
		}
	}
	var collabs []string
	if h.Ref.Kind == domain.HolderOrganization {
		collabs = s.Index.CollaborationKeysOf(h.Ref.ID)
		for _, key := range collabs {
			if err := s.eraseFromCollaboration(ctx, key, h.Ref.ID); err != nil {
				return err
			}
		}
	}
	s.Log.InfoContext(ctx, "holder erased", "holder", h.Ref.Key(), "competencies", len(comps), "cooperation_profiles", len(coops), "collaborations", len(collabs))
	return nil
}

func (s *Service) eraseCompetency(ctx context.Context, key string) error {
	for {
		cur, rev, err := s.Competencies.Get(ctx, key)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var ev *eventsv1.CompetencyRetracted
		switch e := cur.(type) {
		case *eventsv1.CompetencyPublished:
			c := e.GetCompetency()
			ev = &eventsv1.CompetencyRetracted{AggregateId: c.GetId(), AggregateVersion: c.GetVersion() + 1, Holder: c.GetHolder(), TermId: c.GetTermId()}
		case *eventsv1.CompetencyRetracted:
			if e.GetReason() == eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED {
				s.Index.ApplyCompetency(key, cur, rev)
				return nil
			}
			ev = &eventsv1.CompetencyRetracted{AggregateId: e.GetAggregateId(), AggregateVersion: e.GetAggregateVersion() + 1, Holder: e.GetHolder(), TermId: e.GetTermId()}
		default:
			return fmt.Errorf("competency %s holds an unexpected %T", key, cur)
		}
		ev.EventId, ev.OccurredAt, ev.ActorSubject = newEventID(), timestamppb.New(s.now()), SystemActor
		ev.Reason = eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED
		newRev, err := s.Competencies.Erase(ctx, key, ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // changed meanwhile: erase the newer state
		}
		if err != nil {
			return err
		}
		s.Index.ApplyCompetency(key, ev, newRev)
		return nil
	}
}

func (s *Service) eraseCooperation(ctx context.Context, key string) error {
	for {
		cur, rev, err := s.Cooperations.Get(ctx, key)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var ev *eventsv1.CooperationProfileDeleted
		switch e := cur.(type) {
		case *eventsv1.CooperationProfileUpserted:
			p := e.GetCooperationProfile()
			ev = &eventsv1.CooperationProfileDeleted{AggregateId: p.GetId(), AggregateVersion: p.GetVersion() + 1, Holder: p.GetHolder()}
		case *eventsv1.CooperationProfileDeleted:
			s.Index.ApplyCooperation(key, cur, rev)
			return nil
		default:
			return fmt.Errorf("cooperation profile %s holds an unexpected %T", key, cur)
		}
		ev.EventId, ev.OccurredAt, ev.ActorSubject = newEventID(), timestamppb.New(s.now()), SystemActor
		ev.Reason = eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED
		newRev, err := s.Cooperations.Erase(ctx, key, ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		s.Index.ApplyCooperation(key, ev, newRev)
		return nil
	}
}
