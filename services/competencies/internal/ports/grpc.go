// Package ports exposes the competencies service over gRPC.
package ports

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/app"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

// Limits of the API.
const (
	maxQueryLen     = 200
	maxResolveTexts = 100
	maxSearchOffset = 1000
)

// GRPC serves competenciesv1.CompetenciesService.
type GRPC struct {
	competenciesv1.UnimplementedCompetenciesServiceServer
	svc *app.Service
}

// NewGRPC returns the gRPC adapter of the competencies service.
func NewGRPC(svc *app.Service) *GRPC { return &GRPC{svc: svc} }

// PublicMethods are callable without a token: the vocabulary is public.
var PublicMethods = []string{
	competenciesv1.CompetenciesService_SearchTerms_FullMethodName,
	competenciesv1.CompetenciesService_GetTerm_FullMethodName,
	competenciesv1.CompetenciesService_ResolveTerms_FullMethodName,
}

func viewer(ctx context.Context) (domain.Viewer, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return domain.Viewer{}, err
	}
	return domain.ViewerOf(p), nil
}

func pageSize(n int32, def, maxSize int) int {
	switch {
	case n <= 0:
		return def
	case int(n) > maxSize:
		return maxSize
	}
	return int(n)
}

func vocabOptions(sources []competenciesv1.TermSource, branches []string) vocab.Options {
	var o vocab.Options
	for _, s := range sources {
		if vs := app.SourceOf(s); vs != 0 {
			o.Sources = append(o.Sources, vs)
		}
	}
	o.Branches = branches
	return o
}

// SearchTerms autocompletes terms.
func (g *GRPC) SearchTerms(_ context.Context, req *competenciesv1.SearchTermsRequest) (*competenciesv1.SearchTermsResponse, error) {
	if req.GetQuery() == "" {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "query", Description: "is required"})
	}
	if len(req.GetQuery()) > maxQueryLen {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "query", Description: fmt.Sprintf("at most %d bytes", maxQueryLen)})
	}
	offset := 0
	if t := req.GetPageToken(); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		n, cerr := strconv.Atoi(string(b))
		if err != nil || cerr != nil || n < 0 || n > maxSearchOffset {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: "is not a token from a previous response"})
		}
		offset = n
	}
	size := pageSize(req.GetPageSize(), 10, 100)
	o := vocabOptions(req.GetSources(), req.GetBranches())
	o.Offset, o.Limit = offset, size+1
	ms := g.svc.Vocab.Query(req.GetQuery(), o)
	res := &competenciesv1.SearchTermsResponse{}
	if len(ms) > size {
		ms = ms[:size]
		if offset+size <= maxSearchOffset {
			res.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + size)))
		}
	}
	for _, m := range ms {
		res.Matches = append(res.Matches, app.MatchProto(g.svc.Vocab, m))
	}
	return res, nil
}

// GetTerm returns a term with its ancestors, children and links.
func (g *GRPC) GetTerm(_ context.Context, req *competenciesv1.GetTermRequest) (*competenciesv1.GetTermResponse, error) {
	v := g.svc.Vocab
	t, ok := v.Term(req.GetId())
	if !ok {
		return nil, fmt.Errorf("term %q: %w", req.GetId(), grpcerr.ErrNotFound)
	}
	res := &competenciesv1.GetTermResponse{Term: app.TermProto(t)}
	ids, dist := v.SortedAncestors(t.ID)
	for _, id := range ids {
		a, _ := v.Term(id)
		res.Ancestors = append(res.Ancestors, &competenciesv1.AncestorTerm{Term: app.TermRefProto(a), Distance: int32(dist[id])})
	}
	for _, id := range v.Children(t.ID) {
		c, _ := v.Term(id)
		res.Children = append(res.Children, app.TermRefProto(c))
	}
	for _, id := range t.Linked {
		l, _ := v.Term(id)
		res.LinkedTerms = append(res.LinkedTerms, app.TermRefProto(l))
	}
	return res, nil
}

