// Package demo publishes the competencies, cooperation profiles and
// collaboration history of the demo organisations that the profiles
// service's demo data creates, so that `tandem dev` has real partner
// suggestions to show.
//
// Organisations are found by their demo external id (tandem-demo:<slug>).
// The real research and healthcare bodies get competencies in their actual
// fields; their evidence items are marked as demo data, since Tandem invents
// no publications for real institutions. The fictional companies get
// competencies and a technology request drawn from their sectors. Seeding
// goes through the public API with client request ids, so a re-run changes
// nothing.
package demo

import (
	"context"
	"maps"
	"slices"
	"strings"

	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/importkit"
)

// MarkerSource is the external-id source of the profiles demo data.
const MarkerSource = "tandem-demo"

// Companies is how many fictional companies the profiles demo data holds.
const Companies = 125

// Result counts what the demo holds after seeding.
type Result struct {
	Competencies int // published now or before
	Changed      int // of those, published or changed by this run
	Offers       int // cooperation profiles present
	// Collaborations present: demo projects and the CORDIS excerpt's.
	Collaborations int
	// HistoryChanged counts collaborations (and the CORDIS excerpt's
	// organisations) created or changed by this run.
	HistoryChanged int
}

type competence struct {
	term  string
	level competenciesv1.CompetencyLevel
}

type offer struct {
	kind    competenciesv1.CooperationProfileKind
	title   string
	summary string
	terms   []string
	collab  []competenciesv1.CollaborationType
	trl     int32
}

const (
	basic    = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_BASIC
	advanced = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED
	expert   = competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_EXPERT

	techOffer   = competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER
	techRequest = competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST

	contractResearch = competenciesv1.CollaborationType_COLLABORATION_TYPE_CONTRACT_RESEARCH
	serviceProvision = competenciesv1.CollaborationType_COLLABORATION_TYPE_SERVICE_PROVISION
	equipmentAccess  = competenciesv1.CollaborationType_COLLABORATION_TYPE_EQUIPMENT_ACCESS
	jointGrant       = competenciesv1.CollaborationType_COLLABORATION_TYPE_JOINT_GRANT_APPLICATION
	clinicalStudy    = competenciesv1.CollaborationType_COLLABORATION_TYPE_CLINICAL_STUDY
	licensing        = competenciesv1.CollaborationType_COLLABORATION_TYPE_LICENSING
)

// bodies are the fields of the real research and healthcare bodies.
var bodies = map[string]struct {
	competencies []competence
	offers       []offer
}{
	"units": {[]competence{{"EDAM:topic_3308", expert}, {"MESH:D008103", advanced}, {"EDAM:topic_3047", expert}, {"EDAM:topic_3336", advanced}},
		[]offer{{techOffer, "Transcriptomics of liver disease", "RNA-seq of liver tissue and biopsies, with analysis of fibrosis progression, for diagnostic and pharma partners.",
			[]string{"EDAM:topic_3170", "MESH:D008103"}, []competenciesv1.CollaborationType{contractResearch, jointGrant}, 4}}},
	"uniud": {[]competence{{"EDAM:topic_0622", advanced}, {"EDAM:topic_0804", advanced}, {"EDAM:topic_3474", expert}}, nil},
	"sissa": {[]competence{{"EDAM:topic_3304", expert}, {"EDAM:topic_3307", expert}, {"EDAM:topic_1317", advanced}, {"EDAM:operation_2476", expert}}, nil},
	"elettra": {[]competence{{"EDAM:topic_1317", expert}, {"EDAM:topic_2828", expert}, {"MESH:D017356", expert}},
		[]offer{{techOffer, "Synchrotron beamlines for structural biology", "Beam time and support for protein crystallography and X-ray imaging of biological samples.",
			[]string{"EDAM:topic_2828", "EDAM:topic_1317"}, []competenciesv1.CollaborationType{equipmentAccess, serviceProvision}, 9}}},
	"cnr":   {[]competence{{"EDAM:topic_3306", advanced}, {"MESH:D036103", advanced}, {"EDAM:topic_0121", basic}}, nil},
	"icgeb": {[]competence{{"EDAM:topic_3321", expert}, {"EDAM:topic_0781", expert}, {"EDAM:topic_3297", expert}, {"MESH:D014612", advanced}}, nil},
	"fif": {[]competence{{"MESH:D008107", expert}, {"MESH:D005234", expert}, {"EDAM:topic_3360", advanced}, {"MESH:D006528", advanced}},
		[]offer{{techOffer, "Biomarkers of liver fibrosis", "Validated cohorts and assays for non-invasive staging of fatty liver disease and fibrosis.",
			[]string{"EDAM:topic_3360", "MESH:D005234"}, []competenciesv1.CollaborationType{clinicalStudy, licensing}, 5}}},
	"asugi": {[]competence{{"EDAM:topic_3379", advanced}, {"EDAM:topic_3335", advanced}, {"EDAM:topic_3305", basic}}, nil},
	"asufc": {[]competence{{"EDAM:topic_2640", advanced}, {"EDAM:topic_3384", advanced}}, nil},
	"burlo": {[]competence{{"MESH:D010372", expert}, {"EDAM:topic_3325", expert}, {"MESH:D005826", advanced}}, nil},
	"cro": {[]competence{{"EDAM:topic_2640", expert}, {"MESH:D007167", expert}, {"EDAM:topic_0208", advanced}, {"MESH:D011878", advanced}},
		[]offer{{techOffer, "Clinical studies in oncology", "Design and conduct of early clinical studies of cancer immunotherapies.",
			[]string{"MESH:D007167", "EDAM:topic_2640"}, []competenciesv1.CollaborationType{clinicalStudy}, 6}}},
	"areasciencepark": {[]competence{{"EDAM:topic_0622", advanced}, {"EDAM:topic_3168", expert}},
		[]offer{{techOffer, "Genomics platform", "Sequencing and bioinformatics services for companies of the region.",
			[]string{"EDAM:topic_3168", "EDAM:topic_0622"}, []competenciesv1.CollaborationType{serviceProvision}, 8}}},
}

