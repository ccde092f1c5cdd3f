package integration

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/hubtest"
	"github.com/hubauth-go/whoami/internal/pyjson"
)

// The hub-managed whoami-api, reached through the proxy as users reach it.
func TestWhoamiAPIManaged(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-api")
	port := hubtest.FreePort(t)
	callerToken := hubtest.RandomToken()
	strangerToken := hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{
			{Name: "whoami-api", URL: fmt.Sprintf("http://127.0.0.1:%d", port), Command: []string{bin}},
			// Two services without a server of their own that call whoami-api with their tokens.
			{Name: "caller", APIToken: callerToken},
			{Name: "stranger", APIToken: strangerToken},
			{Name: "other", URL: fmt.Sprintf("http://127.0.0.1:%d", hubtest.FreePort(t))},
		},
		Roles: []hubtest.Role{
			{Name: "whoami-users", Scopes: []string{"access:services!service=whoami-api"}, Groups: []string{"whoami"}},
			{Name: "caller", Scopes: []string{"access:services!service=whoami-api"}, Services: []string{"caller"}},
			{Name: "stranger", Scopes: []string{"access:services!service=other"}, Services: []string{"stranger"}},
		},
		Groups: []string{"whoami"},
	})
	url := hub.URL + "/services/whoami-api/"

	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "whoami", "ada")
	hub.CreateUser(t, "bob") // not in the group: no access
	adaToken := hub.NewToken(t, "ada", nil)
	bobToken := hub.NewToken(t, "bob", nil)

	t.Run("token with access gets the hub's own model", func(t *testing.T) {
		// Ask the hub first: the first use of a token records activity,
		// which would otherwise differ between the two answers.
		hubAnswer := get(t, hub.URL+"/hub/api/user", "token "+adaToken)
		require.Equal(t, 200, hubAnswer.status, hubAnswer.body)

		r := get(t, url, "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		want, err := pyjson.Format([]byte(hubAnswer.body))
		require.NoError(t, err)
		require.Equal(t, string(want), r.body, "formatted as Python's json.dumps(model, indent=1, sort_keys=True)")
		require.Contains(t, r.body, "\n \"name\": \"ada\"")
		require.Contains(t, r.body, "\n \"kind\": \"user\"")
		require.Empty(t, r.header.Values("Set-Cookie"), "token requests set no cookie")
	})

	t.Run("paths below the prefix", func(t *testing.T) {
		r := get(t, url+"some/path?x=1", "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, `"name": "ada"`)
	})

	t.Run("bearer scheme", func(t *testing.T) {
		r := get(t, url, "Bearer "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, `"name": "ada"`)
	})

	t.Run("token without access", func(t *testing.T) {
		requireJSONError(t, get(t, url, "token "+bobToken), 403, "user bob may not use this service")
	})

	t.Run("token with scopes that leave out access", func(t *testing.T) {
		narrow := hub.NewToken(t, "ada", []string{"read:users:name!user=ada"})
		requireJSONError(t, get(t, url, "token "+narrow), 403, "user ada may not use this service")
	})

	t.Run("no token", func(t *testing.T) {
		requireJSONError(t, get(t, url, ""), 403, "no token")
	})

	t.Run("unknown token", func(t *testing.T) {
		requireJSONError(t, get(t, url, "token "+hubtest.RandomToken()), 403, "does not accept this token")
	})

	t.Run("token in the URL is refused", func(t *testing.T) {
		requireJSONError(t, get(t, url+"?token="+adaToken, ""), 403, "no token")
	})

	t.Run("malformed headers get a 4xx", func(t *testing.T) {
		for _, h := range []string{"token", "token    ", "Basic YWRhOnB3", "token " + strings.Repeat("x", 5000)} {
			r := get(t, url, h)
			require.Equal(t, 403, r.status, "header %.40q: %s", h, r.body)
		}
		// Bytes Go's client refuses to send, written by hand; through the
		// proxy and straight to the service.
		for _, h := range []string{"bearer \x7f\x7f", "token a\x01b", "token \xff\xfe", "token \x00abc"} {
			for _, target := range []string{hub.URL, fmt.Sprintf("http://127.0.0.1:%d", port)} {
				status := rawGet(t, target, "/services/whoami-api/", "Authorization: "+h)
				require.True(t, status >= 400 && status < 500, "header %q at %s: got %d", h, target, status)
			}
		}
	})

	t.Run("service token with access", func(t *testing.T) {
		r := get(t, url, "token "+callerToken)
		require.Equal(t, 200, r.status, r.body)
		require.Contains(t, r.body, "\n \"kind\": \"service\"")
		require.Contains(t, r.body, "\n \"name\": \"caller\"")
	})

	t.Run("service token for another service", func(t *testing.T) {
		requireJSONError(t, get(t, url, "token "+strangerToken), 403, "service stranger may not use this service")
	})
}

// An externally run whoami-api, configured by hand through the environment,
// answers through the proxy and directly; while the hub is down it says so
// with a 503 and keeps running, and it answers again when the hub is back.
func TestWhoamiAPIExternal(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-api")
	port := hubtest.FreePort(t)
	serviceURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	serviceToken := hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{Name: "whoami-ext", URL: serviceURL, APIToken: serviceToken}},
		Roles:    []hubtest.Role{{Name: "ext-users", Scopes: []string{"access:services!service=whoami-ext"}, Groups: []string{"ext"}}},
		Groups:   []string{"ext"},
	})
	svc := hubtest.StartProcess(t, bin, env(map[string]string{
		"JUPYTERHUB_API_TOKEN":      serviceToken,
		"JUPYTERHUB_API_URL":        hub.APIURL,
		"JUPYTERHUB_SERVICE_NAME":   "whoami-ext",
		"JUPYTERHUB_SERVICE_URL":    serviceURL,
		"JUPYTERHUB_SERVICE_PREFIX": "/services/whoami-ext/",
		"HUBAUTH_HUB_TIMEOUT":       "5s",
	}), fmt.Sprintf("127.0.0.1:%d", port))

	hub.CreateUser(t, "grace")
	hub.AddToGroup(t, "ext", "grace")
	token := hub.NewToken(t, "grace", nil)
	fresh := hub.NewToken(t, "grace", nil) // not yet seen by the service

	r := get(t, hub.URL+"/services/whoami-ext/", "token "+token)
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, `"name": "grace"`)
	r = get(t, serviceURL+"/services/whoami-ext/", "token "+token)
	require.Equal(t, 200, r.status, r.body)

	hub.Stop(t)
	start := time.Now()
	r = get(t, serviceURL+"/services/whoami-ext/", "token "+fresh)
	requireJSONError(t, r, 503, "cannot reach JupyterHub API at "+hub.APIURL)
	require.Less(t, time.Since(start), 5*time.Second, "answered within the hub timeout")
	require.True(t, svc.Running(), "the service stays up while the hub is down")
	// A token already checked is still served from the cache.
	r = get(t, serviceURL+"/services/whoami-ext/", "token "+token)
	require.Equal(t, 200, r.status, r.body)

	hub.Restart(t)
	r = get(t, serviceURL+"/services/whoami-ext/", "token "+fresh)
	require.Equal(t, 200, r.status, "the service recovers when the hub does: %s", r.body)
	require.Contains(t, r.body, `"name": "grace"`)

	require.NoError(t, svc.Stop(), "SIGTERM shuts the service down cleanly")
	require.Contains(t, svc.Output(), "shutting down")
	require.NotContains(t, svc.Output(), token, "tokens never appear in logs")
	require.NotContains(t, svc.Output(), fresh, "tokens never appear in logs")
}

// A service started without what it needs says which variables to set, and
// -h documents every setting.
func TestWhoamiAPIStartup(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-api")

	cmd := exec.Command(bin)
	cmd.Env = []string{"JUPYTERHUB_API_URL=not a url"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, string(out), "JUPYTERHUB_API_TOKEN: not set")
	require.Contains(t, string(out), "JUPYTERHUB_API_URL: want a URL")
	require.Contains(t, string(out), "JUPYTERHUB_OAUTH_ACCESS_SCOPES: no access scopes")
	require.NotContains(t, string(out), "panic")

	out, err = exec.Command(bin, "-h").CombinedOutput()
	require.NoError(t, err)
	for _, s := range hubauth.Settings() {
		require.Contains(t, string(out), s.Name)
	}
}