// ResolveTerms resolves free texts to candidate terms.
func (g *GRPC) ResolveTerms(_ context.Context, req *competenciesv1.ResolveTermsRequest) (*competenciesv1.ResolveTermsResponse, error) {
	if len(req.GetTexts()) > maxResolveTexts {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "texts", Description: fmt.Sprintf("at most %d texts", maxResolveTexts)})
	}
	o := vocabOptions(req.GetSources(), nil)
	o.Limit = pageSize(req.GetMaxCandidates(), 5, 50)
	res := &competenciesv1.ResolveTermsResponse{}
	for i, text := range req.GetTexts() {
		if len(text) > maxQueryLen {
			return nil, grpcerr.Invalid(grpcerr.Violation{Field: fmt.Sprintf("texts[%d]", i), Description: fmt.Sprintf("at most %d bytes", maxQueryLen)})
		}
		r := &competenciesv1.Resolution{Text: text}
		for _, m := range g.svc.Vocab.ResolveWith(text, o) {
			r.Candidates = append(r.Candidates, app.MatchProto(g.svc.Vocab, m))
		}
		res.Resolutions = append(res.Resolutions, r)
	}
	return res, nil
}

// PublishCompetency creates or replaces a competency.
func (g *GRPC) PublishCompetency(ctx context.Context, req *competenciesv1.PublishCompetencyRequest) (*competenciesv1.PublishCompetencyResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	r, err := g.svc.PublishCompetency(ctx, v, req.GetCompetency(), req.GetExpectedVersion(), req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.PublishCompetencyResponse{Competency: r.Competency, Changed: r.Changed}, nil
}

// BatchPublishCompetencies publishes many competencies, each as
// PublishCompetency would.
func (g *GRPC) BatchPublishCompetencies(ctx context.Context, req *competenciesv1.BatchPublishCompetenciesRequest) (*competenciesv1.BatchPublishCompetenciesResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]app.PublishItem, len(req.GetItems()))
	for i, it := range req.GetItems() {
		items[i] = app.PublishItem{Competency: it.GetCompetency(), ExpectedVersion: it.GetExpectedVersion(), RequestID: it.GetClientRequestId()}
	}
	res, err := g.svc.BatchPublishCompetencies(ctx, v, items)
	if err != nil {
		return nil, err
	}
	return &competenciesv1.BatchPublishCompetenciesResponse{Results: res}, nil
}

// RetractCompetency removes a competency.
func (g *GRPC) RetractCompetency(ctx context.Context, req *competenciesv1.RetractCompetencyRequest) (*competenciesv1.RetractCompetencyResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	at, err := g.svc.RetractCompetency(ctx, v, req.GetId(), req.GetExpectedVersion())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.RetractCompetencyResponse{RetractedAt: timestamppb.New(at)}, nil
}

