package app

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// An anonymous candidate is shown under an opaque reference (anonref)
// instead of its id: the same for every caller seeking for one
// organisation, unlinkable across organisations, and resolved back (for
// explanations and feedback) only for that organisation.

// SealedPrefix starts every opaque reference.
const SealedPrefix = anonref.Prefix

// SetRefKey sets the key of the opaque references; every replica must use
// the same (anonref.Key keeps it in JetStream).
func (s *Service) SetRefKey(key []byte) error {
	sl, err := anonref.New(key)
	if err != nil {
		return err
	}
	s.sealer = &sealer{sl}
	return nil
}

// sealer seals the index's refs, scoped by the seeking organisation.
type sealer struct{ s *anonref.Sealer }

// seal is r's reference for callers seeking for org.
func (s *sealer) seal(org string, r domain.Ref) string { return s.s.Seal(org, byte(r.Kind), r.ID) }

// open resolves a reference sealed for org; ok is false for one sealed for
// another organisation, or not sealed by this service.
func (s *sealer) open(org, ref string) (domain.Ref, bool) {
	k, id, ok := s.s.Open(org, ref)
	if !ok || id == "" {
		return domain.Ref{}, false
	}
	switch k := domain.RefKind(k); k {
	case domain.KindOrg, domain.KindPerson:
		return domain.Ref{Kind: k, ID: id}, true
	}
	return domain.Ref{}, false
}

// sealFor rewrites what sg shows of an anonymous candidate for callers
// seeking for org: its reference becomes opaque, and the ids of its
// competencies and cooperation profiles, which name it as their holder,
// are left out. Other suggestions are returned as they are.
func (s *Service) sealFor(org string, sg *matchingv1.Suggestion) *matchingv1.Suggestion {
	c := sg.GetCandidate()
	if !c.GetAnonymous() || s.sealer == nil {
		return sg
	}
	out := proto.CloneOf(sg)
	out.Candidate.Ref = s.sealRef(org, c.GetRef())
	for _, e := range out.GetExplanations() {
		e.CandidateCompetencyIds, e.CandidateCooperationProfileId = nil, ""
	}
	return out
}

func (s *Service) sealRef(org string, ref *profilesv1.ProfileRef) *profilesv1.ProfileRef {
	if id := ref.GetPersonId(); id != "" {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: s.sealer.seal(org, domain.PersonRef(id))}}
	}
	return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: s.sealer.seal(org, domain.OrgRef(ref.GetOrganizationId()))}}
}

// openRef resolves a candidate named by p seeking for org: an opaque
// reference only when it was sealed for org, a plain id of an anonymous
// candidate only for an admin or the candidate's own organisation. Both
// refusals read as not found, as a missing candidate does.
func (s *Service) openRef(p auth.Principal, org string, r domain.Ref) (domain.Ref, error) {
	if strings.HasPrefix(r.ID, SealedPrefix) && s.sealer != nil {
		if open, ok := s.sealer.open(org, r.ID); ok && open.Kind == r.Kind {
			return open, nil
		}
		return r, fmt.Errorf("candidate %s: %w", r.ID, grpcerr.ErrNotFound)
	}
	if owner, anon := s.Index.Anonymous(r); anon && !p.Has(auth.RoleAdmin) && (p.Organization == "" || p.Organization != owner) {
		return r, fmt.Errorf("candidate %s: %w", r.ID, grpcerr.ErrNotFound)
	}
	return r, nil
}

// openIDs resolves the candidate ids of a filter; an id that does not
// resolve becomes one that matches no candidate.
func (s *Service) openIDs(p auth.Principal, org string, ids []string) []string {
	if len(ids) == 0 {
		return ids
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "-"
		if strings.HasPrefix(id, SealedPrefix) && s.sealer != nil {
			if r, ok := s.sealer.open(org, id); ok {
				out[i] = r.ID
			}
			continue
		}
		_, errOrg := s.openRef(p, org, domain.OrgRef(id))
		_, errPerson := s.openRef(p, org, domain.PersonRef(id))
		if errOrg == nil && errPerson == nil {
			out[i] = id
		}
	}
	return out
}
