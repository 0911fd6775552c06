package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// PutResult is the outcome of PutCollaboration.
type PutResult struct {
	Collaboration    *competenciesv1.Collaboration
	Created, Changed bool
}

// PutCollaboration records a collaboration: with an id it updates that one,
// with a source and source id the one from that source (created when
// missing), otherwise a new one. Writing what is already stored changes
// nothing, so an import can run again.
func (s *Service) PutCollaboration(ctx context.Context, v domain.Viewer, in *competenciesv1.Collaboration, expectedVersion int64, requestID string) (PutResult, error) {
	if !v.CanRecordCollaborations() {
		return PutResult{}, fmt.Errorf("%w: only administrators and cluster managers record collaborations", grpcerr.ErrPermission)
	}
	if vs := domain.ValidateCollaboration(in); len(vs) > 0 {
		return PutResult{}, grpcerr.Invalid(vs...)
	}
	c := proto.Clone(in).(*competenciesv1.Collaboration)
	domain.NormalizeCollaboration(c)
	if err := s.fillCollabTerms(c); err != nil {
		return PutResult{}, err
	}
	for i, p := range c.GetParticipants() {
		ref := domain.HolderRef{Kind: domain.HolderOrganization, ID: p.GetOrganizationId()}
		h, ok, err := s.Holders.Get(ctx, ref)
		if err != nil {
			return PutResult{}, err
		}
		if !ok || h.Erased {
			return PutResult{}, fmt.Errorf("%w: collaboration.participants[%d]: organisation %s is not a known profile", grpcerr.ErrPrecondition, i, ref.ID)
		}
	}
	byID := c.GetId() != ""
	switch {
	case byID:
	case c.GetSource() != "":
		c.Id = domain.CollaborationID(c.GetSource(), c.GetSourceId())
	case requestID != "":
		id, _, err := s.Claims.Claim(ctx, "collaboration|"+v.Subject+"|"+requestID, ulid.Make().String())
		if err != nil {
			return PutResult{}, err
		}
		c.Id = id
	default:
		c.Id = ulid.Make().String()
	}
	for attempt := 1; ; attempt++ {
		res, err := s.putCollabOnce(ctx, v, c, byID, expectedVersion)
		if errors.Is(err, grpcerr.ErrConflict) && expectedVersion == 0 && attempt < maxPublishAttempts {
			continue // lost a race with another writer: decide again on what it wrote
		}
		return res, err
	}
}

func (s *Service) fillCollabTerms(c *competenciesv1.Collaboration) error {
	ids, refs, err := s.checkTerms("collaboration.term_ids", c.GetTermIds())
	c.TermIds, c.Terms = ids, refs
	return err
}

