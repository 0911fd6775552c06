package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

// An anonymous candidate is shown under an opaque reference instead of its
// id: the same for every caller seeking for one organisation, unlinkable
// across organisations, and resolved back (for explanations and feedback)
// only for that organisation. Its real id would lead to more of it: its
// profile, people, competencies and offers.
//
// The reference is a deterministic authenticated encryption (SIV: the MAC
// of the seeker's organisation and the ref is the counter-mode IV), so no
// table of references is kept; every replica holds the same key.

// SealedPrefix starts every opaque reference.
const SealedPrefix = "anon-"

// SetRefKey sets the key of the opaque references; every replica must use
// the same (adapters.RefKey keeps it in JetStream).
func (s *Service) SetRefKey(key []byte) error {
	sl, err := newSealer(key)
	if err != nil {
		return err
	}
	s.sealer = sl
	return nil
}

type sealer struct {
	enc cipher.Block
	mac []byte
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("anonymous references: key shorter than 32 bytes")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("tandem matching anonymous ref enc"))
	if err != nil {
		return nil, fmt.Errorf("anonymous references: %w", err)
	}
	return &sealer{enc: block, mac: derive("tandem matching anonymous ref mac")}, nil
}

func (s *sealer) iv(org string, plain []byte) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(org))
	m.Write([]byte{0})
	m.Write(plain)
	return m.Sum(nil)[:aes.BlockSize]
}

// seal is r's reference for callers seeking for org.
func (s *sealer) seal(org string, r domain.Ref) string {
	plain := append([]byte{byte(r.Kind)}, r.ID...)
	iv := s.iv(org, plain)
	out := make([]byte, aes.BlockSize+len(plain))
	copy(out, iv)
	cipher.NewCTR(s.enc, iv).XORKeyStream(out[aes.BlockSize:], plain)
	return SealedPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// open resolves a reference sealed for org; ok is false for one sealed for
// another organisation, or not sealed by this service.
func (s *sealer) open(org, ref string) (domain.Ref, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ref, SealedPrefix))
	if err != nil || len(b) < aes.BlockSize+2 || !strings.HasPrefix(ref, SealedPrefix) {
		return domain.Ref{}, false
	}
	iv, plain := b[:aes.BlockSize], make([]byte, len(b)-aes.BlockSize)
	cipher.NewCTR(s.enc, iv).XORKeyStream(plain, b[aes.BlockSize:])
	if !hmac.Equal(iv, s.iv(org, plain)) {
		return domain.Ref{}, false
	}
	switch k := domain.RefKind(plain[0]); k {
	case domain.KindOrg, domain.KindPerson:
		return domain.Ref{Kind: k, ID: string(plain[1:])}, true
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
