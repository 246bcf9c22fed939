"""The REST API for a messaging platform's server (issue 13), under ``/api/v1/integration``.

``Authorization: Bearer KEY`` on every call (the key printed by ``cobrowse integration
add``). Server to server: no cookies, no CORS. Every refusal is a 4xx with a reason and one
log line; see docs/integration.md.
"""

from __future__ import annotations

import logging

from flask import Blueprint, g, request

from cobrowse.errors import CobrowseError
from cobrowse.web.api import _body, core
from cobrowse.web.http import json_response

log = logging.getLogger(__name__)

integration_api = Blueprint("integration_api", __name__, url_prefix="/api/v1/integration")


class BadKey(CobrowseError):
    status = 401
    code = "unknown_key"


@integration_api.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    item = core().integrations.by_key(key.strip()) if scheme.lower() == "bearer" else None
    if item is None:
        raise BadKey("missing or unknown API key: send 'Authorization: Bearer KEY'")
    core().platform.throttle(item.name)
    g.integration = item.name


@integration_api.errorhandler(CobrowseError)
def _refusal(err: CobrowseError):
    log.info("integration API %s %s refused for %s: %s %s", request.method, request.path,
             g.get("integration", "?"), err.status, err.code)
    return json_response(err.to_json(), err.status)


def _base_url() -> str:
    return core().config.public_url or request.host_url


@integration_api.post("/invitations")
def create_invitation():
    answer = core().platform.invite(g.integration, _body(), request.remote_addr or "?", _base_url())
    return json_response(answer, 201)


@integration_api.get("/invitations/<iid>")
def get_invitation(iid: str):
    return json_response(core().platform.invitation(g.integration, iid))


@integration_api.delete("/invitations/<iid>")
def cancel_invitation(iid: str):
    return json_response(core().platform.cancel(g.integration, iid))


@integration_api.get("/sessions/<sid>")
def get_session(sid: str):
    return json_response(core().platform.session(g.integration, sid))


@integration_api.delete("/sessions/<sid>")
def end_session(sid: str):
    return json_response(core().platform.end(g.integration, sid))
