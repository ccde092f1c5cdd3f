# hubauth-proxy as a hub-managed service in front of an app that is already
# running: here a static site served by Python's http.server on 127.0.0.1:9000
# (which the hub also starts, as a service without a URL, to keep the
# example self-contained; any app on any port will do).
#
#   make build                     # from the repository root: bin/hubauth-proxy
#   .venv/bin/jupyterhub -f examples/proxy-service/jupyterhub_config.py
#
# then log in with any username and password at
# http://127.0.0.1:8000/services/site/ : the site's pages, behind the hub's
# login, with the caller's name in the X-Forwarded-User header.
#
# The proxy is looked up in $PROXY_BIN_DIR, else in bin/ at the repository
# root. $SITE_PORT and $PROXY_PORT move the two ports.
import os
import shutil
import sys

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
bin_dir = os.environ.get("PROXY_BIN_DIR") or os.path.join(repo, "bin")
site_port = os.environ.get("SITE_PORT", "9000")
proxy_port = os.environ.get("PROXY_PORT", "10111")

c.JupyterHub.services = [
    {
        # The app: it knows nothing of the hub and listens on loopback only.
        "name": "site-backend",
        "command": [sys.executable, "-m", "http.server", site_port,
                    "--bind", "127.0.0.1", "--directory", os.path.join(here, "site")],
    },
    {
        # The proxy in front of it: the hub routes /services/site/ here and
        # gives it its token, OAuth client and access scope.
        "name": "site",
        "url": "http://127.0.0.1:" + proxy_port,
        # http.server serves the site at "/": the proxy strips the prefix.
        "command": [os.path.join(bin_dir, "hubauth-proxy"), "-strip-prefix",
                    "-upstream", "http://127.0.0.1:" + site_port],
        # Skip the hub's "authorize this service?" page.
        "oauth_no_confirm": True,
    },
]

c.JupyterHub.load_roles = [
    {
        # Every user may use the site. A deployment would name a group.
        "name": "user",
        "scopes": ["self", "access:services!service=site"],
    }
]

chp = os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(chp):
    c.ConfigurableHTTPProxy.command = [chp]
elif not shutil.which("configurable-http-proxy"):
    raise SystemExit("configurable-http-proxy not found: run `make deps` first")

# Dummy login (any username and password): a demo, never a deployment.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.default_url = "/services/site/"
