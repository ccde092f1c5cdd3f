package hubauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// crossOriginFlow is a browser logged in to a service protected by the
// cross-origin rule (Config.CrossOriginProtection), or by the hub's XSRF
// rule when xsrf is true.
func crossOriginFlow(t *testing.T, xsrf bool) *flow {
	t.Helper()
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := oauthConfig(hub.apiURL())
	cfg.CrossOriginProtection = !xsrf
	o := newTestOAuth(t, cfg)
	return loggedIn(t, o, o.Middleware(echoUser), adaToken)
}

// With the cross-origin rule, an app's own scripts work without the XSRF
// token (module scripts, fetch(), XHR, POSTs), while another origin's
// pages can neither change nor read anything with the user's cookie; a
// link from anywhere still opens the app.
func TestCrossOriginRule(t *testing.T) {
	const host = "hub.example.org"
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		want   int
	}{
		{"page load", "GET", http.Header{"Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Site": {"none"}}, 200},
		{"link from another site", "GET", http.Header{"Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Site": {"cross-site"}}, 200},
		{"module script", "GET", http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Dest": {"script"}}, 200},
		{"crossorigin font", "GET", http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Dest": {"font"}}, 200},
		{"same-origin image", "GET", http.Header{"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Site": {"same-origin"}}, 200},
		{"same-origin POST (a callback)", "POST", http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://" + host}}, 200},
		{"POST, no Fetch Metadata, our Origin", "POST", http.Header{"Origin": {"https://" + host}}, 200},
		{"POST from a client that is no browser", "POST", nil, 200},
		{"PUT from the user's own typing", "PUT", http.Header{"Sec-Fetch-Site": {"none"}}, 200},
		{"cross-site POST", "POST", http.Header{"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}, 403},
		{"same-site POST from another port", "POST", http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"same-site"}, "Origin": {"https://" + host + ":8443"}}, 403},
		{"POST, no Fetch Metadata, foreign Origin", "POST", http.Header{"Origin": {"https://evil.example"}}, 403},
		{"POST, Origin null", "POST", http.Header{"Origin": {"null"}}, 403},
		{"cross-site fetch of data", "GET", http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"cross-site"}}, 403},
		{"same-site script include", "GET", http.Header{"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Site": {"same-site"}}, 403},
		{"old browser's cross-origin fetch", "GET", http.Header{"Sec-Fetch-Mode": {"cors"}, "Origin": {"https://evil.example"}}, 403},
		{"websocket from the app's page", "GET", http.Header{"Upgrade": {"websocket"}, "Sec-Fetch-Mode": {"websocket"}, "Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://" + host}}, 200},
		{"websocket from another origin", "GET", http.Header{"Upgrade": {"websocket"}, "Sec-Fetch-Mode": {"websocket"}, "Sec-Fetch-Site": {"same-site"}, "Origin": {"https://" + host + ":8443"}}, 403},
		{"websocket, foreign Origin, no Fetch Metadata", "GET", http.Header{"Upgrade": {"websocket"}, "Origin": {"https://evil.example"}}, 403},
		{"websocket from a client that is no browser", "GET", http.Header{"Upgrade": {"websocket"}}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := crossOriginFlow(t, false)
			r := httptest.NewRequest(tc.method, "https://"+host+"/services/whoami/x", nil)
			for k, v := range tc.header {
				r.Header[k] = v
			}
			for _, c := range f.cookies {
				r.AddCookie(c)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			require.Equal(t, tc.want, w.Code, w.Body.String())
			if tc.want == 403 {
				require.Contains(t, w.Body.String(), "cross-origin request refused")
			} else {
				require.Contains(t, w.Body.String(), "ada")
			}
			for _, c := range w.Result().Cookies() {
				require.NotEqual(t, xsrfCookieName, c.Name, "the cross-origin rule sets no _xsrf cookie")
			}
		})
	}
}

// The hub's XSRF rule, hubauth's default, refuses a websocket from a
// foreign origin too, and still wants its token for a same-origin POST.
func TestXSRFRuleWebsocketOrigin(t *testing.T) {
	f := crossOriginFlow(t, true)
	ws := func(origin string) int {
		return f.do("GET", "http://hub.example.org/services/whoami/ws", http.Header{
			"Upgrade": {"websocket"}, "Sec-Fetch-Mode": {"websocket"}, "Origin": {origin}}).Code
	}
	require.Equal(t, 200, ws("http://hub.example.org"))
	require.Equal(t, 403, ws("http://evil.example"))
	require.Equal(t, 403, ws("http://hub.example.org.evil.example"))
	w := f.do("POST", "http://hub.example.org/services/whoami/x", http.Header{"Sec-Fetch-Site": {"same-origin"}})
	require.Equal(t, 403, w.Code)
	require.Contains(t, w.Body.String(), "XSRF")
}

// The _xsrf cookie is the hub's under its own rule, and the app's under
// the cross-origin rule, which sets none: a proxy passes it on then.
func TestIsHubCookieFollowsTheRule(t *testing.T) {
	cfg := oauthConfig("http://127.0.0.1:1/hub/api")
	require.True(t, newTestAuth(t, cfg, nil).IsHubCookie("_xsrf"))
	cfg.CrossOriginProtection = true
	a := newTestAuth(t, cfg, nil)
	require.False(t, a.IsHubCookie("_xsrf"))
	require.True(t, a.IsHubCookie("service-whoami"))
	require.True(t, a.IsHubCookie("jupyterhub-session-id"))
}

