package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/hubtest"
)

// The findings of a hostile review of the OAuth side, against a real hub
// and proxy: each was reproduced on the code before the fix.
// maxLoginsInFlight is the most state cookies hubauth lets one browser
// hold for a service.
const maxLoginsInFlight = 8

func TestOAuthSecurity(t *testing.T) {
	hub, svcs := startServices(t, []svcSpec{
		{name: "app"},
		{name: "hpa", env: map[string]string{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "1"}},
		{name: "hpb", env: map[string]string{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "1"}},
	}, "")
	app, hpa, hpb := svcs["app"].url, svcs["hpa"].url, svcs["hpb"].url
	hub.CreateUser(t, "ada")
	hubURL, err := url.Parse(hub.URL)
	require.NoError(t, err)

	t.Run("unfinished logins cannot fill the browser's cookie jar", func(t *testing.T) {
		b := newBrowser(t, "ada")
		countStates := func() int {
			n := 0
			for _, name := range b.cookieNames(app) {
				if strings.Contains(name, "-oauth-state") {
					n++
				}
			}
			return n
		}
		// 100 page loads whose logins never finish (the hub session
		// ended, the user closed the tab, …).
		for i := range 100 {
			h := b.do(http.MethodGet, app+"page"+string(rune('a'+i%26)), nil, nil)
			require.Equal(t, http.StatusFound, h.status, "load %d: %s", i, h.body)
			require.LessOrEqual(t, countStates(), maxLoginsInFlight)
		}
		// A page's 53 assets start no login and set no cookie.
		for i := range 53 {
			h := b.do(http.MethodGet, app+"asset.png", nil, http.Header{
				"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"image"}, "Sec-Fetch-Site": {"same-origin"},
			})
			require.Equal(t, http.StatusForbidden, h.status, "asset %d: %s", i, h.body)
			require.Empty(t, h.header.Values("Set-Cookie"))
		}
		require.Equal(t, maxLoginsInFlight, countStates())
		// The service is still usable: a login finishes, through the proxy.
		h := b.visit(app + "after?x=1")
		requireModel(t, h, "ada")
		require.Equal(t, app+"after?x=1", h.url)
		require.Zero(t, countStates())
	})

	t.Run("the _xsrf cookie is at the service's prefix with __Host- logins", func(t *testing.T) {
		b := newBrowser(t, "ada")
		b.client.Jar = asHTTPS{b.jar} // __Host- cookies are Secure
		requireModel(t, b.visit(hpa), "ada")
		var xsrf *http.Cookie
		for _, c := range b.setCookiesOf("/oauth_callback") {
			if c.Name == "_xsrf" {
				xsrf = c
			}
			if strings.HasPrefix(c.Name, "__Host-") && c.MaxAge >= 0 {
				require.Equal(t, "/", c.Path, c.Name)
				require.True(t, c.Secure, c.Name)
			}
		}
		require.NotNil(t, xsrf)
		require.Equal(t, "/services/hpa/", xsrf.Path)
		requireModel(t, b.visit(hpb), "ada")

		// Each service's page posts with the _xsrf its scripts see; the
		// other service's login did not overwrite it.
		for _, svc := range []string{hpa, hpb} {
			secure := strings.Replace(svc, "http://", "https://", 1)
			token := b.cookie(secure, "_xsrf") // the most specific path first
			require.NotEmpty(t, token)
			h := b.do(http.MethodPost, svc, url.Values{"a": {"b"}}, http.Header{"X-Xsrftoken": {token}})
			requireModel(t, h, "ada")
		}
	})

	t.Run("a login started at a dot-segment path returns to the service", func(t *testing.T) {
		// configurable-http-proxy resolves dot segments itself, so the
		// request that starts the login goes straight to the service, as
		// through a proxy that passes them on. The rest of the flow goes
		// through the hub's proxy.
		for _, p := range []string{"../../hub/admin", "%2e%2e/%2E%2E/hub/admin", "..%2f..%2fhub%2fadmin", "x/./../../../hub/token"} {
			b := newBrowser(t, "ada")
			h := b.get(svcs["app"].direct + "/services/app/" + p)
			require.Equal(t, http.StatusFound, h.status, "%s: %s", p, h.body)
			h = b.visit(hub.URL + h.header.Get("Location"))
			final, err := url.Parse(h.url)
			require.NoError(t, err)
			require.Equal(t, hubURL.Host, final.Host)
			require.True(t, strings.HasPrefix(final.Path, "/services/app/"), "%s ended at %s", p, h.url)
			requireModel(t, h, "ada")
			var callbacks int
			for _, hp := range b.hops {
				if strings.Contains(hp.url, "/oauth_callback") {
					callbacks++
					loc := hp.header.Get("Location")
					require.Equal(t, "/services/app/", loc, "%s: the callback's redirect", p)
				}
			}
			require.Equal(t, 1, callbacks)
		}
	})
}

