package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/btree"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

// Index is the in-memory read model behind lists and cross-entity look-ups.
// The stores' watches feed it, and every write of this replica applies its
// result at once, so a caller reads its own writes. Entries only ever move
// forward in version, and erased ids stay as tombstones, so a late or
// replayed event changes nothing.
type Index struct {
	mu       sync.RWMutex
	orgs     map[string]*orgEntry
	people   map[string]*personEntry
	orgOrder *btree.BTreeG[sortKey] // orgs by folded name then id
	ppOrder  *btree.BTreeG[sortKey] // people by folded name then id
	byOrg    map[string]map[string]bool
	erased   map[string]bool

	// peopleRev is the people bucket's revision the watch feeding the index
	// has passed; peopleMoved is closed (and replaced) when it grows.
	peopleRev   uint64
	peopleMoved chan struct{}
}

type orgEntry struct {
	org       *profilesv1.Organization
	key       sortKey
	foldName  string
	foldShort string
}

type personEntry struct {
	p        *profilesv1.Person
	key      sortKey
	foldName string
	foldRole string
}

// sortKey orders list results: folded name, then id. Anonymous profiles
// come after all named ones, ordered by id alone: were they placed by
// name, a caller renaming their own organisation could bisect an anonymous
// name from where it sorts.
type sortKey struct {
	anon     bool
	name, id string
}

func (a sortKey) compare(b sortKey) int {
	if a.anon != b.anon {
		if a.anon {
			return 1
		}
		return -1
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		orgs:     map[string]*orgEntry{},
		people:   map[string]*personEntry{},
		byOrg:    map[string]map[string]bool{},
		erased:   map[string]bool{},
		orgOrder: btree.NewG(32, sortKey.less),
		ppOrder:  btree.NewG(32, sortKey.less),

		peopleMoved: make(chan struct{}),
	}
}

// PassedPeople records that every entry of the people bucket up to rev is
// in the index.
func (x *Index) PassedPeople(rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if rev > x.peopleRev {
		x.peopleRev = rev
		close(x.peopleMoved)
		x.peopleMoved = make(chan struct{})
	}
}

// WaitPeople returns once the index holds every entry of the people bucket
// up to rev, or with ctx's error.
func (x *Index) WaitPeople(ctx context.Context, rev uint64) error {
	for {
		x.mu.RLock()
		passed, moved := x.peopleRev, x.peopleMoved
		x.mu.RUnlock()
		if passed >= rev {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("people index at revision %d, waiting for %d: %w", passed, rev, ctx.Err())
		}
	}
}

func (a sortKey) less(b sortKey) bool { return a.compare(b) < 0 }

// Apply feeds one stored event into the index.
func (x *Index) Apply(ev proto.Message) {
	switch e := ev.(type) {
	case *eventsv1.OrganizationUpserted:
		x.PutOrg(e.GetOrganization())
	case *eventsv1.OrganizationErased:
		x.EraseOrg(e.GetAggregateId())
	case *eventsv1.PersonUpserted:
		x.PutPerson(e.GetPerson())
	case *eventsv1.PersonErased:
		x.ErasePerson(e.GetAggregateId())
	}
}

// PutOrg stores o unless the index holds a newer version or o was erased.
func (x *Index) PutOrg(o *profilesv1.Organization) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id := o.GetId()
	if x.erased[id] {
		return
	}
	if cur, ok := x.orgs[id]; ok {
		if cur.org.GetVersion() >= o.GetVersion() {
			return
		}
		x.orgOrder.Delete(cur.key)
	}
	e := &orgEntry{org: o, foldName: domain.Fold(o.GetName()), foldShort: domain.Fold(o.GetShortName())}
	e.key = keyOf(e.foldName, id, domain.EffectiveOrgVisibility(o.GetVisibility()))
	x.orgs[id] = e
	x.orgOrder.ReplaceOrInsert(e.key)
	// Its people without a visibility of their own follow the organisation's.
	for pid := range x.byOrg[id] {
		pe := x.people[pid]
		if k := keyOf(pe.foldName, pid, domain.EffectivePersonVisibility(pe.p, o)); k != pe.key {
			x.ppOrder.Delete(pe.key)
			pe.key = k
			x.ppOrder.ReplaceOrInsert(k)
		}
	}
}

func keyOf(foldName, id string, vis profilesv1.Visibility) sortKey {
	if vis == profilesv1.Visibility_VISIBILITY_ANONYMOUS {
		return sortKey{anon: true, id: id}
	}
	return sortKey{name: foldName, id: id}
}

