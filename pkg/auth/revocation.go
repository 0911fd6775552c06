package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tandem-cluster/tandem/pkg/redisx"
)

// DenyList is the deny list of revoked token ids in Redis: one key per
// revoked token, expiring when the token would, so the list holds only
// tokens that could still be used. Every service sharing the Redis key
// prefix sees the same list.
type DenyList struct {
	rc     redis.UniversalClient
	prefix string
}

// NewDenyList returns the deny list under prefix (REDIS_PREFIX) in rc.
func NewDenyList(rc redis.UniversalClient, prefix string) *DenyList {
	return &DenyList{rc: rc, prefix: prefix}
}

func (d *DenyList) key(jti string) string { return redisx.Key(d.prefix, "auth", "revoked", jti) }

// Revoked reports whether jti is on the list.
func (d *DenyList) Revoked(ctx context.Context, jti string) (bool, error) {
	n, err := d.rc.Exists(ctx, d.key(jti)).Result()
	if err != nil {
		return false, fmt.Errorf("deny list: %w", err)
	}
	return n > 0, nil
}

// Revoke puts jti on the list until expires, the token's expiry. A token
// that already expired needs no entry.
func (d *DenyList) Revoke(ctx context.Context, jti string, expires time.Time) error {
	if jti == "" {
		return errors.New("revoke: empty token id")
	}
	ttl := time.Until(expires) + leeway
	if ttl <= leeway {
		return nil
	}
	if err := d.rc.Set(ctx, d.key(jti), expires.UTC().Format(time.RFC3339), ttl).Err(); err != nil {
		return fmt.Errorf("revoke %s: %w", jti, err)
	}
	return nil
}
