package biotools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/importkit"
)

// Options configure an import. The clients must carry a token that may
// create organisations and publish their competencies (an admin's).
type Options struct {
	Profiles     profilesv1.ProfilesServiceClient
	Competencies competenciesv1.CompetenciesServiceClient
	// Vocabulary checks the EDAM ids of the file; nil means vocab.Load().
	Vocabulary *vocab.Vocabulary
	// Progress receives a progress bar when it is a terminal; nil or a
	// non-terminal shows none.
	Progress io.Writer
	// Workers publish in parallel; 0 means 4.
	Workers int
	// RPCTimeout bounds each call; 0 means 30 s.
	RPCTimeout time.Duration
	// HolderWait bounds how long a publish for a just-created organisation
	// waits for the competencies service to learn of it; 0 means 1 minute.
	HolderWait time.Duration
	Log        *slog.Logger
}

// Report says what an import did. A re-run of the same file reports no
// organisations created and no competencies changed.
type Report struct {
	Tools                 int
	Organizations         int
	OrganizationsCreated  int
	Competencies          int
	CompetenciesChanged   int
	CompetenciesUnchanged int
	SkippedTerms          int
	// Collaborations: tools credited to several organisations, recorded
	// as collaborations among them.
	Collaborations        int
	CollaborationsChanged int // created or changed by this run
}

func (r Report) String() string {
	return fmt.Sprintf("%d tools; organisations: %d (%d new); competencies: %d (%d new or changed, %d unchanged); collaborations: %d (%d new or changed, %d unchanged); %d annotations without a usable term",
		r.Tools, r.Organizations, r.OrganizationsCreated, r.Competencies, r.CompetenciesChanged, r.CompetenciesUnchanged,
		r.Collaborations, r.CollaborationsChanged, r.Collaborations-r.CollaborationsChanged, r.SkippedTerms)
}

// ImportFile imports the JSON-lines file at path.
func ImportFile(ctx context.Context, path string, o Options) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer func() { _ = f.Close() }()
	return Import(ctx, f, o)
}

