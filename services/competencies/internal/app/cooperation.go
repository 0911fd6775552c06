package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

const (
	statusDraft     = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT
	statusPublished = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
	statusExpired   = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_EXPIRED
)

// fillTerms checks the profile's terms and sets their labels.
func (s *Service) fillTerms(p *competenciesv1.CooperationProfile) error {
	ids, refs, err := s.checkTerms("cooperation_profile.term_ids", p.GetTermIds())
	p.TermIds, p.Terms = ids, refs
	return err
}

// checkTerms resolves term ids (replacing obsolete ones), drops repeats,
// and returns the ids with their labelled references.
func (s *Service) checkTerms(field string, in []string) ([]string, []*competenciesv1.TermRef, error) {
	ids := make([]string, 0, len(in))
	var refs []*competenciesv1.TermRef
	for i, id := range in {
		t, err := checkTerm(s.Vocab, fmt.Sprintf("%s[%d]", field, i), id)
		if err != nil {
			return nil, nil, err
		}
		if !slices.Contains(ids, t.ID) {
			ids = append(ids, t.ID)
			refs = append(refs, TermRefProto(t))
		}
	}
	return ids, refs, nil
}

// CreateCooperationProfile creates an offer or request, as a draft unless
// the caller publishes it at once.
func (s *Service) CreateCooperationProfile(ctx context.Context, v domain.Viewer, in *competenciesv1.CooperationProfile, requestID string) (*competenciesv1.CooperationProfile, error) {
	now := s.now()
	if vs := domain.ValidateCooperationProfile(in, now, true); len(vs) > 0 {
		return nil, grpcerr.Invalid(vs...)
	}
	p := proto.Clone(in).(*competenciesv1.CooperationProfile)
	switch p.GetStatus() {
	case competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_UNSPECIFIED:
		p.Status = statusDraft
	case statusDraft, statusPublished:
	default:
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "cooperation_profile.status", Description: "a new profile is a draft or published"})
	}
	if err := s.fillTerms(p); err != nil {
		return nil, err
	}
	ref, _ := domain.RefOf(p.GetHolder())
	if _, err := s.holderFor(ctx, v, ref); err != nil {
		return nil, err
	}
	id := ulid.Make().String()
	if requestID != "" {
		winner, created, err := s.Claims.Claim(ctx, "cooperation|"+v.Subject+"|"+requestID, id)
		if err != nil {
			return nil, err
		}
		if !created {
			if cur, _, err := s.Cooperations.Get(ctx, winner); err == nil {
				if u, ok := cur.(*eventsv1.CooperationProfileUpserted); ok {
					return u.GetCooperationProfile(), nil
				}
				return nil, fmt.Errorf("cooperation profile %s: %w", winner, grpcerr.ErrNotFound)
			} else if !errors.Is(err, grpcerr.ErrNotFound) {
				return nil, err
			}
			id = winner // the first attempt claimed the id but did not store: finish it
		}
	}
	ts := timestamppb.New(now)
	p.Id, p.Holder, p.Version, p.CreatedAt, p.UpdatedAt, p.PublishedAt = id, ref.Proto(), 1, ts, ts, nil
	if p.Status == statusPublished {
		p.PublishedAt = ts
	}
	ev := &eventsv1.CooperationProfileUpserted{EventId: newEventID(), OccurredAt: ts, AggregateId: id, AggregateVersion: 1,
		ActorSubject: v.Subject, CooperationProfile: p}
	rev, err := s.Cooperations.Create(ctx, id, ev)
	if errors.Is(err, grpcerr.ErrAlreadyExists) && requestID != "" {
		// A concurrent retry of the same request stored it first.
		cur, _, gerr := s.Cooperations.Get(ctx, id)
		if u, ok := cur.(*eventsv1.CooperationProfileUpserted); gerr == nil && ok {
			return u.GetCooperationProfile(), nil
		}
	}
	if err != nil {
		return nil, err
	}
	s.Index.ApplyCooperation(id, ev, rev)
	return p, nil
}

