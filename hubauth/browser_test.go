package hubauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// loggedIn returns a flow whose browser holds a login cookie for token.
func loggedIn(t *testing.T, o *OAuth, h http.Handler, token string) *flow {
	t.Helper()
	w := httptest.NewRecorder()
	require.NoError(t, o.login.set(w, httptest.NewRequest("GET", "/", nil), token))
	f := &flow{t: t, h: h, cookies: map[string]*http.Cookie{}}
	for _, c := range w.Result().Cookies() {
		f.cookies[c.Name] = c
	}
	return f
}

func stateCookieNames(f *flow) []string {
	var names []string
	for name := range f.cookies {
		if strings.Contains(name, "-oauth-state") {
			names = append(names, name)
		}
	}
	return names
}

// Only a page load starts a login; a page's images, scripts and fetches
// after its login ended get 403 and set no cookie.
func TestOAuthOnlyNavigationStartsALogin(t *testing.T) {
	o := newTestOAuth(t, oauthConfig("http://127.0.0.1:1/hub/api"))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"image", http.Header{"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"image"}}},
		{"script", http.Header{"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"script"}}},
		{"fetch", http.Header{"Sec-Fetch-Mode": {"cors"}}},
		{"same-origin fetch", http.Header{"Sec-Fetch-Mode": {"same-origin"}}},
		{"websocket", http.Header{"Sec-Fetch-Mode": {"websocket"}}},
		{"websocket without Sec-Fetch", http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do("GET", "/services/whoami/asset.png", tc.header)
			require.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
			require.Contains(t, w.Body.String(), "not logged in")
			require.Empty(t, w.Header().Values("Set-Cookie"))
		})
	}
	require.Empty(t, f.cookies)
	stateOf(t, f.do("GET", "/services/whoami/", http.Header{"Sec-Fetch-Mode": {"navigate"}}))
	stateOf(t, f.do("GET", "/services/whoami/", nil)) // no Sec-Fetch-Mode: older browsers, curl
	require.Len(t, stateCookieNames(f), 2)
}

// However many logins a browser starts and never finishes, it holds at
// most maxLoginsInFlight state cookies, the newest, and the last login
// started still finishes.
func TestOAuthStateCookiesAreCapped(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer"}`))
	}
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	var states []string
	for range 100 {
		s, _ := stateOf(t, f.do("GET", "/services/whoami/", nil))
		states = append(states, s)
		require.LessOrEqual(t, len(stateCookieNames(f)), maxLoginsInFlight)
	}
	require.Len(t, stateCookieNames(f), maxLoginsInFlight)
	// A state cookie that cannot be opened is dropped at once.
	f.cookies["service-whoami-oauth-state-junk"] = &http.Cookie{Name: "service-whoami-oauth-state-junk", Value: "junk"}
	states = append(states, func() string { s, _ := stateOf(t, f.do("GET", "/services/whoami/", nil)); return s }())
	require.NotContains(t, f.cookies, "service-whoami-oauth-state-junk")
	require.Len(t, stateCookieNames(f), maxLoginsInFlight)

	// The newest logins finish; the very first one was dropped.
	old := f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(states[0]), nil)
	require.True(t, old.Code == 400 || old.Code == 403, "%d %s", old.Code, old.Body.String())
	w := f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(states[len(states)-1]), nil)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	require.Empty(t, stateCookieNames(f), "a finished login clears every state cookie")
	require.Equal(t, 200, f.do("GET", "/services/whoami/", nil).Code)
}

// The _xsrf cookie lives at the service's prefix, also when the login
// cookie must be at / (__Host-), so services do not overwrite each other's.
func TestXSRFCookieAtThePrefix(t *testing.T) {
	for _, hostPrefix := range []bool{false, true} {
		hub := newFakeHub(t)
		hub.addUser(adaToken, adaModel)
		cfg := oauthConfig(hub.apiURL())
		cfg.CookieHostPrefix = hostPrefix
		o := newTestOAuth(t, cfg)
		f := loggedIn(t, o, o.Middleware(echoUser), adaToken)
		w := f.do("GET", "/services/whoami/", nil)
		require.Equal(t, 200, w.Code, w.Body.String())
		x := f.cookies[xsrfCookieName]
		require.NotNil(t, x, "hostPrefix=%v", hostPrefix)
		require.Equal(t, "/services/whoami/", x.Path, "hostPrefix=%v", hostPrefix)
		require.False(t, x.HttpOnly, "scripts read it")
		require.Equal(t, hostPrefix, x.Secure)
	}
}