// sectorFields are what fictional companies of a sector hold (competencies)
// and look for (requests).
var sectorFields = map[profilesv1.Sector]struct{ holds, seeks []string }{
	profilesv1.Sector_SECTOR_BIOTECHNOLOGY:   {[]string{"EDAM:topic_3297", "MESH:D000906", "EDAM:topic_0121"}, []string{"EDAM:topic_1317", "MESH:D013058", "EDAM:topic_3170"}},
	profilesv1.Sector_SECTOR_DIAGNOSTICS:     {[]string{"EDAM:topic_3360", "MESH:D003952"}, []string{"MESH:D008103", "EDAM:topic_3170", "EDAM:topic_3360"}},
	profilesv1.Sector_SECTOR_BIOINFORMATICS:  {[]string{"EDAM:topic_0091", "EDAM:topic_3474"}, []string{"EDAM:topic_0622", "EDAM:topic_3308"}},
	profilesv1.Sector_SECTOR_PHARMA:          {[]string{"EDAM:topic_3336", "EDAM:topic_0208"}, []string{"EDAM:topic_3379", "MESH:D007167"}},
	profilesv1.Sector_SECTOR_MEDTECH:         {[]string{"EDAM:topic_3384"}, []string{"EDAM:topic_3379", "MESH:D012046"}},
	profilesv1.Sector_SECTOR_DIGITAL_HEALTH:  {[]string{"MESH:D017216", "EDAM:topic_3474"}, []string{"EDAM:topic_3305", "MESH:D003704"}},
	profilesv1.Sector_SECTOR_NUTRACEUTICALS:  {[]string{"MESH:D019587"}, []string{"EDAM:topic_3390", "EDAM:topic_3172"}},
	profilesv1.Sector_SECTOR_AGEING_AND_CARE: {[]string{"MESH:D012046"}, []string{"MESH:D003704", "EDAM:topic_3305"}},
	profilesv1.Sector_SECTOR_BIOMEDICINE:     {[]string{"EDAM:topic_3047"}, []string{"EDAM:topic_3325", "EDAM:topic_0804"}},
}

// Seed publishes the demo competencies and offers through the two clients,
// which must call as an admin. Organisations missing from the profiles
// service (not seeded, or erased since) are skipped.
func Seed(ctx context.Context, p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient) (Result, error) {
	var res Result
	v, err := vocab.Load()
	if err != nil {
		return res, err
	}
	for _, slug := range sortedKeys() {
		id, _, err := find(ctx, p, slug)
		if err != nil {
			return res, err
		}
		if id == "" {
			continue
		}
		b := bodies[slug]
		for _, k := range b.competencies {
			if err := publish(ctx, c, id, slug, k, &res); err != nil {
				return res, err
			}
		}
		for i, o := range b.offers {
			if err := createOffer(ctx, c, id, fmt.Sprintf("%s:%d", slug, i), o, &res); err != nil {
				return res, err
			}
		}
	}
	for i := range Companies {
		slug := fmt.Sprintf("company-%03d", i+1)
		id, org, err := find(ctx, p, slug)
		if err != nil {
			return res, err
		}
		if id == "" {
			continue
		}
		for j, s := range org.GetSectors() {
			f, ok := sectorFields[s]
			if !ok {
				continue
			}
			held := f.holds[(i+j)%len(f.holds)]
			if err := publish(ctx, c, id, slug, competence{held, []competenciesv1.CompetencyLevel{basic, advanced, expert}[(i+j)%3]}, &res); err != nil {
				return res, err
			}
			if j > 0 {
				continue // one request per company, from its first sector
			}
			req := companyRequest(v, slug, f.seeks[i%len(f.seeks)])
			if err := createOffer(ctx, c, id, slug+":request", req, &res); err != nil {
				return res, err
			}
		}
	}
	if err := seedHistory(ctx, p, c, &res); err != nil {
		return res, fmt.Errorf("demo collaboration history: %w", err)
	}
	return res, nil
}

