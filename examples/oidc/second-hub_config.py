# A second JupyterHub that logs its users in through the first hub's
# hubauth-oidc, with oauthenticator's GenericOAuthenticator, configured
# from the provider's discovery document alone: the client "second-hub" of
# clients.yaml. It needs `pip install oauthenticator` beside jupyterhub
# (make apps installs both into .venv-oauthenticator/):
#
#   .venv-oauthenticator/bin/jupyterhub -f examples/oidc/second-hub_config.py
#
# then open http://localhost:8001/ (localhost, not 127.0.0.1: browsers keep
# cookies by host, and both hubs name theirs alike).
import json
import os
import urllib.request

c = get_config()  # noqa

issuer = os.environ.get("OIDC_ISSUER", "http://127.0.0.1:8000/services/oidc")
public_url = os.environ.get("SECOND_HUB_URL", "http://localhost:8001").rstrip("/")
c.JupyterHub.bind_url = public_url

# The endpoints come from the provider's discovery document, read when the
# hub starts (so the first hub must be up).
with urllib.request.urlopen(issuer + "/.well-known/openid-configuration") as f:
    discovery = json.load(f)

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.login_service = "the first hub"
c.GenericOAuthenticator.client_id = "second-hub"
c.GenericOAuthenticator.client_secret = os.environ.get(
    "SECOND_HUB_CLIENT_SECRET",
    # The example secret of clients.yaml: make your own.
    "2957c91544cbb9025e1a6894fc32040bcdd1a0fa910c829115c65672d5d6ee7d",
)
c.GenericOAuthenticator.oauth_callback_url = public_url + "/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = discovery["authorization_endpoint"]
c.GenericOAuthenticator.token_url = discovery["token_endpoint"]
c.GenericOAuthenticator.userdata_url = discovery["userinfo_endpoint"]
c.GenericOAuthenticator.scope = ["openid", "profile", "groups"]
c.GenericOAuthenticator.username_claim = "preferred_username"
# The user's groups on the first hub become their groups here, and only
# members of "staff" may log in.
c.GenericOAuthenticator.manage_groups = True
c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"
c.GenericOAuthenticator.allowed_groups = {"staff"}
c.Authenticator.allow_all = False
