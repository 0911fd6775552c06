package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/cordis"
)

// cordisData is the part of the CORDIS slice (© European Union, CORDIS)
// that names the cluster's members: three real EU projects of SISSA and
// the University of Trieste, with all their partners.
//
//go:embed data/cordis/*.csv
var cordisData embed.FS

// cordisNames are the CORDIS spellings of demo organisations whose profile
// names differ beyond what the import's normalisation folds.
var cordisNames = map[string]string{
	"IT scuola internazionale superiore di studi avanzati di trieste": "sissa",
}

// project is an invented collaboration among demo organisations, so that
// the demo shows history-based reasons ("worked with ...", "a partner of
// your partners"). The first member coordinates.
type project struct {
	key, acronym, title string
	year                int32
	members             []string
	terms               []string
}

// projects are demo data, not real projects: their titles say so.
var demoProjects = []project{
	{"hepamark", "HEPA-MARK", "Non-invasive biomarkers of liver fibrosis", 2021, []string{"fif", DemoCompany, "asugi"}, []string{"EDAM:topic_3360", "MESH:D005234"}},
	{"transliver", "TRANSLIVER", "Transcriptomics of chronic liver disease", 2019, []string{"units", "fif", "icgeb"}, []string{"EDAM:topic_3170", "MESH:D008103"}},
	{"structfvg", "STRUCT-FVG", "Structural biology for drug discovery", 2022, []string{"elettra", "sissa", "icgeb", "company-010"}, []string{"EDAM:topic_1317", "EDAM:topic_3336"}},
	{"oncoimmune", "ONCO-IMMUNE", "Early clinical studies of cancer immunotherapies", 2020, []string{"cro", "burlo", "units", "company-040"}, []string{"MESH:D007167", "EDAM:topic_2640"}},
	{"genomicshub", "GENOMICS-HUB", "Sequencing services for the region's companies", 2023, []string{"areasciencepark", "uniud", "company-005", "company-077"}, []string{"EDAM:topic_3168", "EDAM:topic_0622"}},
	{"telecare", "TELECARE-FVG", "Telemedicine for older patients at home", 2022, []string{"asufc", "uniud", "company-090"}, []string{"MESH:D017216"}},
}

// seedHistory records the demo collaborations and imports the CORDIS
// excerpt; both are idempotent, so a re-run changes nothing.
func seedHistory(ctx context.Context, p profilesv1.ProfilesServiceClient, c competenciesv1.CompetenciesServiceClient, res *Result) error {
	for _, pr := range demoProjects {
		col := &competenciesv1.Collaboration{Kind: competenciesv1.CollaborationKind_COLLABORATION_KIND_PROJECT, Acronym: pr.acronym,
			Title: pr.title + " (demo data)", Summary: "An illustrative project of the demo cluster, not a real one.",
			Programme: "Demo", Year: pr.year, TermIds: pr.terms, Source: "demo", SourceId: pr.key,
			Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}
		for i, slug := range pr.members {
			id, _, err := find(ctx, p, slug)
			if err != nil {
				return err
			}
			if id == "" {
				continue // not seeded, or erased since
			}
			role := competenciesv1.ParticipantRole_PARTICIPANT_ROLE_PARTICIPANT
			if i == 0 {
				role = competenciesv1.ParticipantRole_PARTICIPANT_ROLE_COORDINATOR
			}
			col.Participants = append(col.Participants, &competenciesv1.CollaborationParticipant{OrganizationId: id, Role: role})
		}
		if len(col.GetParticipants()) < 2 {
			continue
		}
		err := retryUnknownHolder(ctx, func() error {
			r, err := c.PutCollaboration(ctx, &competenciesv1.PutCollaborationRequest{Collaboration: col})
			if err != nil {
				return err
			}
			res.Collaborations++
			if r.GetChanged() {
				res.HistoryChanged++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo project %s: %w", pr.key, err)
		}
	}
	known := map[string]string{}
	for key, slug := range cordisNames {
		id, _, err := find(ctx, p, slug)
		if err != nil {
			return err
		}
		if id != "" {
			known[key] = id
		}
	}
	sub, err := fs.Sub(cordisData, "data/cordis")
	if err != nil {
		return err
	}
	rep, err := cordis.ImportFS(ctx, sub, cordis.Options{Profiles: p, Competencies: c, Known: known, HolderWait: 30 * time.Second})
	if err != nil {
		return err
	}
	res.Collaborations += rep.Collaborations
	res.HistoryChanged += rep.CollabsCreated + rep.CollabsChanged + rep.OrganizationsCreated
	return nil
}
