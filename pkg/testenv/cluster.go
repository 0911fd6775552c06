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

// JetStreamCluster starts n NATS servers with JetStream in one cluster, each
// on free ports with its store in t.TempDir(), and returns them once
// JetStream answers (a meta leader is elected); they stop with the test.
// ClientURLs joins their URLs for a client that may use any of them.
func JetStreamCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	routes := make([]string, n)
	clusterAddrs := make([]string, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		clusterAddrs[i] = l.Addr().String()
		l.Close()
		routes[i] = "nats://" + clusterAddrs[i]
	}
	servers := make([]*server.Server, n)
	for i := range n {
		host, port, _ := net.SplitHostPort(clusterAddrs[i])
		p, _ := strconv.Atoi(port)
		s, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "tandem", Host: host, Port: p},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		servers[i] = s
	}
	for _, s := range servers {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatal("testenv: NATS server not ready")
		}
	}
	nc, err := nats.Connect(ClientURLs(servers))
	if err != nil {
		t.Fatalf("testenv: connect nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: jetstream: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return servers
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: NATS cluster: JetStream not available within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
