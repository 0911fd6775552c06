package importer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The bio.tools organisation list has free-text names and no country, sector
// or size. The importer keeps the name as entered, takes the country only
// from evidence in the name (a country name, an ELIXIR node, a national web
// domain) and otherwise records it as unknown (ZZ), so no row is dropped and
// no country is invented.

var bioToolsKinds = map[string]profilesv1.OrganizationKind{
	"Institute":      profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"Division":       profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"Project":        profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE,
	"Consortium":     profilesv1.OrganizationKind_ORGANIZATION_KIND_ASSOCIATION,
	"Funding agency": profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY,
}

// countryNames maps country names as they appear in the list, in English and
// a few native spellings, to ISO 3166-1 codes.
var countryNames = map[string]string{
	"australia": "AU", "austria": "AT", "austrian": "AT", "belgium": "BE", "brazil": "BR", "canada": "CA",
	"québec": "CA", "chile": "CL", "china": "CN", "chinese": "CN", "croatia": "HR", "cyprus": "CY",
	"czech": "CZ", "czechia": "CZ", "denmark": "DK", "danish": "DK", "estonia": "EE", "finland": "FI",
	"france": "FR", "french": "FR", "germany": "DE", "german": "DE", "deutschland": "DE", "greece": "GR",
	"hungary": "HU", "india": "IN", "ireland": "IE", "israel": "IL", "italy": "IT", "italian": "IT",
	"japan": "JP", "japanese": "JP", "korea": "KR", "luxembourg": "LU", "mexico": "MX", "netherlands": "NL",
	"dutch": "NL", "new zealand": "NZ", "norway": "NO", "norwegian": "NO", "poland": "PL", "portugal": "PT",
	"russia": "RU", "singapore": "SG", "slovenia": "SI", "slovakia": "SK", "south africa": "ZA", "spain": "ES",
	"spanish": "ES", "españa": "ES", "sweden": "SE", "swedish": "SE", "switzerland": "CH", "swiss": "CH",
	"taiwan": "TW", "turkey": "TR", "united kingdom": "GB", "uk": "GB", "scotland": "GB", "england": "GB",
	"wales": "GB", "usa": "US", "u.s.": "US", "united states": "US", "argentina": "AR", "uruguay": "UY",
	"colombia": "CO", "egypt": "EG", "iran": "IR", "thailand": "TH", "vietnam": "VN", "malaysia": "MY",
	"latvia": "LV", "lithuania": "LT", "romania": "RO", "bulgaria": "BG", "serbia": "RS", "iceland": "IS",
	"rome": "IT", "milan": "IT", "barcelona": "ES", "madrid": "ES", "paris": "FR", "bordeaux": "FR",
	"lisbon": "PT", "oslo": "NO", "bergen": "NO", "stockholm": "SE", "uppsala": "SE", "copenhagen": "DK",
	"helsinki": "FI", "brno": "CZ", "prague": "CZ", "olomouc": "CZ", "heidelberg": "DE", "munich": "DE",
	"berlin": "DE", "cambridge": "GB", "oxford": "GB", "london": "GB", "edinburgh": "GB", "zurich": "CH",
	"geneva": "CH", "lausanne": "CH", "basel": "CH", "amsterdam": "NL", "leiden": "NL", "utrecht": "NL",
	"ghent": "BE", "leuven": "BE", "padova": "IT", "bologna": "IT", "trieste": "IT", "vienna": "AT",
	"tokyo": "JP", "kyoto": "JP", "beijing": "CN", "shanghai": "CN", "seoul": "KR", "toronto": "CA",
	"montreal": "CA", "melbourne": "AU", "sydney": "AU", "brisbane": "AU", "tartu": "EE", "ljubljana": "SI",
}

// elixirNodes are ELIXIR national node codes as used in "ELIXIR-ITA-...".
var elixirNodes = map[string]string{
	"ITA": "IT", "IT": "IT", "FR": "FR", "DE": "DE", "ES": "ES", "NL": "NL", "BE": "BE", "CH": "CH", "CZ": "CZ",
	"DK": "DK", "EE": "EE", "FI": "FI", "GR": "GR", "HU": "HU", "IE": "IE", "IL": "IL", "LU": "LU", "NO": "NO",
	"PT": "PT", "SE": "SE", "SI": "SI", "UK": "GB", "CY": "CY",
}

// ccTLDs that name a country (others, like .eu or .org, say nothing).
var ccTLDs = map[string]string{
	"at": "AT", "au": "AU", "be": "BE", "br": "BR", "ca": "CA", "ch": "CH", "cn": "CN", "cy": "CY", "cz": "CZ",
	"de": "DE", "dk": "DK", "ee": "EE", "es": "ES", "fi": "FI", "fr": "FR", "gr": "GR", "hu": "HU", "ie": "IE",
	"il": "IL", "in": "IN", "it": "IT", "jp": "JP", "kr": "KR", "lu": "LU", "nl": "NL", "no": "NO", "nz": "NZ",
	"pl": "PL", "pt": "PT", "se": "SE", "si": "SI", "sk": "SK", "uk": "GB", "za": "ZA", "tw": "TW", "sg": "SG",
}

