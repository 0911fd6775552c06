package app

import (
	"sync"

	"google.golang.org/protobuf/proto"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// Index is the in-memory read model of the two buckets, fed by their
// watches and by the service's own writes (so a caller reads its own
// writes). Entries carry their bucket revision and an older revision never
// replaces a newer one, so the two feeds may arrive in any order.
type Index struct {
	mu     sync.RWMutex
	comps  map[string]*compEntry // by storage key
	compID map[string]string     // competency id -> storage key
	coops  map[string]*coopEntry // by id (= storage key)
	// collabs by id (= storage key), and the ids of each organisation's
	// collaborations.
	collabs    map[string]*collabEntry
	orgCollabs map[string]map[string]struct{}
}

type collabEntry struct {
	rev uint64
	c   *competenciesv1.Collaboration // nil once erased
}

type compEntry struct {
	rev       uint64
	holder    domain.HolderRef
	c         *competenciesv1.Competency // nil once retracted
	erasedFor bool                       // removed because the holder was erased
}

type coopEntry struct {
	rev       uint64
	holder    domain.HolderRef
	p         *competenciesv1.CooperationProfile // nil once deleted
	erasedFor bool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{comps: map[string]*compEntry{}, compID: map[string]string{}, coops: map[string]*coopEntry{},
		collabs: map[string]*collabEntry{}, orgCollabs: map[string]map[string]struct{}{}}
}

// ApplyCompetency records the event stored under key at rev.
func (x *Index) ApplyCompetency(key string, ev proto.Message, rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if cur, ok := x.comps[key]; ok && cur.rev >= rev {
		return
	}
	switch e := ev.(type) {
	case *eventsv1.CompetencyPublished:
		h, _ := domain.RefOf(e.GetCompetency().GetHolder())
		if old, ok := x.comps[key]; ok && old.c != nil && old.c.GetId() != e.GetCompetency().GetId() {
			delete(x.compID, old.c.GetId())
		}
		x.comps[key] = &compEntry{rev: rev, holder: h, c: e.GetCompetency()}
		x.compID[e.GetCompetency().GetId()] = key
	case *eventsv1.CompetencyRetracted:
		h, _ := domain.RefOf(e.GetHolder())
		if old, ok := x.comps[key]; ok && old.c != nil {
			delete(x.compID, old.c.GetId())
		}
		x.comps[key] = &compEntry{rev: rev, holder: h, erasedFor: e.GetReason() == eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED}
	}
}

// StoredCompetency returns the event last stored under key as the index
// knows it (a CompetencyPublished or a CompetencyRetracted holding what the
// index keeps) and its revision; false when the index has nothing there.
// Another replica's newer write may not have reached the index yet: callers
// write with the revision as the expected one, so such a write fails as a
// conflict instead of overwriting it.
func (x *Index) StoredCompetency(key string) (proto.Message, uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.comps[key]
	if !ok {
		return nil, 0, false
	}
	if e.c == nil {
		return &eventsv1.CompetencyRetracted{}, e.rev, true
	}
	return &eventsv1.CompetencyPublished{Competency: e.c}, e.rev, true
}

// ApplyCooperation records the event stored under key (the profile id) at rev.
func (x *Index) ApplyCooperation(key string, ev proto.Message, rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if cur, ok := x.coops[key]; ok && cur.rev >= rev {
		return
	}
	switch e := ev.(type) {
	case *eventsv1.CooperationProfileUpserted:
		h, _ := domain.RefOf(e.GetCooperationProfile().GetHolder())
		x.coops[key] = &coopEntry{rev: rev, holder: h, p: e.GetCooperationProfile()}
	case *eventsv1.CooperationProfileDeleted:
		h, _ := domain.RefOf(e.GetHolder())
		x.coops[key] = &coopEntry{rev: rev, holder: h, erasedFor: e.GetReason() == eventsv1.RemovalReason_REMOVAL_REASON_HOLDER_ERASED}
	}
}

// CompetencyKey returns the storage key of a live competency id.
func (x *Index) CompetencyKey(id string) (string, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	k, ok := x.compID[id]
	return k, ok
}

// Competencies returns the live competencies that keep says to keep.
func (x *Index) Competencies(keep func(*competenciesv1.Competency) bool) []*competenciesv1.Competency {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []*competenciesv1.Competency
	for _, e := range x.comps {
		if e.c != nil && keep(e.c) {
			out = append(out, e.c)
		}
	}
	return out
}

// Cooperations returns the live cooperation profiles that keep says to keep.
func (x *Index) Cooperations(keep func(*competenciesv1.CooperationProfile) bool) []*competenciesv1.CooperationProfile {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []*competenciesv1.CooperationProfile
	for _, e := range x.coops {
		if e.p != nil && keep(e.p) {
			out = append(out, e.p)
		}
	}
	return out
}

// HeldBy returns the storage keys of everything a holder has or had that
// was not yet removed for an erasure: competencies and cooperation profiles.
func (x *Index) HeldBy(h domain.HolderRef) (comps, coops []string) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for k, e := range x.comps {
		if e.holder == h && !e.erasedFor {
			comps = append(comps, k)
		}
	}
	for k, e := range x.coops {
		if e.holder == h && !e.erasedFor {
			coops = append(coops, k)
		}
	}
	return comps, coops
}

// ApplyCollaboration records the event stored under key (the collaboration
// id) at rev.
func (x *Index) ApplyCollaboration(key string, ev proto.Message, rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	cur, ok := x.collabs[key]
	if ok && cur.rev >= rev {
		return
	}
	if ok && cur.c != nil {
		for _, p := range cur.c.GetParticipants() {
			if s := x.orgCollabs[p.GetOrganizationId()]; s != nil {
				delete(s, key)
				if len(s) == 0 {
					delete(x.orgCollabs, p.GetOrganizationId())
				}
			}
		}
	}
	e := &collabEntry{rev: rev}
	if u, ok := ev.(*eventsv1.CollaborationUpserted); ok {
		e.c = u.GetCollaboration()
		for _, p := range e.c.GetParticipants() {
			s := x.orgCollabs[p.GetOrganizationId()]
			if s == nil {
				s = map[string]struct{}{}
				x.orgCollabs[p.GetOrganizationId()] = s
			}
			s[key] = struct{}{}
		}
	}
	x.collabs[key] = e
}

// Collaboration returns a stored collaboration.
func (x *Index) Collaboration(id string) (*competenciesv1.Collaboration, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.collabs[id]
	if !ok || e.c == nil {
		return nil, false
	}
	return e.c, true
}

// CollaborationsOf returns the collaborations an organisation takes part in.
func (x *Index) CollaborationsOf(orgID string) []*competenciesv1.Collaboration {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*competenciesv1.Collaboration, 0, len(x.orgCollabs[orgID]))
	for k := range x.orgCollabs[orgID] {
		out = append(out, x.collabs[k].c)
	}
	return out
}

// CollaborationKeysOf returns the ids of an organisation's collaborations.
func (x *Index) CollaborationKeysOf(orgID string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.orgCollabs[orgID]))
	for k := range x.orgCollabs[orgID] {
		out = append(out, k)
	}
	return out
}
