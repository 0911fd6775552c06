package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/gateway"
)

// backend is a small real gRPC server standing in for the services where a
// test needs answers the services do not give on demand (a slow call, a
// failing stream), run by the same runtime, so the same authentication and
// error interceptors apply. It records how many calls reached it.
type backend struct {
	profilesv1.UnimplementedProfilesServiceServer
	matchingv1.UnimplementedMatchingServiceServer
	meetingsv1.UnimplementedMeetingsServiceServer

	mu    sync.Mutex
	calls map[string]int
}

func (b *backend) count(method string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[method]++
}

func (b *backend) total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.calls {
		n += c
	}
	return n
}

func requestID(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-request-id"); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (b *backend) CreateOrganization(ctx context.Context, req *profilesv1.CreateOrganizationRequest) (*profilesv1.CreateOrganizationResponse, error) {
	b.count("CreateOrganization")
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetOrganization().GetName()) == "" {
		return nil, grpcerr.Invalid(grpcerr.Violation{Field: "organization.name", Description: "required"})
	}
	return &profilesv1.CreateOrganizationResponse{Organization: &profilesv1.Organization{
		Id: "org-1", Name: req.GetOrganization().GetName(), Description: p.Subject + " " + requestID(ctx), Version: 1,
	}}, nil
}

func (b *backend) GetOrganization(ctx context.Context, req *profilesv1.GetOrganizationRequest) (*profilesv1.GetOrganizationResponse, error) {
	b.count("GetOrganization")
	switch req.GetId() {
	case "missing":
		return nil, grpcerr.ErrNotFound
	case "stale":
		return nil, grpcerr.ErrConflict
	case "closed":
		return nil, grpcerr.ErrPrecondition
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	case "trace":
		// The trace the call belongs to, as the service sees it.
		return &profilesv1.GetOrganizationResponse{Organization: &profilesv1.Organization{
			Id: req.GetId(), Name: trace.SpanContextFromContext(ctx).TraceID().String(),
		}}, nil
	}
	who := "anonymous"
	if p, ok := auth.FromContext(ctx); ok {
		who = p.Subject
	}
	deadline := "none"
	if d, ok := ctx.Deadline(); ok && time.Until(d) > 0 {
		deadline = "set"
	}
	return &profilesv1.GetOrganizationResponse{Organization: &profilesv1.Organization{
		Id: req.GetId(), Name: who, Description: requestID(ctx), ShortName: deadline,
	}}, nil
}

func (b *backend) UpdateOrganization(ctx context.Context, req *profilesv1.UpdateOrganizationRequest) (*profilesv1.UpdateOrganizationResponse, error) {
	b.count("UpdateOrganization")
	if _, err := auth.Require(ctx, auth.RoleAdmin); err != nil {
		return nil, err
	}
	return &profilesv1.UpdateOrganizationResponse{Organization: req.GetOrganization()}, nil
}

func (b *backend) ListOrganizations(_ context.Context, req *profilesv1.ListOrganizationsRequest) (*profilesv1.ListOrganizationsResponse, error) {
	b.count("ListOrganizations")
	var kinds []string
	for _, k := range req.GetKinds() {
		kinds = append(kinds, k.String())
	}
	return &profilesv1.ListOrganizationsResponse{
		Organizations: []*profilesv1.Organization{{Name: req.GetQuery(), Description: strings.Join(kinds, "+")}},
	}, nil
}

func (b *backend) WatchMatches(req *matchingv1.WatchMatchesRequest, stream matchingv1.MatchingService_WatchMatchesServer) error {
	b.count("WatchMatches")
	if _, err := auth.Require(stream.Context()); err != nil {
		return err
	}
	if err := stream.Send(&matchingv1.WatchMatchesResponse{Payload: &matchingv1.WatchMatchesResponse_SavedSearch{
		SavedSearch: &matchingv1.SavedSearch{Id: "search-1", Name: req.GetSavedSearch().GetName()},
	}}); err != nil {
		return err
	}
	if req.GetClientRequestId() == "fail" {
		return grpcerr.ErrPermission
	}
	return stream.Send(&matchingv1.WatchMatchesResponse{Payload: &matchingv1.WatchMatchesResponse_Match{
		Match: &matchingv1.NewMatch{Id: "match-1", SavedSearchId: "search-1"},
	}})
}

func (b *backend) ExportCalendar(ctx context.Context, req *meetingsv1.ExportCalendarRequest) (*meetingsv1.ExportCalendarResponse, error) {
	b.count("ExportCalendar")
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return &meetingsv1.ExportCalendarResponse{
		Content:     []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:" + req.GetEventId() + "/" + req.GetParticipantId() + "\r\nEND:VCALENDAR\r\n"),
		ContentType: "text/calendar; charset=utf-8",
		Filename:    "smart \"health\"\r\n2025.ics",
	}, nil
}

func (b *backend) GetCalendarFeed(_ context.Context, req *meetingsv1.GetCalendarFeedRequest) (*meetingsv1.GetCalendarFeedResponse, error) {
	b.count("GetCalendarFeed")
	if req.GetToken() != "feed-token-1" {
		return nil, grpcerr.ErrNotFound
	}
	return &meetingsv1.GetCalendarFeedResponse{Calendar: &meetingsv1.ExportCalendarResponse{
		Content:     []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:feed\r\nEND:VCALENDAR\r\n"),
		ContentType: "text/calendar; charset=utf-8", Filename: "smart-health-agenda.ics",
	}}, nil
}

// startBackend runs the test backend and returns it with its address.
func startBackend(t testing.TB) (*backend, string) {
	t.Helper()
	return startBackendReady(t, nil)
}

// startBackendReady starts a backend whose health also depends on ready
// (nil: always ready).
func startBackendReady(t testing.TB, ready func(context.Context) error) (*backend, string) {
	t.Helper()
	b := &backend{calls: map[string]int{}}
	conn := runtimetest.Start(t, runtime.Options{
		Name:   "backend",
		Common: runtimetest.Common(t),
		Register: func(_ context.Context, rt *runtime.Runtime) error {
			profilesv1.RegisterProfilesServiceServer(rt.GRPC, b)
			matchingv1.RegisterMatchingServiceServer(rt.GRPC, b)
			meetingsv1.RegisterMeetingsServiceServer(rt.GRPC, b)
			if ready != nil {
				rt.Ready("test", ready)
			}
			return nil
		},
	})
	return b, conn.Target()
}

// gatewayWith starts a gateway in front of one backend address, with cfg
// adjusted by tune, and returns its base URL.
func gatewayWith(t testing.TB, addr string, tune func(*gateway.Config)) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	cfg.AuthSigningKey = authtest.Default().SigningKey(t)
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.ReadyTimeout = time.Second
	cfg.Profiles, cfg.Competencies, cfg.Matching, cfg.Meetings = addr, addr, addr, addr
	cfg.DevLogin = true
	if tune != nil {
		tune(&cfg)
	}
	httpAddr := make(chan string, 1)
	runtimetest.Start(t, gateway.Options(cfg, func(a string) { httpAddr <- a }))
	return "http://" + <-httpAddr
}

var client = &http.Client{Timeout: 20 * time.Second}
