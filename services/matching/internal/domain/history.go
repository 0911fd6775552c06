package domain

import (
	"slices"
)

// CollabKind says what a collaboration was.
type CollabKind int8

// Kinds of collaboration.
const (
	CollabUnspecified CollabKind = iota
	// CollabProject is a funded research or innovation project (a CORDIS
	// project, a national grant).
	CollabProject
	// CollabConsortium is a standing consortium or network.
	CollabConsortium
	// CollabTool is a software tool or service credited to several
	// organisations (a bio.tools entry).
	CollabTool
)

// CollabRole is an organisation's role in a collaboration.
type CollabRole int8

// Roles in a collaboration.
const (
	RoleUnspecified CollabRole = iota
	RoleCoordinator
	RoleParticipant
	// RolePartner is an associated partner or third party: it took part
	// without being a full participant.
	RolePartner
	// RoleCredited is an organisation credited on a tool.
	RoleCredited
)

// CollabMember is one organisation's part in a collaboration.
type CollabMember struct {
	OrgID string
	Role  CollabRole
}

// Collaboration is a past or running collaboration between organisations:
// a project, a consortium, a co-credited tool. Matching learns from it who
// works with whom and on what.
type Collaboration struct {
	ID   string
	Kind CollabKind
	// Year it started, 0 when unknown.
	Year int32
	// Programme is the funding programme or source, e.g. "FP7", "H2020",
	// "bio.tools"; Call is the call or topic code, e.g.
	// "H2020-SC1-2016-2017" or "HEALTH.2012.2.1.1-1".
	Programme, Call string
	// Title is the collaboration's title; Summary any longer text (the
	// objective, the call topic's title, the tool's description).
	Title, Summary string
	// TermIDs are the vocabulary terms it was about.
	TermIDs []string
	// Members are its organisations, each once.
	Members []CollabMember
	Version int64
}

// Has reports whether the organisation took part.
func (c *Collaboration) Has(orgID string) bool {
	return slices.ContainsFunc(c.Members, func(m CollabMember) bool { return m.OrgID == orgID })
}

// CollabKey is the aggregate key of a collaboration.
func CollabKey(id string) string { return "collab:" + id }

// PutCollaboration records a collaboration, or its new version: it is
// applied only when c.Version is newer than what the index holds, so
// applying it again changes nothing. It reports whether it was applied.
func (x *Index) PutCollaboration(c *Collaboration) bool {
	return x.Apply(Change{Key: CollabKey(c.ID), Version: c.Version, Collab: c}) == 1
}

// RemoveCollaboration removes a collaboration at version (the version of
// the removal, newer than the collaboration's). It reports whether it was
// applied.
func (x *Index) RemoveCollaboration(id string, version int64) bool {
	return x.Apply(Change{Key: CollabKey(id), Version: version, Removed: true}) == 1
}

// Collaboration returns a collaboration held by the index.
func (x *Index) Collaboration(id string) (*Collaboration, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c, ok := x.collabs[id]
	return c, ok
}

// CollaborationsOf lists the ids of the collaborations an organisation
// took part in, sorted.
func (x *Index) CollaborationsOf(orgID string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedKeys(x.orgCollabs[orgID])
}

// CollabCount returns how many collaborations the index holds.
func (x *Index) CollabCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.collabs)
}

// applyCollab stores or removes a collaboration. Callers hold the write
// lock and have checked the version.
func (x *Index) applyCollab(id string, c Change) {
	if old := x.collabs[id]; old != nil {
		for _, m := range old.Members {
			if s := x.orgCollabs[m.OrgID]; s != nil {
				delete(s, id)
				if len(s) == 0 {
					delete(x.orgCollabs, m.OrgID)
				}
			}
		}
		delete(x.collabs, id)
	}
	x.unindexCollab(id)
	x.histGen++
	if c.Removed || c.Collab == nil {
		return
	}
	col := c.Collab
	// Each organisation counts once, whatever the caller sent.
	members := make([]CollabMember, 0, len(col.Members))
	for _, m := range col.Members {
		if m.OrgID != "" && !slices.ContainsFunc(members, func(o CollabMember) bool { return o.OrgID == m.OrgID }) {
			members = append(members, m)
		}
	}
	if len(members) != len(col.Members) {
		cp := *col
		cp.Members = members
		col = &cp
	}
	x.collabs[id] = col
	for _, m := range col.Members {
		s := x.orgCollabs[m.OrgID]
		if s == nil {
			s = map[string]struct{}{}
			x.orgCollabs[m.OrgID] = s
		}
		s[id] = struct{}{}
	}
	if len(col.TermIDs) == 0 && x.ont != nil {
		// A collaboration recorded without topics is read for them.
		cp := *col
		for _, r := range x.readText(col.Title + " | " + col.Summary) {
			cp.TermIDs = append(cp.TermIDs, r.TermID)
		}
		col = &cp
		x.collabs[id] = col
	}
	x.indexCollab(col)
}
