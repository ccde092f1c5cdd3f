package proxycmd

import (
	"fmt"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/appserver"
)

const about = `Puts a web app behind JupyterHub's login: browsers log in through the hub,
token callers are checked with the hub, and the app gets the caller's name in
X-Forwarded-User and groups in X-Forwarded-Groups.

As a service in front of a running app:
    hubauth-proxy -upstream http://127.0.0.1:9000

As a user's server, starting the app on a free port ({port}; {prefix} is the
server's URL prefix, {prefix_no_slash} the same without its last '/';
{unix_socket} a socket only the server's user can reach), in the hub's config:
    c.Spawner.cmd = ["hubauth-proxy", "--", "panel", "serve", "app.py",
                     "--port", "{port}", "--prefix", "{prefix}"]
The proxy exits with the app's status, stops the app when the hub stops the
server, and reports activity to the hub while requests and websocket
messages flow.`

// Settings are the environment variables the proxy reads besides
// hubauth.Settings: a user's server gets them from the hub.
func Settings() []hubauth.Setting {
	return []hubauth.Setting{
		{Name: "JUPYTERHUB_ACTIVITY_URL", Default: "", Doc: "where a user's server reports activity (set by the hub); empty: no reports"},
		{Name: "JUPYTERHUB_ACTIVITY_INTERVAL", Default: fmt.Sprint(appserver.DefaultActivityInterval.Seconds()), Doc: "least seconds between two activity reports"},
		{Name: "JUPYTERHUB_SERVER_NAME", Default: "", Doc: "the server's name in activity reports; empty for the default server"},
		{Name: "JUPYTERHUB_USER", Default: "", Doc: "the server's owner, set by the hub for a user's server: answers then carry X-JupyterHub-Version"},
		{Name: "JUPYTERHUB_DEFAULT_URL", Default: "", Doc: "a user's server: where a browser opening {prefix} itself is sent (c.Spawner.default_url), e.g. /app"},
	}
}
