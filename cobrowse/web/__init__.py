"""Flask glue: blueprints and the error handlers that turn every refusal into a clear 4xx."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from cobrowse.errors import CobrowseError
from cobrowse.web.api import api
from cobrowse.web.http import json_response
from cobrowse.web.pages import pages

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(pages)

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
        return json_response(err.to_json(), err.status)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code and err.code < 400 or not (request.path.startswith("/api/")
                                                or request.path.startswith("/workspace/api/")):
            return err
        return json_response({"ok": False, "error": err.name.lower().replace(" ", "_"),
                              "message": err.description}, err.code or 500)

    @app.errorhandler(Exception)
    def _crash(err: Exception):
        log.exception("unhandled error on %s", request.path)
        return json_response({"ok": False, "error": "internal",
                              "message": "the server failed on this request; retry later"}, 500)
