// Package domain holds the rules of competencies and cooperation profiles:
// who holds them, who may change and see them, what is valid, and how a
// cooperation profile's status may move. It knows no transport or storage.
package domain

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Limits on what one competency or cooperation profile may hold.
const (
	MaxEvidence        = 50
	MaxTermsPerProfile = 30
	MaxDescription     = 4000
	MaxLongText        = 8000
	MaxTitle           = 200
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ValidID reports whether id can name a profile or resource: it becomes
// part of storage keys and event subjects, so it is one subject token.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// HolderKind tells organisations from people.
type HolderKind string

// Holder kinds; they prefix storage keys.
const (
	HolderOrganization HolderKind = "org"
	HolderPerson       HolderKind = "person"
)

// HolderRef identifies a holder.
type HolderRef struct {
	Kind HolderKind
	ID   string
}

// RefOf reads a ProfileRef; ok is false when it names nothing valid.
func RefOf(r *profilesv1.ProfileRef) (HolderRef, bool) {
	switch {
	case r.GetOrganizationId() != "":
		return HolderRef{HolderOrganization, r.GetOrganizationId()}, ValidID(r.GetOrganizationId())
	case r.GetPersonId() != "":
		return HolderRef{HolderPerson, r.GetPersonId()}, ValidID(r.GetPersonId())
	}
	return HolderRef{}, false
}

// Proto returns the ProfileRef of h.
func (h HolderRef) Proto() *profilesv1.ProfileRef {
	if h.Kind == HolderPerson {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: h.ID}}
	}
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: h.ID}}
}

// Key is the holder's storage key, e.g. "org_01J...".
func (h HolderRef) Key() string { return string(h.Kind) + "_" + h.ID }

// Holder is what this service knows of an organisation or person, learnt
// from the profiles service's events.
type Holder struct {
	Ref          HolderRef
	Organization string   // the organisation itself, or the person's
	Subject      string   // a person's own account, if any
	Clusters     []string // clusters of the organisation
	Visibility   profilesv1.Visibility
	Version      int64
	Erased       bool
}

// Viewer is who reads or changes competencies and cooperation profiles.
type Viewer struct {
	Subject      string
	Organization string
	Admin        bool
	Manages      []string // clusters a cluster manager manages
	Clusters     []string // clusters the viewer belongs to
}

// ViewerOf derives the Viewer of an authenticated principal.
func ViewerOf(p auth.Principal) Viewer {
	v := Viewer{Subject: p.Subject, Organization: p.Organization, Admin: p.Has(auth.RoleAdmin), Clusters: slices.Clone(p.Clusters)}
	if p.Organization != "" {
		v.Clusters = append(v.Clusters, p.Organization)
	}
	if p.Has(auth.RoleClusterManager) {
		v.Manages = slices.Clone(p.Clusters)
	}
	return v
}

func shares(a, b []string) bool {
	return slices.ContainsFunc(a, func(x string) bool { return slices.Contains(b, x) })
}

// Owns reports whether the viewer speaks for the holder: an admin, a member
// of the holder's organisation, or the person themself.
func (v Viewer) Owns(h Holder) bool {
	return v.Admin || (v.Organization != "" && v.Organization == h.Organization) ||
		(h.Subject != "" && v.Subject == h.Subject)
}

// CanChange: the holder's organisation (or the person), an admin, or a
// manager of a cluster the holder's organisation belongs to.
func (v Viewer) CanChange(h Holder) bool {
	return v.Owns(h) || shares(v.Manages, h.Clusters)
}

// CanSee applies the visibility of a holder (or of a cooperation profile,
// when vis is set) to the viewer.
func (v Viewer) CanSee(h Holder, vis profilesv1.Visibility) bool {
	if v.CanChange(h) {
		return true
	}
	if vis == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		vis = h.Visibility
	}
	switch vis {
	case profilesv1.Visibility_VISIBILITY_PUBLIC, profilesv1.Visibility_VISIBILITY_ANONYMOUS:
		return true
	case profilesv1.Visibility_VISIBILITY_HIDDEN:
		return false
	default: // cluster members only, also when nobody set it
		return shares(v.Clusters, append(slices.Clone(h.Clusters), h.Organization))
	}
}