// writableFields are the fields an update may change (update_mask paths).
var writableFields = []string{
	"kind", "title", "summary", "description", "advantages_and_innovations", "development_stage",
	"development_stage_comment", "ipr_statuses", "ipr_comment", "partner_sought", "partner_kinds",
	"term_ids", "collaboration_types", "trl", "deadline", "status", "visibility",
}

// UpdateCooperationProfile changes the masked fields (all writable ones when
// the mask is empty), including the status.
func (s *Service) UpdateCooperationProfile(ctx context.Context, v domain.Viewer, in *competenciesv1.CooperationProfile, expectedVersion int64, mask []string) (*competenciesv1.CooperationProfile, error) {
	id := in.GetId()
	if !domain.ValidID(id) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "cooperation_profile.id", Description: "is required"})
	}
	if len(mask) == 0 {
		mask = writableFields
	}
	for _, f := range mask {
		if !slices.Contains(writableFields, f) {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "update_mask", Description: fmt.Sprintf("%q is not a writable field", f)})
		}
	}
	cur, rev, err := s.Cooperations.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("cooperation profile %s: %w", id, err)
	}
	u, ok := cur.(*eventsv1.CooperationProfileUpserted)
	if !ok {
		return nil, fmt.Errorf("cooperation profile %s: %w", id, grpcerr.ErrNotFound)
	}
	old := u.GetCooperationProfile()
	ref, _ := domain.RefOf(old.GetHolder())
	if _, err := s.holderFor(ctx, v, ref); err != nil {
		if errors.Is(err, grpcerr.ErrPermission) {
			return nil, fmt.Errorf("cooperation profile %s: %w", id, grpcerr.ErrPermission)
		}
		return nil, err
	}
	if expectedVersion != 0 && old.GetVersion() != expectedVersion {
		return nil, fmt.Errorf("cooperation profile %s is at version %d, not %d: %w", id, old.GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	next := proto.Clone(old).(*competenciesv1.CooperationProfile)
	src, dst := in.ProtoReflect(), next.ProtoReflect()
	for _, f := range mask {
		fd := src.Descriptor().Fields().ByName(protoreflect.Name(f))
		if src.Has(fd) {
			dst.Set(fd, src.Get(fd))
		} else {
			dst.Clear(fd)
		}
	}
	if next.GetStatus() == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_UNSPECIFIED {
		next.Status = old.GetStatus()
	}
	if !domain.CanMove(old.GetStatus(), next.GetStatus()) {
		return nil, fmt.Errorf("%w: cooperation profile %s cannot move from %s to %s", grpcerr.ErrPrecondition, id, old.GetStatus(), next.GetStatus())
	}
	now := s.now()
	if vs := domain.ValidateCooperationProfile(next, now, !proto.Equal(old.GetDeadline(), next.GetDeadline())); len(vs) > 0 {
		return nil, grpcerr.Invalid(vs...)
	}
	if err := s.fillTerms(next); err != nil {
		return nil, err
	}
	if proto.Equal(old, next) {
		return old, nil
	}
	ts := timestamppb.New(now)
	next.Version, next.UpdatedAt = old.GetVersion()+1, ts
	if next.GetStatus() == statusPublished && next.GetPublishedAt() == nil {
		next.PublishedAt = ts
	}
	ev := &eventsv1.CooperationProfileUpserted{EventId: newEventID(), OccurredAt: ts, AggregateId: id, AggregateVersion: next.GetVersion(),
		ActorSubject: v.Subject, CooperationProfile: next, PreviousStatus: old.GetStatus()}
	newRev, err := s.Cooperations.Update(ctx, id, ev, rev)
	if err != nil {
		return nil, err
	}
	s.Index.ApplyCooperation(id, ev, newRev)
	return next, nil
}

// GetCooperationProfile returns a profile the viewer may see.
func (s *Service) GetCooperationProfile(ctx context.Context, v domain.Viewer, id string) (*competenciesv1.CooperationProfile, error) {
	if !domain.ValidID(id) {
		return nil, fmt.Errorf("cooperation profile %q: %w", id, grpcerr.ErrNotFound)
	}
	cur, _, err := s.Cooperations.Get(ctx, id)
	if err != nil && !errors.Is(err, grpcerr.ErrNotFound) {
		return nil, err
	}
	// Missing, deleted and hidden read alike.
	u, ok := cur.(*eventsv1.CooperationProfileUpserted)
	if err != nil || !ok {
		return nil, fmt.Errorf("cooperation profile %s: %w", id, grpcerr.ErrNotFound)
	}
	p, ok := s.visibleCooperation(v, u.GetCooperationProfile())
	if !ok {
		return nil, fmt.Errorf("cooperation profile %s: %w", id, grpcerr.ErrNotFound)
	}
	return p, nil
}

// visibleCooperation applies status and visibility: drafts only to those
// who may change them; anonymous profiles lose their holder for others. A
// profile's own visibility narrows its holder's, never widens it: a public
// offer of a hidden organisation is hidden, of an anonymous one anonymous.
func (s *Service) visibleCooperation(v domain.Viewer, p *competenciesv1.CooperationProfile) (*competenciesv1.CooperationProfile, bool) {
	ref, _ := domain.RefOf(p.GetHolder())
	h, _ := s.Holders.Cached(ref)
	h.Ref = ref
	h = s.effective(h)
	if v.CanChange(h) {
		return p, true
	}
	if p.GetStatus() == statusDraft || !v.CanSee(h, p.GetVisibility()) || !v.CanSee(h, 0) {
		return nil, false
	}
	if p.GetVisibility() == profilesv1.Visibility_VISIBILITY_ANONYMOUS || h.Visibility == profilesv1.Visibility_VISIBILITY_ANONYMOUS {
		p = proto.Clone(p).(*competenciesv1.CooperationProfile)
		p.Holder = nil
	}
	return p, true
}

// CooperationFilter is what ListCooperationProfiles filters on.
type CooperationFilter struct {
	Holder       *domain.HolderRef
	Organization string
	Kinds        []competenciesv1.CooperationProfileKind
	Statuses     []competenciesv1.CooperationProfileStatus
	TermIDs      []string
	Collab       []competenciesv1.CollaborationType
	Query        string
	MinTRL       int32
	// Sealed: Holder or Organization was named by an opaque reference.
	Sealed bool
}

// ListCooperationProfiles lists the profiles the viewer may see, most
// recently updated first.
func (s *Service) ListCooperationProfiles(v domain.Viewer, f CooperationFilter, pageSize int, token string) ([]*competenciesv1.CooperationProfile, string, error) {
	after, err := decodeCoopToken(token)
	if err != nil {
		return nil, "", err
	}
	var terms map[string]bool
	if len(f.TermIDs) > 0 {
		terms = map[string]bool{}
		for _, id := range f.TermIDs {
			t, ok := s.Vocab.Term(id)
			if !ok {
				return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "term_ids", Description: fmt.Sprintf("unknown term %q", id)})
			}
			terms[t.ID] = true
			for d := range s.Vocab.Descendants(t.ID) {
				terms[d] = true
			}
		}
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	list := s.Index.Cooperations(func(p *competenciesv1.CooperationProfile) bool {
		ref, _ := domain.RefOf(p.GetHolder())
		switch {
		case f.Holder != nil && ref != *f.Holder:
			return false
		case f.Organization != "" && !s.inOrganization(ref, f.Organization):
			return false
		case len(f.Kinds) > 0 && !slices.Contains(f.Kinds, p.GetKind()):
			return false
		case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, p.GetStatus()):
			return false
		case len(f.Statuses) == 0 && p.GetStatus() != statusPublished && p.GetStatus() != statusDraft:
			return false
		case terms != nil && !slices.ContainsFunc(p.GetTermIds(), func(id string) bool { return terms[id] }):
			return false
		case len(f.Collab) > 0 && !slices.ContainsFunc(p.GetCollaborationTypes(), func(c competenciesv1.CollaborationType) bool { return slices.Contains(f.Collab, c) }):
			return false
		case f.MinTRL > 0 && p.GetTrl() < f.MinTRL:
			return false
		case q != "" && !strings.Contains(strings.ToLower(p.GetTitle()+"\n"+p.GetSummary()+"\n"+p.GetDescription()), q):
			return false
		}
		return true
	})
	var out []*competenciesv1.CooperationProfile
	byPlainID := (f.Holder != nil || f.Organization != "") && !f.Sealed
	for _, p := range list {
		// Filtered by a plain id, an anonymous holder's profiles would be
		// linked to it.
		if vp, ok := s.visibleCooperation(v, p); ok && !(byPlainID && vp.GetHolder() == nil) {
			out = append(out, vp)
		}
	}
	slices.SortFunc(out, func(a, b *competenciesv1.CooperationProfile) int {
		ta, tb := a.GetUpdatedAt().AsTime(), b.GetUpdatedAt().AsTime()
		if !ta.Equal(tb) {
			return tb.Compare(ta)
		}
		return strings.Compare(a.GetId(), b.GetId())
	})
	if after != nil {
		i, _ := slices.BinarySearchFunc(out, after, func(p *competenciesv1.CooperationProfile, pos *coopPos) int {
			t := p.GetUpdatedAt().AsTime()
			if !t.Equal(pos.t) {
				return pos.t.Compare(t)
			}
			if p.GetId() <= pos.id {
				return -1
			}
			return 1
		})
		out = out[i:]
	}
	next := ""
	if len(out) > pageSize {
		out = out[:pageSize]
		last := out[len(out)-1]
		next = encodeCoopToken(coopPos{t: last.GetUpdatedAt().AsTime(), id: last.GetId()})
	}
	return out, next, nil
}

