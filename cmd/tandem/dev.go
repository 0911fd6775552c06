package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/config"
	"github.com/tandem-cluster/tandem/pkg/logging"
	"github.com/tandem-cluster/tandem/pkg/natsx/embedded"
	embeddedredis "github.com/tandem-cluster/tandem/pkg/redisx/embedded"
	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/competencies"
	competenciesdemo "github.com/tandem-cluster/tandem/services/competencies/demo"
	"github.com/tandem-cluster/tandem/services/gateway"
	"github.com/tandem-cluster/tandem/services/matching"
	"github.com/tandem-cluster/tandem/services/meetings"
	meetingsdemo "github.com/tandem-cluster/tandem/services/meetings/demo"
	"github.com/tandem-cluster/tandem/services/messaging"
	"github.com/tandem-cluster/tandem/services/profiles"
	profilesdemo "github.com/tandem-cluster/tandem/services/profiles/demo"
)

// devOptions configure `tandem dev`.
type devOptions struct {
	host     string
	dataDir  string
	natsPort int
	redisURL string
	logLevel string
	noDemo   bool
	ports    devPorts
}

// devPorts are the ports of the six services; 0 picks a free one.
type devPorts struct {
	profiles, competencies, matching, meetings, messaging, gateway, http int
}

func newDevCmd() *cobra.Command {
	o := devOptions{
		host:     "127.0.0.1",
		dataDir:  "data",
		natsPort: 4223,
		redisURL: os.Getenv("REDIS_URL"),
		logLevel: "info",
		ports:    devPorts{profiles: 7101, competencies: 7102, matching: 7103, meetings: 7104, messaging: 7105, gateway: 7100, http: 8080},
	}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run all six services in one process with an embedded NATS",
		Long: `dev runs the profiles, competencies, matching, meetings, messaging and gateway services in one
process, against an embedded NATS server with JetStream (data under --data) and the Redis
at REDIS_URL, or an embedded Redis-compatible server when REDIS_URL is not set.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", o.host, "interface every server listens on")
	f.StringVar(&o.dataDir, "data", o.dataDir, "folder for the embedded NATS server's JetStream data")
	f.IntVar(&o.natsPort, "nats-port", o.natsPort, "port of the embedded NATS server (-1: a free one)")
	f.StringVar(&o.redisURL, "redis-url", o.redisURL, "Redis to use (default $REDIS_URL; empty: an embedded Redis-compatible server)")
	f.StringVar(&o.logLevel, "log-level", o.logLevel, "debug, info, warn or error")
	f.BoolVar(&o.noDemo, "no-demo", false, "do not load the demo data")
	f.IntVar(&o.ports.profiles, "profiles-port", o.ports.profiles, "gRPC port of the profiles service")
	f.IntVar(&o.ports.competencies, "competencies-port", o.ports.competencies, "gRPC port of the competencies service")
	f.IntVar(&o.ports.matching, "matching-port", o.ports.matching, "gRPC port of the matching service")
	f.IntVar(&o.ports.meetings, "meetings-port", o.ports.meetings, "gRPC port of the meetings service")
	f.IntVar(&o.ports.messaging, "messaging-port", o.ports.messaging, "gRPC port of the messaging service")
	f.IntVar(&o.ports.gateway, "gateway-port", o.ports.gateway, "gRPC (health) port of the gateway")
	f.IntVar(&o.ports.http, "http-port", o.ports.http, "HTTP port of the gateway (API and web UI)")
	return cmd
}

func runDev(ctx context.Context, stdout, stderr io.Writer, o devOptions) error {
	log := logging.New(stderr, "tandem-dev", o.logLevel)

	// NATS: embedded, JetStream data kept between runs.
	storeDir, err := filepath.Abs(filepath.Join(o.dataDir, "nats"))
	if err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	ns, err := embedded.Start(embedded.Options{Host: o.host, Port: o.natsPort, StoreDir: storeDir})
	if err != nil {
		return fmt.Errorf("start embedded nats: %w", err)
	}
	defer ns.Shutdown()
	log.Info("embedded nats started", "url", ns.ClientURL(), "store", storeDir)

	// Redis: the configured one, else embedded.
	redisURL := o.redisURL
	if redisURL == "" {
		emb, err := embeddedredis.Start()
		if err != nil {
			return fmt.Errorf("start embedded redis: %w", err)
		}
		defer emb.Close()
		redisURL = emb.URL()
		log.Warn("REDIS_URL is not set: using an embedded Redis-compatible server; set REDIS_URL to use a real Redis", "url", redisURL)
	}

	// Services. Each reads its own environment (PROFILES_LOG_LEVEL, ...) as
	// its binary would; dev then points it at the embedded servers.
	configure := func(prefix string, cfg any, c *runtime.Common, grpcPort int) error {
		if err := config.Load(prefix, cfg, nil, io.Discard); err != nil {
			return err
		}
		c.GRPCAddr = addr(o.host, grpcPort)
		c.DebugAddr = "" // no fixed debug port when the gRPC port is picked at random
		if grpcPort > 0 {
			c.DebugAddr = addr(o.host, grpcPort+2000)
		}
		c.NATSURL = ns.ClientURL()
		c.RedisURL = redisURL
		c.LogLevel = o.logLevel
		// The development key signs and verifies, and pprof is on: a
		// development machine only.
		c.Dev = true
		c.DebugPprof = true
		return nil
	}
	pc, cc, mc, ec, gc := profiles.DefaultConfig(), competencies.DefaultConfig(), matching.DefaultConfig(), meetings.DefaultConfig(), gateway.DefaultConfig()
	xc := messaging.DefaultConfig()
	for _, err := range []error{
		configure(profiles.EnvPrefix, &pc, &pc.Common, o.ports.profiles),
		configure(competencies.EnvPrefix, &cc, &cc.Common, o.ports.competencies),
		configure(matching.EnvPrefix, &mc, &mc.Common, o.ports.matching),
		configure(meetings.EnvPrefix, &ec, &ec.Common, o.ports.meetings),
		configure(messaging.EnvPrefix, &xc, &xc.Common, o.ports.messaging),
		configure(gateway.EnvPrefix, &gc, &gc.Common, o.ports.gateway),
	} {
		if err != nil {
			return err
		}
	}
	key, err := gateway.SigningKey(gc)
	if err != nil {
		return err
	}
	signer, err := auth.NewSigner(key, 10*time.Minute)
	if err != nil {
		return err
	}
	gc.HTTPAddr = addr(o.host, o.ports.http)
	gc.DevLogin = true // the demo users sign in without a password: development only
	gc.Profiles, gc.Competencies, gc.Matching, gc.Meetings, gc.Messaging = pc.GRPCAddr, cc.GRPCAddr, mc.GRPCAddr, ec.GRPCAddr, xc.GRPCAddr
	xc.PublicURL = "http://" + gc.HTTPAddr

	g, gctx := errgroup.WithContext(ctx)
	var seeding sync.WaitGroup
	defer seeding.Wait()
	var (
		mu      sync.Mutex
		rows    []string
		pending = 7 // six gRPC servers and the gateway's HTTP
	)
	report := func(name, kind, address string) {
		mu.Lock()
		defer mu.Unlock()
		rows = append(rows, name+"\t"+kind+"\t"+address)
		if pending--; pending == 0 {
			printPorts(stdout, ns.ClientURL(), redisURL, rows)
			if !o.noDemo {
				seeding.Go(func() { seedDemo(gctx, log, signer, pc, cc, ec) })
			}
		}
	}
	specs := []runtime.Options{
		profiles.Options(pc),
		competencies.Options(cc),
		matching.Options(mc),
		meetings.Options(ec),
		messaging.Options(xc),
		gateway.Options(gc, func(a string) { report("gateway", "http", "http://"+a) }),
	}

	for _, spec := range specs {
		spec.Log = logging.New(stderr, spec.Name, o.logLevel)
		spec.Ready = func(grpcAddr, _ string) { report(spec.Name, "grpc", grpcAddr) }
		g.Go(func() error {
			if err := runtime.Run(gctx, spec); err != nil {
				return fmt.Errorf("%s: %w", spec.Name, err)
			}
			return nil
		})
	}
	err = g.Wait()
	log.Info("tandem dev stopped")
	return err
}

// seedDemo loads the demo data through the services' APIs. Seeding is
// idempotent, so it runs on every start: a first start loads everything, and
// later starts change nothing (demo records a user erased stay erased).
func seedDemo(ctx context.Context, log *slog.Logger, signer *auth.Signer, pc profiles.Config, cc competencies.Config, ec meetings.Config) {
	res, err := profilesdemo.SeedAt(ctx, pc.GRPCAddr, signer)
	if err != nil {
		log.Warn("demo organisations not loaded", "err", err)
		return
	}
	log.Info("demo organisations loaded", "organizations", res.Organizations, "people", res.People, "skipped_erased", res.Skipped)
	comp, err := competenciesdemo.SeedAt(ctx, cc.GRPCAddr, pc.GRPCAddr, signer)
	if err != nil {
		log.Warn("demo competencies not loaded", "err", err)
		return
	}
	log.Info("demo competencies loaded", "competencies", comp.Competencies, "changed", comp.Changed, "offers_and_requests", comp.Offers, "collaborations", comp.Collaborations)
	ev, err := meetingsdemo.SeedAt(ctx, ec.GRPCAddr, pc.GRPCAddr, signer)
	if err != nil {
		log.Warn("demo brokerage event not loaded", "err", err)
		return
	}
	log.Info("demo brokerage event loaded", "event", ev.EventID, "participants", ev.Participants, "requests", ev.Requests, "meetings", ev.Meetings)
}

func addr(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func printPorts(w io.Writer, natsURL, redisURL string, rows []string) {
	slices.Sort(rows)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tPROTOCOL\tADDRESS")
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	fmt.Fprintln(tw, "nats\tnats\t"+natsURL)
	fmt.Fprintln(tw, "redis\tredis\t"+redisURL)
	_ = tw.Flush()
	fmt.Fprintln(w, "tandem dev is running; press Ctrl-C to stop")
}
