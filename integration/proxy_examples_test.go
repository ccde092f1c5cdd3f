package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// bokehPath is Bokeh from PyPI, which `make apps` installs into
// .venv-apps/ (pinned in requirements-apps.txt).
func bokehPath() string { return filepath.Join(hubtest.RepoRoot(), ".venv-apps", "bin", "bokeh") }

// requireApps skips the test when the third-party apps are not installed,
// or fails it when integration tests are required.
func requireApps(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(bokehPath()); err != nil {
		hubtest.SkipOrFail(t, fmt.Sprintf("the hubauth-proxy app tests need Bokeh at %s: run `make apps`", bokehPath()))
	}
}

// The proxy-service example, from its own config: a site served by
// Python's http.server behind hubauth-proxy as a hub-managed service.
func TestProxyServiceExample(t *testing.T) {
	bin := hubtest.Binary(t, "hubauth-proxy")
	hub := hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "proxy-service", "jupyterhub_config.py")},
		Env: []string{
			"PROXY_BIN_DIR=" + filepath.Dir(bin),
			fmt.Sprintf("SITE_PORT=%d", hubtest.FreePort(t)),
			fmt.Sprintf("PROXY_PORT=%d", hubtest.FreePort(t)),
		},
	})
	svc := hub.URL + "/services/site/"
	b := newBrowser(t, "kim")
	var h hop
	// The hub starts the site and the proxy side by side; the site may
	// answer a moment after the proxy (a 502 until then).
	require.Eventually(t, func() bool {
		h = b.visit(svc)
		return h.status != http.StatusBadGateway
	}, 20*time.Second, 200*time.Millisecond)
	require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
	require.Contains(t, h.body, "<h1>A site behind the hub's login</h1>")
	require.Equal(t, 0, b.approved, "oauth_no_confirm: no authorize page")

	hub.CreateUser(t, "lee")
	r := get(t, svc, "token "+hub.NewToken(t, "lee", nil))
	require.Equal(t, 200, r.status)
	require.Contains(t, r.body, "A site behind the hub's login")
	r = get(t, svc, "")
	require.Equal(t, 302, r.status, "no login, no site")
}

// startBokehServer starts user's server in the proxy-user-server example
// (Bokeh behind hubauth-proxy) and waits until the hub says it is ready.
func startBokehServer(t *testing.T, user string) *hubtest.Hub {
	t.Helper()
	requireApps(t)
	bin := hubtest.Binary(t, "hubauth-proxy")
	hub := hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "proxy-user-server", "jupyterhub_config.py")},
		Env: []string{
			"PROXY_BIN_DIR=" + filepath.Dir(bin),
			// The hub's port is the rig's, known only once it runs.
			"BOKEH_ALLOW_WEBSOCKET_ORIGIN=*",
		},
		Roles: []hubtest.Role{{Name: "rig-servers", Scopes: []string{"servers", "read:servers"}, Services: []string{"hubtest-admin"}}},
	})
	hub.CreateUser(t, user)
	status := hub.API(t, "POST", "/users/"+user+"/server", nil, nil)
	require.Contains(t, []int{201, 202}, status)
	require.Eventually(t, func() bool {
		s, ok := userServers(t, hub, user).Servers[""]
		return ok && s.Ready
	}, 90*time.Second, 250*time.Millisecond, "the Bokeh server becomes ready\nhub log:\n%s", hub.LogTail())
	return hub
}

var (
	bokehScriptRe = regexp.MustCompile(`src="(/user/[^"]+/static/js/bokeh\.min\.js\?v=[0-9a-f]+)"`)
	bokehTokenRe  = regexp.MustCompile(`"token":"([A-Za-z0-9_\-.]+)"`)
)

// A real third-party app from PyPI as every user's server: Bokeh, started
// by hubauth-proxy, which the hub started with c.Spawner.cmd.
func TestProxyBokehUserServer(t *testing.T) {
	hub := startBokehServer(t, "kim")
	app := hub.URL + "/user/kim/app"
	token := hub.NewToken(t, "kim", nil)

	r := get(t, app, "token "+token)
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, "<title>kim&#39;s dashboard</title>", "Bokeh rendered kim's document")
	script := bokehScriptRe.FindStringSubmatch(r.body)
	require.NotNil(t, script, "Bokeh's script tag, under the server's prefix")
	session := bokehTokenRe.FindStringSubmatch(r.body)
	require.NotNil(t, session, "Bokeh's session token in the page")

	js := get(t, hub.URL+script[1], "token "+token)
	require.Equal(t, 200, js.status)
	require.Greater(t, len(js.body), 100_000, "Bokeh's JavaScript, streamed through the proxy")

	// Bokeh's own websocket protocol through the proxy: the server
	// acknowledges the session first thing.
	ws, status := dialWebsocket(t, app+"/ws", http.Header{
		"Authorization":          {"token " + token},
		"Origin":                 {hub.URL},
		"Sec-Websocket-Protocol": {"bokeh, " + session[1]},
	})
	require.Equal(t, 101, status)
	op, msg := ws.recv(t)
	require.Equal(t, byte(1), op)
	require.Contains(t, string(msg), `"msgtype": "ACK"`)

	r = get(t, hub.URL+"/user/kim/", "token "+token)
	require.Equal(t, 302, r.status, "the server's prefix itself sends the browser on to c.Spawner.default_url")
	require.Equal(t, "/user/kim/app", r.header.Get("Location"))

	b := newBrowser(t, "kim")
	h := b.visit(app)
	require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
	require.Equal(t, app, h.url)
	require.Contains(t, h.body, "kim&#39;s dashboard")

	hub.CreateUser(t, "ann")
	r = get(t, app, "token "+hub.NewToken(t, "ann", nil))
	require.Equal(t, 403, r.status, "another user may not use kim's server")

	pids := hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return len(p.Args) > 2 && strings.HasSuffix(p.Args[1], filepath.Join(".venv-apps", "bin", "bokeh"))
	})
	require.Len(t, pids, 1, "one Bokeh runs")
	require.Contains(t, []int{202, 204}, hub.API(t, "DELETE", "/users/kim/server", nil, nil))
	require.Eventually(t, func() bool {
		return len(hubtest.Processes(func(p hubtest.ProcInfo) bool { return p.PID == pids[0] })) == 0
	}, 30*time.Second, 100*time.Millisecond, "stopping the server stops Bokeh")
}