// After a failed XSRF check nobody is identified: a handler that only
// looks at the user cannot act for the victim of a cross-site POST.
func TestXSRFFailureIdentifiesNobody(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	var got *User
	var gotErr error
	var gotToken string
	h := o.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = FromContext(r.Context())
		gotToken = TokenFromContext(r.Context())
	}))
	f := loggedIn(t, o, h, adaToken)
	f.do("POST", "/services/whoami/transfer", http.Header{"Sec-Fetch-Site": {"cross-site"}})
	require.ErrorIs(t, gotErr, ErrXSRF)
	require.Nil(t, got, "no user alongside ErrXSRF")
	require.Empty(t, gotToken)

	f.do("POST", "/services/whoami/transfer", http.Header{"X-Xsrftoken": {o.csrf.token(adaToken)}})
	require.NoError(t, gotErr)
	require.Equal(t, "ada", got.Name)
}

// A token the hub refuses does not hide a valid login cookie, as in the
// hub's own client; without a cookie it is refused as before.
func TestRefusedHeaderTokenFallsBackToCookie(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	f := loggedIn(t, o, o.Middleware(echoUser), adaToken)
	stale := http.Header{"Authorization": {"token revoked-or-expired"}}
	w := f.do("GET", "/services/whoami/", stale)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Equal(t, "ada", w.Body.String())

	// The cookie still needs its XSRF token when it is what decides.
	w = f.do("POST", "/services/whoami/", stale)
	require.Equal(t, 403, w.Code)
	require.Contains(t, w.Body.String(), "XSRF")

	// Without a cookie: refused, and no login started.
	bare := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
	w = bare.do("GET", "/services/whoami/", stale)
	require.Equal(t, 403, w.Code)
	require.Contains(t, w.Body.String(), "does not accept this token")
}

// JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH=false: a websocket request the
// cookie alone authenticates is refused; with a token it is fine.
func TestWebsocketCookieAuth(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	for _, deny := range []bool{false, true} {
		cfg := oauthConfig(hub.apiURL())
		cfg.DenyWebsocketCookieAuth = deny
		o := newTestOAuth(t, cfg)
		f := loggedIn(t, o, o.Middleware(echoUser), adaToken)
		for _, ws := range []http.Header{
			{"Sec-Fetch-Mode": {"websocket"}, "Upgrade": {"websocket"}, "Connection": {"Upgrade"}},
			{"Upgrade": {"WebSocket"}, "Connection": {"Upgrade"}},
		} {
			w := f.do("GET", "/services/whoami/ws", ws)
			if deny {
				require.Equal(t, 403, w.Code)
				require.Contains(t, w.Body.String(), "JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH")
				require.Contains(t, f.cookies, "service-whoami", "the login itself stays")
			} else {
				require.Equal(t, 200, w.Code, w.Body.String())
			}
			withToken := ws.Clone()
			withToken.Set("Authorization", "token "+adaToken)
			require.Equal(t, 200, f.do("GET", "/services/whoami/ws", withToken).Code)
		}
		// Ordinary pages are not affected.
		require.Equal(t, 200, f.do("GET", "/services/whoami/", nil).Code)
	}
}

// A sharing link (?token= with JUPYTERHUB_ALLOW_TOKEN_IN_URL on) leaves
// the browser logged in by cookie, on page loads only.
func TestSharingLinkTokenPersisted(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	for _, tc := range []struct {
		name    string
		allow   bool
		header  http.Header
		persist bool
	}{
		{"page load", true, nil, true},
		{"page load, navigate", true, http.Header{"Sec-Fetch-Mode": {"navigate"}}, true},
		{"fetch", true, http.Header{"Sec-Fetch-Mode": {"cors"}}, false},
		{"websocket", true, http.Header{"Sec-Fetch-Mode": {"websocket"}}, false},
		{"websocket, tokens in URLs off", false, http.Header{"Sec-Fetch-Mode": {"websocket"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauthConfig(hub.apiURL())
			cfg.AllowTokenInURL = tc.allow
			o := newTestOAuth(t, cfg)
			f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}
			w := f.do("GET", "/services/whoami/shared?token="+adaToken, tc.header)
			require.Equal(t, 200, w.Code, w.Body.String())
			if !tc.persist {
				require.NotContains(t, f.cookies, "service-whoami")
				return
			}
			require.Contains(t, f.cookies, "service-whoami")
			require.NotContains(t, f.cookies["service-whoami"].Value, adaToken, "sealed")
			require.Contains(t, f.cookies, xsrfCookieName)
			w = f.do("GET", "/services/whoami/next-page", nil)
			require.Equal(t, 200, w.Code, "the next page needs no token: %s", w.Body.String())
			require.Equal(t, "ada", w.Body.String())
		})
	}
}