// DemoCompany is the fictional company the demo company member of `tandem
// dev` works for; its request drives the "find partners" journey.
const DemoCompany = "company-026"

// companyRequest is a fictional company's technology request for a term.
func companyRequest(v *vocab.Vocabulary, slug, term string) offer {
	terms := []string{term}
	if slug == DemoCompany {
		terms = []string{"EDAM:topic_3170", "MESH:D008103", "EDAM:topic_3360"} // RNA-Seq, Liver Cirrhosis, Biomarkers
	}
	labels := make([]string, 0, len(terms))
	for _, id := range terms {
		if t, ok := v.Term(id); ok {
			labels = append(labels, t.Label)
		}
	}
	topic := strings.Join(labels, ", ")
	return offer{techRequest, "Partner sought: " + topic,
		"Expertise in " + topic + " wanted for a joint development project (demo data).",
		terms, []competenciesv1.CollaborationType{contractResearch}, 0}
}

// sortedKeys gives the bodies in a fixed order, so runs are comparable.
func sortedKeys() []string { return slices.Sorted(maps.Keys(bodies)) }

// find returns the id of the demo organisation with that slug, or "" when
// the profiles service does not hold it.
func find(ctx context.Context, p profilesv1.ProfilesServiceClient, slug string) (string, *profilesv1.Organization, error) {
	res, err := p.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: MarkerSource + ":" + slug, PageSize: 1})
	if err != nil {
		return "", nil, fmt.Errorf("find demo organisation %s: %w", slug, err)
	}
	if len(res.GetOrganizations()) == 0 {
		return "", nil, nil
	}
	o := res.GetOrganizations()[0]
	return o.GetId(), o, nil
}

// retryUnknownHolder retries fn while the competencies service has not yet
// heard of a just-created organisation from the profiles events.
func retryUnknownHolder(ctx context.Context, fn func() error) error {
	return importkit.RetryUnknownHolder(ctx, 30*time.Second, fn)
}

func publish(ctx context.Context, c competenciesv1.CompetenciesServiceClient, orgID, slug string, k competence, res *Result) error {
	comp := &competenciesv1.Competency{
		Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgID}},
		TermId: k.term,
		Level:  k.level,
		Evidence: []*competenciesv1.Evidence{{Kind: competenciesv1.EvidenceKind_EVIDENCE_KIND_PROJECT,
			Reference: "demo:" + slug + ":" + k.term, Title: "Demo data: illustrative project (not a real reference)", Year: 2025}},
	}
	return retryUnknownHolder(ctx, func() error {
		// No request id: a publish is an upsert on (holder, term), and an
		// identical one answers changed=false, which is what a re-run reports.
		r, err := c.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: comp})
		if err != nil {
			return err
		}
		res.Competencies++
		if r.GetChanged() {
			res.Changed++
		}
		return nil
	})
}

func createOffer(ctx context.Context, c competenciesv1.CompetenciesServiceClient, orgID, key string, o offer, res *Result) error {
	p := &competenciesv1.CooperationProfile{
		Holder: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgID}},
		Kind:   o.kind, Title: o.title, Summary: o.summary, TermIds: o.terms, CollaborationTypes: o.collab, Trl: o.trl,
		Status:     competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED,
		Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}
	return retryUnknownHolder(ctx, func() error {
		_, err := c.CreateCooperationProfile(ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: p, ClientRequestId: "demo:offer:" + key})
		if err != nil {
			return err
		}
		res.Offers++
		return nil
	})
}

// SeedAt dials both services, signs an admin token with signer and
// seeds: what `tandem dev` calls after the profiles demo data is loaded.
func SeedAt(ctx context.Context, competenciesAddr, profilesAddr string, signer *auth.Signer) (Result, error) {
	tok, _, err := signer.Issue(auth.Principal{Subject: "system:demo", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		return Result{}, err
	}
	dial := func(addr string) (*grpc.ClientConn, error) {
		return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	}
	pc, err := dial(profilesAddr)
	if err != nil {
		return Result{}, err
	}
	defer pc.Close()
	cc, err := dial(competenciesAddr)
	if err != nil {
		return Result{}, err
	}
	defer cc.Close()
	return Seed(ctx, profilesv1.NewProfilesServiceClient(pc), competenciesv1.NewCompetenciesServiceClient(cc))
}
