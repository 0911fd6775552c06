package eval

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	competenciesdemo "github.com/tandem-cluster/tandem/services/competencies/demo"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
	profilesdemo "github.com/tandem-cluster/tandem/services/profiles/demo"
)

// demoProfiles records what the profiles demo seeds, in place of the
// profiles service. The seeders call it from several goroutines.
type demoProfiles struct {
	profilesv1.ProfilesServiceClient
	mu   sync.Mutex
	orgs []*profilesv1.Organization
}

func (d *demoProfiles) CreateOrganization(_ context.Context, in *profilesv1.CreateOrganizationRequest, _ ...grpc.CallOption) (*profilesv1.CreateOrganizationResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := proto.CloneOf(in.GetOrganization())
	o.Id = fmt.Sprintf("org-%03d", len(d.orgs)+1)
	d.orgs = append(d.orgs, o)
	return &profilesv1.CreateOrganizationResponse{Organization: proto.CloneOf(o)}, nil
}

func (d *demoProfiles) CreatePerson(_ context.Context, in *profilesv1.CreatePersonRequest, _ ...grpc.CallOption) (*profilesv1.CreatePersonResponse, error) {
	return &profilesv1.CreatePersonResponse{Person: in.GetPerson()}, nil
}

func (d *demoProfiles) ListOrganizations(_ context.Context, in *profilesv1.ListOrganizationsRequest, _ ...grpc.CallOption) (*profilesv1.ListOrganizationsResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	res := &profilesv1.ListOrganizationsResponse{}
	src, val, ok := strings.Cut(in.GetExternalId(), ":")
	for _, o := range d.orgs {
		if ok && o.GetExternalIds()[src] == val {
			res.Organizations = append(res.Organizations, proto.CloneOf(o))
		}
	}
	return res, nil
}

// demoCompetencies records what the competencies demo seeds.
type demoCompetencies struct {
	competenciesv1.CompetenciesServiceClient
	mu     sync.Mutex
	events []*eventsv1.CompetencyPublished
	coops  []*eventsv1.CooperationProfileUpserted
	// collabs is every collaboration recorded, by its source key.
	collabs map[string]*eventsv1.CollaborationUpserted
	order   []string
}

func (d *demoCompetencies) PutCollaboration(_ context.Context, in *competenciesv1.PutCollaborationRequest, _ ...grpc.CallOption) (*competenciesv1.PutCollaborationResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	col := in.GetCollaboration()
	key := col.GetSource() + ":" + col.GetSourceId()
	if d.collabs == nil {
		d.collabs = map[string]*eventsv1.CollaborationUpserted{}
	}
	ev, ok := d.collabs[key]
	if !ok {
		ev = &eventsv1.CollaborationUpserted{AggregateId: fmt.Sprintf("collab-%04d", len(d.order)+1)}
		d.order = append(d.order, key)
		d.collabs[key] = ev
	}
	col.Id = ev.GetAggregateId()
	ev.AggregateVersion++
	ev.Collaboration = col
	return &competenciesv1.PutCollaborationResponse{Collaboration: col, Changed: true}, nil
}

func (d *demoCompetencies) PublishCompetency(_ context.Context, in *competenciesv1.PublishCompetencyRequest, _ ...grpc.CallOption) (*competenciesv1.PublishCompetencyResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := fmt.Sprintf("comp-%04d", len(d.events)+1)
	d.events = append(d.events, &eventsv1.CompetencyPublished{AggregateId: id, AggregateVersion: 1, Competency: in.GetCompetency()})
	return &competenciesv1.PublishCompetencyResponse{Competency: in.GetCompetency(), Changed: true}, nil
}

func (d *demoCompetencies) CreateCooperationProfile(_ context.Context, in *competenciesv1.CreateCooperationProfileRequest, _ ...grpc.CallOption) (*competenciesv1.CreateCooperationProfileResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := fmt.Sprintf("coop-%04d", len(d.coops)+1)
	d.coops = append(d.coops, &eventsv1.CooperationProfileUpserted{AggregateId: id, AggregateVersion: 1, CooperationProfile: in.GetCooperationProfile()})
	return &competenciesv1.CreateCooperationProfileResponse{CooperationProfile: in.GetCooperationProfile()}, nil
}

// ClusterCheck is the demo cluster's companies asking for partners.
type ClusterCheck struct {
	Companies int
	// WithResearch counts companies with a university, research institute
	// or research hospital in their top 5; Explained those whose every
	// top-5 suggestion has a reason.
	WithResearch, Explained int
	// UnknownRegion counts "same region" reasons between organisations
	// whose country is unknown (must be 0).
	UnknownRegion int
	// Collaborations counts the demo history the index holds.
	Collaborations int
	// Example is one company's suggestions, as the UI shows them.
	Example string
}

// Cluster loads the demo cluster (through the demo seeders and the events
// the service reads) and asks each company for 5 partners.
func Cluster(ont domain.Ontology) (ClusterCheck, error) {
	ctx := context.Background()
	p := &demoProfiles{}
	if _, err := profilesdemo.Seed(ctx, p); err != nil {
		return ClusterCheck{}, err
	}
	c := &demoCompetencies{}
	if _, err := competenciesdemo.Seed(ctx, p, c); err != nil {
		return ClusterCheck{}, err
	}
	x := domain.NewIndex(ont)
	var evs []proto.Message
	for _, o := range p.orgs {
		evs = append(evs, &eventsv1.OrganizationUpserted{AggregateId: o.GetId(), AggregateVersion: 1, Organization: o})
	}
	for _, e := range c.events {
		evs = append(evs, e)
	}
	for _, e := range c.coops {
		evs = append(evs, e)
	}
	for _, key := range c.order {
		evs = append(evs, c.collabs[key])
	}
	for _, e := range evs {
		ch, _, ok, err := adapters.ChangeOf(e)
		if err != nil {
			return ClusterCheck{}, err
		}
		if ok {
			x.Apply(ch)
		}
	}
	out := ClusterCheck{Collaborations: len(c.order)}
	for _, o := range p.orgs {
		if o.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY {
			continue
		}
		out.Companies++
		res, err := x.Suggest(domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: o.GetId()}, Limit: 5, Viewer: domain.Viewer{Admin: true}})
		if err != nil {
			return out, err
		}
		research, explained := false, true
		for _, s := range res.GetSuggestions() {
			if domain.SideOf(s.GetCandidate().GetKind()) == domain.SideResearch {
				research = true
			}
			if len(s.GetExplanations()) == 0 {
				explained = false
			}
			for _, e := range s.GetExplanations() {
				if e.GetKind() == matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_REGION && (o.GetCountryCode() == "" || strings.EqualFold(o.GetCountryCode(), "ZZ")) {
					out.UnknownRegion++
				}
			}
		}
		if research {
			out.WithResearch++
		}
		if explained && len(res.GetSuggestions()) > 0 {
			out.Explained++
		}
		if out.Example == "" && research {
			var b strings.Builder
			fmt.Fprintf(&b, "%s asks, without a need:\n\n", o.GetName())
			for _, s := range res.GetSuggestions()[:min(3, len(res.GetSuggestions()))] {
				var why []string
				for _, e := range s.GetExplanations()[:min(3, len(s.GetExplanations()))] {
					why = append(why, e.GetText())
				}
				fmt.Fprintf(&b, "%d. %s (%s): %s\n", s.GetRank(), s.GetCandidate().GetDisplayName(), domain.KindLabel(s.GetCandidate().GetKind()), strings.Join(why, "; "))
			}
			out.Example = b.String()
		}
	}
	return out, nil
}
