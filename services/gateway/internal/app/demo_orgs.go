package app

import (
	"google.golang.org/protobuf/proto"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// demoOrg is an organisation of the profiles service's demo data that a
// demo login creates when it is missing (an empty system, a test), exactly
// as the demo data would: a seeding run afterwards finds it by its client
// request id. The component tests compare these with the demo data.
type demoOrg struct {
	org      *profilesv1.Organization
	memberOf []string // slugs of the clusters it belongs to
}

func (d demoOrg) organization() *profilesv1.Organization { return proto.CloneOf(d.org) }

var (
	biomed  = profilesv1.Sector_SECTOR_BIOMEDICINE
	biotech = profilesv1.Sector_SECTOR_BIOTECHNOLOGY
	bioinf  = profilesv1.Sector_SECTOR_BIOINFORMATICS
	diagn   = profilesv1.Sector_SECTOR_DIAGNOSTICS
	pharma  = profilesv1.Sector_SECTOR_PHARMA
	medtech = profilesv1.Sector_SECTOR_MEDTECH
	public  = profilesv1.Visibility_VISIBILITY_PUBLIC
)

// demoOrganizations are the demo users' organisations and the clusters
// above them, by slug.
var demoOrganizations = map[string]demoOrg{
	"cluster-alisei": {org: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, Name: "Cluster Tecnologico Nazionale Scienze della Vita ALISEI", ShortName: "ALISEI",
		CountryCode: "IT", Website: "https://www.clusteralisei.it", Visibility: public,
		Sectors:     []profilesv1.Sector{biomed, biotech, pharma, medtech},
		Description: "Italian national technology cluster for the life sciences.",
	}},
	SlugSmartHealth: {memberOf: []string{"cluster-alisei"}, org: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, Name: "Distretto Tecnologico di Biomedicina Molecolare – Cluster Smart Health FVG", ShortName: "Smart Health FVG",
		CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Visibility: public,
		Sectors:     []profilesv1.Sector{biomed, biotech, bioinf},
		Description: "Manager of the Friuli Venezia Giulia Smart Health cluster (molecular-biomedicine technology district).",
	}},
	SlugResearch: {memberOf: []string{SlugSmartHealth}, org: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, Name: "Università degli Studi di Trieste", ShortName: "UniTS",
		CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", Website: "https://www.units.it", Visibility: public,
		Sectors:     []profilesv1.Sector{biomed, biotech, bioinf},
		Description: "Public university of Trieste.",
	}},
	SlugCompany: {memberOf: []string{SlugSmartHealth}, org: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: "Tagliamentoomics S.r.l.s. (demo 026)", ShortName: "Tagliamentoomics",
		CountryCode: "IT", NutsCode: "ITH44", City: "Muggia", Website: "https://company-026.example",
		SizeBand: profilesv1.SizeBand_SIZE_BAND_MICRO, Sectors: []profilesv1.Sector{biotech, diagn}, NaceCodes: []string{"72.11", "26.60", "72.19"},
		Description: "Fictional company generated as Tandem demo data. Works in biotechnology and diagnostics.",
		Visibility:  public,
		Contact: &profilesv1.Contact{
			Name: "Business development (demo)", Email: "info@company-026.example", Phone: "+390466048446", ConsentToShare: true,
		},
	}},
}
