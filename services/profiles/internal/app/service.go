// Package app holds the use cases of the profiles service: create, read,
// update, list and erase organisations and people, with validation,
// visibility, authorisation, idempotency and events.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/eventkv"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

// EventStore keeps aggregates as their latest event (eventkv.Store).
type EventStore interface {
	Create(ctx context.Context, key string, ev proto.Message) (uint64, error)
	Update(ctx context.Context, key string, ev proto.Message, lastRev uint64) (uint64, error)
	Erase(ctx context.Context, key string, erasedEv proto.Message, lastRev uint64) (uint64, error)
	Get(ctx context.Context, key string) (proto.Message, uint64, error)
	// LastRevision is the store's latest revision, as its leader knows it.
	LastRevision(ctx context.Context) (uint64, error)
	// WriteMany stores many writes at once, each as Create or Update would.
	WriteMany(ctx context.Context, ws []eventkv.Write) []eventkv.Written
}

// Claims remembers which resource a client request created (eventkv.Claims).
type Claims interface {
	Claim(ctx context.Context, key, value string) (winner string, created bool, err error)
	// ClaimMany claims many keys at once, each as Claim would.
	ClaimMany(ctx context.Context, keys, values []string) []eventkv.ClaimResult
}

// Page sizes of lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Service implements the profiles use cases.
type Service struct {
	orgs, people EventStore
	claims       Claims
	index        *Index
	tokens       *PageTokens
	log          *slog.Logger
	now          func() time.Time
}

// New returns the service over its stores.
func New(orgs, people EventStore, claims Claims, index *Index, tokens *PageTokens, log *slog.Logger) *Service {
	return &Service{orgs: orgs, people: people, claims: claims, index: index, tokens: tokens, log: log, now: time.Now}
}

func newID() string { return ulid.Make().String() }

// viewer returns the authenticated caller, or Unauthenticated.
func (s *Service) viewer(ctx context.Context) (domain.Viewer, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return domain.Viewer{}, err
	}
	var orgClusters []string
	if p.Organization != "" {
		if o, ok := s.index.Org(p.Organization); ok {
			orgClusters = domain.OrgClusters(o)
		}
	}
	return domain.ViewerOf(p, orgClusters), nil
}

func invalidIf(v []grpcerr.Violation) error {
	if len(v) > 0 {
		return grpcerr.Invalid(v...)
	}
	return nil
}

func idViolation(field, id string) []grpcerr.Violation {
	switch {
	case id == "":
		return []grpcerr.Violation{{Field: field, Description: "is required"}}
	case !domain.ValidID(id):
		return []grpcerr.Violation{{Field: field, Description: "is not an id of this service"}}
	}
	return nil
}

// loadOrg reads an organisation from the store; erased ones are NotFound.
func (s *Service) loadOrg(ctx context.Context, id string) (*profilesv1.Organization, uint64, error) {
	ev, rev, err := s.orgs.Get(ctx, id)
	if err != nil && !errors.Is(err, grpcerr.ErrNotFound) {
		return nil, 0, fmt.Errorf("organization %s: %w", id, err)
	}
	// Missing, erased and (in the callers) hidden read the same.
	up, ok := ev.(*eventsv1.OrganizationUpserted)
	if err != nil || !ok {
		return nil, 0, fmt.Errorf("organization %s: %w", id, grpcerr.ErrNotFound)
	}
	return up.GetOrganization(), rev, nil
}

func (s *Service) loadPerson(ctx context.Context, id string) (*profilesv1.Person, uint64, error) {
	ev, rev, err := s.people.Get(ctx, id)
	if err != nil && !errors.Is(err, grpcerr.ErrNotFound) {
		return nil, 0, fmt.Errorf("person %s: %w", id, err)
	}
	up, ok := ev.(*eventsv1.PersonUpserted)
	if err != nil || !ok {
		return nil, 0, fmt.Errorf("person %s: %w", id, grpcerr.ErrNotFound)
	}
	return up.GetPerson(), rev, nil
}