// ErrHolderUnknown: the holder does not exist (or was erased); changes for it
// get FailedPrecondition.
func ErrHolderUnknown(h HolderRef) error {
	return fmt.Errorf("%w: %s %s is not a known profile", grpcerr.ErrPrecondition, h.Kind, h.ID)
}

// TermKey turns a term id into a storage key token ("EDAM:topic_0622" ->
// "EDAM=topic_0622"): JetStream key-value keys cannot hold a colon.
func TermKey(termID string) string { return strings.ReplaceAll(termID, ":", "=") }

// CompetencyKey is the storage key of a holder's competency in a term; one
// key per (holder, term) makes "at most one competency per holder and term"
// hold under concurrent publishes.
func CompetencyKey(h HolderRef, termID string) string { return h.Key() + "_" + TermKey(termID) }

type violations []grpcerr.Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, grpcerr.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v *violations) text(field, s string, maxLen int) {
	switch {
	case !utf8.ValidString(s):
		v.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxLen:
		v.add(field, "must be at most %d characters", maxLen)
	}
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ValidateCompetency checks what the caller sets on a competency. The term
// is checked by the caller against the vocabulary.
func ValidateCompetency(c *competenciesv1.Competency) []grpcerr.Violation {
	var v violations
	if c == nil {
		v.add("competency", "is required")
		return v
	}
	if _, ok := RefOf(c.GetHolder()); !ok {
		v.add("competency.holder", "must name an organization_id or person_id")
	}
	if c.GetTermId() == "" {
		v.add("competency.term_id", "is required")
	}
	if _, ok := competenciesv1.CompetencyLevel_name[int32(c.GetLevel())]; !ok {
		v.add("competency.level", "unknown level %d", c.GetLevel())
	}
	v.text("competency.description", c.GetDescription(), MaxDescription)
	if len(c.GetEvidence()) > MaxEvidence {
		v.add("competency.evidence", "at most %d items", MaxEvidence)
	}
	for i, e := range c.GetEvidence() {
		f := fmt.Sprintf("competency.evidence[%d]", i)
		if _, ok := competenciesv1.EvidenceKind_name[int32(e.GetKind())]; !ok || e.GetKind() == competenciesv1.EvidenceKind_EVIDENCE_KIND_UNSPECIFIED {
			v.add(f+".kind", "is required")
		}
		if e.GetReference() == "" && e.GetTitle() == "" && e.GetUrl() == "" {
			v.add(f, "needs a reference, a title or a url")
		}
		v.text(f+".reference", e.GetReference(), 200)
		v.text(f+".title", e.GetTitle(), 500)
		if e.GetUrl() != "" && !validURL(e.GetUrl()) {
			v.add(f+".url", "must be an absolute http(s) URL")
		}
		if y := e.GetYear(); y != 0 && (y < 1800 || y > 2200) {
			v.add(f+".year", "must be between 1800 and 2200")
		}
	}
	return v
}

// NormalizeCompetency fills defaults so equal requests compare equal.
func NormalizeCompetency(c *competenciesv1.Competency) {
	if c.Level == competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_UNSPECIFIED {
		c.Level = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_INTERMEDIATE
	}
}

// SameContent reports whether two competencies say the same thing, so a
// re-published identical competency changes nothing.
func SameContent(a, b *competenciesv1.Competency) bool {
	return a.GetTermId() == b.GetTermId() && a.GetLevel() == b.GetLevel() &&
		a.GetDescription() == b.GetDescription() && proto.Equal(a.GetHolder(), b.GetHolder()) &&
		slices.EqualFunc(a.GetEvidence(), b.GetEvidence(), func(x, y *competenciesv1.Evidence) bool { return proto.Equal(x, y) })
}

// ValidateCooperationProfile checks the writable fields of a profile. now
// bounds the deadline: a new deadline must lie in the future.
func ValidateCooperationProfile(p *competenciesv1.CooperationProfile, now time.Time, deadlineChanged bool) []grpcerr.Violation {
	var v violations
	if p == nil {
		v.add("cooperation_profile", "is required")
		return v
	}
	const f = "cooperation_profile."
	if _, ok := RefOf(p.GetHolder()); !ok {
		v.add(f+"holder", "must name an organization_id or person_id")
	}
	if p.GetKind() == competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_UNSPECIFIED {
		v.add(f+"kind", "is required")
	} else if _, ok := competenciesv1.CooperationProfileKind_name[int32(p.GetKind())]; !ok {
		v.add(f+"kind", "unknown kind %d", p.GetKind())
	}
	if strings.TrimSpace(p.GetTitle()) == "" {
		v.add(f+"title", "is required")
	}
	v.text(f+"title", p.GetTitle(), MaxTitle)
	for field, s := range map[string]string{
		"summary": p.GetSummary(), "description": p.GetDescription(), "advantages_and_innovations": p.GetAdvantagesAndInnovations(),
		"development_stage_comment": p.GetDevelopmentStageComment(), "ipr_comment": p.GetIprComment(), "partner_sought": p.GetPartnerSought(),
	} {
		v.text(f+field, s, MaxLongText)
	}
	if _, ok := competenciesv1.DevelopmentStage_name[int32(p.GetDevelopmentStage())]; !ok {
		v.add(f+"development_stage", "unknown stage %d", p.GetDevelopmentStage())
	}
	for i, s := range p.GetIprStatuses() {
		if _, ok := competenciesv1.IprStatus_name[int32(s)]; !ok || s == 0 {
			v.add(fmt.Sprintf("%sipr_statuses[%d]", f, i), "unknown IPR status %d", s)
		}
	}
	for i, k := range p.GetPartnerKinds() {
		if _, ok := profilesv1.OrganizationKind_name[int32(k)]; !ok || k == 0 {
			v.add(fmt.Sprintf("%spartner_kinds[%d]", f, i), "unknown organization kind %d", k)
		}
	}
	for i, c := range p.GetCollaborationTypes() {
		if _, ok := competenciesv1.CollaborationType_name[int32(c)]; !ok || c == 0 {
			v.add(fmt.Sprintf("%scollaboration_types[%d]", f, i), "unknown collaboration type %d", c)
		}
	}
	if len(p.GetTermIds()) > MaxTermsPerProfile {
		v.add(f+"term_ids", "at most %d terms", MaxTermsPerProfile)
	}
	if t := p.GetTrl(); t < 0 || t > 9 {
		v.add(f+"trl", "must be 1..9, or 0 when not stated")
	}
	if _, ok := profilesv1.Visibility_name[int32(p.GetVisibility())]; !ok {
		v.add(f+"visibility", "unknown visibility %d", p.GetVisibility())
	}
	if p.GetDeadline() != nil {
		if err := p.GetDeadline().CheckValid(); err != nil {
			v.add(f+"deadline", "is not a valid time")
		} else if deadlineChanged && !p.GetDeadline().AsTime().After(now) {
			v.add(f+"deadline", "must be in the future")
		}
	}
	if p.GetStatus() == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED && strings.TrimSpace(p.GetSummary()) == "" {
		v.add(f+"summary", "is required for publishing")
	}
	return v
}

// CanMove reports whether a holder may move a profile from one status to
// another: draft -> published -> closed; expired is set by the server only.
// Staying in the same status is always allowed (an edit).
func CanMove(from, to competenciesv1.CooperationProfileStatus) bool {
	const (
		draft     = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT
		published = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
		closed    = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED
	)
	if from == to {
		return from != competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_EXPIRED && from != closed
	}
	switch from {
	case draft:
		return to == published
	case published:
		return to == closed
	}
	return false
}

// Expired reports whether a published profile's deadline has passed.
func Expired(p *competenciesv1.CooperationProfile, now time.Time) bool {
	return p.GetStatus() == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED &&
		p.GetDeadline() != nil && !p.GetDeadline().AsTime().After(now)
}
