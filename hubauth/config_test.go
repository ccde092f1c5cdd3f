package hubauth

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestFromEnvDefaults(t *testing.T) {
	cfg, err := fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN":    "secret",
		"JUPYTERHUB_SERVICE_NAME": "whoami",
	}))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8081/hub/api", cfg.APIURL)
	require.Equal(t, "/", cfg.ServicePrefix)
	require.Equal(t, "/", cfg.BaseURL)
	require.Equal(t, "/hub/", cfg.HubPrefix)
	require.Equal(t, []string{"access:services!service=whoami"}, cfg.AccessScopes)
	require.False(t, cfg.AllowTokenInURL)
	require.False(t, cfg.AllowAnyUser)
	require.Equal(t, DefaultCacheMaxAge, cfg.CacheMaxAge)
	require.Equal(t, DefaultCacheSize, cfg.CacheSize)
	require.Equal(t, DefaultHubTimeout, cfg.HubTimeout)
}

func TestFromEnvValues(t *testing.T) {
	cfg, err := fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN":           "secret",
		"JUPYTERHUB_API_URL":             "http://10.0.0.1:8081/base/hub/api/",
		"JUPYTERHUB_SERVICE_NAME":        "whoami",
		"JUPYTERHUB_SERVICE_URL":         "http://127.0.0.1:10101",
		"JUPYTERHUB_SERVICE_PREFIX":      "base/services/whoami",
		"JUPYTERHUB_BASE_URL":            "/base",
		"JUPYTERHUB_HOST":                "https://hub.example.org/",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `["access:services", "access:services!service=whoami"]`,
		"JUPYTERHUB_OAUTH_SCOPES":        `["ignored"]`,
		"JUPYTERHUB_ALLOW_TOKEN_IN_URL":  "1",
		"HUBAUTH_CACHE_MAX_AGE":          "2m",
		"HUBAUTH_CACHE_SIZE":             "50",
		"HUBAUTH_HUB_TIMEOUT":            "2.5",
	}))
	require.NoError(t, err)
	require.Equal(t, "http://10.0.0.1:8081/base/hub/api/", cfg.APIURL)
	require.Equal(t, "/base/services/whoami/", cfg.ServicePrefix)
	require.Equal(t, "/base/", cfg.BaseURL)
	require.Equal(t, "/base/hub/", cfg.HubPrefix)
	require.Equal(t, "https://hub.example.org", cfg.Host)
	require.Equal(t, []string{"access:services", "access:services!service=whoami"}, cfg.AccessScopes)
	require.True(t, cfg.AllowTokenInURL)
	require.Equal(t, 2*time.Minute, cfg.CacheMaxAge)
	require.Equal(t, 50, cfg.CacheSize)
	require.Equal(t, 2500*time.Millisecond, cfg.HubTimeout)
	addr, err := cfg.listenAddr()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:10101", addr)
}

func TestFromEnvScopeFallbacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"deprecated name", map[string]string{"JUPYTERHUB_OAUTH_SCOPES": `["custom"]`, "JUPYTERHUB_SERVICE_NAME": "x"}, []string{"custom"}},
		{"service name", map[string]string{"JUPYTERHUB_SERVICE_NAME": "x"}, []string{"access:services!service=x"}},
		{"any user opt-in", map[string]string{"HUBAUTH_ALLOW_ANY_USER": "true"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["JUPYTERHUB_API_TOKEN"] = "secret"
			cfg, err := fromLookup(lookupFrom(tc.env))
			require.NoError(t, err)
			require.Equal(t, tc.want, cfg.AccessScopes)
		})
	}
}

