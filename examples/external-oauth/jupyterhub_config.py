# JupyterHub as the login (OAuth2 provider) for an app it does not run.
#
# The app, here the Go whoami-oauth service, runs on its own at
# http://127.0.0.1:10103 and is set up by hand through environment
# variables (run-whoami-oauth.sh). The hub only knows it as an OAuth client:
# a service entry with a client id, a secret, and where to send browsers
# back. From the repository root:
#
#   export WHOAMI_OAUTH_API_TOKEN=$(openssl rand -hex 32)  # shared by both
#   make deps build
#   examples/external-oauth/run-hub.sh            # terminal 1
#   examples/external-oauth/run-whoami-oauth.sh   # terminal 2
#
# then open http://127.0.0.1:10103/ and log in with any name.
import os

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))

token = os.environ.get("WHOAMI_OAUTH_API_TOKEN")
if not token:
    raise SystemExit(
        "set WHOAMI_OAUTH_API_TOKEN first, the same for the hub and the app: "
        "export WHOAMI_OAUTH_API_TOKEN=$(openssl rand -hex 32)"
    )
# Where the app is reached by browsers.
app_url = os.environ.get("WHOAMI_OAUTH_URL", "http://127.0.0.1:10103").rstrip("/")

c.JupyterHub.services = [
    {
        "name": "whoami-external",
        # The OAuth client id; JupyterHub wants service- in front.
        "oauth_client_id": "service-whoami-external",
        # The client secret, and the app's token for the hub's API.
        "api_token": token,
        # Where the hub sends the browser back with the code. It must be
        # exactly the app's JUPYTERHUB_OAUTH_CALLBACK_URL.
        "oauth_redirect_uri": app_url + "/oauth_callback",
        # Users are not asked to confirm: the operator vouches for the app.
        "oauth_no_confirm": True,
        # No "url": the proxy does not route to the app, browsers reach it
        # at its own address.
    }
]

c.JupyterHub.load_roles = [
    {
        # Who may log in to the app: here every user. Narrow it with
        # "groups" or "users" on a role of its own.
        "name": "user",
        "scopes": ["self", "access:services!service=whoami-external"],
    }
]

# With an authenticator that logs in through another provider
# (auto_login = True), this skips the hub's own login page on the way to
# the app's authorization; with the dummy login below it changes nothing.
c.Authenticator.auto_login_oauth2_authorize = True

# The configurable-http-proxy that `make deps` installed into node_modules/.
c.ConfigurableHTTPProxy.command = [
    os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
]

# Dummy login (any username and password) and no notebook servers: a demo,
# never a deployment. Hence also loopback only.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.default_url = "/hub/home"
