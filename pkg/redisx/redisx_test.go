package redisx_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/redisx"
	"github.com/tandem-cluster/tandem/pkg/redisx/embedded"
)

func TestKey(t *testing.T) {
	tests := []struct {
		prefix string
		parts  []string
		want   string
	}{
		{"tandem", nil, "tandem"},
		{"tandem", []string{"matching", "org", "o1"}, "tandem:matching:org:o1"},
	}
	for _, tt := range tests {
		if got := redisx.Key(tt.prefix, tt.parts...); got != tt.want {
			t.Errorf("Key(%q, %q) = %q, want %q", tt.prefix, tt.parts, got, tt.want)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		url, addr string
		db        int
		ok        bool
	}{
		{"redis://127.0.0.1:6379/2", "127.0.0.1:6379", 2, true},
		{"127.0.0.1:6380", "127.0.0.1:6380", 0, true},
		{"", "", 0, false},
		{"http://x", "", 0, false},
	}
	for _, tt := range tests {
		o, err := redisx.Options(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("Options(%q) error = %v, want ok=%v", tt.url, err, tt.ok)
			continue
		}
		if tt.ok && (o.Addr != tt.addr || o.DB != tt.db) {
			t.Errorf("Options(%q) = %s db %d, want %s db %d", tt.url, o.Addr, o.DB, tt.addr, tt.db)
		}
	}
}

func TestEmbeddedConnect(t *testing.T) {
	e, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := redisx.Connect(ctx, e.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("Get = %q", got)
	}
}

func TestConnectGivesUpWithContext(t *testing.T) {
	e, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	url := e.URL()
	e.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if c, err := redisx.Connect(ctx, url); err == nil {
		c.Close()
		t.Fatal("Connect to a closed port succeeded")
	}
}
