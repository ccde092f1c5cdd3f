package integration

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// oauthHub runs a hub with the managed whoami-oauth service; users in the
// group "whoami" may use it. The service's cache lasts one second, so
// revoked access shows quickly.
func oauthHub(t *testing.T, extraConfig string) (*hubtest.Hub, string) {
	t.Helper()
	bin := hubtest.Binary(t, "whoami-oauth")
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name:        "whoami-oauth",
			URL:         fmt.Sprintf("http://127.0.0.1:%d", hubtest.FreePort(t)),
			Command:     []string{bin},
			Environment: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "1"},
		}},
		Roles:       []hubtest.Role{{Name: "whoami-users", Scopes: []string{"access:services!service=whoami-oauth"}, Groups: []string{"whoami"}}},
		Groups:      []string{"whoami"},
		ExtraConfig: extraConfig,
	})
	return hub, hub.URL + "/services/whoami-oauth/"
}

// requireModel checks a page is the JSON model of user.
func requireModel(t *testing.T, h hop, user string) {
	t.Helper()
	require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
	require.Equal(t, "application/json", h.header.Get("Content-Type"))
	require.Contains(t, h.body, "\n \"name\": \""+user+"\"")
	require.Contains(t, h.body, "\n \"kind\": \"user\"")
}

func TestWhoamiOAuth(t *testing.T) {
	hub, svc := oauthHub(t, "")
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "whoami", "ada")
	hubURL, _ := url.Parse(hub.URL)

	b := newBrowser(t, "ada")

	t.Run("first visit redirects to the hub with state and PKCE", func(t *testing.T) {
		h := b.get(svc + "page?x=1")
		require.Equal(t, http.StatusFound, h.status, h.body)
		loc, err := url.Parse(h.header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "/hub/api/oauth2/authorize", loc.Path)
		q := loc.Query()
		require.Equal(t, "service-whoami-oauth", q.Get("client_id"))
		require.Equal(t, "/services/whoami-oauth/oauth_callback", q.Get("redirect_uri"))
		require.Equal(t, "code", q.Get("response_type"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.Len(t, q.Get("code_challenge"), 43, "base64url of a SHA-256")
		require.GreaterOrEqual(t, len(q.Get("state")), 43)

		cookies := b.setCookiesOf("/services/whoami-oauth/page")
		require.Len(t, cookies, 1)
		st := cookies[0]
		require.Equal(t, "service-whoami-oauth-oauth-state", st.Name)
		require.True(t, st.HttpOnly)
		require.Equal(t, "/services/whoami-oauth/", st.Path)
		require.Equal(t, 600, st.MaxAge)
		require.NotContains(t, st.Value, q.Get("state"), "the state cookie is sealed, not the bare state")
	})

	t.Run("the full flow lands on the original URL with its query", func(t *testing.T) {
		h := b.visit(svc + "page?x=1&y=two")
		requireModel(t, h, "ada")
		require.Equal(t, svc+"page?x=1&y=two", h.url)

		// The callback's answer: the login cookie, and every state cookie cleared.
		cookies := b.setCookiesOf("/oauth_callback")
		byName := map[string]*http.Cookie{}
		for _, c := range cookies {
			byName[c.Name] = c
		}
		login := byName["service-whoami-oauth"]
		require.NotNil(t, login, "login cookie set: %v", cookies)
		require.True(t, login.HttpOnly)
		require.Equal(t, "/services/whoami-oauth/", login.Path)
		require.Equal(t, http.SameSiteLaxMode, login.SameSite)
		require.False(t, login.Secure, "plain http here")
		require.Greater(t, len(login.Value), 64, "sealed, not the bare token")
		state := byName["service-whoami-oauth-oauth-state"]
		require.NotNil(t, state, "state cookie cleared: %v", cookies)
		require.Less(t, state.MaxAge, 0)
		for _, name := range b.cookieNames(svc) {
			require.NotContains(t, name, "oauth-state", "no state cookie left")
		}
		for _, hp := range b.hops {
			if loc := hp.header.Get("Location"); loc != "" {
				u, err := url.Parse(resolve(t, hp.url, loc))
				require.NoError(t, err)
				require.Equal(t, hubURL.Host, u.Host, "every redirect stays on the deployment")
			}
		}
	})

	t.Run("second visit is answered at once", func(t *testing.T) {
		h := b.get(svc)
		requireModel(t, h, "ada")
		require.Len(t, b.hops, 1)
	})

	t.Run("a token header works and sets no cookie", func(t *testing.T) {
		token := hub.NewToken(t, "ada", nil)
		r := get(t, svc, "token "+token)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, `"name": "ada"`)
		require.Empty(t, r.header.Values("Set-Cookie"))
	})

	t.Run("XSRF: cookie-authenticated POST needs the token", func(t *testing.T) {
		h := b.do(http.MethodPost, svc, url.Values{"a": {"b"}}, nil)
		require.Equal(t, 403, h.status, h.body)
		require.Contains(t, h.body, "XSRF")

		xsrf := b.cookie(svc, "_xsrf")
		require.NotEmpty(t, xsrf, "the service offers its XSRF token in a cookie")
		h = b.do(http.MethodPost, svc, url.Values{"a": {"b"}}, http.Header{"X-Xsrftoken": {xsrf}})
		requireModel(t, h, "ada")
		h = b.do(http.MethodPost, svc, url.Values{"_xsrf": {xsrf}}, nil)
		requireModel(t, h, "ada")
		h = b.do(http.MethodGet, svc, nil, http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Site": {"cross-site"}})
		require.Equal(t, 403, h.status, "a cross-site fetch riding on the cookie")
	})

	t.Run("hostile input gets a 4xx or a same-site redirect", func(t *testing.T) {
		hostile := newBrowser(t, "ada")
		hostile.login(hub.URL)
		for _, cb := range []string{
			"oauth_callback",
			"oauth_callback?code=x",
			"oauth_callback?code=x&state=forged",
			"oauth_callback?code=x&state=" + strings.Repeat("A", 43) + "=.bad!",
			"oauth_callback?code=x&state=" + strings.Repeat("A", 5000),
			"oauth_callback?error=access_denied&error_description=%3Cscript%3E",
		} {
			h := hostile.get(svc + cb)
			require.True(t, h.status >= 400 && h.status < 500, "%s: %d %s", cb, h.status, h.body)
			require.Equal(t, "application/json", h.header.Get("Content-Type"))
		}
		// A real state cookie with a genuine state parameter from another
		// browser's login: they do not belong together.
		h := hostile.get(svc)
		require.Equal(t, 302, h.status)
		other := newBrowser(t, "ada").get(svc)
		loc, err := url.Parse(other.header.Get("Location"))
		require.NoError(t, err)
		h = hostile.get(svc + "oauth_callback?code=x&state=" + url.QueryEscape(loc.Query().Get("state")))
		require.Equal(t, 403, h.status, h.body)
		require.Contains(t, h.body, "does not match")

		// Tampered login cookie: a GET is sent to log in again, a POST refused.
		hostile.setCookie(svc, &http.Cookie{Name: "service-whoami-oauth", Value: "forged|value", Path: "/services/whoami-oauth/"})
		h = hostile.get(svc)
		require.Equal(t, 302, h.status, h.body)
		require.Contains(t, h.header.Get("Location"), "/hub/api/oauth2/authorize")
		hostile.setCookie(svc, &http.Cookie{Name: "service-whoami-oauth", Value: "forged|value", Path: "/services/whoami-oauth/"})
		h = hostile.do(http.MethodPost, svc, url.Values{}, nil)
		require.Equal(t, 403, h.status, h.body)

		// Open-redirect attempts end on the service.
		for _, p := range []string{"/%2F%2Fevil.example/", "//evil.example/", `/\evil.example/`, "/%5Cevil.example"} {
			h := hostile.visit(svc + strings.TrimPrefix(p, "/"))
			final, err := url.Parse(h.url)
			require.NoError(t, err)
			require.Equal(t, hubURL.Host, final.Host, "%s ended at %s", p, h.url)
			require.True(t, strings.HasPrefix(final.Path, "/services/whoami-oauth/"), "%s ended at %s", p, h.url)
		}
	})

	t.Run("two interleaved logins in one browser both finish", func(t *testing.T) {
		two := newBrowser(t, "ada")
		two.login(hub.URL)
		first := two.get(svc + "first")
		second := two.get(svc + "second")
		require.Equal(t, 302, first.status)
		require.Equal(t, 302, second.status)
		require.Len(t, two.cookieNames(svc), 2+1, "two state cookies and the hub session: %v", two.cookieNames(svc))

		h := two.visit(resolve(t, second.url, second.header.Get("Location")))
		requireModel(t, h, "ada")
		require.Equal(t, svc+"second", h.url)
		h = two.visit(resolve(t, first.url, first.header.Get("Location")))
		requireModel(t, h, "ada")
		require.Equal(t, svc+"first", h.url)
	})

	t.Run("logout at the hub ends the session", func(t *testing.T) {
		out := newBrowser(t, "ada")
		requireModel(t, out.visit(svc), "ada")
		h := out.visit(hub.URL + "/hub/logout")
		require.Less(t, h.status, 500)
		h = out.get(svc)
		require.Equal(t, 302, h.status, "logged out: sent to log in again, not served: %s", h.body)
		require.Contains(t, h.header.Get("Location"), "/hub/api/oauth2/authorize")
	})

	t.Run("revoked access gets 403", func(t *testing.T) {
		hub.CreateUser(t, "bob")
		hub.AddToGroup(t, "whoami", "bob")
		bob := newBrowser(t, "bob")
		requireModel(t, bob.visit(svc), "bob")
		hub.RemoveFromGroup(t, "whoami", "bob")
		time.Sleep(1500 * time.Millisecond) // the service's cache age
		h := bob.get(svc)
		require.Equal(t, 403, h.status, h.body)
		require.Contains(t, h.body, "user bob may not use this service")
	})
}

// A hub that refuses clients without PKCE logs users in all the same.
func TestWhoamiOAuthRequirePKCE(t *testing.T) {
	hubtest.RequireVersion(t, "6.0", "oauth_require_pkce is new in JupyterHub 6.0; older hubs ignore it")
	hub, svc := oauthHub(t, "c.JupyterHub.oauth_require_pkce = True\n")
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "whoami", "ada")
	b := newBrowser(t, "ada")
	requireModel(t, b.visit(svc+"x?y=1"), "ada")
	require.Equal(t, svc+"x?y=1", b.hops[len(b.hops)-1].url)
}

