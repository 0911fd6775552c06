package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/redisx"
)

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Make and combine the Ed25519 keys tokens are signed and verified with",
		Long: `keys writes the token issuer's signing key and the public key sets the services verify
with. See docs/operations.md for rotating keys.`,
	}
	cmd.AddCommand(newKeysGenerateCmd(), newKeysPublicCmd())
	return cmd
}

func newKeysGenerateCmd() *cobra.Command {
	var kid, dir string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write a new signing key and its public key set",
		Long: `generate writes a new Ed25519 key pair into --dir: <kid>.private.jwk, the gateway's
GATEWAY_AUTH_SIGNING_KEY (keep it secret: it signs tokens), and <kid>.public.jwks, a
public key set for every service's <SERVICE>_AUTH_PUBLIC_KEYS. It never overwrites a file.`,
		Example: `  tandem keys generate --kid 2026-12 --dir ./keys`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := auth.GenerateKey(kid)
			if err != nil {
				return usageError{err}
			}
			priv, err := json.Marshal(key)
			if err != nil {
				return err
			}
			pub, err := auth.MarshalPublicKeys(key.Public())
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("keys folder: %w", err)
			}
			privPath := filepath.Join(dir, key.KID()+".private.jwk")
			pubPath := filepath.Join(dir, key.KID()+".public.jwks")
			if err := writeNew(privPath, priv, 0o600); err != nil {
				return err
			}
			if err := writeNew(pubPath, pub, 0o644); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "key id:     %s\nsigning key: %s (secret: the gateway's GATEWAY_AUTH_SIGNING_KEY)\npublic keys: %s (every service's <SERVICE>_AUTH_PUBLIC_KEYS)\n",
				key.KID(), privPath, pubPath)
			return err
		},
	}
	cmd.Flags().StringVar(&kid, "kid", "", "key id (default: today's date and a random suffix)")
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to write the two files to")
	return cmd
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func newKeysPublicCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "public FILE...",
		Short: "Print one public key set holding the public keys of the given key files",
		Long: `public reads signing keys (*.private.jwk) and public key sets (*.public.jwks) and prints one
public key set with all their public keys, for <SERVICE>_AUTH_PUBLIC_KEYS. During a rotation
it lists the old and the new key, so tokens of both verify.`,
		Example: `  tandem keys public keys/2026-06.public.jwks keys/2026-12.private.jwk > public.jwks`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var all []auth.PublicKey
			for _, f := range files {
				keys, err := publicKeysOf(f)
				if err != nil {
					return usageError{err}
				}
				for _, k := range keys {
					i := slices.IndexFunc(all, func(h auth.PublicKey) bool { return h.KID == k.KID })
					switch {
					case i < 0:
						all = append(all, k)
					case !all[i].Key.Equal(k.Key):
						return usageError{fmt.Errorf("two different keys share the key id %q", k.KID)}
					}
				}
			}
			b, err := auth.MarshalPublicKeys(all...)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
}

// publicKeysOf reads a signing key or a public key set from path.
func publicKeysOf(path string) ([]auth.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if key, err := auth.ParseSigningKey(b); err == nil {
		return []auth.PublicKey{key.Public()}, nil
	}
	keys, err := auth.ParsePublicKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s is neither a signing key nor a public key set: %w", path, err)
	}
	return keys, nil
}

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Issue and revoke tokens (operators: needs the signing key or Redis)",
	}
	cmd.AddCommand(newTokenIssueCmd(), newTokenRevokeCmd())
	return cmd
}

