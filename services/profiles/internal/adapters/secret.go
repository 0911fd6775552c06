package adapters

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// SecretsBucket holds the service's own random secrets, shared by its
// replicas.
const SecretsBucket = "profiles_secrets"

const pageTokenSecret = "page-token-key"

// PageTokenSecret returns the secret that seals list page tokens. The first
// replica to start creates it at random; the others read it, so a page
// token from one replica opens on every other, and across restarts. It is
// the service's own: verifiers of user tokens hold no secret to derive one
// from.
func PageTokenSecret(ctx context.Context, js jetstream.JetStream, replicas int) ([]byte, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: SecretsBucket, Description: "secrets of the profiles service", History: 1, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand never fails on supported platforms
	if _, err := kv.Create(ctx, pageTokenSecret, secret); err == nil {
		return secret, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("create page token secret: %w", err)
	}
	e, err := kv.Get(ctx, pageTokenSecret)
	if err != nil {
		return nil, fmt.Errorf("read page token secret: %w", err)
	}
	if len(e.Value()) < 32 {
		return nil, fmt.Errorf("page token secret in %s is %d bytes, want 32", SecretsBucket, len(e.Value()))
	}
	return e.Value(), nil
}
