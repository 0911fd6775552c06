package domain_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

func TestValidORCID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0000-0002-1825-0097", true},  // ORCID's documented example
		{"0000-0001-5109-3700", true},  // another documented example
		{"0000-0002-1694-233X", true},  // check digit X
		{"0000-0002-1825-0098", false}, // wrong check digit
		{"0000-0002-1694-2330", false},
		{"0000000218250097", false},                      // no hyphens
		{"https://orcid.org/0000-0002-1825-0097", false}, // URL form is not stored
		{"0000-0002-1825-009x", false},                   // lower-case x
		{"", false},
	}
	for _, tc := range tests {
		if got := domain.ValidORCID(tc.in); got != tc.want {
			t.Errorf("ValidORCID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidNUTS(t *testing.T) {
	tests := []struct {
		code, country string
		want          bool
	}{
		{"ITH44", "IT", true},
		{"ITH4", "IT", true},
		{"ITH", "IT", true},
		{"EL303", "GR", true}, // Greece is EL in NUTS
		{"UKI31", "GB", true}, // and the United Kingdom UK
		{"GR303", "GR", false},
		{"IT", "IT", false},
		{"ITH441", "IT", false},
		{"ith44", "IT", false},
		{"DE300", "IT", false},
		{"US123", "US", false}, // no NUTS outside Europe
	}
	for _, tc := range tests {
		if got, why := domain.ValidNUTS(tc.code, tc.country); got != tc.want {
			t.Errorf("ValidNUTS(%q, %q) = %v (%s), want %v", tc.code, tc.country, got, why, tc.want)
		}
	}
}

func TestSmallValidators(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"url", domain.ValidWebURL, "https://www.units.it", true},
		{"url", domain.ValidWebURL, "http://sissa.it/path?q=1", true},
		{"url", domain.ValidWebURL, "www.units.it", false},
		{"url", domain.ValidWebURL, "javascript:alert(1)", false},
		{"url", domain.ValidWebURL, "https://user:pw@example.org", false},
		{"url", domain.ValidWebURL, "https:///nohost", false},
		{"url", domain.ValidWebURL, "https://exa mple.org", false},
		{"email", domain.ValidEmail, "tto@units.it", true},
		{"email", domain.ValidEmail, "Name <tto@units.it>", false},
		{"email", domain.ValidEmail, "tto@localhost", false},
		{"email", domain.ValidEmail, "no-at-sign", false},
		{"phone", domain.ValidPhone, "+390401234567", true},
		{"phone", domain.ValidPhone, "040 1234567", false},
		{"phone", domain.ValidPhone, "+0123", false},
		{"nace", domain.ValidNACE, "72.11", true},
		{"nace", domain.ValidNACE, "86", true},
		{"nace", domain.ValidNACE, "21.2", true},
		{"nace", domain.ValidNACE, "7211", false},
		{"nace", domain.ValidNACE, "72.111", false},
		{"country", domain.ValidCountry, "IT", true},
		{"country", domain.ValidCountry, "ZZ", true},
		{"country", domain.ValidCountry, "it", false},
		{"country", domain.ValidCountry, "UK", false}, // NUTS code, not ISO
		{"country", domain.ValidCountry, "XX", false},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func validOrg() *profilesv1.Organization {
	return &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, Name: "Università degli Studi di Trieste", ShortName: "UniTS",
		CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Website: "https://www.units.it",
		SizeBand: profilesv1.SizeBand_SIZE_BAND_LARGE, Sectors: []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOMEDICINE},
		NaceCodes: []string{"85.42"}, Description: "University.\nLine two.",
		ClusterMemberships: []*profilesv1.ClusterMembership{{ClusterId: "01J00000000000000000000000"}},
		Visibility:         profilesv1.Visibility_VISIBILITY_PUBLIC,
		Contact:            &profilesv1.Contact{Name: "TTO", Email: "tto@units.it", Phone: "+390405587111", ConsentToShare: true},
		ExternalIds:        map[string]string{"ror": "02n742c10"},
	}
}

