package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// serverModel is the part of GET /hub/api/users/NAME the tests read.
type serverModel struct {
	Servers map[string]struct {
		Ready        bool      `json:"ready"`
		Pending      *string   `json:"pending"`
		URL          string    `json:"url"`
		LastActivity time.Time `json:"last_activity"`
	} `json:"servers"`
}

func userServers(t *testing.T, hub *hubtest.Hub, name string) serverModel {
	t.Helper()
	var m serverModel
	require.Equal(t, 200, hub.API(t, "GET", "/users/"+name, nil, &m))
	return m
}

// The user's server is hubauth-proxy, started by the hub's spawner with
// c.Spawner.cmd, wrapping testapp on a unix socket it picked
// ({unix_socket}), in a directory only the server's user can enter.
func TestProxyAsUserServer(t *testing.T) {
	hubtest.Require(t)
	appBin := buildTestApp(t)
	proxyBin := hubtest.Binary(t, "hubauth-proxy")
	tag := "spawned-" + hubtest.RandomToken()[:12] // finds this test's app
	cmd, err := json.Marshal([]string{proxyBin, "-access-log", "-strip-prefix", "--", appBin, "-unix", "{unix_socket}", "-tag", tag})
	require.NoError(t, err)
	hub := hubtest.Start(t, hubtest.Options{
		// The rig's admin service may also start, stop and read servers.
		Roles: []hubtest.Role{{Name: "rig-servers", Scopes: []string{"servers", "read:servers"}, Services: []string{"hubtest-admin"}}},
		ExtraConfig: fmt.Sprintf(`
c.Spawner.cmd = %s
# Report activity every second (jupyterhub-singleuser's default is 300 s).
c.Spawner.environment = {"JUPYTERHUB_ACTIVITY_INTERVAL": "1"}
# The hub's own polling of its proxy for activity, off: what moves
# last_activity is the server's reports.
c.JupyterHub.last_activity_interval = 3600
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
`, cmd),
	})
	hub.CreateUser(t, "ada")
	hub.CreateUser(t, "bob")
	bobToken := hub.NewToken(t, "bob", nil)
	adaToken := hub.NewToken(t, "ada", nil)
	server := hub.URL + "/user/ada/"

	status := hub.API(t, "POST", "/users/ada/server", nil, nil)
	require.Contains(t, []int{201, 202}, status, "start ada's server")
	require.Eventually(t, func() bool {
		s, ok := userServers(t, hub, "ada").Servers[""]
		return ok && s.Ready
	}, 60*time.Second, 200*time.Millisecond, "ada's server becomes ready\nhub log:\n%s", hub.LogTail())

	apps := processesRunning(appBin, tag)
	require.Len(t, apps, 1, "the app runs")
	proxies := processesRunning(proxyBin, tag)
	require.Len(t, proxies, 1, "hubauth-proxy runs")
	require.Equal(t, proxies[0], ppidOf(t, apps[0]), "the proxy started the app")

	t.Run("ada logs in and gets her app", func(t *testing.T) {
		b := newBrowser(t, "ada")
		h := b.visit(server + "page?x=1")
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		v := parseAppView(t, h.body)
		require.Equal(t, "/page", v.Path)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])
		require.Equal(t, []string{"/user/ada"}, v.Headers["X-Forwarded-Prefix"])
		require.NotEmpty(t, b.cookie(server, "jupyterhub-user-ada"), "the server's login cookie")
	})

	t.Run("tokens: ada's gets through, bob's gets 403", func(t *testing.T) {
		r := get(t, server+"api", "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		require.Equal(t, []string{"ada"}, parseAppView(t, r.body).Headers["X-Forwarded-User"])
		r = get(t, server+"api", "token "+bobToken)
		requireJSONError(t, r, 403, "may not use this service")
	})

	t.Run("answers carry the hub's version, which the hub checks on spawn", func(t *testing.T) {
		r := get(t, server+"page", "token "+adaToken)
		require.Equal(t, hub.Version().String(), r.header.Get("X-JupyterHub-Version"))
		r = get(t, server+"page", "")
		require.Equal(t, 302, r.status)
		require.Equal(t, hub.Version().String(), r.header.Get("X-JupyterHub-Version"), "on the login redirect too: the hub asks without a token")
		require.NotContains(t, hub.Log(), "Single-user server has no version header")
	})

	t.Run("the app listens on a socket only the server's user can reach", func(t *testing.T) {
		var socket string
		hubtest.Processes(func(p hubtest.ProcInfo) bool {
			for i, a := range p.Args {
				if p.PID == apps[0] && a == "-unix" && i+1 < len(p.Args) {
					socket = p.Args[i+1]
				}
			}
			return false
		})
		require.NotEmpty(t, socket, "the app was given {unix_socket}")
		fi, err := os.Stat(socket)
		require.NoError(t, err)
		require.Equal(t, os.ModeSocket, fi.Mode().Type())
		dir, err := os.Stat(filepath.Dir(socket))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), dir.Mode().Perm(), "no other user can enter the socket's directory")
	})

	t.Run("websocket messages alone keep the server active", func(t *testing.T) {
		ws, status := dialWebsocket(t, server+"ws", http.Header{"Authorization": {"token " + adaToken}})
		require.Equal(t, 101, status)
		// The upgrade itself was a request: let its report land first.
		time.Sleep(2500 * time.Millisecond)
		before := userServers(t, hub, "ada").Servers[""].LastActivity
		for i := range 8 {
			ws.send(t, fmt.Sprint("keep-alive ", i))
			_, got := ws.recv(t)
			require.Equal(t, fmt.Sprint("keep-alive ", i), string(got))
			time.Sleep(500 * time.Millisecond)
		}
		var after time.Time
		require.Eventually(t, func() bool {
			after = userServers(t, hub, "ada").Servers[""].LastActivity
			return after.After(before.Add(2 * time.Second))
		}, 15*time.Second, 200*time.Millisecond, "last_activity stayed at %s while messages flowed\nhub log:\n%s", before, hub.LogTail())
		t.Logf("last_activity %s -> %s over the websocket alone", before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
	})

	t.Run("the hub's last_activity advances after traffic", func(t *testing.T) {
		before := userServers(t, hub, "ada").Servers[""].LastActivity
		time.Sleep(1100 * time.Millisecond) // one activity interval
		r := get(t, server+"ping", "token "+adaToken)
		require.Equal(t, 200, r.status)
		var after time.Time
		require.Eventually(t, func() bool {
			after = userServers(t, hub, "ada").Servers[""].LastActivity
			return after.After(before.Add(time.Second))
		}, 15*time.Second, 200*time.Millisecond, "last_activity stayed at %s\nhub log:\n%s", before, hub.LogTail())
		t.Logf("last_activity %s -> %s", before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
		require.Contains(t, hub.LogTail(), "POST /hub/api/users/ada/activity", "it was the proxy's report that moved it")
	})

	t.Run("stopping the server from the hub stops the app", func(t *testing.T) {
		status := hub.API(t, "DELETE", "/users/ada/server", nil, nil)
		require.Contains(t, []int{202, 204}, status)
		require.Eventually(t, func() bool {
			return len(processesRunning(appBin, tag)) == 0 && len(processesRunning(proxyBin, tag)) == 0
		}, 30*time.Second, 100*time.Millisecond, "the app and the proxy exit")
		require.Eventually(t, func() bool {
			_, ok := userServers(t, hub, "ada").Servers[""]
			return !ok
		}, 30*time.Second, 100*time.Millisecond, "the hub sees the server stopped")
		r := get(t, server+"page", "token "+adaToken)
		require.NotEqual(t, http.StatusOK, r.status, "nothing serves ada's URL any more")
	})
}
