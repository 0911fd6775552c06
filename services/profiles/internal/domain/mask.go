package domain

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// orgFields are the writable paths of an organisation, with how to copy each
// from a patch.
var orgFields = map[string]func(dst, src *profilesv1.Organization){
	"kind":                     func(d, s *profilesv1.Organization) { d.Kind = s.Kind },
	"name":                     func(d, s *profilesv1.Organization) { d.Name = s.Name },
	"short_name":               func(d, s *profilesv1.Organization) { d.ShortName = s.ShortName },
	"country_code":             func(d, s *profilesv1.Organization) { d.CountryCode = s.CountryCode },
	"nuts_code":                func(d, s *profilesv1.Organization) { d.NutsCode = s.NutsCode },
	"city":                     func(d, s *profilesv1.Organization) { d.City = s.City },
	"website":                  func(d, s *profilesv1.Organization) { d.Website = s.Website },
	"size_band":                func(d, s *profilesv1.Organization) { d.SizeBand = s.SizeBand },
	"sectors":                  func(d, s *profilesv1.Organization) { d.Sectors = s.Sectors },
	"nace_codes":               func(d, s *profilesv1.Organization) { d.NaceCodes = s.NaceCodes },
	"description":              func(d, s *profilesv1.Organization) { d.Description = s.Description },
	"cluster_memberships":      func(d, s *profilesv1.Organization) { d.ClusterMemberships = s.ClusterMemberships },
	"visibility":               func(d, s *profilesv1.Organization) { d.Visibility = s.Visibility },
	"contact":                  func(d, s *profilesv1.Organization) { d.Contact = s.Contact },
	"contact.name":             func(d, s *profilesv1.Organization) { orgContact(d).Name = s.GetContact().GetName() },
	"contact.email":            func(d, s *profilesv1.Organization) { orgContact(d).Email = s.GetContact().GetEmail() },
	"contact.phone":            func(d, s *profilesv1.Organization) { orgContact(d).Phone = s.GetContact().GetPhone() },
	"contact.consent_to_share": func(d, s *profilesv1.Organization) { orgContact(d).ConsentToShare = s.GetContact().GetConsentToShare() },
	"external_ids":             func(d, s *profilesv1.Organization) { d.ExternalIds = s.ExternalIds },
}

var personFields = map[string]func(dst, src *profilesv1.Person){
	"name":                     func(d, s *profilesv1.Person) { d.Name = s.Name },
	"role":                     func(d, s *profilesv1.Person) { d.Role = s.Role },
	"orcid":                    func(d, s *profilesv1.Person) { d.Orcid = s.Orcid },
	"bio":                      func(d, s *profilesv1.Person) { d.Bio = s.Bio },
	"contact":                  func(d, s *profilesv1.Person) { d.Contact = s.Contact },
	"contact.name":             func(d, s *profilesv1.Person) { personContact(d).Name = s.GetContact().GetName() },
	"contact.email":            func(d, s *profilesv1.Person) { personContact(d).Email = s.GetContact().GetEmail() },
	"contact.phone":            func(d, s *profilesv1.Person) { personContact(d).Phone = s.GetContact().GetPhone() },
	"contact.consent_to_share": func(d, s *profilesv1.Person) { personContact(d).ConsentToShare = s.GetContact().GetConsentToShare() },
	"visibility":               func(d, s *profilesv1.Person) { d.Visibility = s.Visibility },
	"subject":                  func(d, s *profilesv1.Person) { d.Subject = s.Subject },
}

func orgContact(o *profilesv1.Organization) *profilesv1.Contact {
	if o.Contact == nil {
		o.Contact = &profilesv1.Contact{}
	}
	return o.Contact
}

func personContact(p *profilesv1.Person) *profilesv1.Contact {
	if p.Contact == nil {
		p.Contact = &profilesv1.Contact{}
	}
	return p.Contact
}

// MergeOrganization returns cur with the masked fields of patch (every
// writable field when paths is empty). Output-only fields keep cur's values.
func MergeOrganization(cur, patch *profilesv1.Organization, paths []string) (*profilesv1.Organization, error) {
	return merge(cur, patch, paths, orgFields)
}

// MergePerson is MergeOrganization for people; organization_id cannot change.
func MergePerson(cur, patch *profilesv1.Person, paths []string) (*profilesv1.Person, error) {
	return merge(cur, patch, paths, personFields)
}

func merge[M proto.Message](cur, patch M, paths []string, fields map[string]func(d, s M)) (M, error) {
	out := proto.CloneOf(cur)
	patch = proto.CloneOf(patch)
	if len(paths) == 0 {
		for p, set := range fields {
			if !strings.Contains(p, ".") {
				set(out, patch)
			}
		}
		return out, nil
	}
	var bad []grpcerr.Violation
	for i, p := range paths {
		set, ok := fields[p]
		if !ok {
			bad = append(bad, grpcerr.Violation{Field: fmt.Sprintf("update_mask.paths[%d]", i), Description: fmt.Sprintf("%q is not a writable field", p)})
			continue
		}
		set(out, patch)
	}
	if len(bad) > 0 {
		var zero M
		return zero, grpcerr.Invalid(bad...)
	}
	return out, nil
}

// Fold makes text comparable regardless of case and accents ("Università"
// matches "universita").
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
