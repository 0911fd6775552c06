// Package domain holds the rules of the profiles service: what a valid
// organisation or person is, who may see which of its fields, and who may
// change it. It works on the v1 API messages, which are the service's
// entities, and knows nothing of gRPC, NATS or Redis.
package domain

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Field limits, in characters (runes).
const (
	MaxNameLen        = 200
	MaxShortNameLen   = 50
	MaxCityLen        = 100
	MaxURLLen         = 2048
	MaxTextLen        = 10000
	MaxRoleLen        = 200
	MaxContactNameLen = 200
	MaxEmailLen       = 254
	MaxSubjectLen     = 200
	MaxRequestIDLen   = 200
	MaxExternalIDs    = 20
	MaxExternalKeyLen = 40
	MaxExternalValLen = 200
	MaxMemberships    = 50
	MaxNACECodes      = 20
	MaxSectors        = 11
)

var (
	idPattern          = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) // ULID, Crockford base32
	nutsPattern        = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z]{1,3}$`)
	naceLikePattern    = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{1,2})?$`)
	phonePattern       = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	orcidPattern       = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$`)
	externalKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

// violations collects field errors under a path prefix.
type violations struct {
	prefix string
	list   []grpcerr.Violation
}

func (v *violations) add(field, format string, args ...any) {
	v.list = append(v.list, grpcerr.Violation{Field: v.prefix + field, Description: fmt.Sprintf(format, args...)})
}

// text checks UTF-8 validity, control characters and length of a free-text field.
func (v *violations) text(field, s string, minLen, maxLen int, multiline bool) {
	if !utf8.ValidString(s) {
		v.add(field, "must be valid UTF-8")
		return
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen && n == 0:
		v.add(field, "is required")
		return
	case n < minLen:
		v.add(field, "must have at least %d characters", minLen)
		return
	case n > maxLen:
		v.add(field, "must have at most %d characters, has %d", maxLen, n)
		return
	}
	if minLen > 0 && strings.TrimSpace(s) == "" {
		v.add(field, "must not be blank")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			v.add(field, "must not contain control characters")
			return
		}
	}
}

// ValidID reports whether id has the shape of a server-assigned id (a ULID).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidORCID reports whether s is an ORCID iD in canonical form
// (0000-0002-1825-0097) whose last character is the ISO 7064 MOD 11-2 check
// digit of the other fifteen.
func ValidORCID(s string) bool {
	if !orcidPattern.MatchString(s) {
		return false
	}
	digits := strings.ReplaceAll(s, "-", "")
	return ORCIDCheckDigit(digits[:15]) == digits[15]
}

// ORCIDCheckDigit computes the ISO 7064 MOD 11-2 check character of base
// digits ('0'-'9' or 'X'); it returns 0 if base holds a non-digit.
func ORCIDCheckDigit(base string) byte {
	total := 0
	for i := 0; i < len(base); i++ {
		c := base[i]
		if c < '0' || c > '9' {
			return 0
		}
		total = (total + int(c-'0')) * 2
	}
	r := (12 - total%11) % 11
	if r == 10 {
		return 'X'
	}
	return byte('0' + r)
}

// ValidNUTS reports whether code is a NUTS code (level 1 to 3) of country:
// the country's NUTS prefix followed by 1 to 3 letters or digits. It says why
// when it is not.
func ValidNUTS(code, country string) (bool, string) {
	if !nutsPattern.MatchString(code) {
		return false, "must be a NUTS code: two capital letters and 1 to 3 letters or digits, e.g. ITH44"
	}
	prefix := NUTSPrefix(country)
	if prefix == "" {
		return false, fmt.Sprintf("country %q has no NUTS regions", country)
	}
	if code[:2] != prefix {
		return false, fmt.Sprintf("must start with %s, the NUTS code of country %s", prefix, country)
	}
	return true, ""
}

// ValidWebURL reports whether s is an absolute http(s) URL with a host.
func ValidWebURL(s string) bool {
	if len(s) > MaxURLLen || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	return u.Hostname() != ""
}

// ValidEmail reports whether s is a bare e-mail address (no display name).
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// ValidPhone reports whether s is an E.164 number (+ and up to 15 digits).
func ValidPhone(s string) bool { return phonePattern.MatchString(s) }

// ValidNACE reports whether s has the shape of a NACE Rev. 2 division, group
// or class code ("86", "21.2", "72.11").
func ValidNACE(s string) bool { return naceLikePattern.MatchString(s) }

// ValidateRequestID checks a client request id.
func ValidateRequestID(field, id string) []grpcerr.Violation {
	v := violations{}
	if id != "" {
		v.text(field, id, 0, MaxRequestIDLen, false)
	}
	return v.list
}

// ValidateOrganization checks every field of o as stored (kind set, server
// fields ignored) and returns the violations with paths under prefix, e.g.
// "organization.".
func ValidateOrganization(prefix string, o *profilesv1.Organization) []grpcerr.Violation {
	v := &violations{prefix: prefix}
	if o == nil {
		v.add(strings.TrimSuffix(prefix, "."), "is required")
		v.prefix = ""
		return v.list
	}
	switch {
	case o.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_UNSPECIFIED:
		v.add("kind", "is required")
	case profilesv1.OrganizationKind_name[int32(o.GetKind())] == "":
		v.add("kind", "unknown value %d", int32(o.GetKind()))
	}
	v.text("name", o.GetName(), 1, MaxNameLen, false)
	v.text("short_name", o.GetShortName(), 0, MaxShortNameLen, false)
	country := o.GetCountryCode()
	countryOK := false
	switch {
	case country == "":
		v.add("country_code", "is required")
	case !ValidCountry(country):
		v.add("country_code", "must be an ISO 3166-1 alpha-2 code in capitals, e.g. IT, or ZZ when unknown")
	default:
		countryOK = true
	}
	if n := o.GetNutsCode(); n != "" && countryOK {
		if ok, why := ValidNUTS(n, country); !ok {
			v.add("nuts_code", "%s", why)
		}
	} else if n != "" && !nutsPattern.MatchString(n) {
		v.add("nuts_code", "must be a NUTS code: two capital letters and 1 to 3 letters or digits, e.g. ITH44")
	}
	v.text("city", o.GetCity(), 0, MaxCityLen, false)
	if w := o.GetWebsite(); w != "" && !ValidWebURL(w) {
		v.add("website", "must be an absolute http or https URL with a host")
	}
	if profilesv1.SizeBand_name[int32(o.GetSizeBand())] == "" {
		v.add("size_band", "unknown value %d", int32(o.GetSizeBand()))
	}
	if len(o.GetSectors()) > MaxSectors {
		v.add("sectors", "at most %d", MaxSectors)
	}
	seenSector := map[profilesv1.Sector]bool{}
	for i, s := range o.GetSectors() {
		field := fmt.Sprintf("sectors[%d]", i)
		switch {
		case s == profilesv1.Sector_SECTOR_UNSPECIFIED:
			v.add(field, "must not be SECTOR_UNSPECIFIED")
		case profilesv1.Sector_name[int32(s)] == "":
			v.add(field, "unknown value %d", int32(s))
		case seenSector[s]:
			v.add(field, "duplicate %s", s)
		}
		seenSector[s] = true
	}
	if len(o.GetNaceCodes()) > MaxNACECodes {
		v.add("nace_codes", "at most %d", MaxNACECodes)
	}
	for i, c := range o.GetNaceCodes() {
		if !ValidNACE(c) {
			v.add(fmt.Sprintf("nace_codes[%d]", i), "must be a NACE Rev. 2 code such as 86, 21.2 or 72.11")
		}
	}
	v.text("description", o.GetDescription(), 0, MaxTextLen, true)
	if len(o.GetClusterMemberships()) > MaxMemberships {
		v.add("cluster_memberships", "at most %d", MaxMemberships)
	}
	seenCluster := map[string]bool{}
	for i, m := range o.GetClusterMemberships() {
		field := fmt.Sprintf("cluster_memberships[%d].cluster_id", i)
		switch id := m.GetClusterId(); {
		case id == "":
			v.add(field, "is required")
		case !ValidID(id):
			v.add(field, "must be an organization id")
		case id == o.GetId():
			v.add(field, "an organization cannot be a member of itself")
		case seenCluster[id]:
			v.add(field, "duplicate cluster")
		default:
			seenCluster[id] = true
		}
	}
	validateVisibility(v, "visibility", o.GetVisibility())
	validateContact(v, "contact.", o.GetContact())
	if len(o.GetExternalIds()) > MaxExternalIDs {
		v.add("external_ids", "at most %d", MaxExternalIDs)
	}
	for k, val := range o.GetExternalIds() {
		field := "external_ids[" + k + "]"
		if !utf8.ValidString(k) {
			field = "external_ids"
		}
		switch {
		case len(k) > MaxExternalKeyLen || !externalKeyPattern.MatchString(k):
			v.add(field, "source must be 1 to %d lower-case letters, digits, '_', '.' or '-'", MaxExternalKeyLen)
		default:
			v.text(field, val, 1, MaxExternalValLen, false)
		}
	}
	return v.list
}

// ValidatePerson checks every field of p as stored.
func ValidatePerson(prefix string, p *profilesv1.Person) []grpcerr.Violation {
	v := &violations{prefix: prefix}
	if p == nil {
		v.prefix = ""
		v.add(strings.TrimSuffix(prefix, "."), "is required")
		return v.list
	}
	switch id := p.GetOrganizationId(); {
	case id == "":
		v.add("organization_id", "is required")
	case !ValidID(id):
		v.add("organization_id", "must be an organization id")
	}
	v.text("name", p.GetName(), 1, MaxNameLen, false)
	v.text("role", p.GetRole(), 0, MaxRoleLen, false)
	if o := p.GetOrcid(); o != "" && !ValidORCID(o) {
		v.add("orcid", "must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit")
	}
	v.text("bio", p.GetBio(), 0, MaxTextLen, true)
	validateContact(v, "contact.", p.GetContact())
	validateVisibility(v, "visibility", p.GetVisibility())
	v.text("subject", p.GetSubject(), 0, MaxSubjectLen, false)
	return v.list
}

func validateVisibility(v *violations, field string, vis profilesv1.Visibility) {
	if profilesv1.Visibility_name[int32(vis)] == "" {
		v.add(field, "unknown value %d", int32(vis))
	}
}

func validateContact(v *violations, prefix string, c *profilesv1.Contact) {
	if c == nil {
		return
	}
	v.text(prefix+"name", c.GetName(), 0, MaxContactNameLen, false)
	if e := c.GetEmail(); e != "" && !ValidEmail(e) {
		v.add(prefix+"email", "must be an e-mail address such as tto@example.org")
	}
	if p := c.GetPhone(); p != "" && !ValidPhone(p) {
		v.add(prefix+"phone", "must be an E.164 number such as +390401234567")
	}
}
