"""Python reference for the benchmark's cookie path: whoami-oauth, the usual way.

Not shipped. `make bench` (bench/cookie_bench_test.go, build tag "bench")
logs a browser in to it through the real hub and measures it, with the
login cookie, beside the Go whoami-oauth. It is the familiar Tornado service
of JupyterHub's example ``examples/service-whoami/whoami-oauth.py``: a
RequestHandler with JupyterHub's ``HubOAuthenticated`` mixin and
``@web.authenticated`` on the service prefix and every path below it, and
``HubOAuthCallbackHandler`` at ``oauth_callback``. A browser without a login is
sent to the hub's authorize URL; with the login cookie (set by the callback,
sealed by Tornado's secure cookies) it gets its model as
``json.dumps(model, indent=1, sort_keys=True)``, Content-Type
application/json: the bytes the Go service sends.

HubOAuth keeps its defaults: the token in the cookie is checked with the hub
and the answer cached in memory (cache_max_age, 5 minutes), one process, one
event loop. The cookie secret is random per process, as in the example.

Configuration is the JUPYTERHUB_* variables a hub gives an OAuth service:

    JUPYTERHUB_API_URL              the hub API, e.g. http://127.0.0.1:8081/hub/api
    JUPYTERHUB_API_TOKEN            this service's API token (its OAuth client secret)
    JUPYTERHUB_CLIENT_ID            e.g. service-whoami-oauth-py (also the cookie's name)
    JUPYTERHUB_SERVICE_NAME         e.g. whoami-oauth-py
    JUPYTERHUB_SERVICE_PREFIX       e.g. /services/whoami-oauth-py/
    JUPYTERHUB_SERVICE_URL          where to listen, e.g. http://127.0.0.1:10103
    JUPYTERHUB_OAUTH_CALLBACK_URL   where the hub sends the browser back
    JUPYTERHUB_HOST                 the hub's public origin, for the authorize redirect
    JUPYTERHUB_OAUTH_ACCESS_SCOPES  JSON list, e.g. ["access:services!service=whoami-oauth-py"]

It stops on SIGTERM or SIGINT: stops listening, closes open connections and
exits with status 0.
"""

import asyncio
import json
import os
import re
import signal
from urllib.parse import urlparse

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler, authenticated

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join


class WhoAmI(HubOAuthenticated, RequestHandler):
    """Shows the logged-in hub user their model."""

    @authenticated
    def get(self):
        model = self.get_current_user()
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(model, indent=1, sort_keys=True))


def make_app(prefix):
    """The callback, then the prefix (with or without its slash) and all below it."""
    base = re.escape(prefix.rstrip("/"))
    return Application(
        [
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (base + r"(?:/.*)?", WhoAmI),
        ],
        cookie_secret=os.urandom(32),
    )


async def serve():
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    where = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])

    server = HTTPServer(make_app(prefix))
    server.listen(where.port, where.hostname or "")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    server.stop()
    await server.close_all_connections()


if __name__ == "__main__":
    asyncio.run(serve())