// EraseOrg removes an organisation for good.
func (x *Index) EraseOrg(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.erased[id] = true
	if cur, ok := x.orgs[id]; ok {
		x.orgOrder.Delete(cur.key)
		delete(x.orgs, id)
	}
}

// PutPerson stores p unless the index holds a newer version or p was erased.
func (x *Index) PutPerson(p *profilesv1.Person) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id := p.GetId()
	if x.erased[id] {
		return
	}
	if cur, ok := x.people[id]; ok {
		if cur.p.GetVersion() >= p.GetVersion() {
			return
		}
		x.ppOrder.Delete(cur.key)
		delete(x.byOrg[cur.p.GetOrganizationId()], id)
	}
	e := &personEntry{p: p, foldName: domain.Fold(p.GetName()), foldRole: domain.Fold(p.GetRole())}
	var org *profilesv1.Organization
	if oe, ok := x.orgs[p.GetOrganizationId()]; ok {
		org = oe.org
	}
	e.key = keyOf(e.foldName, id, domain.EffectivePersonVisibility(p, org))
	x.people[id] = e
	x.ppOrder.ReplaceOrInsert(e.key)
	set := x.byOrg[p.GetOrganizationId()]
	if set == nil {
		set = map[string]bool{}
		x.byOrg[p.GetOrganizationId()] = set
	}
	set[id] = true
}

// ErasePerson removes a person for good.
func (x *Index) ErasePerson(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.erased[id] = true
	if cur, ok := x.people[id]; ok {
		x.ppOrder.Delete(cur.key)
		delete(x.byOrg[cur.p.GetOrganizationId()], id)
		delete(x.people, id)
	}
}

// Org returns the indexed organisation (shared: do not modify).
func (x *Index) Org(id string) (*profilesv1.Organization, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.orgs[id]
	if !ok {
		return nil, false
	}
	return e.org, true
}

// PeopleOf lists the ids of an organisation's people, sorted.
func (x *Index) PeopleOf(orgID string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids := make([]string, 0, len(x.byOrg[orgID]))
	for id := range x.byOrg[orgID] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Counts reports how many organisations and people the index holds.
func (x *Index) Counts() (orgs, people int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.orgs), len(x.people)
}

// scanOrgs calls fn for every organisation after `after` in list order until
// fn returns false.
func (x *Index) scanOrgs(after sortKey, fn func(e *orgEntry) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.orgOrder.AscendGreaterOrEqual(after, func(k sortKey) bool {
		if k == after {
			return true
		}
		return fn(x.orgs[k.id])
	})
}

// scanOrgsIn is scanOrgs over the organisations with these ids only: it
// looks them up rather than walking every organisation.
func (x *Index) scanOrgsIn(ids []string, after sortKey, fn func(e *orgEntry) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range lookupInOrder(x.orgs, ids, after, func(e *orgEntry) sortKey { return e.key }) {
		if !fn(e) {
			return
		}
	}
}

// lookupInOrder returns the entries of m named by ids that come after
// `after`, in list order, each once.
func lookupInOrder[E comparable](m map[string]E, ids []string, after sortKey, key func(E) sortKey) []E {
	var found []E
	for _, id := range ids {
		if e, ok := m[id]; ok && key(e).compare(after) > 0 {
			found = append(found, e)
		}
	}
	slices.SortFunc(found, func(a, b E) int { return key(a).compare(key(b)) })
	return slices.Compact(found)
}

// scanPeopleIn is scanPeople over the people with these ids only: it looks
// them up rather than walking everyone.
func (x *Index) scanPeopleIn(ids []string, after sortKey, fn func(e *personEntry, org *profilesv1.Organization) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range lookupInOrder(x.people, ids, after, func(e *personEntry) sortKey { return e.key }) {
		var org *profilesv1.Organization
		if oe, ok := x.orgs[e.p.GetOrganizationId()]; ok {
			org = oe.org
		}
		if !fn(e, org) {
			return
		}
	}
}

// scanPeople is scanOrgs for people; org looks up the person's organisation
// under the same lock.
func (x *Index) scanPeople(after sortKey, fn func(e *personEntry, org *profilesv1.Organization) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.ppOrder.AscendGreaterOrEqual(after, func(k sortKey) bool {
		if k == after {
			return true
		}
		e := x.people[k.id]
		var org *profilesv1.Organization
		if oe, ok := x.orgs[e.p.GetOrganizationId()]; ok {
			org = oe.org
		}
		return fn(e, org)
	})
}
