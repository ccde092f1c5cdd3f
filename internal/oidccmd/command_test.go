package oidccmd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/oidc"
	"github.com/hubauth-go/whoami/internal/service"
)

func TestReadSettings(t *testing.T) {
	dir := t.TempDir()
	clients := filepath.Join(dir, "clients.yaml")
	require.NoError(t, os.WriteFile(clients, []byte("clients:\n  - {client_id: app, client_secret: s, redirect_uris: [https://app.example.org/cb]}\n"), 0o600))
	badClients := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badClients, []byte("clients:\n  - {client_id: a}\n  - {client_id: b}\n"), 0o600))
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	keys := filepath.Join(dir, "keys.pem")
	require.NoError(t, os.WriteFile(keys, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))

	for _, tc := range []struct {
		name   string
		env    map[string]string
		check  func(t *testing.T, s oidc.Config)
		errors []string
	}{
		{name: "the least: a clients file", env: map[string]string{"HUBAUTH_OIDC_CLIENTS": clients}, check: func(t *testing.T, s oidc.Config) {
			require.Len(t, s.Clients, 1)
			require.Empty(t, s.Issuer)
			require.Empty(t, s.Keys)
			require.Zero(t, s.TokenLifetime)
		}},
		{name: "everything", env: map[string]string{"HUBAUTH_OIDC_CLIENTS": clients, "HUBAUTH_OIDC_ISSUER": "https://hub.example.org/services/oidc",
			"HUBAUTH_OIDC_KEY_FILE": keys, "HUBAUTH_OIDC_EMAIL_TEMPLATE": "{name}@example.org", "HUBAUTH_OIDC_TOKEN_LIFETIME": "600"},
			check: func(t *testing.T, s oidc.Config) {
				require.Equal(t, "https://hub.example.org/services/oidc", s.Issuer)
				require.Len(t, s.Keys, 1)
				require.Equal(t, "ES256", s.Keys[0].Algorithm)
				require.Equal(t, "{name}@example.org", s.EmailTemplate)
				require.Equal(t, 10*time.Minute, s.TokenLifetime)
			}},
		{name: "every problem, each naming its variable", env: map[string]string{"HUBAUTH_OIDC_CLIENTS": badClients,
			"HUBAUTH_OIDC_KEY_FILE": clients, "HUBAUTH_OIDC_EMAIL_TEMPLATE": "admin@example.org", "HUBAUTH_OIDC_TOKEN_LIFETIME": "1s"},
			errors: []string{
				`HUBAUTH_OIDC_CLIENTS: ` + badClients + `: clients[0] ("a"), line 2: redirect_uris: missing`,
				`HUBAUTH_OIDC_CLIENTS: ` + badClients + `: clients[1] ("b"), line 3: redirect_uris: missing`,
				"HUBAUTH_OIDC_KEY_FILE: " + clients + ": no PEM private key",
				"HUBAUTH_OIDC_EMAIL_TEMPLATE: want a template with {name}",
				`HUBAUTH_OIDC_TOKEN_LIFETIME: want a duration from 1m to 720h, like 1h or 3600, got "1s"`,
			}},
		{name: "no clients file", env: map[string]string{}, errors: []string{"HUBAUTH_OIDC_CLIENTS: not set"}},
		{name: "a clients file that is not there", env: map[string]string{"HUBAUTH_OIDC_CLIENTS": filepath.Join(dir, "none")},
			errors: []string{"HUBAUTH_OIDC_CLIENTS: open " + filepath.Join(dir, "none")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := readSettings(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if len(tc.errors) > 0 {
				for _, e := range tc.errors {
					require.ErrorContains(t, err, e)
				}
				return
			}
			require.NoError(t, err)
			tc.check(t, cfg)
		})
	}
}

func TestDefaultIssuer(t *testing.T) {
	for _, tc := range []struct {
		public, host, prefix, want, error string
	}{
		{public: "https://hub.example.org/services/oidc/", prefix: "/services/oidc/", want: "https://hub.example.org/services/oidc"},
		{public: "https://hub.example.org/services/oidc", prefix: "/services/oidc/", want: "https://hub.example.org/services/oidc"},
		{public: "https://hub.example.org/", host: "https://hub.example.org", prefix: "/services/oidc/", want: "https://hub.example.org/services/oidc"},
		{host: "https://hub.example.org", prefix: "/", want: "https://hub.example.org"},
		{public: "https://hub.example.org/", prefix: "/services/oidc/", error: "HUBAUTH_OIDC_ISSUER: not set, and neither JUPYTERHUB_PUBLIC_URL"},
		{prefix: "/services/oidc/", error: "e.g. https://hub.example.org/services/oidc"},
	} {
		got, err := defaultIssuer(hubauth.Config{PublicURL: tc.public, Host: tc.host, ServicePrefix: tc.prefix})
		if tc.error != "" {
			require.ErrorContains(t, err, tc.error)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

// -h lists the provider's variables beside hubauth's.
func TestUsageListsTheSettings(t *testing.T) {
	var out bytes.Buffer
	err := service.Run(context.Background(), Command(), []string{"-h"}, io.Discard, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, s := range append(Settings(), hubauth.Setting{Name: "JUPYTERHUB_API_TOKEN"}) {
		require.Contains(t, out.String(), s.Name)
	}
	require.True(t, strings.HasPrefix(out.String(), "Usage: hubauth-oidc"))
}

// The README's table lists every variable the provider reads beyond
// hubauth's, with the default -h gives.
func TestREADMEListsTheSettings(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `HUBAUTH_OIDC_") {
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows[name] = line
		}
	}
	for _, s := range Settings() {
		row, ok := rows[s.Name]
		require.True(t, ok, "README.md lacks a row for %s", s.Name)
		def := strings.NewReplacer("(from JUPYTERHUB_PUBLIC_URL or JUPYTERHUB_HOST)", "(from `JUPYTERHUB_PUBLIC_URL` or `JUPYTERHUB_HOST`)").Replace(s.Default)
		if def != "" && !strings.HasPrefix(def, "(") {
			def = "`" + def + "`"
		}
		want := "` | " + def + " | "
		if def == "" {
			want = "` | | "
		}
		require.Contains(t, row, want, "README.md's default for %s", s.Name)
	}
	require.Len(t, rows, len(Settings()), "no row for a variable the provider does not read")
}