func fields(o *profilesv1.Organization) []string {
	var out []string
	for _, v := range domain.ValidateOrganization("organization.", o) {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return out
}

func TestValidateOrganization(t *testing.T) {
	tests := []struct {
		name string
		edit func(o *profilesv1.Organization)
		want []string
	}{
		{"valid", func(*profilesv1.Organization) {}, nil},
		{"required", func(o *profilesv1.Organization) { o.Kind, o.Name, o.CountryCode, o.NutsCode = 0, "", "", "" },
			[]string{"organization.country_code", "organization.kind", "organization.name"}},
		{"blank name", func(o *profilesv1.Organization) { o.Name = "   " }, []string{"organization.name"}},
		{"name 200 ok", func(o *profilesv1.Organization) { o.Name = strings.Repeat("à", 200) }, nil},
		{"name 201", func(o *profilesv1.Organization) { o.Name = strings.Repeat("à", 201) }, []string{"organization.name"}},
		{"control character", func(o *profilesv1.Organization) { o.Name = "a\x07b" }, []string{"organization.name"}},
		{"invalid utf-8", func(o *profilesv1.Organization) { o.City = "Tri\xffeste"; o.Description = "\xc3" },
			[]string{"organization.city", "organization.description"}},
		{"short name", func(o *profilesv1.Organization) { o.ShortName = strings.Repeat("x", 51) }, []string{"organization.short_name"}},
		{"enums", func(o *profilesv1.Organization) { o.Kind, o.SizeBand, o.Visibility = 42, 42, 42 },
			[]string{"organization.kind", "organization.size_band", "organization.visibility"}},
		{"sectors", func(o *profilesv1.Organization) {
			o.Sectors = []profilesv1.Sector{profilesv1.Sector_SECTOR_PHARMA, profilesv1.Sector_SECTOR_PHARMA, 0, 99}
		}, []string{"organization.sectors[1]", "organization.sectors[2]", "organization.sectors[3]"}},
		{"country lower case", func(o *profilesv1.Organization) { o.CountryCode = "it" }, []string{"organization.country_code"}},
		{"unknown country has no NUTS", func(o *profilesv1.Organization) { o.CountryCode = "ZZ" }, []string{"organization.nuts_code"}},
		{"unknown country without NUTS", func(o *profilesv1.Organization) { o.CountryCode, o.NutsCode = "ZZ", "" }, nil},
		{"nuts prefix", func(o *profilesv1.Organization) { o.CountryCode = "AT" }, []string{"organization.nuts_code"}},
		{"website", func(o *profilesv1.Organization) { o.Website = "units.it" }, []string{"organization.website"}},
		{"nace", func(o *profilesv1.Organization) { o.NaceCodes = []string{"72.11", "x"} }, []string{"organization.nace_codes[1]"}},
		{"memberships", func(o *profilesv1.Organization) {
			o.Id = "01J00000000000000000000001"
			o.ClusterMemberships = []*profilesv1.ClusterMembership{{ClusterId: ""}, {ClusterId: "nope"}, {ClusterId: o.Id}, {ClusterId: "01J00000000000000000000000"}, {ClusterId: "01J00000000000000000000000"}}
		}, []string{"organization.cluster_memberships[0].cluster_id", "organization.cluster_memberships[1].cluster_id", "organization.cluster_memberships[2].cluster_id", "organization.cluster_memberships[4].cluster_id"}},
		{"contact", func(o *profilesv1.Organization) { o.Contact.Email, o.Contact.Phone = "a@", "+39 040" },
			[]string{"organization.contact.email", "organization.contact.phone"}},
		{"external ids", func(o *profilesv1.Organization) { o.ExternalIds = map[string]string{"ROR": "x", "ok": ""} },
			[]string{"organization.external_ids[ROR]", "organization.external_ids[ok]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := validOrg()
			tc.edit(o)
			if got := fields(o); !slices.Equal(got, tc.want) {
				t.Errorf("violations = %v, want %v (%v)", got, tc.want, domain.ValidateOrganization("organization.", o))
			}
		})
	}
}

func TestValidatePerson(t *testing.T) {
	valid := func() *profilesv1.Person {
		return &profilesv1.Person{OrganizationId: "01J00000000000000000000000", Name: "Ada", Role: "PI", Orcid: "0000-0002-1825-0097"}
	}
	tests := []struct {
		name string
		edit func(p *profilesv1.Person)
		want []string
	}{
		{"valid", func(*profilesv1.Person) {}, nil},
		{"required", func(p *profilesv1.Person) { p.OrganizationId, p.Name = "", "" }, []string{"person.name", "person.organization_id"}},
		{"orcid", func(p *profilesv1.Person) { p.Orcid = "0000-0002-1825-0096" }, []string{"person.orcid"}},
		{"bio too long", func(p *profilesv1.Person) { p.Bio = strings.Repeat("b", domain.MaxTextLen+1) }, []string{"person.bio"}},
		{"visibility", func(p *profilesv1.Person) { p.Visibility = 9 }, []string{"person.visibility"}},
		{"role utf-8", func(p *profilesv1.Person) { p.Role = "\xff" }, []string{"person.role"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := valid()
			tc.edit(p)
			var got []string
			for _, v := range domain.ValidatePerson("person.", p) {
				got = append(got, v.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzValidateOrganization feeds arbitrary text into every string field: the
// validator never panics, and whatever it accepts is valid UTF-8 within the
// limits.
func FuzzValidateOrganization(f *testing.F) {
	f.Add("Università di Trieste", "IT", "ITH44", "https://www.units.it", "tto@units.it", "+390401234567", "72.11", "ror", "02n742c10")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("\xff", "GR", "EL303", "http://[::1]:80/", "a@b.c", "+1", "86", "Biotools", "x")
	f.Add("a\x00b", "ZZ", "ZZ1", "https://%zz", "<a@b.c>", "+", "1.1", "", "")
	f.Fuzz(func(t *testing.T, name, country, nuts, website, email, phone, nace, extKey, extVal string) {
		o := &profilesv1.Organization{
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: country, NutsCode: nuts,
			Website: website, NaceCodes: []string{nace}, Contact: &profilesv1.Contact{Email: email, Phone: phone},
			ExternalIds: map[string]string{extKey: extVal},
		}
		if len(domain.ValidateOrganization("", o)) > 0 {
			return
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > domain.MaxNameLen || strings.TrimSpace(name) == "" {
			t.Errorf("accepted name %q", name)
		}
		if !domain.ValidCountry(country) {
			t.Errorf("accepted country %q", country)
		}
		if nuts != "" && !strings.HasPrefix(nuts, domain.NUTSPrefix(country)) {
			t.Errorf("accepted NUTS %q for %q", nuts, country)
		}
		if website != "" && !strings.HasPrefix(website, "http") {
			t.Errorf("accepted website %q", website)
		}
	})
}

// FuzzORCID checks the validator against an independent check-digit
// computation and never panics.
func FuzzORCID(f *testing.F) {
	for _, s := range []string{"0000-0002-1825-0097", "0000-0002-1694-233X", "0000-0002-1825-0098", "", "----", "0000-0002-1825-009X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := domain.ValidORCID(s)
		want := len(s) == 19 && s[4] == '-' && s[9] == '-' && s[14] == '-'
		digits := strings.ReplaceAll(s, "-", "")
		if want && len(digits) == 16 {
			sum := 0
			for i := 0; i < 15; i++ {
				c := digits[i]
				if c < '0' || c > '9' {
					want = false
					break
				}
				sum = (sum + int(c-'0')) * 2
			}
			check := (12 - sum%11) % 11
			last := byte('0' + check)
			if check == 10 {
				last = 'X'
			}
			want = want && digits[15] == last
		} else {
			want = false
		}
		if got != want {
			t.Errorf("ValidORCID(%q) = %v, want %v", s, got, want)
		}
	})
}

func TestWithhold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text  string
		names []string
		want  string
	}{
		{"Albatross Bio sequences RNA; ALBATROSS BIO is in Trieste.", []string{"Albatross Bio", "AB"}, "[name withheld] sequences RNA; [name withheld] is in Trieste."},
		{"Short names such as ab stay.", []string{"AB"}, "Short names such as ab stay."},
		{"Regexp characters (a+b) are literal.", []string{"(a+b)"}, "Regexp characters [name withheld] are literal."},
		{"Nothing to hide.", []string{""}, "Nothing to hide."},
	} {
		if got := domain.Withhold(tc.text, tc.names...); got != tc.want {
			t.Errorf("Withhold(%q, %q) = %q, want %q", tc.text, tc.names, got, tc.want)
		}
	}
}