func (s *Service) putCollabOnce(ctx context.Context, v domain.Viewer, in *competenciesv1.Collaboration, mustExist bool, expectedVersion int64) (PutResult, error) {
	c := proto.Clone(in).(*competenciesv1.Collaboration)
	cur, rev, err := s.Collaborations.Get(ctx, c.GetId())
	if err != nil && !errors.Is(err, grpcerr.ErrNotFound) {
		return PutResult{}, err
	}
	existing, _ := cur.(*eventsv1.CollaborationUpserted)
	switch {
	case existing == nil && mustExist:
		return PutResult{}, fmt.Errorf("collaboration %s: %w", c.GetId(), grpcerr.ErrNotFound)
	case existing == nil && expectedVersion != 0:
		return PutResult{}, fmt.Errorf("no collaboration %s to update at version %d: %w", c.GetId(), expectedVersion, grpcerr.ErrConflict)
	case existing != nil && expectedVersion != 0 && existing.GetCollaboration().GetVersion() != expectedVersion:
		return PutResult{}, fmt.Errorf("collaboration %s is at version %d, not %d: %w", c.GetId(), existing.GetCollaboration().GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	now := timestamppb.New(s.now())
	if existing != nil {
		old := existing.GetCollaboration()
		c.Source, c.SourceId = old.GetSource(), old.GetSourceId() // where it came from does not change
		c.Version, c.CreatedAt, c.UpdatedAt = old.GetVersion(), old.GetCreatedAt(), old.GetUpdatedAt()
		if proto.Equal(old, c) {
			s.Index.ApplyCollaboration(c.GetId(), cur, rev)
			return PutResult{Collaboration: old}, nil
		}
		c.Version, c.UpdatedAt = old.GetVersion()+1, now
	} else {
		c.Version, c.CreatedAt, c.UpdatedAt = 1, now, now
	}
	ev := &eventsv1.CollaborationUpserted{EventId: newEventID(), OccurredAt: now, AggregateId: c.GetId(),
		AggregateVersion: c.GetVersion(), ActorSubject: v.Subject, Collaboration: c}
	var newRev uint64
	if existing == nil {
		newRev, err = s.Collaborations.Create(ctx, c.GetId(), ev)
		if errors.Is(err, grpcerr.ErrAlreadyExists) {
			err = fmt.Errorf("collaboration %s was recorded concurrently: %w", c.GetId(), grpcerr.ErrConflict)
		}
	} else {
		newRev, err = s.Collaborations.Update(ctx, c.GetId(), ev, rev)
	}
	if err != nil {
		return PutResult{}, err
	}
	s.Index.ApplyCollaboration(c.GetId(), ev, newRev)
	return PutResult{Collaboration: c, Created: existing == nil, Changed: true}, nil
}

// GetCollaboration returns a collaboration the viewer may see, without the
// participants the viewer may not see.
func (s *Service) GetCollaboration(v domain.Viewer, id string) (*competenciesv1.Collaboration, error) {
	c, ok := s.Index.Collaboration(id)
	if ok {
		c, ok = s.visibleCollaboration(v, c)
	}
	if !ok {
		return nil, fmt.Errorf("collaboration %q: %w", id, grpcerr.ErrNotFound)
	}
	return c, nil
}

// visibleCollaboration applies the collaboration's visibility and each
// participant's: a participant the viewer may not see is left out and
// counted, and a collaboration with no participant left is not shown.
func (s *Service) visibleCollaboration(v domain.Viewer, c *competenciesv1.Collaboration) (*competenciesv1.Collaboration, bool) {
	if v.Admin {
		return c, true
	}
	holders := make([]domain.Holder, len(c.GetParticipants()))
	for i, p := range c.GetParticipants() {
		ref := domain.HolderRef{Kind: domain.HolderOrganization, ID: p.GetOrganizationId()}
		h, _ := s.Holders.Cached(ref)
		h.Ref = ref
		holders[i] = h
	}
	if !v.CanSeeCollaboration(c.GetVisibility(), holders) {
		return nil, false
	}
	var shown []*competenciesv1.CollaborationParticipant
	for i, p := range c.GetParticipants() {
		if v.ShowsParticipant(holders[i]) {
			shown = append(shown, p)
		}
	}
	if len(shown) == 0 {
		return nil, false
	}
	if len(shown) == len(c.GetParticipants()) {
		return c, true
	}
	out := proto.Clone(c).(*competenciesv1.Collaboration)
	out.Participants = shown
	out.HiddenParticipants = int32(len(c.GetParticipants()) - len(shown))
	return out, true
}

// MaxCollaborationOrgs bounds the organisations one ListCollaborations
// call names.
const MaxCollaborationOrgs = 1000

// ListCollaborations lists the collaborations that an organisation of
// orgIDs took part in, where the viewer may see it among the participants,
// each once, newest year first, then by id.
func (s *Service) ListCollaborations(v domain.Viewer, orgIDs []string, kinds []competenciesv1.CollaborationKind, pageSize int, token string) ([]*competenciesv1.Collaboration, string, error) {
	if len(orgIDs) == 0 {
		return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "organization_id", Description: "is required"})
	}
	if len(orgIDs) > MaxCollaborationOrgs {
		return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "organization_ids", Description: "at most " + strconv.Itoa(MaxCollaborationOrgs) + " items"})
	}
	wanted := make(map[string]bool, len(orgIDs))
	for _, id := range orgIDs {
		if !domain.ValidID(id) {
			return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "organization_ids", Description: "not a valid id"})
		}
		wanted[id] = true
	}
	after, err := decodeCollabToken(token)
	if err != nil {
		return nil, "", err
	}
	var out []*competenciesv1.Collaboration
	seen := map[string]bool{}
	for id := range wanted {
		for _, c := range s.Index.CollaborationsOf(id) {
			if seen[c.GetId()] || len(kinds) > 0 && !slices.Contains(kinds, c.GetKind()) {
				continue
			}
			seen[c.GetId()] = true
			vc, ok := s.visibleCollaboration(v, c)
			if !ok || !slices.ContainsFunc(vc.GetParticipants(), func(p *competenciesv1.CollaborationParticipant) bool { return wanted[p.GetOrganizationId()] }) {
				continue
			}
			if after != nil && collabCmp(vc, after.year, after.id) <= 0 {
				continue
			}
			out = append(out, vc)
		}
	}
	slices.SortFunc(out, func(a, b *competenciesv1.Collaboration) int { return collabCmp(a, b.GetYear(), b.GetId()) })
	next := ""
	if len(out) > pageSize {
		out = out[:pageSize]
		last := out[len(out)-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(int(last.GetYear())) + "|" + last.GetId()))
	}
	return out, next, nil
}

