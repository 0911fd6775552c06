package app

import (
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/anonref"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// An anonymous holder is shown to anyone but itself, the managers of its
// clusters and admins under an opaque reference (anonref), scoped by the
// viewer's organisation: its real id would lead to its profile, its people
// and everything else it published. Its competencies' evidence (DOIs,
// grants, tool ids) would name it too, and is left out. Its cooperation
// profiles show no holder at all. A list filtered by a plain id leaves the
// anonymous out; filtered by a reference, it lists what that reference
// stands for, still under the reference.

// SetRefKey sets the key of the opaque references; every replica must use
// the same (anonref.Key keeps it in JetStream).
func (s *Service) SetRefKey(key []byte) error {
	r, err := anonref.New(key)
	if err != nil {
		return err
	}
	s.refs = r
	return nil
}

// refScope is whom a reference is sealed for: the viewer's organisation,
// or the viewer, who has none.
func refScope(v domain.Viewer) string {
	if v.Organization != "" {
		return "org:" + v.Organization
	}
	return "sub:" + v.Subject
}

func kindByte(k domain.HolderKind) byte {
	if k == domain.HolderPerson {
		return 'p'
	}
	return 'o'
}

// anonymousTo reports whether the holder at ref is shown to v only under a
// reference; vis is the resource's own visibility, if it has one.
func (s *Service) anonymousTo(v domain.Viewer, ref domain.HolderRef, vis profilesv1.Visibility) bool {
	h, _ := s.Holders.Cached(ref)
	h.Ref = ref
	h = s.effective(h)
	if vis == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
		vis = h.Visibility
	}
	return vis == profilesv1.Visibility_VISIBILITY_ANONYMOUS && !v.CanChange(h)
}

// sealedCompetency is c as a viewer who may not know its holder sees it.
func (s *Service) sealedCompetency(v domain.Viewer, ref domain.HolderRef, c *competenciesv1.Competency) *competenciesv1.Competency {
	out := proto.CloneOf(c)
	out.Holder, out.Evidence = nil, nil
	if s.refs != nil {
		out.Holder = domain.HolderRef{Kind: ref.Kind, ID: s.refs.Seal(refScope(v), kindByte(ref.Kind), ref.ID)}.Proto()
	}
	return out
}

// OpenRef reads id, given for a holder of kind in a filter: a plain id as
// it is; a reference only when it was sealed for v (sealed is then true).
// ok is false for anything else.
func (s *Service) OpenRef(v domain.Viewer, kind domain.HolderKind, id string) (ref domain.HolderRef, sealed, ok bool) {
	if !anonref.Is(id) {
		return domain.HolderRef{Kind: kind, ID: id}, false, domain.ValidID(id)
	}
	if s.refs == nil {
		return domain.HolderRef{}, true, false
	}
	k, plain, ok := s.refs.Open(refScope(v), id)
	if !ok || k != kindByte(kind) || !domain.ValidID(plain) {
		return domain.HolderRef{}, true, false
	}
	return domain.HolderRef{Kind: kind, ID: plain}, true, true
}
