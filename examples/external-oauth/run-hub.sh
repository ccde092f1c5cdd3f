#!/bin/sh
# Runs the hub of this example, keeping its database and cookie secret in
# .demo-external/ at the repository root. Needs WHOAMI_OAUTH_API_TOKEN.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$repo/.demo-external"
cd "$repo/.demo-external"
exec "$repo/.venv/bin/jupyterhub" -f "$repo/examples/external-oauth/jupyterhub_config.py" "$@"