// Every problem is reported at once, each naming its variable.
func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // substrings, one per expected problem
	}{
		{"nothing set", map[string]string{}, []string{
			"JUPYTERHUB_API_TOKEN: not set",
			"JUPYTERHUB_OAUTH_ACCESS_SCOPES: no access scopes",
		}},
		{"empty scope list without opt-in", map[string]string{
			"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_OAUTH_ACCESS_SCOPES": "[]",
		}, []string{"JUPYTERHUB_OAUTH_ACCESS_SCOPES: no access scopes"}},
		{"malformed values", map[string]string{
			"JUPYTERHUB_SERVICE_NAME":        "x",
			"JUPYTERHUB_API_URL":             "ftp://hub/api",
			"JUPYTERHUB_SERVICE_URL":         "127.0.0.1:10101",
			"JUPYTERHUB_HOST":                "hub.example.org",
			"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `"access:services"`,
			"HUBAUTH_ALLOW_ANY_USER":         "sure",
			"HUBAUTH_CACHE_MAX_AGE":          "-5",
			"HUBAUTH_CACHE_SIZE":             "lots",
			"HUBAUTH_HUB_TIMEOUT":            "0",
		}, []string{
			"JUPYTERHUB_API_TOKEN: not set",
			"JUPYTERHUB_API_URL: want an http, https or http+unix URL",
			"JUPYTERHUB_SERVICE_URL:",
			"JUPYTERHUB_HOST: want an origin",
			"JUPYTERHUB_OAUTH_ACCESS_SCOPES: want a JSON list",
			"HUBAUTH_ALLOW_ANY_USER: want true or false",
			"HUBAUTH_CACHE_MAX_AGE: want between 0 and 1e9 seconds",
			"HUBAUTH_CACHE_SIZE: want a whole number",
			"HUBAUTH_HUB_TIMEOUT: must be positive",
		}},
		{"https service url", map[string]string{
			"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x",
			"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:10101",
		}, []string{"JUPYTERHUB_SERVICE_URL: is https (https://127.0.0.1:10101), which needs JUPYTERHUB_SSL_KEYFILE and JUPYTERHUB_SSL_CERTFILE"}},
		{"bad listen addresses", map[string]string{
			"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x",
			"HUBAUTH_LISTEN": "http://0.0.0.0:8000",
		}, []string{"HUBAUTH_LISTEN: want host:port or :port, not a URL"}},
		{"bad unix socket", map[string]string{
			"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x",
			"JUPYTERHUB_API_URL": "http+unix://relative.sock/hub/api",
		}, []string{"JUPYTERHUB_API_URL: want http+unix://<url-encoded absolute socket path>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fromLookup(lookupFrom(tc.env))
			require.Error(t, err)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce))
			require.Len(t, ce.Problems, len(tc.want), "problems: %v", err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseAPIURL(t *testing.T) {
	for _, tc := range []struct {
		raw, base, socket string
	}{
		{"http://127.0.0.1:8081/hub/api", "http://127.0.0.1:8081/hub/api", ""},
		{"https://hub:8081/hub/api/", "https://hub:8081/hub/api", ""},
		{"http+unix://%2Fvar%2Frun%2Fhub.sock/hub/api", "http://localhost/hub/api", "/var/run/hub.sock"},
		// JupyterHub 4.1 and 5.x spell it the other way round.
		{"unix+http://%2Fvar%2Frun%2Fhub.sock/hub/api/", "http://localhost/hub/api", "/var/run/hub.sock"},
	} {
		ep, err := parseAPIURL(tc.raw)
		require.NoError(t, err, tc.raw)
		require.Equal(t, tc.base, ep.base, tc.raw)
		require.Equal(t, tc.socket, ep.unixSocket, tc.raw)
	}
}

func TestListenAddr(t *testing.T) {
	for _, tc := range []struct {
		listen, serviceURL, want, err string
	}{
		{"", "http://127.0.0.1:10101", "127.0.0.1:10101", ""},
		{"", "https://127.0.0.1:10101/", "127.0.0.1:10101", ""},
		{"", "https://svc.example", "svc.example:443", ""},
		{"", "http://whoami.jhub.svc:8000", "whoami.jhub.svc:8000", ""},
		{":8000", "http://whoami.jhub.svc:8000", ":8000", ""},
		{"0.0.0.0:8000", "http://whoami.jhub.svc:8000", "0.0.0.0:8000", ""},
		{"[::1]:8000", "", "[::1]:8000", ""},
		{"localhost:8000", "", "localhost:8000", ""},
		{"", "", "", "JUPYTERHUB_SERVICE_URL: not set"},
		{"8000", "", "", "HUBAUTH_LISTEN: want host:port or :port"},
		{":0", "", "", "HUBAUTH_LISTEN: want a port from 1 to 65535"},
		{":65536", "", "", "HUBAUTH_LISTEN: want a port from 1 to 65535"},
		{":http", "", "", "HUBAUTH_LISTEN: want a port from 1 to 65535"},
		{"http://127.0.0.1:8000", "", "", "HUBAUTH_LISTEN: want host:port or :port, not a URL"},
		{"a b:80", "", "", "HUBAUTH_LISTEN: bad host"},
	} {
		got, err := Config{Listen: tc.listen, ServiceURL: tc.serviceURL}.listenAddr()
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%+v", tc)
			continue
		}
		require.NoError(t, err, "%+v", tc)
		require.Equal(t, tc.want, got)
	}
}

func TestSettingsCoverEveryVariableRead(t *testing.T) {
	var read []string
	_, _ = fromLookup(func(k string) (string, bool) {
		read = append(read, k)
		return "", false
	})
	documented := map[string]bool{}
	for _, s := range Settings() {
		documented[s.Name] = true
	}
	for _, name := range read {
		if name == "JUPYTERHUB_OAUTH_SCOPES" {
			continue // the deprecated name, documented with its successor
		}
		require.True(t, documented[name], "%s is read but not in Settings()", name)
	}
}