// ListCompetencies lists competencies.
func (g *GRPC) ListCompetencies(ctx context.Context, req *competenciesv1.ListCompetenciesRequest) (*competenciesv1.ListCompetenciesResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f := app.CompetencyFilter{TermID: req.GetTermId(), IncludeDescendants: req.GetIncludeDescendants()}
	var opened bool
	f.Holder, f.Organization, f.Sealed, opened, err = g.filterHolder(v, req.GetHolder(), req.GetOrganizationId())
	if err != nil || !opened {
		return &competenciesv1.ListCompetenciesResponse{}, err
	}
	list, next, err := g.svc.ListCompetencies(v, f, pageSize(req.GetPageSize(), 50, 500), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.ListCompetenciesResponse{Competencies: list, NextPageToken: next}, nil
}

// CreateCooperationProfile creates an offer or request.
func (g *GRPC) CreateCooperationProfile(ctx context.Context, req *competenciesv1.CreateCooperationProfileRequest) (*competenciesv1.CreateCooperationProfileResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	p, err := g.svc.CreateCooperationProfile(ctx, v, req.GetCooperationProfile(), req.GetClientRequestId())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.CreateCooperationProfileResponse{CooperationProfile: p}, nil
}

// UpdateCooperationProfile changes a cooperation profile.
func (g *GRPC) UpdateCooperationProfile(ctx context.Context, req *competenciesv1.UpdateCooperationProfileRequest) (*competenciesv1.UpdateCooperationProfileResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	p, err := g.svc.UpdateCooperationProfile(ctx, v, req.GetCooperationProfile(), req.GetExpectedVersion(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.UpdateCooperationProfileResponse{CooperationProfile: p}, nil
}

// GetCooperationProfile returns one cooperation profile.
func (g *GRPC) GetCooperationProfile(ctx context.Context, req *competenciesv1.GetCooperationProfileRequest) (*competenciesv1.GetCooperationProfileResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	p, err := g.svc.GetCooperationProfile(ctx, v, req.GetId())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.GetCooperationProfileResponse{CooperationProfile: p}, nil
}

// ListCooperationProfiles lists cooperation profiles.
func (g *GRPC) ListCooperationProfiles(ctx context.Context, req *competenciesv1.ListCooperationProfilesRequest) (*competenciesv1.ListCooperationProfilesResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f := app.CooperationFilter{
		Kinds: req.GetKinds(), Statuses: req.GetStatuses(), TermIDs: req.GetTermIds(),
		Collab: req.GetCollaborationTypes(), Query: req.GetQuery(), MinTRL: req.GetMinTrl(),
	}
	var opened bool
	f.Holder, f.Organization, f.Sealed, opened, err = g.filterHolder(v, req.GetHolder(), req.GetOrganizationId())
	if err != nil || !opened {
		return &competenciesv1.ListCooperationProfilesResponse{}, err
	}
	list, next, err := g.svc.ListCooperationProfiles(v, f, pageSize(req.GetPageSize(), 50, 500), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.ListCooperationProfilesResponse{CooperationProfiles: list, NextPageToken: next}, nil
}

// PutCollaboration records a collaboration.
func (g *GRPC) PutCollaboration(ctx context.Context, req *competenciesv1.PutCollaborationRequest) (*competenciesv1.PutCollaborationResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	res, err := g.svc.PutCollaboration(ctx, v, req.GetCollaboration(), req.GetExpectedVersion(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.PutCollaborationResponse{Collaboration: res.Collaboration, Created: res.Created, Changed: res.Changed}, nil
}

// GetCollaboration returns one collaboration.
func (g *GRPC) GetCollaboration(ctx context.Context, req *competenciesv1.GetCollaborationRequest) (*competenciesv1.GetCollaborationResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c, err := g.svc.GetCollaboration(v, req.GetId())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.GetCollaborationResponse{Collaboration: c}, nil
}

// ListCollaborations lists an organisation's collaborations.
func (g *GRPC) ListCollaborations(ctx context.Context, req *competenciesv1.ListCollaborationsRequest) (*competenciesv1.ListCollaborationsResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	orgs := req.GetOrganizationIds()
	switch {
	case req.GetOrganizationId() != "" && len(orgs) > 0:
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "organization_ids", Description: "only without organization_id"})
	case req.GetOrganizationId() != "":
		orgs = []string{req.GetOrganizationId()}
	}
	list, next, err := g.svc.ListCollaborations(v, orgs, req.GetKinds(), pageSize(req.GetPageSize(), 50, 500), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &competenciesv1.ListCollaborationsResponse{Collaborations: list, NextPageToken: next}, nil
}

// filterHolder reads the holder and organisation a list is filtered on:
// plain ids, or opaque references to an anonymous holder sealed for v.
// sealed is true when every one given is a reference: a plain id beside a
// reference would tell whether it is the reference's. A reference that does
// not open lists nothing, as an unknown id does (opened is false).
func (g *GRPC) filterHolder(v domain.Viewer, holder *profilesv1.ProfileRef, org string) (h *domain.HolderRef, orgID string, sealed, opened bool, err error) {
	plain := false
	if holder != nil {
		kind, id := domain.HolderOrganization, holder.GetOrganizationId()
		if holder.GetPersonId() != "" {
			kind, id = domain.HolderPerson, holder.GetPersonId()
		}
		ref, s, ok := g.svc.OpenRef(v, kind, id)
		switch {
		case !ok && s:
			return nil, "", false, false, nil
		case !ok:
			return nil, "", false, false, grpcerr.Invalid(grpcerr.Violation{Field: "holder", Description: "must name an organization_id or person_id"})
		}
		h, plain = &ref, !s
	}
	orgID = org
	if org != "" {
		ref, s, ok := g.svc.OpenRef(v, domain.HolderOrganization, org)
		switch {
		case s && !ok:
			return nil, "", false, false, nil
		case s:
			orgID = ref.ID
		default:
			plain = true // a plain id that is none lists nothing, as before
		}
	}
	return h, orgID, !plain, true, nil
}

// SummarizeHoldings counts what organisations and their people hold.
func (g *GRPC) SummarizeHoldings(ctx context.Context, req *competenciesv1.SummarizeHoldingsRequest) (*competenciesv1.SummarizeHoldingsResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	sc := app.HoldingsScope{Organizations: req.GetOrganizationIds(), Every: req.GetEveryHolder()}
	if req.GetSince() != nil {
		sc.Since = req.GetSince().AsTime()
	}
	return g.svc.SummarizeHoldings(v, sc, time.Now())
}
