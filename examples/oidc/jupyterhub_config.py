# JupyterHub as an OpenID Connect provider: hubauth-oidc as a hub-managed
# service, for the applications listed in clients.yaml. From the
# repository root:
#
#   make deps build
#   .venv/bin/jupyterhub -f examples/oidc/jupyterhub_config.py
#
# The issuer is http://127.0.0.1:8000/services/oidc; applications find
# everything else at
# http://127.0.0.1:8000/services/oidc/.well-known/openid-configuration.
# Point one at it: Grafana with grafana.ini, oauth2-proxy with
# oauth2-proxy.cfg, a second JupyterHub with second-hub_config.py. The
# hub's login here is the dummy one: any name, any password.
import os

c = get_config()  # noqa

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
bin_dir = os.environ.get("WHOAMI_BIN_DIR", os.path.join(repo, "bin"))

# Where browsers reach the hub. The issuer is this and the service's
# prefix: the URL applications are configured with, and check every
# id_token against. (With JupyterHub 5 or later, c.JupyterHub.public_url
# gives the service JUPYTERHUB_PUBLIC_URL, from which hubauth-oidc derives
# the same issuer without HUBAUTH_OIDC_ISSUER.)
public_url = os.environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
c.JupyterHub.bind_url = public_url

c.JupyterHub.services = [
    {
        "name": "oidc",
        "url": os.environ.get("HUBAUTH_OIDC_URL", "http://127.0.0.1:10120"),
        "command": [os.path.join(bin_dir, "hubauth-oidc")],
        "environment": {
            "HUBAUTH_OIDC_CLIENTS": os.path.join(here, "clients.yaml"),
            "HUBAUTH_OIDC_ISSUER": public_url + "/services/oidc",
            # The hub knows no email addresses; many applications want one.
            "HUBAUTH_OIDC_EMAIL_TEMPLATE": "{name}@hub.example.org",
            # Without HUBAUTH_OIDC_KEY_FILE, id_tokens are signed with an
            # RSA key derived from the service's API token (RS256).
        },
        # The hub does not ask users to approve the provider itself: the
        # operator vouches for it, and for the applications in clients.yaml.
        "oauth_no_confirm": True,
    }
]

c.JupyterHub.load_roles = [
    {
        # Who may log in to the applications: here every hub user. Narrow
        # it with a role of its own ("groups": [...]), or per application
        # with allowed_groups in clients.yaml.
        "name": "user",
        "scopes": ["self", "access:services!service=oidc"],
    }
]
# The group clients.yaml's allowed_groups name (add users to it on the
# hub's admin page), and that the applications see in the groups claim.
c.JupyterHub.load_groups = {"staff": {"users": []}}

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
