# Every user's server is a Bokeh app behind hubauth-proxy: the hub starts
# the proxy (c.Spawner.cmd), the proxy starts the app on a free port and
# lets in only the server's owner (and whoever the hub grants
# access:servers on it).
#
#   make build apps                # from the repository root: bin/hubauth-proxy, .venv-apps/
#   .venv/bin/jupyterhub -f examples/proxy-user-server/jupyterhub_config.py
#
# then log in with any username and password at http://127.0.0.1:8000/ and
# start your server: you land on your dashboard. Stop it from the hub's
# home page and the app stops too; idle servers are seen as idle, since the
# proxy reports activity only while requests flow.
#
# $PROXY_BIN_DIR and $APPS_VENV move the proxy and Bokeh; $HUB_HOST is the
# host:port browsers use, which Bokeh checks websocket origins against
# (or $BOKEH_ALLOW_WEBSOCKET_ORIGIN).
import os
import shutil

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
bin_dir = os.environ.get("PROXY_BIN_DIR") or os.path.join(repo, "bin")
apps_venv = os.environ.get("APPS_VENV") or os.path.join(repo, ".venv-apps")
hub_host = os.environ.get("HUB_HOST", "127.0.0.1:8000")

c.JupyterHub.spawner_class = "simple"  # runs as the hub's own user: a demo
c.Spawner.cmd = [
    os.path.join(bin_dir, "hubauth-proxy"),
    # Bokeh is told its prefix (/user/NAME/), so it gets the full path (the
    # proxy's default).
    "-ready-timeout", "60s",
    "--",
    os.path.join(apps_venv, "bin", "bokeh"), "serve", os.path.join(here, "app.py"),
    "--address", "127.0.0.1", "--port", "{port}", "--prefix", "{prefix}",
    "--allow-websocket-origin", os.environ.get("BOKEH_ALLOW_WEBSOCKET_ORIGIN", hub_host),
]
# Bokeh serves the app at {prefix}app; send users there.
c.Spawner.default_url = "/app"
# Activity reports every minute (the default is 300 s) for the idle culler.
c.Spawner.environment = {"JUPYTERHUB_ACTIVITY_INTERVAL": "60"}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90

chp = os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(chp):
    c.ConfigurableHTTPProxy.command = [chp]
elif not shutil.which("configurable-http-proxy"):
    raise SystemExit("configurable-http-proxy not found: run `make deps` first")

# Dummy login (any username and password): a demo, never a deployment.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.bind_url = "http://" + hub_host
