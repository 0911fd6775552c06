package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

// CreatePerson creates a person in an existing organisation; a retry with the
// same requestID returns the first result.
func (s *Service) CreatePerson(ctx context.Context, in *profilesv1.Person, requestID string) (*profilesv1.Person, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	p := proto.CloneOf(in)
	if p == nil {
		p = &profilesv1.Person{}
	}
	p.Id, p.Version, p.CreatedAt, p.UpdatedAt, p.Redacted = "", 0, nil, nil, false
	viol := append(domain.ValidateRequestID("client_request_id", requestID), domain.ValidatePerson("person.", p)...)
	if in == nil {
		viol = []grpcerr.Violation{{Field: "person", Description: "is required"}}
	}
	if err := invalidIf(viol); err != nil {
		return nil, err
	}
	org, _, err := s.loadOrg(ctx, p.GetOrganizationId())
	if errors.Is(err, grpcerr.ErrNotFound) {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "person.organization_id", Description: "no such organization"})
	}
	if err != nil {
		return nil, err
	}
	if err := v.CanCreatePerson(org); err != nil {
		_, visible := v.OrgView(org)
		if !visible {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "person.organization_id", Description: "no such organization"})
		}
		return nil, err
	}
	id := newID()
	if requestID != "" {
		winner, created, err := s.claims.Claim(ctx, claimKey("person", v, requestID), id)
		if err != nil {
			return nil, fmt.Errorf("create person: %w", err)
		}
		if !created {
			id = winner
			if cur, _, err := s.loadPerson(ctx, id); err == nil {
				return writerPersonView(v, cur, s.orgFor(ctx, cur.GetOrganizationId())), nil
			} else if !errors.Is(err, grpcerr.ErrNotFound) {
				return nil, err
			}
		}
	}
	now := timestamppb.New(s.now())
	p.Id, p.Version, p.CreatedAt, p.UpdatedAt = id, 1, now, now
	stampConsent(p.Contact, nil, now)
	ev := &eventsv1.PersonUpserted{EventId: newID(), OccurredAt: now, AggregateId: id, AggregateVersion: 1, ActorSubject: v.Subject, Person: p}
	if _, err := s.people.Create(ctx, id, ev); err != nil {
		if errors.Is(err, grpcerr.ErrAlreadyExists) && requestID != "" {
			cur, _, gerr := s.loadPerson(ctx, id)
			if gerr != nil {
				return nil, gerr
			}
			return writerPersonView(v, cur, org), nil
		}
		return nil, fmt.Errorf("create person: %w", err)
	}
	// The organisation may have been erased since it was read: its erasure
	// sweeps the people stored before it finished, and one stored after
	// that erases itself here.
	if _, _, err := s.loadOrg(ctx, p.GetOrganizationId()); errors.Is(err, grpcerr.ErrNotFound) {
		if _, err := s.erasePerson(ctx, v.Subject, id, 0); err != nil {
			return nil, fmt.Errorf("create person: organization erased meanwhile: %w", err)
		}
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "person.organization_id", Description: "no such organization"})
	} else if err != nil {
		return nil, err
	}
	s.index.PutPerson(p)
	return p, nil
}

// GetPerson returns one person as the caller may see them.
func (s *Service) GetPerson(ctx context.Context, id string) (*profilesv1.Person, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := invalidIf(idViolation("id", id)); err != nil {
		return nil, err
	}
	p, _, err := s.loadPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	view, ok := v.PersonView(p, s.orgFor(ctx, p.GetOrganizationId()))
	if !ok {
		return nil, fmt.Errorf("person %s: %w", id, grpcerr.ErrNotFound)
	}
	return view, nil
}

