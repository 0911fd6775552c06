package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// loginResponse is the part of the gateway's login answer the CLI uses.
type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Principal struct {
		Subject      string   `json:"subject"`
		Organization string   `json:"organization,omitempty"`
		Roles        []string `json:"roles"`
		Clusters     []string `json:"clusters,omitempty"`
	} `json:"principal"`
}

// gatewayError is the gateway's error shape.
type gatewayError struct {
	Error struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

func newLoginCmd(env *cliEnv) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in through the gateway and save the token for later commands",
		Long: `login signs in as one of the demo users of tandem dev (admin, cluster-manager, organizer,
company, researcher) through the gateway's login endpoint, which only tandem dev enables,
and saves the token to --token-file. Later commands send it; --token or $TANDEM_TOKEN
override it.`,
		Example: `  tandem login --user researcher`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return usageError{fmt.Errorf("--user is required (admin, cluster-manager, organizer, company or researcher)")}
			}
			body, _ := json.Marshal(map[string]string{"username": user})
			ctx, cancel := env.call(cmd.Context())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(env.gateway, "/")+"/v1/auth/login", bytes.NewReader(body))
			if err != nil {
				return usageError{fmt.Errorf("gateway URL %q: %w", env.gateway, err)}
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return apiError{exitUnavailable, fmt.Sprintf("gateway unavailable: %v (is tandem dev running? see --gateway)", err)}
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				var ge gatewayError
				_ = json.NewDecoder(res.Body).Decode(&ge)
				code := exitFailure
				if res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusUnauthorized {
					code = exitDenied
				}
				return apiError{code, fmt.Sprintf("login refused (%d %s): %s", res.StatusCode, ge.Error.Status, ge.Error.Message)}
			}
			var lr loginResponse
			if err := json.NewDecoder(res.Body).Decode(&lr); err != nil || lr.Token == "" {
				return fmt.Errorf("the gateway's login answer has no token: %v", err)
			}
			if env.tokenFile == "" {
				return usageError{fmt.Errorf("no --token-file to save the token to")}
			}
			if err := os.MkdirAll(filepath.Dir(env.tokenFile), 0o700); err != nil {
				return fmt.Errorf("save token: %w", err)
			}
			if err := os.WriteFile(env.tokenFile, []byte(lr.Token+"\n"), 0o600); err != nil {
				return fmt.Errorf("save token: %w", err)
			}
			if env.output == outputJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(lr)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "signed in as %s (%s) until %s; token saved to %s\n",
				lr.Principal.Subject, strings.Join(lr.Principal.Roles, ", "), lr.ExpiresAt.Local().Format(time.RFC1123), env.tokenFile)
			if err == nil && lr.Principal.Organization != "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "organisation: %s\n", lr.Principal.Organization)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "demo user: admin, cluster-manager, organizer, company or researcher")
	return cmd
}
