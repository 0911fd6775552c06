// Package anonref makes the opaque references under which an anonymous
// organisation (or its person) is shown to those who may not know it: the
// same for every caller of one scope (e.g. one seeking organisation),
// unlinkable across scopes, and resolved back only within the scope it was
// made for. Its real id would lead to more of it: its profile, people,
// competencies and offers.
//
// A reference is a deterministic authenticated encryption (SIV: the MAC of
// the scope and the id is the counter-mode IV), so no table of references is
// kept; every replica of a service holds the same key (see Key).
package anonref

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tandem-cluster/tandem/pkg/natsx"
)

// Prefix starts every opaque reference.
const Prefix = "anon-"

// Is reports whether s has the form of an opaque reference (which does not
// mean it opens).
func Is(s string) bool { return strings.HasPrefix(s, Prefix) }

// Sealer seals and opens references with one key.
type Sealer struct {
	enc cipher.Block
	mac []byte
}

// New returns a sealer with key, of at least 32 bytes.
func New(key []byte) (*Sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("anonymous references: key shorter than 32 bytes")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	// The labels date from when matching alone made references; they stay,
	// so references shown before still open.
	block, err := aes.NewCipher(derive("tandem matching anonymous ref enc"))
	if err != nil {
		return nil, fmt.Errorf("anonymous references: %w", err)
	}
	return &Sealer{enc: block, mac: derive("tandem matching anonymous ref mac")}, nil
}

func (s *Sealer) iv(scope string, plain []byte) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(plain)
	return m.Sum(nil)[:aes.BlockSize]
}

// Seal is the reference to the profile id of the given kind (a byte the
// caller chooses, e.g. 'o' or 'p') for callers of scope.
func (s *Sealer) Seal(scope string, kind byte, id string) string {
	plain := append([]byte{kind}, id...)
	iv := s.iv(scope, plain)
	out := make([]byte, aes.BlockSize+len(plain))
	copy(out, iv)
	cipher.NewCTR(s.enc, iv).XORKeyStream(out[aes.BlockSize:], plain)
	return Prefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open resolves a reference sealed for scope; ok is false for one sealed
// for another scope, with another key, or not a reference at all.
func (s *Sealer) Open(scope, ref string) (kind byte, id string, ok bool) {
	if !Is(ref) {
		return 0, "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(ref[len(Prefix):])
	if err != nil || len(b) < aes.BlockSize+2 {
		return 0, "", false
	}
	iv, plain := b[:aes.BlockSize], make([]byte, len(b)-aes.BlockSize)
	cipher.NewCTR(s.enc, iv).XORKeyStream(plain, b[aes.BlockSize:])
	if !hmac.Equal(iv, s.iv(scope, plain)) {
		return 0, "", false
	}
	return plain[0], string(plain[1:]), true
}

// Key returns a service's reference key, the same for every replica: the
// first replica to start creates it in the bucket, the others read it.
// Losing the bucket changes every reference, and pages showing old ones
// then find their profiles gone.
func Key(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) ([]byte, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: bucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("reference key: %w", err)
	}
	// On a cluster, the replica that lost the race to create the key may
	// read from a follower that has not applied the creation yet: it reads
	// again until the key is there (or ctx ends).
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		if _, err := kv.Create(ctx, "anonymous-refs", key); err == nil {
			return key, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		e, err := kv.Get(ctx, "anonymous-refs")
		if err == nil {
			return e.Value(), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reference key: %w", err)
		case <-time.After(wait):
		}
	}
}
