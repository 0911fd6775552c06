package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Limits on what one collaboration may hold.
const (
	MaxParticipants    = 500
	MaxCollabTitle     = 500
	MaxCollabShortText = 100
)

var sourcePattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,19}$`)

// CollaborationID is the id of the collaboration a source names: the same
// source and source id always give the same id, so an import re-run finds
// what it created. Ids that are one clean token stay readable
// ("cordis-115568"); others are hashed.
func CollaborationID(source, sourceID string) string {
	id := source + "-" + sourceID
	if ValidID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(source + "\x00" + sourceID))
	return source + "-" + hex.EncodeToString(sum[:12])
}

// ValidateCollaboration checks what the caller sets on a collaboration. Its
// terms are checked by the caller against the vocabulary.
func ValidateCollaboration(c *competenciesv1.Collaboration) []grpcerr.Violation {
	var v violations
	if c == nil {
		v.add("collaboration", "is required")
		return v
	}
	const f = "collaboration."
	if c.GetId() != "" && !ValidID(c.GetId()) {
		v.add(f+"id", "must be 1 to 64 letters, digits or dashes")
	}
	if c.GetKind() == competenciesv1.CollaborationKind_COLLABORATION_KIND_UNSPECIFIED {
		v.add(f+"kind", "is required")
	} else if _, ok := competenciesv1.CollaborationKind_name[int32(c.GetKind())]; !ok {
		v.add(f+"kind", "unknown kind %d", c.GetKind())
	}
	if strings.TrimSpace(c.GetTitle()) == "" && strings.TrimSpace(c.GetAcronym()) == "" {
		v.add(f+"title", "a title or an acronym is required")
	}
	v.text(f+"title", c.GetTitle(), MaxCollabTitle)
	v.text(f+"summary", c.GetSummary(), MaxLongText)
	for field, s := range map[string]string{"acronym": c.GetAcronym(), "programme": c.GetProgramme(), "call": c.GetCall(), "source_id": c.GetSourceId()} {
		v.text(f+field, s, MaxCollabShortText)
	}
	if (c.GetSource() == "") != (c.GetSourceId() == "") {
		v.add(f+"source", "source and source_id are set together")
	} else if c.GetSource() != "" && !sourcePattern.MatchString(c.GetSource()) {
		v.add(f+"source", "must be a lower-case word such as \"cordis\"")
	}
	if y := c.GetYear(); y != 0 && (y < 1900 || y > 2200) {
		v.add(f+"year", "must be between 1900 and 2200, or 0 when unknown")
	}
	if len(c.GetTermIds()) > MaxTermsPerProfile {
		v.add(f+"term_ids", "at most %d terms", MaxTermsPerProfile)
	}
	if _, ok := profilesv1.Visibility_name[int32(c.GetVisibility())]; !ok {
		v.add(f+"visibility", "unknown visibility %d", c.GetVisibility())
	}
	if len(c.GetParticipants()) == 0 {
		v.add(f+"participants", "at least one organisation is required")
	}
	if len(c.GetParticipants()) > MaxParticipants {
		v.add(f+"participants", "at most %d", MaxParticipants)
	}
	seen := map[string]bool{}
	for i, p := range c.GetParticipants() {
		pf := fmt.Sprintf("%sparticipants[%d]", f, i)
		switch id := p.GetOrganizationId(); {
		case !ValidID(id):
			v.add(pf+".organization_id", "must be an organisation id")
		case seen[id]:
			v.add(pf+".organization_id", "organisation %s is listed twice", id)
		default:
			seen[id] = true
		}
		if _, ok := competenciesv1.ParticipantRole_name[int32(p.GetRole())]; !ok {
			v.add(pf+".role", "unknown role %d", p.GetRole())
		}
	}
	return v
}

// NormalizeCollaboration fills defaults so equal requests compare equal.
func NormalizeCollaboration(c *competenciesv1.Collaboration) {
	for _, p := range c.GetParticipants() {
		if p.Role == competenciesv1.ParticipantRole_PARTICIPANT_ROLE_UNSPECIFIED {
			p.Role = competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT
		}
	}
	c.HiddenParticipants = 0
}

// CanRecordCollaborations: recording history names several organisations at
// once, so it is for admins and cluster managers (importers), not for one
// organisation speaking for its partners.
func (v Viewer) CanRecordCollaborations() bool { return v.Admin || len(v.Manages) > 0 }

// ShowsParticipant reports whether the viewer sees h among a
// collaboration's participants. An anonymous organisation is left out for
// everyone but those who speak for it: a project's title, acronym and
// partners are public elsewhere (CORDIS, bio.tools), so its id next to them
// would name it.
func (v Viewer) ShowsParticipant(h Holder) bool {
	if h.Erased || !v.CanSee(h, 0) {
		return false
	}
	return h.Visibility != profilesv1.Visibility_VISIBILITY_ANONYMOUS || v.CanChange(h)
}

// CanSeeCollaboration applies a collaboration's own visibility: its
// participants always see it; unspecified leaves it to each participant's
// visibility; cluster members only means a cluster of one of the
// participants.
func (v Viewer) CanSeeCollaboration(vis profilesv1.Visibility, participants []Holder) bool {
	for _, h := range participants {
		if v.Owns(h) {
			return true
		}
	}
	switch vis {
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return false
	case profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS:
		for _, h := range participants {
			if shares(v.Clusters, append(slices.Clone(h.Clusters), h.Organization)) || shares(v.Manages, h.Clusters) {
				return true
			}
		}
		return false
	}
	return true
}
