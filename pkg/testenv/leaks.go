package testenv

import (
	"bytes"
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Leaks reads every message of every JetStream stream (KV buckets are
// streams too, so every bucket's every revision is read) and every Redis
// key under prefix with its value, and reports where any of needles
// occurs, for tests that check that an erasure reached every copy.
func Leaks(ctx context.Context, js jetstream.JetStream, rdb *redis.Client, prefix string, needles ...string) ([]string, error) {
	var found []string
	look := func(where string, data []byte) {
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				found = append(found, fmt.Sprintf("%s holds %q", where, n))
			}
		}
	}
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if err != nil {
				continue // deleted or purged
			}
			look(fmt.Sprintf("stream %s message %d (%s)", name, seq, m.Subject), m.Data)
			for k, vs := range m.Header {
				for _, v := range vs {
					look(fmt.Sprintf("stream %s message %d header %s", name, seq, k), []byte(v))
				}
			}
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	if rdb == nil {
		return found, nil
	}
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		look("redis key "+key, []byte(key))
		val, err := dump(ctx, rdb, key)
		if err != nil {
			return nil, err
		}
		look("redis key "+key, val)
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan redis: %w", err)
	}
	return found, nil
}

// dump reads a key's value whatever its type, as text.
func dump(ctx context.Context, rdb *redis.Client, key string) ([]byte, error) {
	typ, err := rdb.Type(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redis type %s: %w", key, err)
	}
	var v any
	switch typ {
	case "string":
		v, err = rdb.Get(ctx, key).Result()
	case "hash":
		v, err = rdb.HGetAll(ctx, key).Result()
	case "set":
		v, err = rdb.SMembers(ctx, key).Result()
	case "zset":
		v, err = rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
	case "list":
		v, err = rdb.LRange(ctx, key, 0, -1).Result()
	case "stream":
		v, err = rdb.XRange(ctx, key, "-", "+").Result()
	case "none":
		return nil, nil // expired between the scan and now
	default:
		return nil, fmt.Errorf("redis key %s has type %s, which Leaks cannot read", key, typ)
	}
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis read %s: %w", key, err)
	}
	return fmt.Appendf(nil, "%v", v), nil
}
