package cordis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/importkit"
)

// Options configure an import. The clients must carry a token that may
// create organisations and record collaborations (an admin's).
type Options struct {
	Profiles     profilesv1.ProfilesServiceClient
	Competencies competenciesv1.CompetenciesServiceClient
	// Vocabulary reads the projects' topics; nil means vocab.Load().
	Vocabulary *vocab.Vocabulary
	// Progress receives a progress bar when it is a terminal.
	Progress io.Writer
	// Workers call in parallel; 0 means 4.
	Workers int
	// RPCTimeout bounds each call; 0 means 30 s.
	RPCTimeout time.Duration
	// HolderWait bounds how long recording a project waits for the
	// competencies service to learn of a just-created organisation; 0 means 1 minute.
	HolderWait time.Duration
	// Known maps organisation keys ("<country> <normalised name>") to
	// existing organisation ids, for names that differ from the profile's
	// beyond normalisation.
	Known map[string]string
	Log   *slog.Logger
}

// Report says what an import did, row by row. A re-run of the same files
// reports nothing created and nothing changed.
type Report struct {
	Stats
	Organizations        int // distinct organisations in the files
	OrganizationsCreated int
	OrganizationsPresent int // found by the key an earlier import gave them
	OrganizationsMatched int // an existing profile of the same normalised name and country
	Collaborations       int
	CollabsCreated       int
	CollabsChanged       int
	CollabsUnchanged     int
}

// Print writes the summary.
func (r Report) Print(w io.Writer) {
	_, _ = fmt.Fprintf(w, "projects: %d rows; %d recorded as collaborations: %d created, %d changed, %d already present",
		r.Projects, r.Collaborations, r.CollabsCreated, r.CollabsChanged, r.CollabsUnchanged)
	if r.ProjectsWithoutParticipants > 0 {
		_, _ = fmt.Fprintf(w, "; %d without participants left out", r.ProjectsWithoutParticipants)
	}
	_, _ = fmt.Fprintf(w, "\nparticipations: %d rows naming %d organisations (merged into the organisation of an earlier row: %d rows, %d of them repeats within one project",
		r.Participations, r.Organizations, r.MergedRows, r.DuplicateRows)
	if r.SkippedRows > 0 {
		_, _ = fmt.Fprintf(w, "; %d rows skipped: no such project or no name", r.SkippedRows)
	}
	_, _ = fmt.Fprintf(w, ")\norganisations: %d created, %d already present from an earlier import, %d matched to an existing profile by name and country\n",
		r.OrganizationsCreated, r.OrganizationsPresent, r.OrganizationsMatched)
}

// Changed reports whether the import created or changed anything.
func (r Report) Changed() bool {
	return r.OrganizationsCreated > 0 || r.CollabsCreated > 0 || r.CollabsChanged > 0
}

// ImportDir imports project.csv, organization.csv and topics.csv of dir
// (topics.csv may be missing).
func ImportDir(ctx context.Context, dir string, o Options) (Report, error) {
	return ImportFS(ctx, os.DirFS(dir), o)
}

// ImportFS imports the three files at the root of fsys.
func ImportFS(ctx context.Context, fsys fs.FS, o Options) (Report, error) {
	var projects []Project
	var rows []Participation
	var topics []Topic
	for _, f := range []struct {
		name     string
		optional bool
		read     func(io.Reader) error
	}{
		{"project.csv", false, func(r io.Reader) (err error) { projects, err = ReadProjects(r); return err }},
		{"organization.csv", false, func(r io.Reader) (err error) { rows, err = ReadParticipations(r); return err }},
		{"topics.csv", true, func(r io.Reader) (err error) { topics, err = ReadTopics(r); return err }},
	} {
		fh, err := fsys.Open(f.name)
		if errors.Is(err, fs.ErrNotExist) && f.optional {
			continue
		}
		if err != nil {
			return Report{}, fmt.Errorf("cordis import: %w", err)
		}
		err = f.read(fh)
		_ = fh.Close()
		if err != nil {
			return Report{}, fmt.Errorf("cordis import: %w", err)
		}
	}
	return Import(ctx, projects, rows, topics, o)
}

