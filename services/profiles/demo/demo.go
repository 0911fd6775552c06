// Package demo loads the demo data of `tandem dev`: the real research,
// healthcare and innovation bodies of the Friuli Venezia Giulia "Smart
// Health" cluster and of the national life-sciences cluster it belongs to,
// plus about 125 fictional companies and a few fictional people generated
// with a fixed seed. Everything fictional says so in its name or biography,
// uses .example web and mail domains, and carries the external id
// "tandem-demo". Seeding goes through the public API with client request ids,
// so running it again creates nothing twice.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/auth"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Companies is how many fictional companies Seed creates.
const Companies = 125

// RandomSeed is the fixed seed of the generated companies and people.
const RandomSeed = 20261127

// MarkerSource is the external-id source every demo organisation carries.
const MarkerSource = "tandem-demo"

type kindT = profilesv1.OrganizationKind

const (
	university = profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
	institute  = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	hospital   = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL
	park       = profilesv1.OrganizationKind_ORGANIZATION_KIND_SCIENCE_PARK
	public     = profilesv1.OrganizationKind_ORGANIZATION_KIND_PUBLIC_BODY
	training   = profilesv1.OrganizationKind_ORGANIZATION_KIND_TRAINING_BODY
	cluster    = profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER
	company    = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
)

// body is a real organisation of the cluster. Websites are given only where
// they are the bodies' well-known addresses; contacts are never invented.
type body struct {
	slug, name, short string
	kind              kindT
	nuts, city, web   string
	sectors           []profilesv1.Sector
	desc              string
}

var (
	biomed  = profilesv1.Sector_SECTOR_BIOMEDICINE
	biotech = profilesv1.Sector_SECTOR_BIOTECHNOLOGY
	bioinf  = profilesv1.Sector_SECTOR_BIOINFORMATICS
	medtech = profilesv1.Sector_SECTOR_MEDTECH
	digital = profilesv1.Sector_SECTOR_DIGITAL_HEALTH
	diagn   = profilesv1.Sector_SECTOR_DIAGNOSTICS
	pharma  = profilesv1.Sector_SECTOR_PHARMA
	nutra   = profilesv1.Sector_SECTOR_NUTRACEUTICALS
	ageing  = profilesv1.Sector_SECTOR_AGEING_AND_CARE
	health  = profilesv1.Sector_SECTOR_HEALTHCARE
)

// Bodies are the real members of the Smart Health cluster loaded as demo data.
var bodies = []body{
	{"units", "Università degli Studi di Trieste", "UniTS", university, "ITH44", "Trieste", "https://www.units.it", []profilesv1.Sector{biomed, biotech, bioinf}, "Public university of Trieste."},
	{"uniud", "Università degli Studi di Udine", "UniUD", university, "ITH42", "Udine", "https://www.uniud.it", []profilesv1.Sector{biomed, biotech, nutra}, "Public university of Udine."},
	{"sissa", "Scuola Internazionale Superiore di Studi Avanzati", "SISSA", university, "ITH44", "Trieste", "https://www.sissa.it", []profilesv1.Sector{biomed, bioinf}, "International school for advanced studies: neuroscience, molecular biology and data science."},
	{"elettra", "Elettra Sincrotrone Trieste", "Elettra", institute, "ITH44", "Trieste", "https://www.elettra.eu", []profilesv1.Sector{biotech, diagn}, "Synchrotron and free-electron-laser research infrastructure (structural biology, imaging)."},
	{"cnr", "Consiglio Nazionale delle Ricerche", "CNR", institute, "ITH44", "Trieste", "https://www.cnr.it", []profilesv1.Sector{biomed, biotech}, "National research council; institutes with units in Trieste."},
	{"icgeb", "International Centre for Genetic Engineering and Biotechnology", "ICGEB", institute, "ITH44", "Trieste", "https://www.icgeb.org", []profilesv1.Sector{biotech, biomed}, "Intergovernmental research organisation for genetic engineering and biotechnology."},
	{"fif", "Fondazione Italiana Fegato", "FIF", institute, "ITH44", "Trieste", "https://www.fegato.it", []profilesv1.Sector{biomed}, "Liver-studies foundation: research on liver diseases."},
	{"asugi", "Azienda Sanitaria Universitaria Giuliano Isontina", "ASUGI", hospital, "ITH44", "Trieste", "", []profilesv1.Sector{health, biomed}, "University hospital trust of Trieste and Gorizia."},
	{"asufc", "Azienda Sanitaria Universitaria Friuli Centrale", "ASUFC", hospital, "ITH42", "Udine", "", []profilesv1.Sector{health, biomed}, "University hospital trust of Udine."},
	{"burlo", "IRCCS Materno Infantile Burlo Garofolo", "Burlo Garofolo", hospital, "ITH44", "Trieste", "https://www.burlo.trieste.it", []profilesv1.Sector{health, biomed}, "Research hospital for mother and child health."},
	{"cro", "Centro di Riferimento Oncologico di Aviano IRCCS", "CRO Aviano", hospital, "ITH41", "Aviano", "https://www.cro.it", []profilesv1.Sector{health, biomed, pharma}, "National cancer institute and research hospital."},
	{"areasciencepark", "Area Science Park", "Area Science Park", park, "ITH44", "Trieste", "https://www.areasciencepark.it", []profilesv1.Sector{biotech, digital}, "Science and technology park and national research institution."},
	{"polo-pn", "Polo Tecnologico Alto Adriatico Andrea Galvani", "Polo Tecnologico Pordenone", park, "ITH41", "Pordenone", "", []profilesv1.Sector{medtech, digital}, "Technology park of Pordenone."},
	{"danieli", "Parco Scientifico e Tecnologico Luigi Danieli", "Friuli Innovazione", park, "ITH42", "Udine", "", []profilesv1.Sector{biotech, digital}, "Science and technology park of Udine."},
	{"innovafvg", "Innova FVG", "Innova FVG", park, "ITH42", "Amaro", "", []profilesv1.Sector{nutra, biotech}, "Technology park in Amaro."},
	{"itis", "ITIS Azienda Pubblica di Servizi alla Persona", "ITIS", public, "ITH44", "Trieste", "", []profilesv1.Sector{ageing}, "Public personal-care services company of Trieste."},
	{"its-volta", "Fondazione ITS Alessandro Volta", "ITS Volta", training, "ITH44", "Trieste", "", []profilesv1.Sector{biotech, medtech}, "Trains senior technicians for life-sciences companies."},
}

