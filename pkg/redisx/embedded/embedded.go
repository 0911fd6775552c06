// Package embedded is an in-process Redis-compatible server (miniredis) for
// `tandem dev` when no Redis is configured, and for tests. Only those import
// it: production binaries do not link it or its Lua interpreter (the deploy
// module's tests check their dependencies).
package embedded

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// Server keeps data in memory only, which is fine because Redis holds
// nothing that cannot be rebuilt.
type Server struct {
	m *miniredis.Miniredis
}

// Start starts it on 127.0.0.1 on a free port.
func Start() (*Server, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("embedded redis: %w", err)
	}
	return &Server{m: m}, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.m.Addr() }

// URL is redis://host:port/0, ready for redisx.Connect.
func (s *Server) URL() string { return "redis://" + s.m.Addr() + "/0" }

// Close stops the server.
func (s *Server) Close() { s.m.Close() }
