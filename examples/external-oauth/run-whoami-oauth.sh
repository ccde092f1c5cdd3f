#!/bin/sh
# Runs whoami-oauth outside the hub, as an app that uses JupyterHub for its
# login: every setting the hub would give a service it runs is set here by
# hand. Defaults match jupyterhub_config.py beside this script; override
# any of them from the environment.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)

: "${WHOAMI_OAUTH_API_TOKEN:?set it to the same value the hub has: export WHOAMI_OAUTH_API_TOKEN=\$(openssl rand -hex 32)}"
hub=${HUB_URL:-http://127.0.0.1:8000}         # where browsers reach the hub
app=${WHOAMI_OAUTH_URL:-http://127.0.0.1:10103} # where browsers reach this app

# The client secret is the service's API token.
export JUPYTERHUB_API_TOKEN="$WHOAMI_OAUTH_API_TOKEN"
# The hub's REST API, for the code exchange and user lookups.
export JUPYTERHUB_API_URL="${HUB_API_URL:-$hub/hub/api}"
# The hub's public origin: the authorize URL is on it, not on this app.
export JUPYTERHUB_HOST="$hub"
export JUPYTERHUB_SERVICE_NAME=whoami-external
export JUPYTERHUB_CLIENT_ID=service-whoami-external
export JUPYTERHUB_SERVICE_URL="$app"
export JUPYTERHUB_SERVICE_PREFIX=/
export JUPYTERHUB_OAUTH_CALLBACK_URL="$app/oauth_callback"

exec "${WHOAMI_BIN_DIR:-$repo/bin}/whoami-oauth"