// orgFor returns a person's organisation from the index, falling back to the
// store for one written by another replica the index has not seen yet.
func (s *Service) orgFor(ctx context.Context, id string) *profilesv1.Organization {
	if o, ok := s.index.Org(id); ok {
		return o
	}
	o, _, err := s.loadOrg(ctx, id)
	if err != nil {
		return nil
	}
	return o
}

// denyOrHide turns a refusal into NotFound when the caller may not even see
// the resource, so writes do not reveal what reads hide.
func denyOrHide(err error, visible bool, what, id string) error {
	if visible {
		return err
	}
	return fmt.Errorf("%s %s: %w", what, id, grpcerr.ErrNotFound)
}

// writerOrgView is what a write returns: everything to those who may edit
// the organisation, otherwise the caller's read view.
func writerOrgView(v domain.Viewer, o *profilesv1.Organization) *profilesv1.Organization {
	if v.CanEditOrg(o, nil) == nil {
		return o
	}
	if view, ok := v.OrgView(o); ok {
		return view
	}
	return &profilesv1.Organization{Id: o.GetId(), Version: o.GetVersion(), Redacted: true}
}

func writerPersonView(v domain.Viewer, p *profilesv1.Person, org *profilesv1.Organization) *profilesv1.Person {
	if v.CanEditPerson(p, org) == nil {
		return p
	}
	if view, ok := v.PersonView(p, org); ok {
		return view
	}
	return &profilesv1.Person{Id: p.GetId(), OrganizationId: p.GetOrganizationId(), Version: p.GetVersion(), Redacted: true}
}

// checkClusters makes sure every membership that before lacks points at an
// existing cluster; memberships already held stay valid even if their
// cluster was erased since, so such organisations can still be edited.
func (s *Service) checkClusters(ctx context.Context, prefix string, o, before *profilesv1.Organization) error {
	var bad []grpcerr.Violation
	held := map[string]bool{}
	for _, m := range before.GetClusterMemberships() {
		held[m.GetClusterId()] = true
	}
	for i, m := range o.GetClusterMemberships() {
		if held[m.GetClusterId()] {
			continue
		}
		c := s.orgFor(ctx, m.GetClusterId())
		if c == nil || c.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
			bad = append(bad, grpcerr.Violation{
				Field:       fmt.Sprintf("%scluster_memberships[%d].cluster_id", prefix, i),
				Description: "is not an organization of kind ORGANIZATION_KIND_CLUSTER",
			})
		}
	}
	return invalidIf(bad)
}

func stampConsent(c, before *profilesv1.Contact, now *timestamppb.Timestamp) {
	if c == nil {
		return
	}
	switch {
	case before == nil || before.GetConsentToShare() != c.GetConsentToShare():
		c.ConsentUpdatedAt = now
	default:
		c.ConsentUpdatedAt = before.GetConsentUpdatedAt()
	}
}

// CreateOrganization creates o; a retry with the same requestID returns the
// first result.
func (s *Service) CreateOrganization(ctx context.Context, in *profilesv1.Organization, requestID string) (*profilesv1.Organization, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.newOrg(ctx, v, in, requestID)
	if err != nil {
		return nil, err
	}
	id := newID()
	if requestID != "" {
		winner, created, err := s.claims.Claim(ctx, claimKey("organization", v, requestID), id)
		if err != nil {
			return nil, fmt.Errorf("create organization: %w", err)
		}
		if !created {
			return s.createClaimed(ctx, v, o, winner, requestID)
		}
	}
	_, err = s.orgs.Create(ctx, id, s.orgCreated(v, o, id))
	return s.created(ctx, v, o, requestID, err)
}

