"""Python reference for the benchmark: whoami-api's job, written the usual way.

Not shipped. `make bench` (bench/bench_test.go, build tag "bench") measures it
beside the Go whoami-api to show what the Go service gains over the Python
way. It is the familiar Tornado service that JupyterHub's example
``examples/service-whoami/whoami.py`` shows: one RequestHandler with JupyterHub's
``HubAuthenticated`` mixin and ``@web.authenticated``, serving the service
prefix and every path below it. A request carrying a hub token
(``Authorization: token ...`` or ``bearer ...``) gets the caller's model as
``json.dumps(model, indent=1, sort_keys=True)``, Content-Type
application/json: the same bytes whoami-api sends. A request with no token, a
bad token, or a token without the access scope gets 403.

HubAuthenticated keeps all of its defaults, so the benchmark measures the
reference the way people run it: a HubAuth singleton configured only from the
environment, its in-memory cache of hub answers (cache_max_age, 5 minutes), its
blocking hub lookup on a background thread, one process, one event loop.
Access scopes are checked by HubAuth itself, from
JUPYTERHUB_OAUTH_ACCESS_SCOPES (or, when that is unset, the default
``access:services!service=$JUPYTERHUB_SERVICE_NAME``).

Configuration is only the JUPYTERHUB_* variables that a hub gives a service,
the same ones the benchmark gives whoami-api:

    JUPYTERHUB_API_URL              the hub API, e.g. http://127.0.0.1:8081/hub/api
    JUPYTERHUB_API_TOKEN            this service's API token
    JUPYTERHUB_SERVICE_NAME         e.g. whoami-py
    JUPYTERHUB_SERVICE_PREFIX       e.g. /services/whoami-py/
    JUPYTERHUB_SERVICE_URL          where to listen, e.g. http://127.0.0.1:10102
    JUPYTERHUB_OAUTH_ACCESS_SCOPES  JSON list, e.g. ["access:services!service=whoami-py"]

The benchmark starts it as ``.venv/bin/python bench/pyref/whoami_ref.py`` with
those variables set, and ends it with SIGTERM. It then stops listening, closes
open connections and exits with status 0 (SIGINT does the same).
"""

import asyncio
import json
import os
import re
import signal
from urllib.parse import urlparse

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler, authenticated

from jupyterhub.services.auth import HubAuthenticated


class WhoAmI(HubAuthenticated, RequestHandler):
    """Shows the hub user (or service) behind the request's token."""

    @authenticated
    def get(self):
        model = self.get_current_user()
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(model, indent=1, sort_keys=True))


def make_app(prefix):
    """The prefix itself, with or without its trailing slash, and all below it."""
    base = re.escape(prefix.rstrip("/"))
    return Application([(base + r"(?:/.*)?", WhoAmI)])


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
