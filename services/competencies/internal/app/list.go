package app

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// CompetencyFilter is what ListCompetencies filters on.
type CompetencyFilter struct {
	Holder             *domain.HolderRef
	Organization       string
	TermID             string
	IncludeDescendants bool
	// Sealed: Holder or Organization was named by an opaque reference,
	// so an anonymous holder's competencies are listed (under it).
	Sealed bool
}

// ListCompetencies lists the competencies the viewer may see, ordered by id.
func (s *Service) ListCompetencies(v domain.Viewer, f CompetencyFilter, pageSize int, token string) ([]*competenciesv1.Competency, string, error) {
	after := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !domain.ValidID(string(b)) {
			return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: "is not a token from a previous response"})
		}
		after = string(b)
	}
	var terms map[string]bool
	if f.TermID != "" {
		t, ok := s.Vocab.Term(f.TermID)
		if !ok {
			return nil, "", grpcerr.Invalid(grpcerr.Violation{Field: "term_id", Description: fmt.Sprintf("unknown term %q%s", f.TermID, closest(s.Vocab.Closest(f.TermID, 3)))})
		}
		terms = map[string]bool{t.ID: true}
		if f.IncludeDescendants {
			for d := range s.Vocab.Descendants(t.ID) {
				terms[d] = true
			}
		}
	}
	type shown struct{ visible, sealed bool }
	seen := map[domain.HolderRef]shown{}
	byPlainID := (f.Holder != nil || f.Organization != "") && !f.Sealed
	list := s.Index.Competencies(func(c *competenciesv1.Competency) bool {
		ref, _ := domain.RefOf(c.GetHolder())
		switch {
		case c.GetId() <= after:
			return false
		case f.Holder != nil && ref != *f.Holder:
			return false
		case f.Organization != "" && !s.inOrganization(ref, f.Organization):
			return false
		case terms != nil && !terms[c.GetTermId()]:
			return false
		}
		return true
	})
	out := list[:0]
	for _, c := range list {
		ref, _ := domain.RefOf(c.GetHolder())
		sh, ok := seen[ref]
		if !ok {
			h, _ := s.Holders.Cached(ref)
			h.Ref = ref
			sh = shown{visible: v.CanSee(s.effective(h), 0), sealed: s.anonymousTo(v, ref, 0)}
			seen[ref] = sh
		}
		switch {
		case !sh.visible || (sh.sealed && byPlainID):
		case sh.sealed:
			out = append(out, s.sealedCompetency(v, ref, c))
		default:
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *competenciesv1.Competency) int { return strings.Compare(a.GetId(), b.GetId()) })
	next := ""
	if len(out) > pageSize {
		out = out[:pageSize]
		next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1].GetId()))
	}
	return out, next, nil
}
