package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/domain"
)

var (
	stems    = []string{"Adria", "Carso", "Tagliamento", "Isonzo", "Timavo", "Livenza", "Carnia", "Collio", "Miramare", "Grado", "Natisone", "Cellina", "Meduna", "Torre", "Judrio", "Resia", "Zoncolan", "Nevea", "Sauris", "Barcola"}
	suffixes = []string{"Gen", "Bio", "Med", "Omics", "Lab", "Cell", "Pharma", "Diagnostics", "Data", "Care", "Tech", "Nutra", "Therapeutics", "Devices", "Health"}
	forms    = []string{"S.r.l.", "S.p.A.", "S.r.l.s.", "Soc. Coop."}
	places   = []struct{ nuts, city string }{
		{"ITH44", "Trieste"}, {"ITH44", "Trieste"}, {"ITH44", "Muggia"}, {"ITH42", "Udine"}, {"ITH42", "Udine"},
		{"ITH42", "Tavagnacco"}, {"ITH42", "Cividale del Friuli"}, {"ITH41", "Pordenone"}, {"ITH41", "Sacile"},
		{"ITH43", "Gorizia"}, {"ITH43", "Monfalcone"},
	}
	naceBySector = map[profilesv1.Sector][]string{
		biomed: {"72.11", "72.19"}, biotech: {"72.11"}, bioinf: {"62.01", "72.19"}, medtech: {"26.60", "32.50"},
		digital: {"62.01"}, diagn: {"26.60", "72.19"}, pharma: {"21.10", "21.20"}, nutra: {"10.89", "72.11"},
		ageing: {"86", "88.10"}, health: {"86"},
	}
	sectorPool = []profilesv1.Sector{biomed, biotech, bioinf, medtech, digital, diagn, pharma, nutra, ageing}
	firstNames = []string{"Giulia", "Marco", "Elena", "Luca", "Sara", "Davide", "Chiara", "Matteo"}
)

func companySlug(i int) string { return fmt.Sprintf("company-%03d", i+1) }

// Company generates the i-th fictional company from rng.
func Company(rng *rand.Rand, i int) *profilesv1.Organization {
	stem, suffix := stems[rng.IntN(len(stems))], suffixes[rng.IntN(len(suffixes))]
	place := places[rng.IntN(len(places))]
	n := 1 + rng.IntN(2)
	var sectors []profilesv1.Sector
	var nace []string
	for _, k := range rng.Perm(len(sectorPool))[:n] {
		s := sectorPool[k]
		sectors = append(sectors, s)
		for _, c := range naceBySector[s] {
			if !contains(nace, c) {
				nace = append(nace, c)
			}
		}
	}
	size := []profilesv1.SizeBand{profilesv1.SizeBand_SIZE_BAND_MICRO, profilesv1.SizeBand_SIZE_BAND_MICRO, profilesv1.SizeBand_SIZE_BAND_SMALL, profilesv1.SizeBand_SIZE_BAND_SMALL, profilesv1.SizeBand_SIZE_BAND_MEDIUM, profilesv1.SizeBand_SIZE_BAND_LARGE}[rng.IntN(6)]
	vis := profilesv1.Visibility_VISIBILITY_PUBLIC
	switch r := rng.IntN(100); {
	case r < 10:
		vis = profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
	case r < 16:
		vis = profilesv1.Visibility_VISIBILITY_ANONYMOUS
	case r < 20:
		vis = profilesv1.Visibility_VISIBILITY_HIDDEN
	}
	slug := companySlug(i)
	name := fmt.Sprintf("%s%s %s (demo %03d)", stem, strings.ToLower(suffix), forms[rng.IntN(len(forms))], i+1)
	return &profilesv1.Organization{
		Kind: company, Name: name, ShortName: stem + strings.ToLower(suffix),
		CountryCode: "IT", NutsCode: place.nuts, City: place.city,
		Website: "https://" + slug + ".example", SizeBand: size, Sectors: sectors, NaceCodes: nace,
		Description: fmt.Sprintf("Fictional company generated as Tandem demo data. Works in %s.", sectorWords(sectors)),
		Visibility:  vis,
		Contact: &profilesv1.Contact{
			Name: "Business development (demo)", Email: "info@" + slug + ".example",
			Phone: fmt.Sprintf("+3904%08d", rng.IntN(100_000_000)), ConsentToShare: rng.IntN(10) < 7,
		},
	}
}

func sectorWords(ss []profilesv1.Sector) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.String(), "SECTOR_")), "_", " ")
	}
	return strings.Join(words, " and ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// FictionalORCID returns an ORCID iD with a valid check digit in the
// 0000-0000 block, which ORCID does not issue, so it names nobody real.
func FictionalORCID(rng *rand.Rand) string {
	base := fmt.Sprintf("00000000%07d", rng.IntN(10_000_000))
	id := base + string(domain.ORCIDCheckDigit(base))
	return id[0:4] + "-" + id[4:8] + "-" + id[8:12] + "-" + id[12:16]
}

func people(rng *rand.Rand) []*profilesv1.Person {
	roles := []string{"Chief scientific officer", "R&D manager", "Bioinformatician", "Regulatory affairs lead", "Founder and CEO", "Senior researcher"}
	var out []*profilesv1.Person
	for i, first := range firstNames {
		out = append(out, &profilesv1.Person{
			Name:  first + " Demo",
			Role:  roles[i%len(roles)],
			Orcid: FictionalORCID(rng),
			Bio:   "Fictional person generated as Tandem demo data.",
			Contact: &profilesv1.Contact{
				ConsentToShare: i%2 == 0,
			},
		})
	}
	return out
}