// newOrg checks that v may create in with requestID and returns the
// organisation to create, without its id.
func (s *Service) newOrg(ctx context.Context, v domain.Viewer, in *profilesv1.Organization, requestID string) (*profilesv1.Organization, error) {
	o := proto.CloneOf(in)
	if o == nil {
		o = &profilesv1.Organization{}
	}
	o.Id, o.Version, o.CreatedAt, o.UpdatedAt, o.Redacted = "", 0, nil, nil, false
	o.Visibility = domain.EffectiveOrgVisibility(o.GetVisibility())
	viol := append(domain.ValidateRequestID("client_request_id", requestID), domain.ValidateOrganization("organization.", o)...)
	if in == nil {
		viol = []grpcerr.Violation{{Field: "organization", Description: "is required"}}
	}
	if err := invalidIf(viol); err != nil {
		return nil, err
	}
	if err := s.checkClusters(ctx, "organization.", o, nil); err != nil {
		return nil, err
	}
	if err := v.CanCreateOrg(o); err != nil {
		return nil, err
	}
	return o, nil
}

// createClaimed creates o under id, the id an earlier attempt of the same
// request claimed, unless that attempt created it: then it answers what
// the store holds. (The first attempt may have died after claiming: then
// its id is still free and this attempt creates it.)
func (s *Service) createClaimed(ctx context.Context, v domain.Viewer, o *profilesv1.Organization, id, requestID string) (*profilesv1.Organization, error) {
	if cur, _, err := s.loadOrg(ctx, id); err == nil {
		return writerOrgView(v, cur), nil
	} else if !errors.Is(err, grpcerr.ErrNotFound) {
		return nil, err
	}
	_, err := s.orgs.Create(ctx, id, s.orgCreated(v, o, id))
	return s.created(ctx, v, o, requestID, err)
}

// orgCreated stamps o as created now under id and returns its event.
func (s *Service) orgCreated(v domain.Viewer, o *profilesv1.Organization, id string) *eventsv1.OrganizationUpserted {
	now := timestamppb.New(s.now())
	o.Id, o.Version, o.CreatedAt, o.UpdatedAt = id, 1, now, now
	stampConsent(o.Contact, nil, now)
	return &eventsv1.OrganizationUpserted{EventId: newID(), OccurredAt: now, AggregateId: id, AggregateVersion: 1, ActorSubject: v.Subject, Organization: o}
}

// created answers the create of o whose write ended with err.
func (s *Service) created(ctx context.Context, v domain.Viewer, o *profilesv1.Organization, requestID string, err error) (*profilesv1.Organization, error) {
	if err != nil {
		if errors.Is(err, grpcerr.ErrAlreadyExists) && requestID != "" {
			// A concurrent retry of the same request won the race, or the
			// organisation was erased since: answer what the store holds.
			cur, _, gerr := s.loadOrg(ctx, o.GetId())
			if gerr != nil {
				return nil, gerr
			}
			return writerOrgView(v, cur), nil
		}
		return nil, fmt.Errorf("create organization: %w", err)
	}
	s.index.PutOrg(o)
	return o, nil
}

// GetOrganization returns one organisation as the caller may see it.
func (s *Service) GetOrganization(ctx context.Context, id string) (*profilesv1.Organization, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := invalidIf(idViolation("id", id)); err != nil {
		return nil, err
	}
	o, _, err := s.loadOrg(ctx, id)
	if err != nil {
		return nil, err
	}
	view, ok := v.OrgView(o)
	if !ok {
		return nil, fmt.Errorf("organization %s: %w", id, grpcerr.ErrNotFound)
	}
	return view, nil
}