// Import reads a bio.tools JSON-lines export from r and brings Tandem in
// line with it: every credited organisation exists (found by its external
// id "biotools:<slug>", else created), and every competency derived from the
// file is published. Organisations that exist are not modified.
func Import(ctx context.Context, r io.Reader, o Options) (Report, error) {
	if o.Profiles == nil || o.Competencies == nil {
		return Report{}, errors.New("biotools import: both clients are required")
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
	v := o.Vocabulary
	if v == nil {
		var err error
		if v, err = vocab.Load(); err != nil {
			return Report{}, err
		}
	}
	var tools []Tool
	total := 0
	err := Decode(r, func(t Tool) error {
		total++
		for _, c := range t.OrganisationCredits {
			if _, ok := creditedKinds[c.TypeEntity]; ok {
				tools = append(tools, t)
				break
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("biotools import: %w", err)
	}
	plans, stats := Plan(tools, v)
	collabs := Collaborations(tools, v)
	rep := Report{Tools: total, Organizations: len(plans), SkippedTerms: stats.SkippedTerms, Collaborations: len(collabs)}
	for _, p := range plans {
		rep.Competencies += len(p.Competencies)
	}
	bar := importkit.Bar(o.Progress, len(plans)+rep.Competencies+len(collabs), "importing bio.tools")
	ids := make(map[string]string, len(plans))

	jobs := make(chan OrgPlan)
	var mu sync.Mutex
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				id, created, changed, err := importOrg(ctx, o, p, bar)
				mu.Lock()
				ids[p.ExternalID] = id
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if created {
					rep.OrganizationsCreated++
				}
				rep.CompetenciesChanged += changed
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range plans {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	_ = bar.Finish()
	if firstErr != nil {
		return rep, fmt.Errorf("biotools import: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("biotools import: %w", err)
	}
	rep.CompetenciesUnchanged = rep.Competencies - rep.CompetenciesChanged
	for _, tc := range collabs {
		for i, slug := range tc.Members {
			tc.Collaboration.Participants[i].OrganizationId = ids[slug]
		}
		changed, err := putCollaboration(ctx, o, tc.Collaboration)
		if err != nil {
			return rep, fmt.Errorf("biotools import: tool %s: %w", tc.Collaboration.GetSourceId(), err)
		}
		if changed {
			rep.CollaborationsChanged++
		}
		_ = bar.Add(1)
	}
	return rep, nil
}

func importOrg(ctx context.Context, o Options, p OrgPlan, bar *progressbar.ProgressBar) (orgID string, created bool, changed int, err error) {
	orgID, created, err = ensureOrganization(ctx, o, p)
	if err != nil {
		return "", false, 0, err
	}
	_ = bar.Add(1)
	holder := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgID}}
	for _, c := range p.Competencies {
		c.Holder = holder
	}
	changed, err = publishAll(ctx, o, p.Competencies, bar)
	if err != nil {
		return orgID, created, changed, fmt.Errorf("organisation %s: %w", p.ExternalID, err)
	}
	return orgID, created, changed, nil
}

// maxBatch is the most competencies one BatchPublishCompetencies call
// takes.
const maxBatch = 1000

// publishAll publishes an organisation's competencies in batch calls (one
// call, unless it has more than maxBatch), waiting for the service to learn
// of a just-created organisation, and returns how many changed. Against a
// service without the batch call it publishes them one by one.
func publishAll(ctx context.Context, o Options, cs []*competenciesv1.Competency, bar *progressbar.ProgressBar) (int, error) {
	changed := 0
	for chunk := range slices.Chunk(cs, maxBatch) {
		done := make([]bool, len(chunk)) // published, by this call or an earlier attempt
		err := importkit.RetryUnknownHolder(ctx, o.HolderWait, func() error {
			req := &competenciesv1.BatchPublishCompetenciesRequest{}
			var at []int
			for i, c := range chunk {
				if !done[i] {
					req.Items = append(req.Items, &competenciesv1.PublishCompetencyRequest{Competency: c})
					at = append(at, i)
				}
			}
			cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
			defer cancel()
			res, err := o.Competencies.BatchPublishCompetencies(cctx, req)
			if err != nil {
				return err
			}
			if len(res.GetResults()) != len(at) {
				return fmt.Errorf("the service answered %d results for %d competencies", len(res.GetResults()), len(at))
			}
			var failed error
			for j, r := range res.GetResults() {
				i := at[j]
				if e := r.GetError(); e != nil {
					if failed == nil {
						failed = status.Error(grpcerr.ItemCode(e.GetCode()), fmt.Sprintf("term %s: %s", chunk[i].GetTermId(), e.GetMessage()))
					}
					continue
				}
				done[i] = true
				if r.GetChanged() {
					changed++
				}
				_ = bar.Add(1)
			}
			return failed
		})
		if status.Code(err) == codes.Unimplemented {
			for _, c := range chunk {
				ch, err := publish(ctx, o, c)
				if err != nil {
					return changed, fmt.Errorf("term %s: %w", c.GetTermId(), err)
				}
				if ch {
					changed++
				}
				_ = bar.Add(1)
			}
			continue
		}
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// ensureOrganization finds the organisation by external id or creates it.
// The client request id makes a create retried after a lost answer (or a
// concurrent run) return the same organisation.
func ensureOrganization(ctx context.Context, o Options, p OrgPlan) (id string, created bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
	defer cancel()
	list, err := o.Profiles.ListOrganizations(cctx, &profilesv1.ListOrganizationsRequest{ExternalId: ExternalSource + ":" + p.ExternalID, PageSize: 1})
	if err != nil {
		return "", false, fmt.Errorf("find organisation %s: %w", p.ExternalID, err)
	}
	if orgs := list.GetOrganizations(); len(orgs) > 0 {
		return orgs[0].GetId(), false, nil
	}
	res, err := o.Profiles.CreateOrganization(cctx, &profilesv1.CreateOrganizationRequest{Organization: p.Organization, ClientRequestId: "biotools:" + p.ExternalID})
	if err != nil {
		return "", false, fmt.Errorf("create organisation %s: %w", p.ExternalID, err)
	}
	return res.GetOrganization().GetId(), true, nil
}

// publish publishes one competency, waiting for the service to learn of
// a just-created organisation.
func publish(ctx context.Context, o Options, c *competenciesv1.Competency) (bool, error) {
	changed := false
	err := importkit.RetryUnknownHolder(ctx, o.HolderWait, func() error {
		cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
		defer cancel()
		res, err := o.Competencies.PublishCompetency(cctx, &competenciesv1.PublishCompetencyRequest{Competency: c})
		changed = res.GetChanged()
		return err
	})
	return changed, err
}

// putCollaboration records a tool's collaboration; the source id makes a
// re-run find it and change nothing.
func putCollaboration(ctx context.Context, o Options, c *competenciesv1.Collaboration) (bool, error) {
	changed := false
	err := importkit.RetryUnknownHolder(ctx, o.HolderWait, func() error {
		cctx, cancel := context.WithTimeout(ctx, o.RPCTimeout)
		defer cancel()
		res, err := o.Competencies.PutCollaboration(cctx, &competenciesv1.PutCollaborationRequest{Collaboration: c})
		changed = res.GetChanged()
		return err
	})
	return changed, err
}
