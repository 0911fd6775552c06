// Package redisx sets up Redis clients the same way in every service and
// namespaces keys, since several services (and tests) share one Redis.
package redisx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tandem-cluster/tandem/pkg/retry"
)

// Options parses url: a redis:// or rediss:// URL, or a bare host:port.
func Options(url string) (*redis.Options, error) {
	if !strings.Contains(url, "://") {
		if url == "" {
			return nil, fmt.Errorf("empty redis url")
		}
		return &redis.Options{Addr: url}, nil
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	return o, nil
}

// Connect returns a client for url once Redis answers PING, retrying with
// backoff until ctx is done, so services can start before Redis. A URL with
// master_name names Sentinels instead of a server
// (redis://sentinel-1:26379/0?master_name=tandem&addr=sentinel-2:26379), and
// the client follows the primary they name across failovers.
func Connect(ctx context.Context, url string) (*redis.Client, error) {
	c, addr, err := newClient(url)
	if err != nil {
		return nil, err
	}
	var last error
	_, err = retry.Until(ctx, retry.Default, func() (struct{}, error) {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		last = c.Ping(pctx).Err()
		return struct{}{}, last
	}, nil)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("connect redis %s: %w (last error: %v)", addr, err, last)
	}
	return c, nil
}

// New returns a client for url without waiting for Redis: commands fail
// until it answers, and the client reconnects by itself.
func New(url string) (*redis.Client, error) {
	c, _, err := newClient(url)
	return c, err
}

// newClient returns a client for url and the address it names, for errors.
func newClient(url string) (*redis.Client, string, error) {
	if strings.Contains(url, "master_name=") {
		o, err := redis.ParseFailoverURL(url)
		if err != nil {
			return nil, "", fmt.Errorf("parse redis sentinel url: %w", err)
		}
		return redis.NewFailoverClient(o), fmt.Sprintf("%s via sentinels %s", o.MasterName, strings.Join(o.SentinelAddrs, ",")), nil
	}
	o, err := Options(url)
	if err != nil {
		return nil, "", err
	}
	return redis.NewClient(o), o.Addr, nil
}

// Key joins prefix and parts with ":", e.g. Key("tandem", "matching", "org", id).
func Key(prefix string, parts ...string) string {
	return strings.Join(append([]string{prefix}, parts...), ":")
}
