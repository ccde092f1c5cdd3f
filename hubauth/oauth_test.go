package hubauth

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func oauthConfig(apiURL string) Config {
	cfg := testConfig(apiURL)
	cfg.ClientID = "service-whoami"
	cfg.OAuthCallbackURL = "/services/whoami/oauth_callback"
	return cfg
}

func newTestOAuth(t testing.TB, cfg Config) *OAuth {
	t.Helper()
	o, err := NewOAuth(newTestAuth(t, cfg, nil))
	require.NoError(t, err)
	return o
}

// flow is one browser's cookies across requests to the service.
type flow struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (f *flow) do(method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	for _, c := range f.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(f.cookies, c.Name)
		} else {
			f.cookies[c.Name] = c
		}
	}
	return w
}

// stateOf returns the state parameter and PKCE challenge of a redirect to
// the hub's authorize URL.
func stateOf(t *testing.T, w *httptest.ResponseRecorder) (state, challenge string) {
	t.Helper()
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	loc, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/hub/api/oauth2/authorize", loc.Path)
	q := loc.Query()
	return q.Get("state"), q.Get("code_challenge")
}

func TestOAuthFlowWithFakeHub(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	var challenge string
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		// What the hub needs from the exchange: everything in the form body.
		require.NoError(t, r.ParseForm())
		require.Equal(t, "authorization_code", r.PostForm.Get("grant_type"))
		require.Equal(t, "service-whoami", r.PostForm.Get("client_id"))
		require.Equal(t, "service-token", r.PostForm.Get("client_secret"))
		require.Equal(t, "the-code", r.PostForm.Get("code"))
		require.Equal(t, "/services/whoami/oauth_callback", r.PostForm.Get("redirect_uri"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		require.Equal(t, challenge, base64.RawURLEncoding.EncodeToString(sum[:]), "PKCE verifier matches the challenge")
		require.Empty(t, r.Header.Get("Authorization"), "credentials in the body, not Basic")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer"}`))
	}
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}

	w := f.do("GET", "/services/whoami/deep/page?x=1", nil)
	var state string
	state, challenge = stateOf(t, w)
	require.Contains(t, f.cookies, "service-whoami-oauth-state")

	w = f.do("GET", "/services/whoami/oauth_callback?code=the-code&state="+url.QueryEscape(state), nil)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	require.Equal(t, "/services/whoami/deep/page?x=1", w.Header().Get("Location"))
	require.NotContains(t, f.cookies, "service-whoami-oauth-state")
	require.Contains(t, f.cookies, "service-whoami")
	require.NotContains(t, f.cookies["service-whoami"].Value, "hub-issued-token")

	w = f.do("GET", "/services/whoami/deep/page?x=1", nil)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "ada", w.Body.String())

	// Replaying the code's callback after the login: just goes on.
	w = f.do("GET", "/services/whoami/oauth_callback?code=the-code&state="+url.QueryEscape(state), nil)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	require.Equal(t, "/services/whoami/deep/page?x=1", w.Header().Get("Location"))

	// The hub stops accepting the token (logout, expiry): cookie cleared,
	// browser sent to log in again.
	hub.mu.Lock()
	delete(hub.models, "hub-issued-token")
	hub.mu.Unlock()
	f.h = newTestOAuth(t, oauthConfig(hub.apiURL())).Middleware(echoUser) // fresh cache, same keys
	w = f.do("GET", "/services/whoami/", nil)
	stateOf(t, w)
	require.NotContains(t, f.cookies, "service-whoami")
}