// UpdatePerson applies the masked fields of in if the person is still at
// expectedVersion.
func (s *Service) UpdatePerson(ctx context.Context, in *profilesv1.Person, expectedVersion int64, paths []string) (*profilesv1.Person, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	viol := idViolation("person.id", in.GetId())
	if in == nil {
		viol = []grpcerr.Violation{{Field: "person", Description: "is required"}}
	}
	if expectedVersion < 1 {
		viol = append(viol, grpcerr.Violation{Field: "expected_version", Description: "must be the version last read (1 or more)"})
	}
	if err := invalidIf(viol); err != nil {
		return nil, err
	}
	cur, rev, err := s.loadPerson(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	org := s.orgFor(ctx, cur.GetOrganizationId())
	if err := v.CanEditPerson(cur, org); err != nil {
		_, visible := v.PersonView(cur, org)
		return nil, denyOrHide(err, visible, "person", cur.GetId())
	}
	if cur.GetVersion() != expectedVersion {
		return nil, fmt.Errorf("person %s is at version %d, not %d: %w", cur.GetId(), cur.GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	if in.GetOrganizationId() != "" && in.GetOrganizationId() != cur.GetOrganizationId() {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "person.organization_id", Description: "cannot change; create the person in the other organization"})
	}
	next, err := domain.MergePerson(cur, in, paths)
	if err != nil {
		return nil, err
	}
	if err := invalidIf(domain.ValidatePerson("person.", next)); err != nil {
		return nil, err
	}
	now := timestamppb.New(s.now())
	next.Version, next.UpdatedAt = cur.GetVersion()+1, now
	stampConsent(next.Contact, cur.GetContact(), now)
	ev := &eventsv1.PersonUpserted{EventId: newID(), OccurredAt: now, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: v.Subject, Person: next}
	if _, err := s.people.Update(ctx, cur.GetId(), ev, rev); err != nil {
		return nil, fmt.Errorf("update person: %w", err)
	}
	s.index.PutPerson(next)
	return next, nil
}

// ErasePerson erases one person.
func (s *Service) ErasePerson(ctx context.Context, id string, expectedVersion int64, reason string) (time.Time, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return time.Time{}, err
	}
	viol := idViolation("id", id)
	if len(reason) > domain.MaxTextLen {
		viol = append(viol, grpcerr.Violation{Field: "reason", Description: "too long"})
	}
	if err := invalidIf(viol); err != nil {
		return time.Time{}, err
	}
	cur, _, err := s.loadPerson(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	org := s.orgFor(ctx, cur.GetOrganizationId())
	if err := v.CanEditPerson(cur, org); err != nil {
		_, visible := v.PersonView(cur, org)
		return time.Time{}, denyOrHide(err, visible, "person", id)
	}
	ok, err := s.erasePerson(ctx, v.Subject, id, expectedVersion)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Time{}, fmt.Errorf("person %s: %w", id, grpcerr.ErrNotFound)
	}
	s.log.InfoContext(ctx, "person erased", "person_id", id, "actor", v.Subject, "reason", reason)
	return s.now(), nil
}

// ListPeopleFilter are the filters of ListPeople.
type ListPeopleFilter struct {
	OrganizationID string
	Query          string
	ORCID          string
	// IDs, when set, lists only these people (at most MaxPeopleIDs).
	IDs []string
}

// MaxPeopleIDs bounds the ids of one ListPeople call.
const MaxPeopleIDs = 500

// ListPeople lists the people visible to the caller that pass f, ordered by
// name then id.
func (s *Service) ListPeople(ctx context.Context, f ListPeopleFilter, size int32, token string) ([]*profilesv1.Person, string, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, "", err
	}
	n, viol := pageSize(size)
	if f.OrganizationID != "" && !domain.ValidID(f.OrganizationID) {
		viol = append(viol, grpcerr.Violation{Field: "organization_id", Description: "is not an id of this service"})
	}
	if len(f.Query) > domain.MaxNameLen {
		viol = append(viol, grpcerr.Violation{Field: "query", Description: "too long"})
	}
	if f.ORCID != "" && !domain.ValidORCID(f.ORCID) {
		viol = append(viol, grpcerr.Violation{Field: "orcid", Description: "must be an ORCID iD with a valid check digit"})
	}
	viol = append(viol, validateIDs(f.IDs, MaxPeopleIDs)...)
	if err := invalidIf(viol); err != nil {
		return nil, "", err
	}
	ids := slices.Sorted(slices.Values(f.IDs))
	fh := filterHash("people", f.OrganizationID, f.Query, f.ORCID, joinSorted(ids))
	var after sortKey
	if token != "" {
		p, err := s.tokens.Decode(token, fh)
		if err != nil {
			return nil, "", err
		}
		after = sortKey{anon: p.Anon, name: p.Name, id: p.ID}
	}
	query := domain.Fold(strings.TrimSpace(f.Query))
	var (
		out  []*profilesv1.Person
		last sortKey
		more bool
	)
	scan := s.index.scanPeople
	if len(ids) > 0 {
		scan = func(after sortKey, fn func(*personEntry, *profilesv1.Organization) bool) {
			s.index.scanPeopleIn(ids, after, fn)
		}
	}
	scan(after, func(e *personEntry, org *profilesv1.Organization) bool {
		if f.OrganizationID != "" && e.p.GetOrganizationId() != f.OrganizationID {
			return true
		}
		access := v.PersonAccess(e.p, org)
		if access == domain.AccessNone {
			return true
		}
		if query != "" && (access == domain.AccessAnonymous || (!strings.Contains(e.foldName, query) && !strings.Contains(e.foldRole, query))) {
			return true
		}
		if f.ORCID != "" && (access == domain.AccessAnonymous || e.p.GetOrcid() != f.ORCID) {
			return true
		}
		if len(out) == n {
			more = true
			return false
		}
		view, _ := v.PersonViewAt(e.p, access)
		out = append(out, view)
		last = e.key
		return true
	})
	next := ""
	if more {
		next = s.tokens.Encode(pagePosition{Anon: last.anon, Name: last.name, ID: last.id, Filter: fh})
	}
	return out, next, nil
}
