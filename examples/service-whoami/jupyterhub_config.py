# JupyterHub launches the Go whoami services as hub-managed services.
#
#   make demo        # from the repository root: installs, builds, runs this
#
# then log in with any username and password at
# http://127.0.0.1:8000/services/whoami-oauth/ to see your model, or get a
# token at http://127.0.0.1:8000/hub/token and:
#
#   curl -H "Authorization: token $TOKEN" http://127.0.0.1:8000/services/whoami-api/
#
# The binaries are looked up in $WHOAMI_BIN_DIR (set by `make demo`), else in
# bin/ at the repository root (`make build`).
import os
import shutil

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
bin_dir = os.environ.get("WHOAMI_BIN_DIR") or os.path.join(repo, "bin")

services = [
    {
        # Token-only: curl -H "Authorization: token $TOKEN" .../services/whoami-api/
        "name": "whoami-api",
        "url": "http://127.0.0.1:10101",
        "command": [os.path.join(bin_dir, "whoami-api")],
        "display": False,
    },
    {
        # For browsers, through the hub's OAuth login:
        # http://127.0.0.1:8000/services/whoami-oauth/
        "name": "whoami-oauth",
        "url": "http://127.0.0.1:10102",
        "command": [os.path.join(bin_dir, "whoami-oauth")],
        # The default OAuth scopes are the least a service needs: access
        # to itself and the user's name. List more here if the service
        # should see more, e.g. ["inherit"] for all the user may see.
        # "oauth_client_allowed_scopes": ["inherit"],
    },
]

c.JupyterHub.services = services

c.JupyterHub.load_roles = [
    {
        # Every user may use every service, and read their own model.
        "name": "user",
        "scopes": ["access:services", "self"],
    }
]

# The configurable-http-proxy that `make deps` installed into node_modules/.
chp = os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(chp):
    c.ConfigurableHTTPProxy.command = [chp]
elif not shutil.which("configurable-http-proxy"):
    raise SystemExit("configurable-http-proxy not found: run `make deps` first")

# Dummy login (any username and password) and no notebook servers: a demo,
# never a deployment. Hence also loopback only.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.default_url = "/hub/home"
