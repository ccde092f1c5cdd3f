package hubauth

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFromEnvOAuth(t *testing.T) {
	secret := strings.Repeat("ab", 32)
	file := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))

	cfg, err := fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN":      "secret",
		"JUPYTERHUB_SERVICE_NAME":   "whoami",
		"JUPYTERHUB_SERVICE_PREFIX": "/services/whoami/",
	}))
	require.NoError(t, err)
	require.Equal(t, "service-whoami", cfg.ClientID, "the hub's default client id")
	require.Equal(t, "/services/whoami/oauth_callback", cfg.OAuthCallbackURL)
	require.Nil(t, cfg.CookieSecret, "keys derived from the API token")
	require.NoError(t, cfg.validateOAuth())

	cfg, err = fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN":                  "secret",
		"JUPYTERHUB_SERVICE_NAME":               "whoami",
		"JUPYTERHUB_CLIENT_ID":                  "service-custom",
		"JUPYTERHUB_OAUTH_CALLBACK_URL":         "https://app.example.org/oauth_callback",
		"JUPYTERHUB_PUBLIC_URL":                 "https://hub.example.org/",
		"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "1",
		"JUPYTERHUB_COOKIE_OPTIONS":             `{"SameSite": "Strict", "expires_days": 1, "httponly": false}`,
		"HUBAUTH_COOKIE_SECRET_FILE":            file,
		"HUBAUTH_OLD_COOKIE_SECRETS":            strings.Repeat("01", 32) + ", " + strings.Repeat("02", 40),
	}))
	require.NoError(t, err)
	require.Equal(t, "service-custom", cfg.ClientID)
	require.Equal(t, "https://app.example.org/oauth_callback", cfg.OAuthCallbackURL)
	require.True(t, cfg.CookieHostPrefix)
	require.Equal(t, CookieOptions{SameSite: http.SameSiteStrictMode, MaxAge: 24 * time.Hour}, cfg.CookieOptions)
	require.Len(t, cfg.CookieSecret, 32)
	require.Len(t, cfg.OldCookieSecrets, 2)
	require.NoError(t, cfg.validateOAuth())
}

func TestFromEnvOAuthProblems(t *testing.T) {
	_, err := fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN":       "secret",
		"JUPYTERHUB_SERVICE_NAME":    "whoami",
		"JUPYTERHUB_COOKIE_OPTIONS":  `{"samesite": "sometimes"}`,
		"HUBAUTH_COOKIE_SECRET":      "deadbeef-not-a-secret",
		"HUBAUTH_OLD_COOKIE_SECRETS": "abcd",
	}))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"JUPYTERHUB_COOKIE_OPTIONS: samesite: want Lax, Strict or None",
		"HUBAUTH_COOKIE_SECRET: want hex digits",
		"HUBAUTH_OLD_COOKIE_SECRETS: want at least 32 bytes",
	} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "deadbeef", "secrets are never repeated in errors")

	cfg := testConfig("http://127.0.0.1:1/hub/api")
	cfg.ServiceName = ""
	cfg.OAuthCallbackURL = "oauth_callback"
	err = cfg.validateOAuth()
	require.Error(t, err)
	require.Contains(t, err.Error(), "JUPYTERHUB_CLIENT_ID: not set")
	require.Contains(t, err.Error(), "JUPYTERHUB_OAUTH_CALLBACK_URL: want a path")
}

func TestParseCookieOptions(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want CookieOptions
		err  string
	}{
		{`{}`, CookieOptions{SameSite: http.SameSiteLaxMode}, ""},
		{`{"secure": true, "samesite": "None"}`, CookieOptions{Secure: true, SameSite: http.SameSiteNoneMode}, ""},
		{`{"domain": "example.org", "max_age": 60}`, CookieOptions{Domain: "example.org", SameSite: http.SameSiteLaxMode, MaxAge: time.Minute}, ""},
		{`{"path": "/", "httponly": false, "expires": "x"}`, CookieOptions{SameSite: http.SameSiteLaxMode}, ""},
		{`[]`, CookieOptions{}, "want a JSON object"},
		{`{"secure": "yes"}`, CookieOptions{}, "secure"},
		{`{"max_age": -5}`, CookieOptions{}, "out of range"},
	} {
		got, err := parseCookieOptions(tc.raw)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.raw)
			continue
		}
		require.NoError(t, err, tc.raw)
		require.Equal(t, tc.want, got, tc.raw)
	}
}
