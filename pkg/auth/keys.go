package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Keys travel as JSON Web Keys (RFC 7517, Ed25519 as in RFC 8037): the
// signing key as one private JWK, the verification keys as a JWK set. The
// key id ("kid") is in every token's header, so verifiers pick the key by
// it and keys can rotate.

// SigningKey is the issuer's private Ed25519 key with its key id.
type SigningKey struct {
	kid  string
	priv ed25519.PrivateKey
}

// PublicKey is a verification key with its key id.
type PublicKey struct {
	KID string
	Key ed25519.PublicKey
}

// DevKID is the key id of the development key. Verifiers outside
// development refuse it (see Verifier's AllowDevKey).
const DevKID = "dev"

// kidPattern keeps key ids printable and short: they appear in headers,
// logs and file names.
var kidPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkKID(kid string) error {
	if !kidPattern.MatchString(kid) {
		return fmt.Errorf("key id %q: use 1 to 64 letters, digits, '.', '_' or '-'", kid)
	}
	return nil
}

// GenerateKey returns a new random signing key. An empty kid becomes the
// current UTC date and a random suffix ("2026-12-06-3f9a1c").
func GenerateKey(kid string) (SigningKey, error) {
	if kid == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		kid = fmt.Sprintf("%s-%x", time.Now().UTC().Format("2006-01-02"), b)
	}
	if err := checkKID(kid); err != nil {
		return SigningKey{}, err
	}
	if kid == DevKID {
		return SigningKey{}, fmt.Errorf("key id %q is reserved for the development key", DevKID)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate key: %w", err)
	}
	return SigningKey{kid: kid, priv: priv}, nil
}

// DevSigningKey is the development key of `tandem dev` and of binaries
// started with --dev. It is derived from a fixed text, so anyone can sign
// with it: verifiers accept it only in development.
func DevSigningKey() SigningKey {
	seed := sha256.Sum256([]byte("tandem development signing key: never accept it in production"))
	return SigningKey{kid: DevKID, priv: ed25519.NewKeyFromSeed(seed[:])}
}

// KID is the key id tokens signed with k carry.
func (k SigningKey) KID() string { return k.kid }

// Public is k's verification key.
func (k SigningKey) Public() PublicKey {
	return PublicKey{KID: k.kid, Key: k.priv.Public().(ed25519.PublicKey)}
}

// Seed is the private key's seed, for deriving other secrets of the issuer
// (never send it anywhere).
func (k SigningKey) Seed() []byte { return k.priv.Seed() }

// MarshalJSON writes k as a private JWK.
func (k SigningKey) MarshalJSON() ([]byte, error) {
	if k.priv == nil {
		return nil, errors.New("empty signing key")
	}
	return json.Marshal(jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: string(jose.EdDSA), Use: "sig"})
}

// ParseSigningKey reads a private Ed25519 JWK with a key id.
func ParseSigningKey(data []byte) (SigningKey, error) {
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(bytes.TrimSpace(data), &jwk); err != nil {
		return SigningKey{}, fmt.Errorf("signing key is not a JWK: %w", err)
	}
	priv, ok := jwk.Key.(ed25519.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("signing key is a %T, want a private Ed25519 key (kty OKP, crv Ed25519, with d)", jwk.Key)
	}
	if err := checkKID(jwk.KeyID); err != nil {
		return SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	return SigningKey{kid: jwk.KeyID, priv: priv}, nil
}

// MarshalPublicKeys writes keys as a JWK set ({"keys": [...]}).
func MarshalPublicKeys(keys ...PublicKey) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key, KeyID: k.KID, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return json.Marshal(set)
}

// ParsePublicKeys reads a JWK set of public Ed25519 keys, each with a
// distinct key id. A set holding a private key is refused: verifiers must
// never be able to sign.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(bytes.TrimSpace(data), &set); err != nil {
		return nil, fmt.Errorf("public keys are not a JWK set: %w", err)
	}
	if len(set.Keys) == 0 {
		// One JWK instead of a set: most likely the signing key, given
		// where the public key set belongs.
		var one jose.JSONWebKey
		if json.Unmarshal(bytes.TrimSpace(data), &one) == nil && one.Key != nil {
			if _, private := one.Key.(ed25519.PrivateKey); private {
				return nil, fmt.Errorf("public keys: %q is a private key (the signing key), not a public key set: give verifiers the <kid>.public.jwks of `tandem keys generate`, never the private key", one.KeyID)
			}
			return nil, fmt.Errorf("public keys: %q is one key, not a JWK set: write it as {\"keys\": [...]} (`tandem keys public` does)", one.KeyID)
		}
		return nil, errors.New("public key set is empty")
	}
	seen := map[string]bool{}
	keys := make([]PublicKey, 0, len(set.Keys))
	for i, jwk := range set.Keys {
		var pub ed25519.PublicKey
		switch k := jwk.Key.(type) {
		case ed25519.PublicKey:
			pub = k
		case ed25519.PrivateKey:
			return nil, fmt.Errorf("public key %d (%q) is a private key: give verifiers only public keys", i, jwk.KeyID)
		default:
			return nil, fmt.Errorf("public key %d (%q) is a %T, want Ed25519 (kty OKP, crv Ed25519)", i, jwk.KeyID, jwk.Key)
		}
		if err := checkKID(jwk.KeyID); err != nil {
			return nil, fmt.Errorf("public key %d: %w", i, err)
		}
		if seen[jwk.KeyID] {
			return nil, fmt.Errorf("public key id %q listed twice", jwk.KeyID)
		}
		seen[jwk.KeyID] = true
		keys = append(keys, PublicKey{KID: jwk.KeyID, Key: pub})
	}
	return keys, nil
}

// ReadSetting returns the key material of a configuration value: the value
// itself when it is inline JSON, else the contents of the file it names (a
// mounted Kubernetes Secret, say).
func ReadSetting(value string) ([]byte, error) {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "{") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	return b, nil
}

// LoadSigningKey is ParseSigningKey of a setting (inline JWK or file path).
func LoadSigningKey(value string) (SigningKey, error) {
	b, err := ReadSetting(value)
	if err != nil {
		return SigningKey{}, err
	}
	return ParseSigningKey(b)
}

// LoadPublicKeys is ParsePublicKeys of a setting (inline JWK set or file
// path).
func LoadPublicKeys(value string) ([]PublicKey, error) {
	b, err := ReadSetting(value)
	if err != nil {
		return nil, err
	}
	return ParsePublicKeys(b)
}
