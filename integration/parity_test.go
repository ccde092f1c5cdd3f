package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// What app authors get from the hub's Python HubOAuth, against a real hub:
// logins that last, logout, websockets, sharing links, and a refused token
// header that does not hide a valid login.
func TestOAuthParity(t *testing.T) {
	hub, svcs := startServices(t, []svcSpec{
		{name: "app"},
		// Python's reading of booleans: "False" is false.
		{name: "nows", env: map[string]string{"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH": "False"}},
		{name: "links", env: map[string]string{"JUPYTERHUB_ALLOW_TOKEN_IN_URL": "1"}},
		{name: "short", env: map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"max_age": 2}`}},
	}, "")
	app, nows, links, short := svcs["app"].url, svcs["nows"].url, svcs["links"].url, svcs["short"].url
	hub.CreateUser(t, "ada")

	t.Run("logins last 30 days", func(t *testing.T) {
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(app), "ada")
		var login *http.Cookie
		for _, c := range b.setCookiesOf("/oauth_callback") {
			if c.Name == "service-app" {
				login = c
			}
		}
		require.NotNil(t, login)
		require.Equal(t, 30*24*3600, login.MaxAge, "not a browser-session cookie")
	})

	t.Run("a login cookie kept beyond its max_age is refused", func(t *testing.T) {
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(short), "ada")
		value := b.cookie(short, "service-short")
		require.NotEmpty(t, value)
		replay := func() hop {
			// A browser (or a thief) that ignores the cookie's expiry.
			other := newBrowser(t, "ada")
			other.setCookie(short, &http.Cookie{Name: "service-short", Value: value, Path: "/services/short/"})
			return other.get(short)
		}
		requireModel(t, replay(), "ada")
		time.Sleep(3500 * time.Millisecond)
		h := replay()
		require.Equal(t, http.StatusFound, h.status, "expired inside the seal: log in again, not served: %s", h.body)
		require.Contains(t, h.header.Get("Location"), "/hub/api/oauth2/authorize")
	})

	t.Run("logout ends the service's login and the hub's", func(t *testing.T) {
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(app), "ada")
		require.NotEmpty(t, b.cookie(app, "_xsrf"))
		h := b.get(app + "logout")
		require.Equal(t, http.StatusFound, h.status, h.body)
		require.Equal(t, "/hub/logout", h.header.Get("Location"))
		cleared := map[string]string{}
		for _, c := range (&http.Response{Header: h.header}).Cookies() {
			require.Negative(t, c.MaxAge, c.Name)
			cleared[c.Name] = c.Path
		}
		require.Equal(t, "/services/app/", cleared["service-app"])
		require.Equal(t, "/services/app/", cleared["_xsrf"])
		require.Empty(t, b.cookie(app, "service-app"))

		// Where the browser goes next: the hub's logout (one hop: the
		// hub's login page after it would log in again at once).
		h = b.get(hub.URL + "/hub/logout")
		require.Less(t, h.status, 400, h.body)
		h = b.get(hub.URL + "/hub/home")
		require.Equal(t, http.StatusFound, h.status, "the hub session ended too")
		require.Contains(t, h.header.Get("Location"), "/hub/login")
		h = b.get(app)
		require.Equal(t, http.StatusFound, h.status, "logged out: %s", h.body)
		h = b.visit(app)
		requireModel(t, h, "ada")
		var loginForm bool
		for _, hp := range b.hops {
			loginForm = loginForm || strings.Contains(hp.body, `name="username"`)
		}
		require.True(t, loginForm, "the hub asked for the login again")
	})

	t.Run("websockets and the login cookie", func(t *testing.T) {
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(app), "ada")
		requireModel(t, b.visit(nows), "ada")
		// whoami answers a websocket request like any GET (it takes no
		// upgrade): what matters is whether it was let in.
		require.Equal(t, 200, websocketStatus(t, app+"ws", "Cookie: "+b.cookieHeader(app)), "allowed by default")
		require.Equal(t, 403, websocketStatus(t, nows+"ws", "Cookie: "+b.cookieHeader(nows)),
			"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH=False: the cookie alone is not enough")
		token := hub.NewToken(t, "ada", nil)
		require.Equal(t, 200, websocketStatus(t, nows+"ws?token="+token), "a token in the URL still opens it")
		require.Equal(t, 200, websocketStatus(t, nows+"ws", "Authorization: token "+token))
		requireModel(t, b.get(nows), "ada") // pages are not affected
	})

	t.Run("a sharing link's token is kept in the login cookie", func(t *testing.T) {
		token := hub.NewToken(t, "ada", nil)
		b := newBrowser(t, "ada") // never logged in at the hub
		requireModel(t, b.get(links+"shared?token="+token), "ada")
		require.NotEmpty(t, b.cookie(links, "service-links"), "the login cookie was set")
		require.NotContains(t, b.cookie(links, "service-links"), token, "sealed")
		h := b.get(links + "next-page")
		requireModel(t, h, "ada")

		// Not from a page's subrequest.
		f := newBrowser(t, "ada")
		h = f.do(http.MethodGet, links+"data?token="+url.QueryEscape(token), nil, http.Header{"Sec-Fetch-Mode": {"cors"}})
		requireModel(t, h, "ada")
		require.Empty(t, f.cookie(links, "service-links"))
		require.Equal(t, http.StatusFound, f.get(links).status)

		// And not where tokens in URLs are off (the default).
		g := newBrowser(t, "ada")
		require.Equal(t, http.StatusFound, g.get(app+"shared?token="+token).status)
		require.Empty(t, g.cookie(app, "service-app"))
	})

	t.Run("a sharing link does not replace another user's login", func(t *testing.T) {
		hub.CreateUser(t, "bob")
		bobsLink := links + "shared?token=" + hub.NewToken(t, "bob", nil)
		ada := newBrowser(t, "ada")
		requireModel(t, ada.visit(links), "ada") // logged in through the hub
		login := ada.cookie(links, "service-links")
		require.NotEmpty(t, login)

		h := ada.get(bobsLink)
		requireModel(t, h, "bob")
		for _, c := range (&http.Response{Header: h.header}).Cookies() {
			require.NotEqual(t, "service-links", c.Name, "the login cookie is not touched")
		}
		require.Equal(t, login, ada.cookie(links, "service-links"))
		requireModel(t, ada.get(links+"next-page"), "ada")

		// A login of the same user is replaced, as before.
		adaLink := links + "shared?token=" + hub.NewToken(t, "ada", nil)
		requireModel(t, ada.get(adaLink), "ada")
		require.NotEqual(t, login, ada.cookie(links, "service-links"), "the link's token kept")
		requireModel(t, ada.get(links+"next-page"), "ada")
	})

	t.Run("a refused token header falls back to the login cookie", func(t *testing.T) {
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(app), "ada")
		h := b.do(http.MethodGet, app, nil, http.Header{"Authorization": {"token " + hubtest.RandomToken()}})
		requireModel(t, h, "ada")
		// Without a login, the same header is refused.
		r := get(t, app, "token "+hubtest.RandomToken())
		requireJSONError(t, r, 403, "does not accept this token")
	})
}

// The act-as-user example, as its README section runs it: a service that
// calls the hub with each user's own token, and has an admin page for a
// custom scope (RequireScopes).
func TestActAsUserExample(t *testing.T) {
	hubtest.Require(t)
	bin := filepath.Join(t.TempDir(), "act-as-user")
	build := exec.Command("go", "build", "-o", bin, "./examples/act-as-user")
	build.Dir = hubtest.RepoRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	hub := hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "act-as-user", "jupyterhub_config.py")},
		Env:         []string{"ACT_AS_USER_BIN=" + bin},
	})
	svc := hub.URL + "/services/act-as-user/"
	hub.CreateUser(t, "ada")
	hub.CreateUser(t, "bob")
	hub.AddToGroup(t, "act-as-user-admins", "ada")

	type answer struct {
		Name    string   `json:"name"`
		Groups  []string `json:"groups"`
		Servers []string `json:"servers"`
		Admin   bool     `json:"admin"`
	}
	read := func(h hop) answer {
		t.Helper()
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		var a answer
		require.NoError(t, json.Unmarshal([]byte(h.body), &a), h.body)
		return a
	}

	ada := newBrowser(t, "ada")
	a := read(ada.visit(svc))
	require.Equal(t, answer{Name: "ada", Groups: []string{"act-as-user-admins"}, Servers: []string{}, Admin: true}, a)
	h := ada.get(svc + "admin")
	require.Equal(t, 200, h.status, h.body)
	require.Equal(t, "admin page for ada\n", h.body)

	// The groups come from the hub at each visit, with ada's token: a
	// change shows at once, though the service's identity cache (300 s)
	// still holds the model of the login.
	hub.API(t, "POST", "/groups/late", map[string]any{}, nil)
	hub.AddToGroup(t, "late", "ada")
	a = read(ada.get(svc))
	require.ElementsMatch(t, []string{"act-as-user-admins", "late"}, a.Groups)

	bob := newBrowser(t, "bob")
	a = read(bob.visit(svc))
	require.Equal(t, answer{Name: "bob", Groups: []string{}, Servers: []string{}, Admin: false}, a)
	h = bob.get(svc + "admin")
	requireJSONError(t, response{h.status, h.header, h.body}, 403, "user bob may not use this page: it needs one of the scopes [custom:act-as-user:admin]")

	// A token header works on the admin page too, with the hub's scopes.
	adminToken := hub.NewToken(t, "ada", []string{"access:services!service=act-as-user", "custom:act-as-user:admin"})
	r := get(t, svc+"admin", "token "+adminToken)
	require.Equal(t, 200, r.status, r.body)
	plainToken := hub.NewToken(t, "ada", []string{"access:services!service=act-as-user"})
	requireJSONError(t, get(t, svc+"admin", "token "+plainToken), 403, "custom:act-as-user:admin")
	_ = os.Remove(bin)
}