// A sharing link never replaces the valid login of another user: the
// request is the link's user, the login stays, and the next request is
// the login's user again. A login of the same user, or one that is over,
// is replaced as before.
func TestSharingLinkKeepsAnotherUsersLogin(t *testing.T) {
	const (
		carolToken   = "c0ffee00c0ffee00c0ffee00c0ffee00"
		carolModel   = `{"kind": "user", "name": "carol", "scopes": ["access:services!service=whoami"]}`
		adaOther     = "aaaa0000aaaa0000aaaa0000aaaa0000" // a second token of ada's
		revokedToken = "dead0000dead0000dead0000dead0000"
	)
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.addUser(adaOther, adaModel)
	hub.addUser(carolToken, carolModel)
	cfg := oauthConfig(hub.apiURL())
	cfg.AllowTokenInURL = true
	o := newTestOAuth(t, cfg)
	h := o.Middleware(echoUser)
	for _, tc := range []struct {
		name     string
		login    string // the token in the browser's login cookie; "" for none
		link     string
		replaced bool
		next     string // who the next request without a token is
	}{
		{"logged in as another user", adaToken, carolToken, false, "ada"},
		{"logged in as the same user", adaToken, adaOther, true, "ada"},
		{"not logged in", "", carolToken, true, "carol"},
		{"a login that is over", revokedToken, carolToken, true, "carol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flow{t: t, h: h, cookies: map[string]*http.Cookie{}}
			if tc.login != "" {
				f = loggedIn(t, o, h, tc.login)
			}
			before := f.cookies["service-whoami"]
			w := f.do("GET", "/services/whoami/shared?token="+tc.link, http.Header{"Sec-Fetch-Mode": {"navigate"}})
			require.Equal(t, 200, w.Code, w.Body.String())
			require.Equal(t, map[string]string{carolToken: "carol", adaOther: "ada"}[tc.link], w.Body.String(), "served as the link's user")
			var set []string
			for _, c := range w.Result().Cookies() {
				set = append(set, c.Name)
			}
			if tc.replaced {
				require.Contains(t, set, "service-whoami")
			} else {
				require.Empty(t, set, "no cookie touched")
				require.Equal(t, before.Value, f.cookies["service-whoami"].Value)
			}
			w = f.do("GET", "/services/whoami/next-page", http.Header{"Sec-Fetch-Mode": {"navigate"}})
			require.Equal(t, 200, w.Code, w.Body.String())
			require.Equal(t, tc.next, w.Body.String())
		})
	}
}

// Logout clears the service's cookies and sends the browser to the hub's
// logout; ClearLogin only clears.
func TestLogout(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	for _, tc := range []struct {
		name       string
		edit       func(*Config)
		login, loc string
		path       string
	}{
		{"plain", nil, "service-whoami", "/hub/logout", "/services/whoami/"},
		{"external hub", func(c *Config) { c.Host = "https://hub.example.org"; c.HubPrefix = "/jh/hub/" }, "service-whoami", "https://hub.example.org/jh/hub/logout", "/services/whoami/"},
		{"host prefix", func(c *Config) { c.CookieHostPrefix = true }, "__Host-service-whoami", "/hub/logout", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauthConfig(hub.apiURL())
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			o := newTestOAuth(t, cfg)
			require.Equal(t, "/services/whoami/logout", o.logoutPath)
			f := loggedIn(t, o, o.Middleware(echoUser), adaToken)
			require.Equal(t, 200, f.do("GET", "/services/whoami/", nil).Code)
			require.Contains(t, f.cookies, tc.login)
			require.Contains(t, f.cookies, xsrfCookieName)

			w := f.do("GET", "/services/whoami/logout", nil)
			require.Equal(t, http.StatusFound, w.Code)
			require.Equal(t, tc.loc, w.Header().Get("Location"))
			cleared := map[string]*http.Cookie{}
			for _, c := range w.Result().Cookies() {
				require.Negative(t, c.MaxAge, c.Name)
				cleared[c.Name] = c
			}
			require.Equal(t, tc.path, cleared[tc.login].Path)
			require.Equal(t, "/services/whoami/", cleared[xsrfCookieName].Path)
			require.Empty(t, f.cookies)
			w = f.do("GET", "/services/whoami/", nil)
			require.Equal(t, http.StatusFound, w.Code, "logged out: sent to log in again")
			require.Contains(t, w.Header().Get("Location"), "api/oauth2/authorize")
		})
	}

	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	own := http.NewServeMux()
	own.Handle("/services/whoami/", o.Middleware(echoUser))
	own.HandleFunc("/services/whoami/bye", func(w http.ResponseWriter, r *http.Request) {
		o.ClearLogin(w, r)
		_, _ = w.Write([]byte("bye"))
	})
	f := loggedIn(t, o, own, adaToken)
	w := f.do("GET", "/services/whoami/bye", nil)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "bye", w.Body.String())
	require.Empty(t, f.cookies)
}