func newTokenIssueCmd() *cobra.Command {
	var (
		signingKey, subject, org string
		roles, clusters          []string
		ttl                      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Sign a token for a subject with the issuer's signing key",
		Long: `issue signs a token with the signing key the gateway uses (--signing-key, default
$GATEWAY_AUTH_SIGNING_KEY: a private JWK inline or a file path) and prints it. Use it for
scripts and service accounts; people sign in through the gateway. The token id (jti), to
revoke it with, is printed to stderr.`,
		Example: `  tandem token issue --signing-key keys/2026-12.private.jwk --subject ops-import --role admin --ttl 1h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if signingKey == "" {
				return usageError{errors.New("--signing-key (or $GATEWAY_AUTH_SIGNING_KEY) is required")}
			}
			if strings.TrimSpace(subject) == "" {
				return usageError{errors.New("--subject is required")}
			}
			p := auth.Principal{Subject: subject, Organization: org, Clusters: clusters}
			known := []auth.Role{auth.RoleAdmin, auth.RoleClusterManager, auth.RoleOrganizer, auth.RoleMember}
			for _, r := range roles {
				if !slices.Contains(known, auth.Role(r)) {
					return usageError{fmt.Errorf("--role %q: use admin, cluster_manager, organizer or member", r)}
				}
				p.Roles = append(p.Roles, auth.Role(r))
			}
			key, err := auth.LoadSigningKey(signingKey)
			if err != nil {
				return usageError{fmt.Errorf("--signing-key: %w", err)}
			}
			s, err := auth.NewSigner(key, ttl)
			if err != nil {
				return usageError{err}
			}
			tok, exp, err := s.Issue(p)
			if err != nil {
				return err
			}
			info, err := auth.Inspect(tok)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token id %s, key %s, expires %s\n", info.ID, s.KID(), exp.UTC().Format(time.RFC3339))
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&signingKey, "signing-key", os.Getenv("GATEWAY_AUTH_SIGNING_KEY"), "private JWK, inline or a file path")
	f.StringVar(&subject, "subject", "", "who the token stands for")
	f.StringSliceVar(&roles, "role", nil, "role (repeat): admin, cluster_manager, organizer or member")
	f.StringVar(&org, "org", "", "organisation id of the subject")
	f.StringSliceVar(&clusters, "cluster", nil, "cluster id the subject manages or belongs to (repeat)")
	f.DurationVar(&ttl, "ttl", time.Hour, "lifetime of the token")
	return cmd
}

func newTokenRevokeCmd() *cobra.Command {
	redisURL, prefix := os.Getenv("REDIS_URL"), os.Getenv("REDIS_PREFIX")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	if prefix == "" {
		prefix = "tandem"
	}
	var tokenTTL time.Duration
	cmd := &cobra.Command{
		Use:   "revoke TOKEN-OR-ID...",
		Short: "Put tokens on the deny list, so every service refuses them",
		Long: `revoke writes each token's id (jti) to the deny list in Redis, where every service checks
it; a revoked token is refused everywhere within about a second. Give the token itself, or
its id: for a bare id the entry lasts until the token's issue time (in the id) plus
--token-ttl. The entry expires when the token would, so the list stays small. It writes
Redis directly (--redis-url and --redis-prefix as the services use them), so it works even
while the gateway is down.`,
		Example: `  tandem token revoke 01JEXAMPLE0000000000000000 --redis-url redis://redis:6379/0`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			type entry struct {
				id      string
				expires time.Time
			}
			entries := make([]entry, 0, len(args))
			for _, a := range args {
				id, exp, err := revocationOf(a, tokenTTL)
				if err != nil {
					return usageError{err}
				}
				entries = append(entries, entry{id, exp})
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			rc, err := redisx.Connect(ctx, redisURL)
			if err != nil {
				return apiError{exitUnavailable, fmt.Sprintf("redis unavailable: %v", err)}
			}
			defer rc.Close()
			deny := auth.NewDenyList(rc, prefix)
			for _, e := range entries {
				if err := deny.Revoke(ctx, e.id, e.expires); err != nil {
					return apiError{exitUnavailable, err.Error()}
				}
				state := "revoked until " + e.expires.UTC().Format(time.RFC3339)
				if !e.expires.After(time.Now()) {
					state = "already expired: nothing to revoke"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", e.id, state)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&redisURL, "redis-url", redisURL, "Redis the services use ($REDIS_URL)")
	f.StringVar(&prefix, "redis-prefix", prefix, "the services' REDIS_PREFIX ($REDIS_PREFIX)")
	f.DurationVar(&tokenTTL, "token-ttl", 12*time.Hour, "lifetime tokens were issued with (GATEWAY_TOKEN_TTL), for bare token ids")
	return cmd
}

// revocationOf returns the token id and expiry of a token or of a bare id.
func revocationOf(arg string, tokenTTL time.Duration) (string, time.Time, error) {
	arg = strings.TrimSpace(arg)
	if strings.Count(arg, ".") == 2 {
		info, err := auth.Inspect(arg)
		if err != nil {
			return "", time.Time{}, err
		}
		if info.ID == "" || info.ExpiresAt.IsZero() {
			return "", time.Time{}, errors.New("the token has no id or no expiry: it is not one Tandem issued")
		}
		return info.ID, info.ExpiresAt, nil
	}
	id, err := ulid.ParseStrict(arg)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%q is neither a token nor a token id (a ULID): %w", arg, err)
	}
	return id.String(), ulid.Time(id.Time()).Add(tokenTTL), nil
}
