package hubauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// JUPYTERHUB_* booleans mean to this service what they mean to the hub's
// own Python client (jupyterhub.utils._bool_env).
func TestHubBooleans(t *testing.T) {
	for _, tc := range []struct {
		value            string
		tokenInURL       bool // default false
		hostPrefix       bool // default false
		websocketCookies bool // default true
	}{
		{"", false, false, true},
		{"0", false, false, false},
		{"false", false, false, false},
		{"FALSE", false, false, false},
		{"False", false, false, false},
		{"1", true, true, true},
		{"true", true, true, true},
		{"yes", true, true, true},
		{"no", true, true, true}, // the hub reads it so: only 0 and false are false
		{"off", true, true, true},
		{"maybe", true, true, true},
	} {
		t.Run(tc.value, func(t *testing.T) {
			cfg, err := fromLookup(lookupFrom(map[string]string{
				"JUPYTERHUB_API_TOKEN":                   "t",
				"JUPYTERHUB_SERVICE_NAME":                "whoami",
				"JUPYTERHUB_ALLOW_TOKEN_IN_URL":          tc.value,
				"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED":  tc.value,
				"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH": tc.value,
			}))
			require.NoError(t, err)
			require.Equal(t, tc.tokenInURL, cfg.AllowTokenInURL)
			require.Equal(t, tc.hostPrefix, cfg.CookieHostPrefix)
			require.Equal(t, tc.websocketCookies, !cfg.DenyWebsocketCookieAuth)
		})
	}
	// Our own variables stay strict: a typo is an error, not "true".
	_, err := fromLookup(lookupFrom(map[string]string{
		"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "whoami", "HUBAUTH_ALLOW_ANY_USER": "maybe",
	}))
	require.ErrorContains(t, err, "HUBAUTH_ALLOW_ANY_USER: want true or false")
}

// Settings no hub would give, refused at start-up with a message naming the
// variable, and never repeating a password.
func TestHostileSettingsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, variable, value, want string
	}{
		{"prefix starting with //", "JUPYTERHUB_SERVICE_PREFIX", "//evil.example/", "JUPYTERHUB_SERVICE_PREFIX: must not start with '//'"},
		{"prefix with a backslash", "JUPYTERHUB_SERVICE_PREFIX", `/services/a\b/`, `JUPYTERHUB_SERVICE_PREFIX: must not hold '\'`},
		{"prefix starting with a backslash", "JUPYTERHUB_SERVICE_PREFIX", `/\evil.example/`, `JUPYTERHUB_SERVICE_PREFIX: must not hold '\'`},
		{"prefix with dot segments", "JUPYTERHUB_SERVICE_PREFIX", "/services/../hub/", "JUPYTERHUB_SERVICE_PREFIX: must not hold '.' or '..'"},
		{"prefix with encoded dot segments", "JUPYTERHUB_SERVICE_PREFIX", "/services/%2E%2e/hub/", "JUPYTERHUB_SERVICE_PREFIX: must not hold '.' or '..'"},
		{"prefix with a control byte", "JUPYTERHUB_SERVICE_PREFIX", "/services/a\x01/", "JUPYTERHUB_SERVICE_PREFIX: must not hold control characters"},
		{"client id with a space", "JUPYTERHUB_CLIENT_ID", "service-a b", "JUPYTERHUB_CLIENT_ID: \"service-a b\" cannot name a cookie"},
		{"client id with a slash", "JUPYTERHUB_CLIENT_ID", "service/a", "cannot name a cookie"},
		{"client id with a colon", "JUPYTERHUB_CLIENT_ID", "service:a", "cannot name a cookie"},
		{"client id with brackets", "JUPYTERHUB_CLIENT_ID", "service[a]", "cannot name a cookie"},
		{"client id with a non-ASCII letter", "JUPYTERHUB_CLIENT_ID", "service-é", "cannot name a cookie"},
		{"client id with an at", "JUPYTERHUB_CLIENT_ID", "service@a", "cannot name a cookie"},
		{"API URL with a password", "JUPYTERHUB_API_URL", "http://svc:hunter2@127.0.0.1:8081/hub/api", "JUPYTERHUB_API_URL: a user name or password in the URL is not supported"},
		{"API URL with a user", "JUPYTERHUB_API_URL", "https://hunter2@hub/hub/api", "JUPYTERHUB_API_URL: a user name or password"},
		{"unparsable API URL with a password", "JUPYTERHUB_API_URL", "http://svc:hunter2@ho st/hub/api", "JUPYTERHUB_API_URL: a user name or password"},
		{"host with a password", "JUPYTERHUB_HOST", "https://svc:hunter2@hub.example.org", "JUPYTERHUB_HOST: want an origin"},
		{"service URL with a password", "JUPYTERHUB_SERVICE_URL", "http://svc:hunter2@127.0.0.1:10101", "JUPYTERHUB_SERVICE_URL: a user name or password"},
		{"public URL with a password", "JUPYTERHUB_PUBLIC_URL", "https://svc:hunter2@hub.example.org/", "JUPYTERHUB_PUBLIC_URL: want an http or https URL without a user name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"JUPYTERHUB_API_TOKEN":      "t",
				"JUPYTERHUB_SERVICE_NAME":   "whoami",
				"JUPYTERHUB_SERVICE_PREFIX": "/services/whoami/",
			}
			env[tc.variable] = tc.value
			cfg, err := fromLookup(lookupFrom(env))
			if err == nil {
				// OAuth settings are checked when the OAuth side is built.
				_, err = NewOAuth(&Authenticator{cfg: cfg, hub: &hubClient{}})
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "hunter2", "a password is never printed")
		})
	}

	// What hubs do give is accepted.
	for _, id := range []string{"service-whoami", "service-a.b_c~1", "jupyterhub-user-ada%40x"} {
		cfg := oauthConfig("http://127.0.0.1:1/hub/api")
		cfg.ClientID = id
		require.NoError(t, cfg.validateOAuth(), id)
	}
	for _, p := range []string{"/", "/services/whoami/", "/user/ada/", "/services/a.b/", "/services/..x/"} {
		require.NoError(t, checkPrefix(p), p)
	}
}

