package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
)

// PageTokens seals list positions. A token holds the last item's sort key
// (its folded name) and the filters it belongs to; it is encrypted because
// the last item may have been shown anonymised, and its name must not leak.
// Every replica derives the same key from the secret the service keeps in
// JetStream, so a token works on any replica and after restarts. Paging is keyset-based:
// items created or erased between pages neither repeat nor shift others.
type PageTokens struct {
	aead cipher.AEAD
}

// pagePosition is what a token carries.
type pagePosition struct {
	Anon   bool   `json:"a,omitempty"`
	Name   string `json:"n"`
	ID     string `json:"i"`
	Filter uint64 `json:"f"`
}

// MaxPageTokenLen bounds the token accepted from clients.
const MaxPageTokenLen = 2048

// NewPageTokens derives the sealing key from secret.
func NewPageTokens(secret []byte) (*PageTokens, error) {
	key := sha256.Sum256(append([]byte("tandem profiles page token\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("page tokens: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("page tokens: %w", err)
	}
	return &PageTokens{aead: aead}, nil
}

// Encode seals a position.
func (t *PageTokens) Encode(p pagePosition) string {
	plain, _ := json.Marshal(p) // a struct of strings and a number always marshals
	nonce := make([]byte, t.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(t.aead.Seal(nonce, nonce, plain, nil))
}

var errBadToken = errors.New("page_token is not a token of this list")

// Decode opens a token; any damage or a token of another filter set fails
// with a field violation on page_token.
func (t *PageTokens) Decode(token string, filter uint64) (pagePosition, error) {
	p, err := t.open(token)
	if err == nil && p.Filter != filter {
		err = errors.New("page_token belongs to a list with other filters")
	}
	if err != nil {
		return pagePosition{}, grpcerr.Invalid(grpcerr.Violation{Field: "page_token", Description: err.Error()})
	}
	return p, nil
}

func (t *PageTokens) open(token string) (pagePosition, error) {
	if len(token) > MaxPageTokenLen {
		return pagePosition{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < t.aead.NonceSize()+t.aead.Overhead() {
		return pagePosition{}, errBadToken
	}
	ns := t.aead.NonceSize()
	plain, err := t.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return pagePosition{}, errBadToken
	}
	var p pagePosition
	if err := json.Unmarshal(plain, &p); err != nil || p.ID == "" || !utf8.ValidString(p.Name) {
		return pagePosition{}, errBadToken
	}
	return p, nil
}

// filterHash identifies a set of list filters; parts must be in a fixed order.
func filterHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

func joinSorted(xs []string) string { return strings.Join(xs, "\x01") }
