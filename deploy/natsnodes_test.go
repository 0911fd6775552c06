//go:build chaos

package deploy_test

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

// natsNodes is a cluster of JetStream servers in this process on fixed
// ports, so that a stopped node restarts where clients and routes expect
// it, with its own store.
type natsNodes struct {
	t       *testing.T
	n       int
	client  []string
	route   []string
	dirs    []string
	servers []*server.Server
	urls    []string // client URLs, one per node
}

// startNATSNodes starts n routed JetStream servers and waits until
// JetStream answers.
func startNATSNodes(t *testing.T, n int) *natsNodes {
	t.Helper()
	c := &natsNodes{t: t, n: n, servers: make([]*server.Server, n)}
	for range n {
		c.client = append(c.client, freeAddr(t))
		c.route = append(c.route, freeAddr(t))
		c.dirs = append(c.dirs, t.TempDir())
	}
	for _, a := range c.client {
		c.urls = append(c.urls, "nats://"+a)
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
				t.Fatalf("NATS node n%d did not start", i+1)
			}
			c.client[i], c.route[i] = freeAddr(t), freeAddr(t)
			c.urls[i] = "nats://" + c.client[i]
		}
	}
	c.waitCurrent()
	return c
}

// start starts node i on its ports and store and reports whether it serves.
func (c *natsNodes) start(i int) bool {
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
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return false
	}
	c.servers[i] = s
	return true
}

// restart starts a stopped node again on its ports and store.
func (c *natsNodes) restart(i int) {
	c.t.Helper()
	if !c.start(i) {
		c.t.Fatalf("NATS node n%d not ready after a restart", i+1)
	}
}

// stop shuts node i down: its clients and routes are cut at once.
func (c *natsNodes) stop(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
	c.servers[i] = nil
}

// waitCurrent waits until every node runs and JetStream answers a client.
func (c *natsNodes) waitCurrent() {
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
			c.t.Fatal("NATS cluster: JetStream not current within two minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *natsNodes) accountInfo() error {
	nc, err := nats.Connect(strings.Join(c.urls, ","))
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

// leaderOf returns the index of the node leading stream.
func (c *natsNodes) leaderOf(stream string) int {
	c.t.Helper()
	nc, err := nats.Connect(strings.Join(c.urls, ","))
	if err != nil {
		c.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		c.t.Fatalf("stream %s: %v", stream, err)
	}
	info := st.CachedInfo()
	if info.Cluster == nil {
		c.t.Fatalf("stream %s: no cluster info", stream)
	}
	i, err := strconv.Atoi(strings.TrimPrefix(info.Cluster.Leader, "n"))
	if err != nil || i < 1 || i > c.n {
		c.t.Fatalf("stream %s: leader %q", stream, info.Cluster.Leader)
	}
	return i - 1
}