func TestOAuthCallbackErrors(t *testing.T) {
	hub := newFakeHub(t)
	tokenStatus, tokenBody := 400, `{"error": "invalid_grant"}`
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(tokenStatus)
		_, _ = w.Write([]byte(tokenBody))
	}
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	state, _ := stateOf(t, f.do("GET", "/services/whoami/", nil))
	other, _ := stateOf(t, (&flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}).do("GET", "/services/whoami/", nil))
	cb := "/services/whoami/oauth_callback"

	for _, tc := range []struct {
		name, query string
		status      int
		message     string
	}{
		{"hub error", "?error=access_denied&error_description=no+thanks", 400, "the hub did not log you in: access_denied: no thanks"},
		{"no code", "?state=" + url.QueryEscape(state), 400, "without a code"},
		{"no state", "?code=c", 400, "without a state"},
		{"garbage state", "?code=c&state=%00%ff", 400, "malformed"},
		{"huge state", "?code=c&state=" + strings.Repeat("a", 10000), 400, "malformed"},
		{"another browser's state", "?code=c&state=" + url.QueryEscape(other), 403, "does not match"},
		{"code refused", "?code=c&state=" + url.QueryEscape(state), 400, "the hub refused the login code (invalid_grant)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do("GET", cb+tc.query, nil)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Contains(t, w.Body.String(), tc.message)
			require.Equal(t, "application/json", w.Header().Get("Content-Type"))
		})
	}

	t.Run("client credentials refused is ours", func(t *testing.T) {
		tokenStatus, tokenBody = 401, `{"error": "invalid_client"}`
		w := f.do("GET", cb+"?code=c&state="+url.QueryEscape(state), nil)
		require.Equal(t, 500, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "JUPYTERHUB_API_TOKEN")
	})
	t.Run("hub failing is a 502", func(t *testing.T) {
		tokenStatus, tokenBody = 503, `oops`
		w := f.do("GET", cb+"?code=c&state="+url.QueryEscape(state), nil)
		require.Equal(t, 502, w.Code, w.Body.String())
	})
	t.Run("hub down is a 503 naming it", func(t *testing.T) {
		down := oauthConfig("http://127.0.0.1:1/hub/api")
		f2 := &flow{t: t, h: newTestOAuth(t, down).Middleware(echoUser), cookies: map[string]*http.Cookie{}}
		st, _ := stateOf(t, f2.do("GET", "/services/whoami/", nil))
		w := f2.do("GET", cb+"?code=c&state="+url.QueryEscape(st), nil)
		require.Equal(t, 503, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "cannot reach JupyterHub API at http://127.0.0.1:1/hub/api")
	})
	t.Run("POST to the callback", func(t *testing.T) {
		w := f.do("POST", cb+"?code=c&state="+url.QueryEscape(state), nil)
		require.Equal(t, 405, w.Code)
	})
}

func TestOAuthSecondLoginGetsItsOwnStateCookie(t *testing.T) {
	o := newTestOAuth(t, oauthConfig("http://127.0.0.1:1/hub/api"))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	stateOf(t, f.do("GET", "/services/whoami/a", nil))
	stateOf(t, f.do("GET", "/services/whoami/b", nil))
	var names []string
	for name := range f.cookies {
		require.True(t, strings.HasPrefix(name, "service-whoami-oauth-state"), name)
		names = append(names, name)
	}
	require.Len(t, names, 2)
}

func TestOAuthNonGetWithoutLoginIs403(t *testing.T) {
	o := newTestOAuth(t, oauthConfig("http://127.0.0.1:1/hub/api"))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		w := f.do(m, "/services/whoami/", nil)
		require.Equal(t, 403, w.Code, m)
		require.Empty(t, w.Header().Get("Location"))
	}
	w := f.do("HEAD", "/services/whoami/", nil)
	require.Equal(t, 302, w.Code)
}

func TestOAuthCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*Config)
		header   http.Header
		cookie   string
		path     string
		secure   bool
		sameSite http.SameSite
	}{
		{"plain", nil, nil, "service-whoami-oauth-state", "/services/whoami/", false, http.SameSiteLaxMode},
		{"forwarded https", nil, http.Header{"X-Forwarded-Proto": {"https"}}, "service-whoami-oauth-state", "/services/whoami/", true, http.SameSiteLaxMode},
		{"public https", func(c *Config) { c.PublicURL = "https://hub.example.org/" }, nil, "service-whoami-oauth-state", "/services/whoami/", true, http.SameSiteLaxMode},
		{"public http beats a forwarded header", func(c *Config) { c.PublicURL = "http://hub.example.org/" }, http.Header{"X-Forwarded-Proto": {"https"}}, "service-whoami-oauth-state", "/services/whoami/", false, http.SameSiteLaxMode},
		{"host prefix", func(c *Config) { c.CookieHostPrefix = true }, nil, "__Host-service-whoami-oauth-state", "/", true, http.SameSiteLaxMode},
		{"options", func(c *Config) { c.CookieOptions = CookieOptions{SameSite: http.SameSiteStrictMode, Secure: true} }, nil, "service-whoami-oauth-state", "/services/whoami/", true, http.SameSiteStrictMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauthConfig("http://127.0.0.1:1/hub/api")
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			f := &flow{t: t, h: newTestOAuth(t, cfg).Middleware(echoUser), cookies: map[string]*http.Cookie{}}
			w := f.do("GET", "/services/whoami/", tc.header)
			stateOf(t, w)
			c := f.cookies[tc.cookie]
			require.NotNil(t, c, "cookies: %v", w.Header().Values("Set-Cookie"))
			require.Equal(t, tc.path, c.Path)
			require.Equal(t, tc.secure, c.Secure)
			require.Equal(t, tc.sameSite, c.SameSite)
			require.True(t, c.HttpOnly)
			require.Equal(t, 600, c.MaxAge)
		})
	}
}

func TestSafeNext(t *testing.T) {
	const p = "/services/whoami/"
	for _, tc := range []struct{ next, want string }{
		{"/services/whoami/", p},
		{"/services/whoami/a/b?c=d&e=f", "/services/whoami/a/b?c=d&e=f"},
		{"", p},
		{"/services/other/", p},
		{"//evil.example/", p},
		{"https://evil.example/services/whoami/", p},
		{"/\\evil.example", p},
		{"/services/whoami/\\x", p},
		{"/services/whoami/\r\nLocation: x", p},
		{"javascript:alert(1)", p},
		{"/services/whoami/../../hub/admin", p},
		{"/services/whoami/%2e%2e/%2E%2E/hub/admin", p},
		{"/services/whoami/.%2e/x", p},
		{"/services/whoami/a/./b", p},
		{"/services/whoami/a/..", p},
		{"/services/whoami/#/../../x", p},
		{"/services/whoami/a\x7f", p},
		{"/services/whoami/..x/.y?z=../..", "/services/whoami/..x/.y?z=../.."},
	} {
		require.Equal(t, tc.want, safeNext(p, tc.next), "next %q", tc.next)
	}
	for _, tc := range []struct{ next, want string }{
		{"/a?b=c", "/a?b=c"},
		{"//evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%2f/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"///evil.example", "/"},
		{"/@evil.example", "/@evil.example"},
	} {
		require.Equal(t, tc.want, safeNext("/", tc.next), "next %q under /", tc.next)
	}
}

func TestCookieKeys(t *testing.T) {
	cfg := oauthConfig("http://127.0.0.1:1/hub/api")
	seal := func(cfg Config, token string) string {
		w := httptest.NewRecorder()
		require.NoError(t, testLoginCookie(t, cfg).set(w, httptest.NewRequest("GET", "/", nil), token))
		return w.Result().Cookies()[0].Value
	}
	open := func(cfg Config, value string) (string, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: cfg.ClientID, Value: value})
		tok, _, err := testLoginCookie(t, cfg).open(r)
		return tok, err
	}

	v := seal(cfg, "tok")
	got, err := open(cfg, v)
	require.NoError(t, err, "another process with the same API token opens it")
	require.Equal(t, "tok", got)

	other := cfg
	other.APIToken = "another-token"
	_, err = open(other, v)
	require.Error(t, err, "a different API token gives different keys")

	otherClient := cfg
	otherClient.ClientID = "service-other"
	v2 := seal(otherClient, "tok")
	_, err = open(otherClient, v)
	require.Error(t, err)
	_, err = open(cfg, v2)
	require.Error(t, err)

	oldSecret := []byte(strings.Repeat("o", 32))
	newSecret := []byte(strings.Repeat("n", 32))
	withOld := cfg
	withOld.CookieSecret = oldSecret
	sealedOld := seal(withOld, "tok")
	rotated := cfg
	rotated.CookieSecret = newSecret
	_, err = open(rotated, sealedOld)
	require.Error(t, err, "new secret alone does not open old cookies")
	rotated.OldCookieSecrets = [][]byte{oldSecret}
	got, err = open(rotated, sealedOld)
	require.NoError(t, err, "listed old secrets still open them")
	require.Equal(t, "tok", got)
	_, err = open(withOld, seal(rotated, "tok"))
	require.Error(t, err, "new cookies are sealed with the new secret")
}