// Import brings Tandem in line with the files' rows.
func Import(ctx context.Context, projects []Project, rows []Participation, topics []Topic, o Options) (Report, error) {
	if o.Profiles == nil || o.Competencies == nil {
		return Report{}, errors.New("cordis import: both clients are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.RPCTimeout <= 0 {
		o.RPCTimeout = 30 * time.Second
	}
	if o.HolderWait <= 0 {
		o.HolderWait = time.Minute
	}
	if o.Vocabulary == nil {
		v, err := vocab.Load()
		if err != nil {
			return Report{}, err
		}
		o.Vocabulary = v
	}
	pl := MakePlan(projects, rows, topics, o.Vocabulary)
	rep := Report{Stats: pl.Stats, Organizations: len(pl.Orgs), Collaborations: len(pl.Projects)}
	bar := importkit.Bar(o.Progress, len(pl.Orgs)+len(pl.Projects), "importing CORDIS")
	defer func() { _ = bar.Finish() }()

	ids := make(map[string]string, len(pl.Orgs))
	var mu sync.Mutex
	var created, present, matched atomic.Int64
	err := parallel(ctx, o.Workers, len(pl.Orgs), func(ctx context.Context, i int) error {
		org := pl.Orgs[i]
		id, how, err := ensureOrganization(ctx, o, org)
		if err != nil {
			return fmt.Errorf("organisation %q (%s): %w", org.Name, org.Country, err)
		}
		switch how {
		case foundCreated:
			created.Add(1)
		case foundPresent:
			present.Add(1)
		case foundMatched:
			matched.Add(1)
		}
		mu.Lock()
		ids[org.Key] = id
		mu.Unlock()
		_ = bar.Add(1)
		return nil
	})
	rep.OrganizationsCreated, rep.OrganizationsPresent, rep.OrganizationsMatched = int(created.Load()), int(present.Load()), int(matched.Load())
	if err != nil {
		return rep, fmt.Errorf("cordis import: %w", err)
	}
	var cCreated, cChanged atomic.Int64
	err = parallel(ctx, o.Workers, len(pl.Projects), func(ctx context.Context, i int) error {
		c := pl.Projects[i]
		for j, key := range pl.Members[i] {
			c.Participants[j].OrganizationId = ids[key]
		}
		res, err := putCollaboration(ctx, o, c)
		if err != nil {
			return fmt.Errorf("project %s (%s): %w", c.GetSourceId(), c.GetAcronym(), err)
		}
		if res.GetCreated() {
			cCreated.Add(1)
		} else if res.GetChanged() {
			cChanged.Add(1)
		}
		_ = bar.Add(1)
		return nil
	})
	rep.CollabsCreated, rep.CollabsChanged = int(cCreated.Load()), int(cChanged.Load())
	rep.CollabsUnchanged = rep.Collaborations - rep.CollabsCreated - rep.CollabsChanged
	if err != nil {
		return rep, fmt.Errorf("cordis import: %w", err)
	}
	return rep, nil
}

// parallel runs do for 0..n-1 on workers goroutines; the first error stops
// the rest.
func parallel(ctx context.Context, workers, n int, do func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := do(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

type found int

const (
	foundCreated found = iota
	foundPresent
	foundMatched
)

// ensureOrganization finds the organisation by the key an earlier import
// gave it, else an existing profile of the same normalised name in the same
// country, else creates it. The client request id makes a create retried
// after a lost answer (or a concurrent run) return the same organisation.
func ensureOrganization(ctx context.Context, o Options, org *Org) (string, found, error) {
	if id, ok := o.Known[org.Key]; ok {
		return id, foundMatched, nil
	}
	cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
	defer cancel()
	list, err := o.Profiles.ListOrganizations(cctx, &profilesv1.ListOrganizationsRequest{ExternalId: ExternalKey + ":" + org.Key, PageSize: 1})
	if err != nil {
		return "", 0, fmt.Errorf("find: %w", err)
	}
	if orgs := list.GetOrganizations(); len(orgs) > 0 {
		return orgs[0].GetId(), foundPresent, nil
	}
	norm := NormalizeName(org.Name)
	token := ""
	for {
		list, err = o.Profiles.ListOrganizations(cctx, &profilesv1.ListOrganizationsRequest{Query: longestWord(norm), CountryCodes: []string{org.Country}, PageSize: 500, PageToken: token})
		if err != nil {
			return "", 0, fmt.Errorf("find by name: %w", err)
		}
		for _, x := range list.GetOrganizations() {
			if NormalizeName(x.GetName()) == norm {
				return x.GetId(), foundMatched, nil
			}
		}
		if token = list.GetNextPageToken(); token == "" {
			break
		}
	}
	ext := map[string]string{ExternalKey: org.Key}
	if org.PIC != "" {
		ext[Source] = org.PIC
	}
	res, err := o.Profiles.CreateOrganization(cctx, &profilesv1.CreateOrganizationRequest{ClientRequestId: clip("cordis:"+org.Key, 200), Organization: &profilesv1.Organization{
		Name: clip(org.Name, 200), ShortName: clip(org.ShortName, 50), Kind: org.Kind, CountryCode: org.Country, NutsCode: validNUTS(org.NUTS, org.Country),
		City: clip(org.City, 100), ExternalIds: ext,
		// CORDIS is public record; the profiles default (cluster members
		// only) would hide these organisations from everyone outside them.
		Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}})
	if err != nil {
		return "", 0, fmt.Errorf("create: %w", err)
	}
	return res.GetOrganization().GetId(), foundCreated, nil
}

func longestWord(s string) string {
	best := ""
	for _, w := range splitWords(s) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// validNUTS keeps a NUTS code only when it belongs to the country.
func validNUTS(code, country string) string {
	if len(code) < 3 || len(code) > 5 || code[:2] != country {
		return ""
	}
	return code
}

// putCollaboration records a project, waiting for the service to learn of
// just-created participants.
func putCollaboration(ctx context.Context, o Options, c *competenciesv1.Collaboration) (*competenciesv1.PutCollaborationResponse, error) {
	var res *competenciesv1.PutCollaborationResponse
	err := importkit.RetryUnknownHolder(ctx, o.HolderWait, func() (err error) {
		cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
		defer cancel()
		res, err = o.Competencies.PutCollaboration(cctx, &competenciesv1.PutCollaborationRequest{Collaboration: c})
		return err
	})
	return res, err
}
