# Streamlit, Dash and Gradio behind hubauth-proxy, each in both shapes:
#
#  - as a service (/services/streamlit/, /services/dash/, /services/gradio/):
#    the hub starts hubauth-proxy, which starts the app;
#  - as a user's server: every user may start named servers "streamlit",
#    "dash" and "gradio" (/user/NAME/streamlit/, …), each hubauth-proxy
#    starting that app for them.
#
# Each app gets only its own documented base-path setting: nothing in them
# knows about the hub, and none of their own protections is turned off.
#
#   make build apps                # from the repository root: bin/, .venv-apps/
#   .venv/bin/jupyterhub -f examples/proxy-apps/jupyterhub_config.py
#
# then log in with any username and password at http://127.0.0.1:8000/ and
# open http://127.0.0.1:8000/services/streamlit/ (or dash, gradio), or start
# a named server from the hub's home page.
#
# $PROXY_BIN_DIR and $APPS_VENV move the proxy and the apps; $APPS_PORTS
# (three, comma-separated) are the ports the services listen on.
import os
import shutil

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
bin_dir = os.environ.get("PROXY_BIN_DIR") or os.path.join(repo, "bin")
apps_venv = os.environ.get("APPS_VENV") or os.path.join(repo, ".venv-apps")
proxy = os.path.join(bin_dir, "hubauth-proxy")
python = os.path.join(apps_venv, "bin", "python")
ports = os.environ.get("APPS_PORTS", "10121,10122,10123").split(",")

# What each app needs after `hubauth-proxy --`: {port} is a free port the
# proxy picks, {prefix} the app's URL prefix (/services/streamlit/ or
# /user/NAME/streamlit/), {prefix_no_slash} the same without its last "/".
APPS = {
    # Streamlit's base path flag.
    "streamlit": [os.path.join(apps_venv, "bin", "streamlit"), "run", os.path.join(here, "streamlit_app.py"),
                  "--server.address", "127.0.0.1", "--server.port", "{port}",
                  "--server.baseUrlPath", "{prefix}"],
    # Dash reads its base path (and port) from the environment.
    "dash": ["env", "DASH_URL_BASE_PATHNAME={prefix}", "PORT={port}",
             python, os.path.join(here, "dash_app.py")],
    # Gradio's root path, without the trailing slash.
    "gradio": ["env", "GRADIO_ROOT_PATH={prefix_no_slash}", "GRADIO_SERVER_PORT={port}",
               "GRADIO_ANALYTICS_ENABLED=False", python, os.path.join(here, "gradio_app.py")],
}
# Gradio takes a while to import.
READY = ["-ready-timeout", "120s"]

c.JupyterHub.services = [
    {
        "name": name,
        "url": f"http://127.0.0.1:{ports[i]}",
        "command": [proxy, *READY, "--", *cmd],
        "oauth_no_confirm": True,  # no "authorize?" page for these
    }
    for i, (name, cmd) in enumerate(APPS.items())
]
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self"] + [f"access:services!service={name}" for name in APPS]},
]

c.JupyterHub.allow_named_servers = True
c.JupyterHub.spawner_class = "simple"  # runs as the hub's own user: a demo
c.Spawner.cmd = [proxy, *READY, "--", *APPS["streamlit"]]  # the default server


def app_for_server(spawner):
    # A named server runs the app of its name.
    if spawner.name in APPS:
        spawner.cmd = [proxy, *READY, "--", *APPS[spawner.name]]


c.Spawner.pre_spawn_hook = app_for_server
c.Spawner.start_timeout = 150
c.Spawner.http_timeout = 150

chp = os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(chp):
    c.ConfigurableHTTPProxy.command = [chp]
elif not shutil.which("configurable-http-proxy"):
    raise SystemExit("configurable-http-proxy not found: run `make deps` first")

# Dummy login (any username and password): a demo, never a deployment.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