var (
	domainPattern = regexp.MustCompile(`(?i)^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.([a-z]{2})$`)
	elixirPattern = regexp.MustCompile(`^ELIXIR-([A-Z]{2,3})\b`)
)

// GuessCountry returns the country a bio.tools organisation name points to,
// or "ZZ" when it names none.
func GuessCountry(name string) string {
	if m := elixirPattern.FindStringSubmatch(name); m != nil {
		if c, ok := elixirNodes[m[1]]; ok {
			return c
		}
	}
	for _, tok := range strings.Fields(name) {
		tok = strings.Trim(tok, ",;()")
		if m := domainPattern.FindStringSubmatch(tok); m != nil {
			if c, ok := ccTLDs[strings.ToLower(m[1])]; ok {
				return c
			}
		}
	}
	// The last place named wins: addresses end with the country.
	lower := strings.ToLower(name)
	found, at := "", -1
	for word, c := range countryNames {
		for i := 0; ; {
			j := strings.Index(lower[i:], word)
			if j < 0 {
				break
			}
			j += i
			before := j == 0 || !isLetter(lower[j-1])
			after := j+len(word) == len(lower) || !isLetter(lower[j+len(word)])
			if before && after && (j > at || (j == at && len(word) > 0)) {
				found, at = c, j
			}
			i = j + len(word)
		}
	}
	if found != "" {
		return found
	}
	return "ZZ"
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || b >= 0x80 }

// medicalTopics mark biomedicine among an organisation's EDAM topics.
var medicalTopics = []string{"Medicine", "Oncology", "Rare diseases", "Pathology", "Immunology", "Neurology",
	"Infectious disease", "Molecular medicine", "Cardiology", "Personalised medicine", "Medical imaging", "Virology"}

var pharmaTopics = []string{"Drug discovery", "Pharmacology", "Drug development", "Medicinal chemistry", "Toxicology"}

func bioToolsRow(rec []string) (Row, error) {
	if len(rec) != 4 {
		return Row{}, fmt.Errorf("%d fields, want 4", len(rec))
	}
	name, entity, nTools, topics := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2]), rec[3]
	if name == "" {
		return Row{}, errors.New("empty organisation name")
	}
	if !utf8.ValidString(name) {
		return Row{}, errors.New("organisation name is not valid UTF-8")
	}
	kind, ok := bioToolsKinds[entity]
	if !ok {
		return Row{}, fmt.Errorf("unknown typeEntity %q", entity)
	}
	lower := strings.ToLower(name)
	switch {
	case strings.Contains(lower, "universit"):
		kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
	case strings.Contains(lower, "hospital"):
		kind = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL
	}
	n, err := strconv.Atoi(nTools)
	if err != nil || n < 0 {
		return Row{}, fmt.Errorf("n_tools %q is not a count", nTools)
	}
	sectors := []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOINFORMATICS}
	var labels []string
	for _, t := range strings.Split(topics, "|") {
		label, count, ok := strings.Cut(strings.TrimSpace(t), ":")
		if t == "" {
			continue
		}
		if !ok {
			return Row{}, fmt.Errorf("topic %q is not label:count", t)
		}
		labels = append(labels, label+" ("+count+")")
		for _, s := range []struct {
			topics []string
			sector profilesv1.Sector
		}{{medicalTopics, profilesv1.Sector_SECTOR_BIOMEDICINE}, {pharmaTopics, profilesv1.Sector_SECTOR_PHARMA}} {
			for _, m := range s.topics {
				if label == m && !containsSector(sectors, s.sector) {
					sectors = append(sectors, s.sector)
				}
			}
		}
	}
	desc := fmt.Sprintf("Credited on %d entries of the bio.tools registry of life-science software.", n)
	if len(labels) > 0 {
		desc += " Main EDAM topics of those entries: " + strings.Join(labels, ", ") + "."
	}
	nameField := name
	if utf8.RuneCountInString(nameField) > 200 {
		nameField = string([]rune(nameField)[:200])
	}
	o := &profilesv1.Organization{
		Kind:        kind,
		Name:        nameField,
		CountryCode: GuessCountry(name),
		Sectors:     sectors,
		Description: desc,
		Visibility:  profilesv1.Visibility_VISIBILITY_PUBLIC,
		ExternalIds: map[string]string{"biotools": name},
	}
	return Row{Org: o, RequestID: "import:biotools:" + name}, nil
}

func containsSector(ss []profilesv1.Sector, s profilesv1.Sector) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