// Result counts what a seeding run found or made.
type Result struct {
	Organizations int // demo organisations present (created now or before)
	People        int // demo people present
	Skipped       int // demo records erased since an earlier run, left erased
}

// Seed loads the demo data through client, which must call as an admin.
func Seed(ctx context.Context, client profilesv1.ProfilesServiceClient) (Result, error) {
	var res Result
	create := func(key string, o *profilesv1.Organization) (string, error) {
		if o.ExternalIds == nil {
			o.ExternalIds = map[string]string{}
		}
		o.ExternalIds[MarkerSource] = key
		// Client request ids are scoped per caller, so another caller's run
		// (the gateway's demo login) is found by the external id instead.
		found, err := client.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: MarkerSource + ":" + key, PageSize: 1})
		if err != nil {
			return "", fmt.Errorf("find demo organization %s: %w", key, err)
		}
		if orgs := found.GetOrganizations(); len(orgs) > 0 && orgs[0].GetId() != "" {
			res.Organizations++
			return orgs[0].GetId(), nil
		}
		r, err := client.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: o, ClientRequestId: "demo:organization:" + key})
		if status.Code(err) == codes.NotFound {
			res.Skipped++
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("demo organization %s: %w", key, err)
		}
		res.Organizations++
		return r.GetOrganization().GetId(), nil
	}
	alisei, err := create("cluster-alisei", &profilesv1.Organization{
		Kind: cluster, Name: "Cluster Tecnologico Nazionale Scienze della Vita ALISEI", ShortName: "ALISEI",
		CountryCode: "IT", Website: "https://www.clusteralisei.it", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		Sectors:     []profilesv1.Sector{biomed, biotech, pharma, medtech},
		Description: "Italian national technology cluster for the life sciences.",
	})
	if err != nil {
		return res, err
	}
	smart := &profilesv1.Organization{
		Kind: cluster, Name: "Distretto Tecnologico di Biomedicina Molecolare – Cluster Smart Health FVG", ShortName: "Smart Health FVG",
		CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		Sectors:     []profilesv1.Sector{biomed, biotech, bioinf},
		Description: "Manager of the Friuli Venezia Giulia Smart Health cluster (molecular-biomedicine technology district).",
	}
	if alisei != "" {
		smart.ClusterMemberships = []*profilesv1.ClusterMembership{{ClusterId: alisei}}
	}
	fvg, err := create("cluster-smart-health-fvg", smart)
	if err != nil {
		return res, err
	}
	member := func() []*profilesv1.ClusterMembership {
		if fvg == "" {
			return nil
		}
		return []*profilesv1.ClusterMembership{{ClusterId: fvg}}
	}
	for _, b := range bodies {
		_, err := create(b.slug, &profilesv1.Organization{
			Kind: b.kind, Name: b.name, ShortName: b.short, CountryCode: "IT", NutsCode: b.nuts, City: b.city,
			Website: b.web, Sectors: b.sectors, Description: b.desc, ClusterMemberships: member(),
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
		})
		if err != nil {
			return res, err
		}
	}
	rng := rand.New(rand.NewPCG(RandomSeed, RandomSeed))
	var companyIDs []string
	var companySlugs []string
	for i := range Companies {
		o := Company(rng, i)
		o.ClusterMemberships = member()
		id, err := create(companySlug(i), o)
		if err != nil {
			return res, err
		}
		if id != "" {
			companyIDs = append(companyIDs, id)
			companySlugs = append(companySlugs, companySlug(i))
		}
	}
	for i, p := range people(rng) {
		if len(companyIDs) == 0 {
			break
		}
		j := (i * 17) % len(companyIDs)
		p.OrganizationId = companyIDs[j]
		p.Contact.Email = strings.ToLower(strings.Fields(p.Name)[0]) + "@" + companySlugs[j] + ".example"
		_, err := client.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: p, ClientRequestId: fmt.Sprintf("demo:person:%02d", i)})
		if status.Code(err) == codes.NotFound {
			res.Skipped++
			continue
		}
		if err != nil {
			return res, fmt.Errorf("demo person %d: %w", i, err)
		}
		res.People++
	}
	return res, nil
}

// SeedAt dials the profiles service at addr, signs an admin token with
// signer and seeds: what `tandem dev` calls once its services serve.
func SeedAt(ctx context.Context, addr string, signer *auth.Signer) (Result, error) {
	tok, _, err := signer.Issue(auth.Principal{Subject: "system:demo", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		return Result{}, err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		return Result{}, fmt.Errorf("dial profiles %s: %w", addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := Seed(ctx, profilesv1.NewProfilesServiceClient(conn))
	if errors.Is(err, context.DeadlineExceeded) {
		return res, fmt.Errorf("demo data: %w", err)
	}
	return res, err
}