// A password in JUPYTERHUB_API_URL cannot reach a response body or a log
// even when a Config is built by hand and the hub is down.
func TestAPIURLPasswordNeverShown(t *testing.T) {
	cfg := testConfig("http://svc:hunter2@127.0.0.1:1/hub/api")
	_, err := New(cfg)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
	_, err = newHubClient(cfg)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
	require.Equal(t, "http://127.0.0.1:1/x", withoutUserinfo("http://a:b@127.0.0.1:1/x"))
	require.Equal(t, "http://h/p@q", withoutUserinfo("http://h/p@q"), "an @ in the path is not userinfo")
	require.Equal(t, "no scheme@here", withoutUserinfo("no scheme@here"))
}

// Logins last 30 days by default, as the hub's own client sets them; the
// age is sealed in, so a cookie kept longer than allowed is refused.
func TestLoginLasts(t *testing.T) {
	seal := func(cfg Config) (*http.Cookie, *loginCookie) {
		l := testLoginCookie(t, cfg)
		w := httptest.NewRecorder()
		require.NoError(t, l.set(w, httptest.NewRequest("GET", "/", nil), "tok"))
		return w.Result().Cookies()[0], l
	}
	cfg := oauthConfig("http://127.0.0.1:1/hub/api")
	c, _ := seal(cfg)
	require.Equal(t, 30*24*3600, c.MaxAge, "30 days by default")

	opts, err := parseCookieOptions(`{"expires_days": 2}`)
	require.NoError(t, err)
	cfg.CookieOptions = opts
	c, _ = seal(cfg)
	require.Equal(t, 2*24*3600, c.MaxAge)

	opts, err = parseCookieOptions(`{"expires_days": null}`)
	require.NoError(t, err)
	require.True(t, opts.SessionOnly)
	cfg.CookieOptions = opts
	c, _ = seal(cfg)
	require.Zero(t, c.MaxAge, "a browser-session cookie, as asked")
	require.True(t, c.Expires.IsZero())

	// Kept beyond its age by a browser (or a thief): refused.
	cfg.CookieOptions = CookieOptions{MaxAge: time.Second}
	c, j := seal(cfg)
	require.Equal(t, 1, c.MaxAge)
	open := func() error {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		_, _, err := j.open(r)
		return err
	}
	require.NoError(t, open())
	time.Sleep(2100 * time.Millisecond)
	err = open()
	require.Error(t, err, "the sealed age is checked, not only the browser's")
	require.True(t, strings.Contains(err.Error(), "expired"), err.Error())
}
