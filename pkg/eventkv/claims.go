package eventkv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// Claims durably remembers which resource a client request created, so a
// retried create returns the first result instead of creating twice, even
// after Redis was flushed or the service restarted.
type Claims struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	bucket string
}

// ClaimTTL is how long a claim is kept: far longer than any client retries
// a request, short enough that the bucket does not grow without bound.
const ClaimTTL = 7 * 24 * time.Hour

// OpenClaims creates (or opens) the claims bucket; claims expire after
// ClaimTTL.
func OpenClaims(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*Claims, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
		TTL:      ClaimTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("claims %s: %w", bucket, err)
	}
	return &Claims{js: js, kv: kv, bucket: bucket}, nil
}

// Claim records value for the request key unless one is recorded already. It
// returns the recorded value and whether this call recorded it. Keys may be
// any string (they are hashed).
func (c *Claims) Claim(ctx context.Context, key, value string) (winner string, created bool, err error) {
	k := claimKey(key)
	_, err = natsx.Attempts(ctx, func(ctx context.Context) (uint64, error) { return c.kv.Create(ctx, k, []byte(value)) })
	if err == nil {
		return value, true, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", false, fmt.Errorf("claim: %w", err)
	}
	v, ok, err := c.get(ctx, k)
	if err != nil || !ok {
		return "", false, fmt.Errorf("claim: read the earlier claim: %w", errors.Join(err, jetstream.ErrKeyNotFound))
	}
	// A first try that was stored but not answered (its leader stopped)
	// makes the repeat find this call's own value: values are fresh ids.
	return v, v == value, nil
}

// get reads a claim from the bucket's leader: a follower may not have the
// claim whose create just failed as a duplicate.
func (c *Claims) get(ctx context.Context, k string) (string, bool, error) {
	m, err := natsx.LastMsg(ctx, c.js, "KV_"+c.bucket, "$KV."+c.bucket+"."+k)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && m.Header.Get("KV-Operation") != "") {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(m.Data), true, nil
}

// Lookup returns the value recorded for key, if any.
func (c *Claims) Lookup(ctx context.Context, key string) (string, bool, error) {
	v, ok, err := c.get(ctx, claimKey(key))
	if err != nil {
		return "", false, fmt.Errorf("claim lookup: %w", err)
	}
	return v, ok, nil
}

func claimKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ClaimResult is the outcome of one claim of ClaimMany, as Claim returns it.
type ClaimResult struct {
	Winner  string
	Created bool
	Err     error
}

// ClaimMany claims each key for the value at the same index, as Claim
// would, and returns the outcomes in order. It publishes the claims up to
// BatchInFlight ahead of their acknowledgements rather than one round trip
// each, and reads the earlier claim of the keys claimed already. Values must
// be unique to the attempt (fresh ids): a claim published again after its
// answer did not come is then recognised as this attempt's own.
func (c *Claims) ClaimMany(ctx context.Context, keys, values []string) []ClaimResult {
	out := make([]ClaimResult, len(keys))
	msgs := make([]*nats.Msg, len(keys))
	for i, key := range keys {
		k := claimKey(key)
		m := nats.NewMsg("$KV." + c.bucket + "." + k)
		m.Data = []byte(values[i])
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
		m.Header.Set(jetstream.MsgIDHeader, k+":"+values[i])
		msgs[i] = m
	}
	_, errs := publishMany(ctx, c.js, msgs, nil) // a claim found taken is read below
	var taken []int
	for i, err := range errs {
		switch {
		case err == nil:
			out[i] = ClaimResult{Winner: values[i], Created: true}
		case staleRevision(err):
			taken = append(taken, i)
		default:
			out[i].Err = fmt.Errorf("claim: %w", err)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, i := range taken {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v, ok, err := c.get(ctx, claimKey(keys[i]))
			if err != nil || !ok {
				out[i].Err = fmt.Errorf("claim: read the earlier claim: %w", errors.Join(err, jetstream.ErrKeyNotFound))
				return
			}
			out[i] = ClaimResult{Winner: v, Created: v == values[i]}
		})
	}
	wg.Wait()
	return out
}
