# JupyterHub runs the act-as-user example service, which calls the hub's
# API with each user's own token.
#
#   go build -o bin/act-as-user ./examples/act-as-user
#   .venv/bin/jupyterhub -f examples/act-as-user/jupyterhub_config.py
#
# then log in with any name at http://127.0.0.1:8000/services/act-as-user/.
# Users in the group "act-as-user-admins" also see /services/act-as-user/admin.
# The binary is looked up in $ACT_AS_USER_BIN, else bin/act-as-user.
import os

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))

# A scope of this deployment's own, for the service's admin page.
c.JupyterHub.custom_scopes = {
    "custom:act-as-user:admin": {"description": "Open the act-as-user admin page."},
}

c.JupyterHub.services = [
    {
        "name": "act-as-user",
        "url": "http://127.0.0.1:10104",
        "command": [os.environ.get("ACT_AS_USER_BIN") or os.path.join(repo, "bin", "act-as-user")],
        # What the token a user's login gives the service may do, beyond
        # knowing who they are. "!user" means "of the user logging in".
        # A scope listed here is granted only to users who hold it.
        "oauth_client_allowed_scopes": [
            "read:users:groups!user",
            "read:servers!user",
            "custom:act-as-user:admin",
        ],
        "oauth_no_confirm": True,
    },
]

c.JupyterHub.load_groups = {"act-as-user-admins": {"users": []}}
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=act-as-user"]},
    {
        "name": "act-as-user-admins",
        "scopes": ["custom:act-as-user:admin"],
        "groups": ["act-as-user-admins"],
    },
]

# Dummy login (any username and password), loopback only: a demo.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.default_url = "/hub/home"
chp = os.path.join(repo, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(chp):
    c.ConfigurableHTTPProxy.command = [chp]
