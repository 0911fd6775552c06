package domain

import "strings"

// iso3166 lists the officially assigned ISO 3166-1 alpha-2 codes.
const iso3166 = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW`

// UnknownCountry is the ISO 3166-1 user-assigned code that Tandem (like
// Unicode CLDR) uses for "country not known", so imports from sources without
// a country field can still load; such organisations have no NUTS code.
const UnknownCountry = "ZZ"

var countries = func() map[string]bool {
	m := make(map[string]bool, 250)
	for _, c := range strings.Fields(iso3166) {
		m[c] = true
	}
	return m
}()

// nutsPrefix maps the countries that have NUTS regions to their NUTS country
// code, which differs from ISO 3166 for Greece (EL) and the United Kingdom (UK).
var nutsPrefix = map[string]string{
	"AT": "AT", "BE": "BE", "BG": "BG", "CY": "CY", "CZ": "CZ", "DE": "DE", "DK": "DK", "EE": "EE",
	"GR": "EL", "ES": "ES", "FI": "FI", "FR": "FR", "HR": "HR", "HU": "HU", "IE": "IE", "IT": "IT",
	"LT": "LT", "LU": "LU", "LV": "LV", "MT": "MT", "NL": "NL", "PL": "PL", "PT": "PT", "RO": "RO",
	"SE": "SE", "SI": "SI", "SK": "SK",
	// EFTA, candidate countries and the United Kingdom, which Eurostat also codes.
	"IS": "IS", "LI": "LI", "NO": "NO", "CH": "CH", "ME": "ME", "MK": "MK", "AL": "AL", "RS": "RS",
	"TR": "TR", "GB": "UK",
}

// ValidCountry reports whether c is an assigned ISO 3166-1 alpha-2 code or
// UnknownCountry.
func ValidCountry(c string) bool { return countries[c] || c == UnknownCountry }

// NUTSPrefix returns the NUTS country code of an ISO country, or "" when the
// country has no NUTS regions.
func NUTSPrefix(country string) string { return nutsPrefix[country] }
