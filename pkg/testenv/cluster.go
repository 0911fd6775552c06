package testenv

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n routed NATS servers with JetStream in this process, each on
// fixed ports with its own store in t.TempDir(), so that a stopped server
// restarts where clients and routes expect it.
type Cluster struct {
	t       testing.TB
	client  []string
	route   []string
	dirs    []string
	servers []*server.Server
	// URLs are the servers' client URLs, one per server.
	URLs []string
}

// StartCluster starts n servers in one cluster and returns them once every
// one is current and JetStream answers (a meta leader is elected); they stop
// with the test.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, servers: make([]*server.Server, n)}
	for range n {
		c.client = append(c.client, freeAddr(t))
		c.route = append(c.route, freeAddr(t))
		c.dirs = append(c.dirs, t.TempDir())
	}
	for _, a := range c.client {
		c.URLs = append(c.URLs, "nats://"+a)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	for i := range n {
		// A port picked free may be taken before the server binds it: pick
		// new ones then (the routes gossip the change).
		for try := 0; !c.start(i); try++ {
			if try == 3 {
				t.Fatalf("testenv: NATS server n%d did not start", i+1)
			}
			c.client[i], c.route[i] = freeAddr(t), freeAddr(t)
			c.URLs[i] = "nats://" + c.client[i]
		}
	}
	c.WaitCurrent()
	return c
}

// JetStreamCluster starts n servers in one cluster (StartCluster) and
// returns them. ClientURLs joins their URLs for a client that may use any of
// them.
func JetStreamCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	return StartCluster(t, n).servers
}

// URL joins the client URLs, for a client that may use any server.
func (c *Cluster) URL() string { return strings.Join(c.URLs, ",") }

// Len is the number of servers.
func (c *Cluster) Len() int { return len(c.servers) }

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start starts server i on its ports and store and reports whether it
// serves.
func (c *Cluster) start(i int) bool {
	var routes []string
	for _, r := range c.route {
		routes = append(routes, "nats://"+r)
	}
	host, port, _ := net.SplitHostPort(c.client[i])
	p, _ := strconv.Atoi(port)
	rhost, rport, _ := net.SplitHostPort(c.route[i])
	rp, _ := strconv.Atoi(rport)
	s, err := server.NewServer(&server.Options{
		ServerName: fmt.Sprintf("n%d", i+1), Host: host, Port: p,
		JetStream: true, StoreDir: c.dirs[i], NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: "tandem", Host: rhost, Port: rp},
		Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
	})
	if err != nil {
		c.t.Fatalf("testenv: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return false
	}
	c.servers[i] = s
	return true
}

// Restart starts a stopped server again on its ports and store.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if !c.start(i) {
		c.t.Fatalf("testenv: NATS server n%d not ready after a restart", i+1)
	}
}

// Stop shuts server i down: its clients and routes are cut at once.
func (c *Cluster) Stop(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
	c.servers[i] = nil
}

// WaitCurrent waits until every server runs and JetStream answers a client.
func (c *Cluster) WaitCurrent() {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok := true
		for _, s := range c.servers {
			if s == nil || !s.JetStreamIsCurrent() {
				ok = false
			}
		}
		if ok && c.accountInfo() == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatal("testenv: NATS cluster: JetStream not current within two minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) accountInfo() error {
	nc, err := nats.Connect(c.URL())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

// LeaderOf returns the index of the server leading stream.
func (c *Cluster) LeaderOf(stream string) int {
	c.t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		c.t.Fatalf("testenv: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		c.t.Fatalf("testenv: stream %s: %v", stream, err)
	}
	info := st.CachedInfo()
	if info.Cluster == nil {
		c.t.Fatalf("testenv: stream %s: no cluster info", stream)
	}
	i, err := strconv.Atoi(strings.TrimPrefix(info.Cluster.Leader, "n"))
	if err != nil || i < 1 || i > len(c.servers) {
		c.t.Fatalf("testenv: stream %s: leader %q", stream, info.Cluster.Leader)
	}
	return i - 1
}

// ClientURLs is the servers' client URLs, comma-separated.
func ClientURLs(servers []*server.Server) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Connect connects to url (one server or several, comma-separated) for the
// test's length.
func Connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("testenv: connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: jetstream: %v", err)
	}
	return nc, js
}
