package eventkv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// Claims durably remembers which resource a client request created, so a
// retried create returns the first result instead of creating twice, even
// after Redis was flushed or the service restarted.
type Claims struct {
	kv jetstream.KeyValue
}

// OpenClaims creates (or opens) the claims bucket.
func OpenClaims(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*Claims, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("claims %s: %w", bucket, err)
	}
	return &Claims{kv: kv}, nil
}

// Claim records value for the request key unless one is recorded already. It
// returns the recorded value and whether this call recorded it. Keys may be
// any string (they are hashed).
func (c *Claims) Claim(ctx context.Context, key, value string) (winner string, created bool, err error) {
	k := claimKey(key)
	if _, err := c.kv.Create(ctx, k, []byte(value)); err == nil {
		return value, true, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", false, fmt.Errorf("claim: %w", err)
	}
	e, err := c.kv.Get(ctx, k)
	if err != nil {
		return "", false, fmt.Errorf("claim: read the earlier claim: %w", err)
	}
	return string(e.Value()), false, nil
}

// Lookup returns the value recorded for key, if any.
func (c *Claims) Lookup(ctx context.Context, key string) (string, bool, error) {
	e, err := c.kv.Get(ctx, claimKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("claim lookup: %w", err)
	}
	return string(e.Value()), true, nil
}

func claimKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
