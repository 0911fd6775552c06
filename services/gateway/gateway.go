// Package gateway is Tandem's one door for browsers and scripts: HTTP/JSON,
// authentication and the web UI in front of the four domain services. It
// holds nothing durable.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/gateway/internal/ports"
)

// Name names the service in logs, metrics and health checks.
const Name = "gateway"

// EnvPrefix prefixes the gateway's environment variables (GATEWAY_HTTP_ADDR, ...).
const EnvPrefix = "GATEWAY"

// Default addresses of the gateway and of the services behind it.
const (
	DefaultGRPCAddr     = "127.0.0.1:7100"
	DefaultDebugAddr    = "127.0.0.1:9100"
	DefaultHTTPAddr     = "127.0.0.1:8080"
	DefaultProfiles     = "127.0.0.1:7101"
	DefaultCompetencies = "127.0.0.1:7102"
	DefaultMatching     = "127.0.0.1:7103"
	DefaultMeetings     = "127.0.0.1:7104"
)

// Config is the gateway's configuration.
type Config struct {
	runtime.Common
	HTTPAddr     string        `conf:"default:127.0.0.1:8080,env:HTTP_ADDR,flag:http-addr,help:HTTP listen address of the API and web UI"`
	Profiles     string        `conf:"default:127.0.0.1:7101,help:gRPC address of the profiles service"`
	Competencies string        `conf:"default:127.0.0.1:7102,help:gRPC address of the competencies service"`
	Matching     string        `conf:"default:127.0.0.1:7103,help:gRPC address of the matching service"`
	Meetings     string        `conf:"default:127.0.0.1:7104,help:gRPC address of the meetings service"`
	ReadyTimeout time.Duration `conf:"default:2s,help:how long /readyz waits for each dependency"`
}

// DefaultConfig returns the configuration the gateway starts from before the
// environment and flags apply.
func DefaultConfig() Config {
	return Config{
		Common:       runtime.WithAddrs(DefaultGRPCAddr, DefaultDebugAddr),
		HTTPAddr:     DefaultHTTPAddr,
		Profiles:     DefaultProfiles,
		Competencies: DefaultCompetencies,
		Matching:     DefaultMatching,
		Meetings:     DefaultMeetings,
		ReadyTimeout: 2 * time.Second,
	}
}

// Options wires the gateway into the shared process runtime. Ready, when set,
// is told the HTTP address once it listens.
func Options(cfg Config, ready func(httpAddr string)) runtime.Options {
	return runtime.Options{
		Name:   Name,
		Common: cfg.Common,
		Config: &cfg,
		Register: func(ctx context.Context, rt *runtime.Runtime) error {
			return serveHTTP(ctx, rt, cfg, ready)
		},
	}
}

// backend is a domain service the gateway forwards to.
type backend struct {
	name, addr, service string
}

func serveHTTP(ctx context.Context, rt *runtime.Runtime, cfg Config, ready func(string)) error {
	backends := []backend{
		{"profiles", cfg.Profiles, "tandem.profiles.v1.ProfilesService"},
		{"competencies", cfg.Competencies, "tandem.competencies.v1.CompetenciesService"},
		{"matching", cfg.Matching, "tandem.matching.v1.MatchingService"},
		{"meetings", cfg.Meetings, "tandem.meetings.v1.MeetingsService"},
	}
	var checks []ports.Check
	var conns []*grpc.ClientConn
	for _, b := range backends {
		conn, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("dial %s at %s: %w", b.name, b.addr, err)
		}
		conns = append(conns, conn)
		checks = append(checks, ports.Check{Name: b.name, Probe: healthProbe(conn, b.service)})
	}
	checks = append(checks,
		ports.Check{Name: "nats", Probe: func(context.Context) error {
			if !rt.NATS.IsConnected() {
				return fmt.Errorf("nats: %s", rt.NATS.Status())
			}
			return nil
		}},
		ports.Check{Name: "redis", Probe: func(ctx context.Context) error { return rt.Redis.Ping(ctx).Err() }},
	)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen http %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           ports.Health(rt.Log, cfg.ReadyTimeout, checks),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	rt.Log.Info("http listening", "addr", ln.Addr().String())
	rt.Go("http", func(context.Context) error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	rt.Go("http-shutdown", func(context.Context) error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		err := srv.Shutdown(sctx)
		for _, c := range conns {
			_ = c.Close()
		}
		return err
	})
	return nil
}

func healthProbe(conn *grpc.ClientConn, service string) func(context.Context) error {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health: %s", res.GetStatus())
		}
		return nil
	}
}