func (s *Service) inOrganization(ref domain.HolderRef, org string) bool {
	if ref.Kind == domain.HolderOrganization {
		return ref.ID == org
	}
	h, ok := s.Holders.Cached(ref)
	return ok && h.Organization == org
}

type coopPos struct {
	t  time.Time
	id string
}

func encodeCoopToken(p coopPos) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.t.UnixNano(), 10) + "|" + p.id))
}

func decodeCoopToken(tok string) (*coopPos, error) {
	if tok == "" {
		return nil, nil
	}
	bad := grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: "is not a token from a previous response"})
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, bad
	}
	ns, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || !domain.ValidID(id) {
		return nil, bad
	}
	return &coopPos{t: time.Unix(0, n).UTC(), id: id}, nil
}

// ExpireDue sets EXPIRED on published profiles whose deadline passed.
func (s *Service) ExpireDue(ctx context.Context) error {
	now := s.now()
	due := s.Index.Cooperations(func(p *competenciesv1.CooperationProfile) bool { return domain.Expired(p, now) })
	for _, p := range due {
		cur, rev, err := s.Cooperations.Get(ctx, p.GetId())
		if err != nil {
			if errors.Is(err, grpcerr.ErrNotFound) {
				continue
			}
			return err
		}
		u, ok := cur.(*eventsv1.CooperationProfileUpserted)
		if !ok || !domain.Expired(u.GetCooperationProfile(), now) {
			continue
		}
		next := proto.Clone(u.GetCooperationProfile()).(*competenciesv1.CooperationProfile)
		ts := timestamppb.New(now)
		next.Status, next.Version, next.UpdatedAt = statusExpired, next.GetVersion()+1, ts
		ev := &eventsv1.CooperationProfileUpserted{EventId: newEventID(), OccurredAt: ts, AggregateId: next.GetId(),
			AggregateVersion: next.GetVersion(), ActorSubject: SystemActor, CooperationProfile: next, PreviousStatus: statusPublished}
		newRev, err := s.Cooperations.Update(ctx, next.GetId(), ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // changed meanwhile; the next round looks again
		}
		if err != nil {
			return err
		}
		s.Index.ApplyCooperation(next.GetId(), ev, newRev)
	}
	return nil
}