func TestReturnHostAllowed(t *testing.T) {
	allowed := []string{"app.example.org", "127.0.0.1:8080", ".apps.example.org"}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"app.example.org", true},
		{"APP.example.org", true},
		{"app.example.org:443", false},
		{"127.0.0.1:8080", true},
		{"127.0.0.1:8081", false},
		{"127.0.0.1", false},
		{"apps.example.org", true},
		{"a.apps.example.org", true},
		{"a.b.apps.example.org", true},
		{"evilapps.example.org", false},
		{"apps.example.org.evil", false},
		{"example.org", false},
	} {
		require.Equal(t, tc.want, returnHostAllowed(allowed, tc.host), tc.host)
	}
}

// A login an ingress's sign-in redirect starts goes back to the app's URL
// on an allowed host, and nowhere else.
func TestStartLoginTo(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer"}`))
	}
	cfg := oauthConfig(hub.apiURL())
	cfg.ReturnHosts = []string{"app.example.org"}
	cfg.CookiePath = "/"
	o := newTestOAuth(t, cfg)
	signIn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.StartLoginTo(w, r, r.URL.Query().Get("rd"))
	})
	mux := http.NewServeMux()
	mux.Handle("/services/whoami/sign_in", signIn)
	mux.Handle("/", o.Middleware(echoUser))

	for _, bad := range []string{"https://evil.example/", "https://app.example.org.evil/", "//evil.example/", "https://user:pw@app.example.org/",
		"javascript:alert(1)", "https://app.example.org\\@evil/", "/hub/admin", "https://app.example.org:8443/"} {
		f := &flow{t: t, h: mux, cookies: map[string]*http.Cookie{}}
		w := f.do("GET", "/services/whoami/sign_in?rd="+url.QueryEscape(bad), nil)
		require.Equal(t, 400, w.Code, "%s: %s", bad, w.Body.String())
		require.Empty(t, f.cookies, "no login started for %s", bad)
	}

	for _, next := range []string{"https://app.example.org/dashboard?x=1", "/services/whoami/page"} {
		f := &flow{t: t, h: mux, cookies: map[string]*http.Cookie{}}
		state, _ := stateOf(t, f.do("GET", "/services/whoami/sign_in?rd="+url.QueryEscape(next), nil))
		w := f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(state), nil)
		require.Equal(t, http.StatusFound, w.Code, w.Body.String())
		require.Equal(t, next, w.Header().Get("Location"))
		login := f.cookies["service-whoami"]
		require.NotNil(t, login)
		require.Equal(t, "/", login.Path, "the login cookie at Config.CookiePath")
	}
}

// Config.CookiePath and Config.ReturnHosts are checked with the rest.
func TestValidateCookiePathAndReturnHosts(t *testing.T) {
	cfg := oauthConfig("http://127.0.0.1:1/hub/api")
	cfg.CookiePath = "/app; Domain=evil"
	cfg.ReturnHosts = []string{"https://app.example.org/"}
	err := cfg.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "cookie path")
	require.Contains(t, err.Error(), "return hosts")
	cfg.CookiePath, cfg.ReturnHosts, cfg.CookieHostPrefix = "/app/", nil, true
	require.ErrorContains(t, cfg.Validate(), "must be at /")
	cfg.CookiePath = "/"
	require.NoError(t, cfg.Validate())
}

// FuzzSafeReturn: whatever the sign-in link says, a login returns to a
// path on the service or to an allowed host, never elsewhere.
func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"https://app.example.org/x", "https://evil/", "//evil", "https://app.example.org@evil/", "https://evil#@app.example.org/",
		"/services/whoami/x", "https://app.example.org\\.evil/", "https://APP.example.org:443/", "http://a.apps.example.org/"} {
		f.Add(s)
	}
	allowed := []string{"app.example.org", ".apps.example.org"}
	f.Fuzz(func(t *testing.T, next string) {
		got, ok := safeReturn("/services/whoami/", allowed, next)
		if !ok {
			if got != "/services/whoami/" {
				t.Fatalf("refused %q but returned %q", next, got)
			}
			return
		}
		if strings.HasPrefix(got, "/services/whoami/") && safeNext("/services/whoami/", got) == got {
			return
		}
		u, err := url.Parse(got)
		if err != nil || !returnHostAllowed(allowed, u.Host) || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("safeReturn(%q) = %q leaves the allowed hosts", next, got)
		}
		// What the browser would do with it: the Location's host is the
		// URL's host.
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest("GET", "/services/whoami/oauth_callback", nil), got, http.StatusFound)
		loc, err := url.Parse(w.Header().Get("Location"))
		if err != nil || !returnHostAllowed(allowed, loc.Host) {
			t.Fatalf("safeReturn(%q) = %q redirects to %q", next, got, w.Header().Get("Location"))
		}
	})
}

// FuzzSameOriginWebsocket: an Origin header is ours only when it names
// exactly the request's host.
func FuzzSameOriginWebsocket(f *testing.F) {
	for _, s := range []string{"https://hub.example.org", "https://hub.example.org.evil", "null", "https://evil@hub.example.org", "http://hub.example.org:80", ""} {
		f.Add(s, "hub.example.org")
	}
	f.Fuzz(func(t *testing.T, origin, host string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if !sameOriginWebsocket(r) || origin == "" {
			return
		}
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, host) {
			t.Fatalf("Origin %q admitted for host %q", origin, host)
		}
	})
}
