// Package embedded runs a NATS server with JetStream inside the process, for
// `tandem dev` and tests, so neither needs an installed nats-server.
package embedded

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure the embedded server.
type Options struct {
	Host       string // default 127.0.0.1
	Port       int    // -1 picks a free port; 0 means NATS' default 4222
	StoreDir   string // JetStream data; required so data survives restarts
	ServerName string // default "tandem-dev"; JetStream ties stored state to it
	Logging    bool   // log the server's own lines to stderr
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts the server and waits until it accepts clients.
func Start(opts Options) (*Server, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("embedded nats: StoreDir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.ServerName == "" {
		opts.ServerName = "tandem-dev"
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: opts.ServerName,
		Host:       opts.Host,
		Port:       opts.Port,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoLog:      !opts.Logging,
		NoSigs:     true, // the host process owns signal handling
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if opts.Logging {
		ns.ConfigureLogger()
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats on %s:%d not ready after 10s", opts.Host, opts.Port)
	}
	return &Server{ns: ns}, nil
}

// ClientURL is the nats:// URL clients connect to.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and returns once it has stopped, so the same
// StoreDir can be reopened right after.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
