// Package ports exposes the profiles service over gRPC.
package ports

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/profiles/internal/app"
)

// GRPC serves profilesv1.ProfilesService; errors are mapped to statuses by
// the server's grpcerr interceptor.
type GRPC struct {
	profilesv1.UnimplementedProfilesServiceServer
	svc *app.Service
}

// NewGRPC returns the gRPC adapter of the profiles service.
func NewGRPC(svc *app.Service) *GRPC { return &GRPC{svc: svc} }

func (g *GRPC) CreateOrganization(ctx context.Context, req *profilesv1.CreateOrganizationRequest) (*profilesv1.CreateOrganizationResponse, error) {
	o, err := g.svc.CreateOrganization(ctx, req.GetOrganization(), req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	return &profilesv1.CreateOrganizationResponse{Organization: o}, nil
}

func (g *GRPC) BatchCreateOrganizations(ctx context.Context, req *profilesv1.BatchCreateOrganizationsRequest) (*profilesv1.BatchCreateOrganizationsResponse, error) {
	items := make([]app.CreateItem, len(req.GetItems()))
	for i, it := range req.GetItems() {
		items[i] = app.CreateItem{Org: it.GetOrganization(), RequestID: it.GetClientRequestId()}
	}
	res, err := g.svc.BatchCreateOrganizations(ctx, items)
	if err != nil {
		return nil, err
	}
	return &profilesv1.BatchCreateOrganizationsResponse{Results: res}, nil
}

func (g *GRPC) GetOrganization(ctx context.Context, req *profilesv1.GetOrganizationRequest) (*profilesv1.GetOrganizationResponse, error) {
	o, err := g.svc.GetOrganization(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &profilesv1.GetOrganizationResponse{Organization: o}, nil
}

func (g *GRPC) UpdateOrganization(ctx context.Context, req *profilesv1.UpdateOrganizationRequest) (*profilesv1.UpdateOrganizationResponse, error) {
	o, err := g.svc.UpdateOrganization(ctx, req.GetOrganization(), req.GetExpectedVersion(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &profilesv1.UpdateOrganizationResponse{Organization: o}, nil
}

func (g *GRPC) ListOrganizations(ctx context.Context, req *profilesv1.ListOrganizationsRequest) (*profilesv1.ListOrganizationsResponse, error) {
	f := app.ListOrgsFilter{
		Kinds:        req.GetKinds(),
		Sectors:      req.GetSectors(),
		NUTSPrefixes: req.GetNutsPrefixes(),
		Countries:    req.GetCountryCodes(),
		ClusterID:    req.GetClusterId(),
		Query:        req.GetQuery(),
		ExternalID:   req.GetExternalId(),
		IDs:          req.GetIds(),
	}
	orgs, next, err := g.svc.ListOrganizations(ctx, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &profilesv1.ListOrganizationsResponse{Organizations: orgs, NextPageToken: next}, nil
}

func (g *GRPC) EraseOrganization(ctx context.Context, req *profilesv1.EraseOrganizationRequest) (*profilesv1.EraseOrganizationResponse, error) {
	people, at, err := g.svc.EraseOrganization(ctx, req.GetId(), req.GetExpectedVersion(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &profilesv1.EraseOrganizationResponse{ErasedPersonIds: people, ErasedAt: timestamppb.New(at)}, nil
}

func (g *GRPC) CreatePerson(ctx context.Context, req *profilesv1.CreatePersonRequest) (*profilesv1.CreatePersonResponse, error) {
	p, err := g.svc.CreatePerson(ctx, req.GetPerson(), req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	return &profilesv1.CreatePersonResponse{Person: p}, nil
}

func (g *GRPC) GetPerson(ctx context.Context, req *profilesv1.GetPersonRequest) (*profilesv1.GetPersonResponse, error) {
	p, err := g.svc.GetPerson(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &profilesv1.GetPersonResponse{Person: p}, nil
}

func (g *GRPC) UpdatePerson(ctx context.Context, req *profilesv1.UpdatePersonRequest) (*profilesv1.UpdatePersonResponse, error) {
	p, err := g.svc.UpdatePerson(ctx, req.GetPerson(), req.GetExpectedVersion(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &profilesv1.UpdatePersonResponse{Person: p}, nil
}

func (g *GRPC) ListPeople(ctx context.Context, req *profilesv1.ListPeopleRequest) (*profilesv1.ListPeopleResponse, error) {
	f := app.ListPeopleFilter{OrganizationID: req.GetOrganizationId(), Query: req.GetQuery(), ORCID: req.GetOrcid(), IDs: req.GetIds()}
	people, next, err := g.svc.ListPeople(ctx, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &profilesv1.ListPeopleResponse{People: people, NextPageToken: next}, nil
}

func (g *GRPC) ErasePerson(ctx context.Context, req *profilesv1.ErasePersonRequest) (*profilesv1.ErasePersonResponse, error) {
	at, err := g.svc.ErasePerson(ctx, req.GetId(), req.GetExpectedVersion(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &profilesv1.ErasePersonResponse{ErasedAt: timestamppb.New(at)}, nil
}