func TestNeedsXSRFCheck(t *testing.T) {
	for _, tc := range []struct {
		method, mode, site string
		want               bool
	}{
		{"GET", "", "", false},
		{"GET", "navigate", "cross-site", false},
		{"HEAD", "navigate", "", false},
		{"GET", "websocket", "cross-site", false},
		{"GET", "no-cors", "same-origin", false},
		{"GET", "no-cors", "cross-site", true},
		{"GET", "cors", "same-origin", true},
		{"POST", "", "", true},
		{"POST", "navigate", "same-origin", true},
		{"DELETE", "", "", true},
	} {
		r := httptest.NewRequest(tc.method, "/", nil)
		if tc.mode != "" {
			r.Header.Set("Sec-Fetch-Mode", tc.mode)
		}
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		require.Equal(t, tc.want, needsXSRFCheck(r), "%+v", tc)
	}
}

// A POST handler behind the OAuth middleware: cookie-authenticated
// requests need the XSRF token, token-authenticated ones do not.
func TestXSRFOnPOST(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	post := o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		_, _ = w.Write([]byte("saved by " + UserFromContext(r.Context()).Name))
	}))
	w := httptest.NewRecorder()
	require.NoError(t, o.login.set(w, httptest.NewRequest("GET", "/", nil), adaToken))
	login := w.Result().Cookies()[0]
	xsrf := o.csrf.token(adaToken)

	send := func(body string, header http.Header, cookie bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/services/whoami/save", strings.NewReader(body))
		for k, v := range header {
			r.Header[k] = v
		}
		if cookie {
			r.AddCookie(login)
		}
		w := httptest.NewRecorder()
		post.ServeHTTP(w, r)
		return w
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, tc := range []struct {
		name   string
		body   string
		header http.Header
		cookie bool
		status int
	}{
		{"cookie, no token", "a=b", form, true, 403},
		{"cookie, wrong token", "_xsrf=nope", form, true, 403},
		{"cookie, form field", "a=b&_xsrf=" + xsrf, form, true, 200},
		{"cookie, X-XSRFToken", "", http.Header{"X-Xsrftoken": {xsrf}}, true, 200},
		{"cookie, X-CSRFToken", "", http.Header{"X-Csrftoken": {xsrf}}, true, 200},
		{"cookie, token in a multipart body is not read", "_xsrf=" + xsrf, http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, true, 403},
		{"token header, no XSRF needed", "", http.Header{"Authorization": {"token " + adaToken}}, false, 200},
		{"nothing", "", nil, false, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := send(tc.body, tc.header, tc.cookie)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 200 {
				require.Equal(t, "saved by ada", w.Body.String())
			}
		})
	}
}

// testLoginCookie is the login cookie of a service configured as cfg.
func testLoginCookie(t testing.TB, cfg Config) *loginCookie {
	t.Helper()
	k, err := newCookieKeys(cfg)
	require.NoError(t, err)
	return newLoginCookie(cfg, newCookieJar(cfg), k)
}