// Settings no hub gives, which would leak a password or break logins, stop
// the service at start-up with a message naming the variable.
func TestHostileSettingsRefusedAtStartup(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-oauth")
	base := map[string]string{
		"JUPYTERHUB_API_TOKEN":      hubtest.RandomToken(),
		"JUPYTERHUB_API_URL":        "http://127.0.0.1:1/hub/api",
		"JUPYTERHUB_SERVICE_NAME":   "whoami",
		"JUPYTERHUB_SERVICE_URL":    "http://127.0.0.1:1",
		"JUPYTERHUB_SERVICE_PREFIX": "/services/whoami/",
	}
	for _, tc := range []struct {
		variable, value, want string
	}{
		{"JUPYTERHUB_API_URL", "http://svc:hunter2@127.0.0.1:8081/hub/api", "JUPYTERHUB_API_URL: a user name or password in the URL is not supported"},
		{"JUPYTERHUB_SERVICE_PREFIX", "//evil.example/", "JUPYTERHUB_SERVICE_PREFIX: must not start with '//'"},
		{"JUPYTERHUB_SERVICE_PREFIX", `/services/who\ami/`, `JUPYTERHUB_SERVICE_PREFIX: must not hold '\'`},
		{"JUPYTERHUB_CLIENT_ID", "service who;ami", "JUPYTERHUB_CLIENT_ID: \"service who;ami\" cannot name a cookie"},
	} {
		t.Run(tc.variable+"="+tc.value, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			env[tc.variable] = tc.value
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = envList(env)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", out)
			require.Equal(t, 1, exit.ExitCode())
			require.Contains(t, string(out), tc.want)
			require.NotContains(t, string(out), "hunter2")
		})
	}
}

// A handler behind OAuth.Identify alone (which decides for itself whom to
// serve) sees no user on a cross-site POST that rides on the real login
// cookie: the failed XSRF check leaves only the error in the context.
func TestXSRFFailureIdentifiesNobodyRealHub(t *testing.T) {
	hubtest.Require(t)
	port := hubtest.FreePort(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	var handler atomic.Pointer[http.Handler]
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := handler.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	token := hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name: "inproc", URL: fmt.Sprintf("http://127.0.0.1:%d", port), APIToken: token,
			OAuthClientID: "service-inproc", OAuthRedirectURI: "/services/inproc/oauth_callback", OAuthNoConfirm: true,
		}},
		Roles: []hubtest.Role{{Name: "user", Scopes: []string{"self", "access:services"}}},
	})
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.APIURL, APIToken: token, ServiceName: "inproc",
		ServicePrefix: "/services/inproc/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=inproc"},
		CacheMaxAge:  hubauth.DefaultCacheMaxAge, CacheSize: hubauth.DefaultCacheSize, HubTimeout: hubauth.DefaultHubTimeout,
		ClientID: "service-inproc", OAuthCallbackURL: "/services/inproc/oauth_callback",
	})
	require.NoError(t, err)
	login, err := hubauth.NewOAuth(auth)
	require.NoError(t, err)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/inproc/oauth_callback" {
			login.Callback(w, r)
			return
		}
		login.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, err := hubauth.FromContext(r.Context())
			switch {
			case u != nil:
				fmt.Fprintf(w, "acting for %s (err=%v)", u.Name, err)
			case r.Method == http.MethodGet:
				login.StartLogin(w, r)
			default:
				fmt.Fprintf(w, "nobody (err=%v)", err)
			}
		})).ServeHTTP(w, r)
	})
	handler.Store(&h)

	hub.CreateUser(t, "ada")
	b := newBrowser(t, "ada")
	svc := hub.URL + "/services/inproc/"
	page := b.visit(svc)
	require.Equal(t, 200, page.status, page.body)
	require.Equal(t, "acting for ada (err=<nil>)", page.body)

	h2 := b.do(http.MethodPost, svc+"transfer", url.Values{"to": {"mallory"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}})
	require.Equal(t, 200, h2.status)
	require.True(t, strings.HasPrefix(h2.body, "nobody (err=XSRF check failed"), h2.body)

	xsrf := b.cookie(svc, "_xsrf")
	h2 = b.do(http.MethodPost, svc+"transfer", url.Values{"to": {"bob"}, "_xsrf": {xsrf}}, nil)
	require.Equal(t, "acting for ada (err=<nil>)", h2.body, "with the page's XSRF token")
}