// UpdateOrganization applies the masked fields of in if the organisation is
// still at expectedVersion.
func (s *Service) UpdateOrganization(ctx context.Context, in *profilesv1.Organization, expectedVersion int64, paths []string) (*profilesv1.Organization, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, err
	}
	viol := idViolation("organization.id", in.GetId())
	if in == nil {
		viol = []grpcerr.Violation{{Field: "organization", Description: "is required"}}
	}
	if expectedVersion < 1 {
		viol = append(viol, grpcerr.Violation{Field: "expected_version", Description: "must be the version last read (1 or more)"})
	}
	if err := invalidIf(viol); err != nil {
		return nil, err
	}
	cur, rev, err := s.loadOrg(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	if err := v.CanEditOrg(cur, nil); err != nil {
		_, visible := v.OrgView(cur)
		return nil, denyOrHide(err, visible, "organization", cur.GetId())
	}
	if cur.GetVersion() != expectedVersion {
		return nil, fmt.Errorf("organization %s is at version %d, not %d: %w", cur.GetId(), cur.GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	next, err := domain.MergeOrganization(cur, in, paths)
	if err != nil {
		return nil, err
	}
	next.Visibility = domain.EffectiveOrgVisibility(next.GetVisibility())
	if err := invalidIf(domain.ValidateOrganization("organization.", next)); err != nil {
		return nil, err
	}
	if err := v.CanEditOrg(cur, next); err != nil {
		return nil, err
	}
	if err := s.checkClusters(ctx, "organization.", next, cur); err != nil {
		return nil, err
	}
	now := timestamppb.New(s.now())
	next.Version, next.UpdatedAt = cur.GetVersion()+1, now
	stampConsent(next.Contact, cur.GetContact(), now)
	ev := &eventsv1.OrganizationUpserted{EventId: newID(), OccurredAt: now, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: v.Subject, Organization: next}
	if _, err := s.orgs.Update(ctx, cur.GetId(), ev, rev); err != nil {
		return nil, fmt.Errorf("update organization: %w", err)
	}
	s.index.PutOrg(next)
	return next, nil
}

// EraseOrganization erases an organisation and its people; every person gets
// a PersonErased event before the organisation's OrganizationErased, so an
// interrupted erase is completed by repeating it.
func (s *Service) EraseOrganization(ctx context.Context, id string, expectedVersion int64, reason string) ([]string, time.Time, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	viol := idViolation("id", id)
	if len(reason) > domain.MaxTextLen {
		viol = append(viol, grpcerr.Violation{Field: "reason", Description: "too long"})
	}
	if err := invalidIf(viol); err != nil {
		return nil, time.Time{}, err
	}
	cur, rev, err := s.loadOrg(ctx, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	if err := v.CanEditOrg(cur, nil); err != nil {
		_, visible := v.OrgView(cur)
		return nil, time.Time{}, denyOrHide(err, visible, "organization", id)
	}
	if expectedVersion != 0 && cur.GetVersion() != expectedVersion {
		return nil, time.Time{}, fmt.Errorf("organization %s is at version %d, not %d: %w", id, cur.GetVersion(), expectedVersion, grpcerr.ErrConflict)
	}
	var erased []string
	for _, pid := range s.index.PeopleOf(id) {
		ok, err := s.erasePerson(ctx, v.Subject, pid, 0)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("erase organization %s: %w", id, err)
		}
		if ok {
			erased = append(erased, pid)
		}
	}
	now := s.now()
	ev := &eventsv1.OrganizationErased{EventId: newID(), OccurredAt: timestamppb.New(now), AggregateId: id, AggregateVersion: cur.GetVersion() + 1, ActorSubject: v.Subject, ErasedPersonIds: erased}
	if _, err := s.orgs.Erase(ctx, id, ev, rev); err != nil {
		return nil, time.Time{}, fmt.Errorf("erase organization: %w", err)
	}
	s.index.EraseOrg(id)
	late, err := s.eraseLatePeople(ctx, v.Subject, id, erased)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("erase organization %s: %w", id, err)
	}
	erased = append(erased, late...)
	s.log.InfoContext(ctx, "organization erased", "organization_id", id, "people", len(erased), "actor", v.Subject, "reason", reason)
	return erased, now, nil
}

// eraseLatePeople erases the people of an erased organisation that another
// replica created while it was being erased: the index is first brought up
// to every person stored until now. A person stored later finds the
// organisation gone when CreatePerson checks again, and erases itself.
func (s *Service) eraseLatePeople(ctx context.Context, actor, orgID string, done []string) ([]string, error) {
	last, err := s.people.LastRevision(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.index.WaitPeople(ctx, last); err != nil {
		return nil, err
	}
	var late []string
	for _, pid := range s.index.PeopleOf(orgID) {
		if slices.Contains(done, pid) {
			continue
		}
		ok, err := s.erasePerson(ctx, actor, pid, 0)
		if err != nil {
			return nil, err
		}
		if ok {
			late = append(late, pid)
		}
	}
	return late, nil
}

// erasePerson erases one person; it reports false when the person was
// already gone. expectedVersion 0 erases whatever version is current.
func (s *Service) erasePerson(ctx context.Context, actor, id string, expectedVersion int64) (bool, error) {
	for attempt := 0; ; attempt++ {
		p, rev, err := s.loadPerson(ctx, id)
		if errors.Is(err, grpcerr.ErrNotFound) {
			s.index.ErasePerson(id)
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if expectedVersion != 0 && p.GetVersion() != expectedVersion {
			return false, fmt.Errorf("person %s is at version %d, not %d: %w", id, p.GetVersion(), expectedVersion, grpcerr.ErrConflict)
		}
		ev := &eventsv1.PersonErased{EventId: newID(), OccurredAt: timestamppb.New(s.now()), AggregateId: id, AggregateVersion: p.GetVersion() + 1, ActorSubject: actor, OrganizationId: p.GetOrganizationId()}
		_, err = s.people.Erase(ctx, id, ev, rev)
		if errors.Is(err, grpcerr.ErrConflict) && expectedVersion == 0 && attempt < 3 {
			continue // changed meanwhile; erase the newer version
		}
		if err != nil {
			return false, fmt.Errorf("erase person %s: %w", id, err)
		}
		s.index.ErasePerson(id)
		return true, nil
	}
}

// ListOrgsFilter are the filters of ListOrganizations.
type ListOrgsFilter struct {
	Kinds        []profilesv1.OrganizationKind
	Sectors      []profilesv1.Sector
	NUTSPrefixes []string
	Countries    []string
	ClusterID    string
	Query        string
	ExternalID   string // "source:id"
	// IDs, when set, lists only these organisations (at most MaxOrgIDs).
	IDs []string
}

// MaxOrgIDs bounds the ids of one ListOrganizations call.
const MaxOrgIDs = 500

func (f ListOrgsFilter) hash() uint64 {
	kinds := make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		kinds[i] = k.String()
	}
	sectors := make([]string, len(f.Sectors))
	for i, k := range f.Sectors {
		sectors[i] = k.String()
	}
	return filterHash("orgs", joinSorted(kinds), joinSorted(sectors), joinSorted(f.NUTSPrefixes), joinSorted(f.Countries), f.ClusterID, f.Query, f.ExternalID, joinSorted(slices.Sorted(slices.Values(f.IDs))))
}

func (f ListOrgsFilter) validate() []grpcerr.Violation {
	var v []grpcerr.Violation
	for i, k := range f.Kinds {
		if profilesv1.OrganizationKind_name[int32(k)] == "" || k == 0 {
			v = append(v, grpcerr.Violation{Field: fmt.Sprintf("kinds[%d]", i), Description: "unknown kind"})
		}
	}
	for i, k := range f.Sectors {
		if profilesv1.Sector_name[int32(k)] == "" || k == 0 {
			v = append(v, grpcerr.Violation{Field: fmt.Sprintf("sectors[%d]", i), Description: "unknown sector"})
		}
	}
	for i, p := range f.NUTSPrefixes {
		if len(p) < 2 || len(p) > 5 || strings.ToUpper(p) != p || !isAlnum(p) {
			v = append(v, grpcerr.Violation{Field: fmt.Sprintf("nuts_prefixes[%d]", i), Description: "must be a NUTS code or prefix such as ITH4"})
		}
	}
	for i, c := range f.Countries {
		if !domain.ValidCountry(c) {
			v = append(v, grpcerr.Violation{Field: fmt.Sprintf("country_codes[%d]", i), Description: "must be an ISO 3166-1 alpha-2 code"})
		}
	}
	if f.ClusterID != "" && !domain.ValidID(f.ClusterID) {
		v = append(v, grpcerr.Violation{Field: "cluster_id", Description: "is not an id of this service"})
	}
	if len(f.Query) > domain.MaxNameLen {
		v = append(v, grpcerr.Violation{Field: "query", Description: "too long"})
	}
	if f.ExternalID != "" && !strings.Contains(f.ExternalID, ":") {
		v = append(v, grpcerr.Violation{Field: "external_id", Description: `must be "source:id"`})
	}
	return append(v, validateIDs(f.IDs, MaxOrgIDs)...)
}

// validateIDs checks the ids filter of a list: at most limit, each an id of
// this service.
func validateIDs(ids []string, limit int) []grpcerr.Violation {
	if len(ids) > limit {
		return []grpcerr.Violation{{Field: "ids", Description: fmt.Sprintf("at most %d", limit)}}
	}
	var v []grpcerr.Violation
	for i, id := range ids {
		if !domain.ValidID(id) {
			v = append(v, grpcerr.Violation{Field: fmt.Sprintf("ids[%d]", i), Description: "is not an id of this service"})
		}
	}
	return v
}

func isAlnum(s string) bool {
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func pageSize(n int32) (int, []grpcerr.Violation) {
	switch {
	case n < 0:
		return 0, []grpcerr.Violation{{Field: "page_size", Description: "must not be negative"}}
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(n), nil
}

// ListOrganizations lists the organisations visible to the caller that pass f,
// ordered by name then id.
func (s *Service) ListOrganizations(ctx context.Context, f ListOrgsFilter, size int32, token string) ([]*profilesv1.Organization, string, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, "", err
	}
	n, viol := pageSize(size)
	viol = append(viol, f.validate()...)
	if err := invalidIf(viol); err != nil {
		return nil, "", err
	}
	fh := f.hash()
	var after sortKey
	if token != "" {
		p, err := s.tokens.Decode(token, fh)
		if err != nil {
			return nil, "", err
		}
		after = sortKey{anon: p.Anon, name: p.Name, id: p.ID}
	}
	query := domain.Fold(strings.TrimSpace(f.Query))
	extSource, extID, _ := strings.Cut(f.ExternalID, ":")
	var (
		out  []*profilesv1.Organization
		last sortKey
		more bool
	)
	scan := s.index.scanOrgs
	if len(f.IDs) > 0 {
		scan = func(after sortKey, fn func(*orgEntry) bool) {
			s.index.scanOrgsIn(f.IDs, after, fn)
		}
	}
	scan(after, func(e *orgEntry) bool {
		o := e.org
		if !matchOrg(o, f) {
			return true
		}
		access := v.OrgAccess(o)
		if access == domain.AccessNone {
			return true
		}
		// Identity filters only match what the caller may see, so an
		// anonymous organisation cannot be found by its name.
		if query != "" && (access == domain.AccessAnonymous || (!strings.Contains(e.foldName, query) && !strings.Contains(e.foldShort, query))) {
			return true
		}
		if f.ExternalID != "" && (access == domain.AccessAnonymous || o.GetExternalIds()[extSource] != extID) {
			return true
		}
		if len(out) == n {
			more = true
			return false
		}
		view, _ := v.OrgViewAt(o, access)
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

func matchOrg(o *profilesv1.Organization, f ListOrgsFilter) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, o.GetKind()) {
		return false
	}
	if len(f.Sectors) > 0 && !slices.ContainsFunc(o.GetSectors(), func(s profilesv1.Sector) bool { return slices.Contains(f.Sectors, s) }) {
		return false
	}
	if len(f.NUTSPrefixes) > 0 && !slices.ContainsFunc(f.NUTSPrefixes, func(p string) bool { return o.GetNutsCode() != "" && strings.HasPrefix(o.GetNutsCode(), p) }) {
		return false
	}
	if len(f.Countries) > 0 && !slices.Contains(f.Countries, o.GetCountryCode()) {
		return false
	}
	if f.ClusterID != "" && !slices.ContainsFunc(o.GetClusterMemberships(), func(m *profilesv1.ClusterMembership) bool { return m.GetClusterId() == f.ClusterID }) {
		return false
	}
	return true
}

// claimKey scopes a client request id to its caller, so one caller's id
// never answers with, nor blocks, another caller's resource.
func claimKey(kind string, v domain.Viewer, requestID string) string {
	return kind + ":" + v.Subject + ":" + requestID
}