// collabCmp orders by year descending, then id ascending.
func collabCmp(a *competenciesv1.Collaboration, year int32, id string) int {
	if a.GetYear() != year {
		if a.GetYear() > year {
			return -1
		}
		return 1
	}
	return strings.Compare(a.GetId(), id)
}

type collabPos struct {
	year int32
	id   string
}

func decodeCollabToken(tok string) (*collabPos, error) {
	if tok == "" {
		return nil, nil
	}
	bad := grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: "is not a token from a previous response"})
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, bad
	}
	ys, id, ok := strings.Cut(string(b), "|")
	y, err := strconv.Atoi(ys)
	if !ok || err != nil || !domain.ValidID(id) {
		return nil, bad
	}
	return &collabPos{year: int32(y), id: id}, nil
}

// eraseFromCollaboration removes an erased organisation from a
// collaboration. The new state replaces the collaboration's whole history
// (a roll-up), so no stored or published event keeps the erased
// organisation; a collaboration left without participants is erased.
func (s *Service) eraseFromCollaboration(ctx context.Context, key, orgID string) error {
	for {
		cur, rev, err := s.Collaborations.Get(ctx, key)
		if errors.Is(err, grpcerr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		u, ok := cur.(*eventsv1.CollaborationUpserted)
		if !ok {
			s.Index.ApplyCollaboration(key, cur, rev)
			return nil // already erased
		}
		old := u.GetCollaboration()
		if !slices.ContainsFunc(old.GetParticipants(), func(p *competenciesv1.CollaborationParticipant) bool { return p.GetOrganizationId() == orgID }) {
			s.Index.ApplyCollaboration(key, cur, rev)
			return nil
		}
		now := timestamppb.New(s.now())
		var ev proto.Message
		next := proto.Clone(old).(*competenciesv1.Collaboration)
		next.Participants = slices.DeleteFunc(next.Participants, func(p *competenciesv1.CollaborationParticipant) bool { return p.GetOrganizationId() == orgID })
		next.Version, next.UpdatedAt = old.GetVersion()+1, now
		if len(next.GetParticipants()) == 0 {
			ev = &eventsv1.CollaborationErased{EventId: newEventID(), OccurredAt: now, AggregateId: key, AggregateVersion: next.GetVersion(),
				ActorSubject: SystemActor, Reason: eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED}
		} else {
			ev = &eventsv1.CollaborationUpserted{EventId: newEventID(), OccurredAt: now, AggregateId: key, AggregateVersion: next.GetVersion(),
				ActorSubject: SystemActor, Collaboration: next, Reason: eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED}
		}
		newRev, err := s.Collaborations.Erase(ctx, key, ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) {
			continue // changed meanwhile: erase from the newer state
		}
		if err != nil {
			return err
		}
		s.Index.ApplyCollaboration(key, ev, newRev)
		return nil
	}
}