// Two whoami-oauth processes with the same environment, as replicas behind
// a load balancer: a login started on one finishes on the other, each
// accepts the other's cookie, and a restarted process still accepts it.
func TestWhoamiOAuthReplicas(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-oauth")
	portA, portB := hubtest.FreePort(t), hubtest.FreePort(t)
	replicaA := fmt.Sprintf("http://127.0.0.1:%d", portA)
	replicaB := fmt.Sprintf("http://127.0.0.1:%d", portB)
	token := hubtest.RandomToken()
	// The hub sends the browser back to replica B, wherever it started.
	callback := replicaB + "/oauth_callback"
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name: "whoami-replicated", APIToken: token,
			OAuthClientID: "service-whoami-replicated", OAuthRedirectURI: callback, OAuthNoConfirm: true,
		}},
		Roles: []hubtest.Role{{Name: "replicated-users", Scopes: []string{"access:services!service=whoami-replicated"}, Users: []string{"ada"}}},
	})
	envFor := func(serviceURL string) []string {
		return env(map[string]string{
			"JUPYTERHUB_API_TOKEN":          token,
			"JUPYTERHUB_API_URL":            hub.APIURL,
			"JUPYTERHUB_SERVICE_NAME":       "whoami-replicated",
			"JUPYTERHUB_CLIENT_ID":          "service-whoami-replicated",
			"JUPYTERHUB_SERVICE_URL":        serviceURL,
			"JUPYTERHUB_SERVICE_PREFIX":     "/",
			"JUPYTERHUB_OAUTH_CALLBACK_URL": callback,
			"JUPYTERHUB_HOST":               hub.URL,
		})
	}
	hubtest.StartProcess(t, bin, envFor(replicaA), fmt.Sprintf("127.0.0.1:%d", portA))
	b2 := hubtest.StartProcess(t, bin, envFor(replicaB), fmt.Sprintf("127.0.0.1:%d", portB))

	b := newBrowser(t, "ada")
	h := b.visit(replicaA + "/start?on=a")
	// Cookies are per host, not per port, so both replicas see them, as
	// they would behind one address.
	require.Equal(t, 0, b.approved, "oauth_no_confirm skips the authorize page")
	require.Equal(t, replicaB+"/start?on=a", h.url, "finished on the other replica")
	requireModel(t, h, "ada")
	requireModel(t, b.get(replicaA+"/"), "ada")

	require.NoError(t, b2.Stop())
	hubtest.StartProcess(t, bin, envFor(replicaB), fmt.Sprintf("127.0.0.1:%d", portB))
	h = b.get(replicaB + "/")
	requireModel(t, h, "ada")
	require.Len(t, b.hops, 1, "the restarted process accepts the cookie without a new login")
}
