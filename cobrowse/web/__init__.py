"""Flask glue: blueprints and the error handlers that turn every refusal into a clear 4xx.

Each request gets a log context (request id, then participant and session as they become
known, cobrowse/logs.py); each refusal is one log line and one count by its code; a Redis
outage is a ``503`` with ``retry_after`` (issue 12, item 3), never a 500.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from cobrowse import logs, metrics
from cobrowse.errors import CobrowseError
from cobrowse.storage.base import BrokerError, BrokerUnavailable
from cobrowse.web.api import api
from cobrowse.web.assets import assets
from cobrowse.web.codes_api import codes_api
from cobrowse.web.http import json_response
from cobrowse.web.integration_api import integration_api
from cobrowse.web.outcomes import outage as _outage
from cobrowse.web.outcomes import refused, unreachable
from cobrowse.web.pages import pages

log = logging.getLogger(__name__)

def register(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(codes_api)
    app.register_blueprint(integration_api)
    app.register_blueprint(assets)

    @app.before_request
    def _log_context():
        rid = (request.headers.get("X-Request-Id") or "")[:64] or secrets.token_hex(8)
        g.log_token = logs.begin(request_id=rid)

    @app.teardown_request
    def _log_context_end(_exc):
        token = g.pop("log_token", None)
        if token is not None:
            logs.end(token)

    @app.after_request
    def _close_while_draining(response):
        # A worker that is stopping closes each keep-alive connection after its next answer,
        # so the client's next request lands on a live worker and this one can exit at once
        # instead of waiting out gunicorn's graceful timeout for idle connections.
        core = app.extensions.get("cobrowse")
        if core is not None and core.poller.draining.is_set():
            response.headers["Connection"] = "close"
        return response

    @app.errorhandler(CobrowseError)
    def _refusal(err: CobrowseError):
        if isinstance(err, BrokerUnavailable):
            body = {**_outage(err), **err.extra}
        elif isinstance(err, BrokerError):
            metrics.REDIS_ERRORS.labels("refused").inc()
            log.error("broker refused on %s: %s", request.path, err.message)
            return json_response({"ok": False, "error": "internal",
                                  "message": "the server failed on this request"}, 500)
        else:
            body = err.to_json()
        refused(err.status, body)
        return json_response(body, err.status)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code and err.code < 400 or not (request.path.startswith("/api/")
                                                or request.path.startswith("/workspace/api/")):
            return err
        body = {"ok": False, "error": err.name.lower().replace(" ", "_"),
                "message": err.description}
        refused(err.code or 500, body)
        return json_response(body, err.code or 500)

    @app.errorhandler(Exception)
    def _crash(err: Exception):
        if unreachable(err):
            # A redis-py error that escaped translation is still an outage, not a crash.
            body = _outage(err)
            refused(503, body)
            return json_response(body, 503)
        log.exception("unhandled error on %s", request.path)
        return json_response({"ok": False, "error": "internal",
                              "message": "the server failed on this request; retry later"}, 500)

