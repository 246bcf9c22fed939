"""The tag's and the workspace's side of the integration surface (issue 13).

- ``POST /api/v1/visitor/code`` and ``/api/v1/visitor/ref``: the visitor asks for a support
  code, or for its visitor reference (the tag's ``supportCode()`` and ``visitorRef()``).
- ``POST /api/v1/agent/code`` and ``/api/v1/agent/code/invite``: the agent enters a code,
  then chooses the mode; the visitor is invited without a conversation of ours.
- ``GET /workspace/link/<token>``: an agent link from the REST API, used once.

None of this enters a chat transcript.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, redirect, request

from cobrowse.errors import CobrowseError, Refused
from cobrowse.protocol import AGENT, VISITOR
from cobrowse.rules.auth import COOKIE
from cobrowse.storage.outbox import Outbox
from cobrowse.web.api import _body, _participant, core
from cobrowse.web.http import allow_origin, json_response

log = logging.getLogger(__name__)

codes_api = Blueprint("codes_api", __name__)


def _who(role: str) -> tuple[dict, dict, str | None]:
    body = _body()
    who, origin = _participant(body)
    if who["role"] != role:
        raise Refused(f"only {role}s can do this", code=f"{role}s_only")
    return body, who, origin


@codes_api.post("/api/v1/visitor/code")
def visitor_code():
    _, who, origin = _who(VISITOR)
    return allow_origin(json_response({"ok": True, **core().codes.issue(who)}), origin)


@codes_api.post("/api/v1/visitor/ref")
def visitor_ref():
    _, who, origin = _who(VISITOR)
    return allow_origin(json_response({"ok": True, "ref": core().visitor_refs.of(who)}), origin)


@codes_api.post("/api/v1/agent/code")
def agent_code():
    body, who, _ = _who(AGENT)
    if who.get("scope"):
        raise Refused("this sign-in is only for one co-browse session", code="scoped")
    answer = core().codes.claim(who, body.get("code"), request.remote_addr or "?")
    return json_response({"ok": True, **answer})


@codes_api.post("/api/v1/agent/code/invite")
def agent_code_invite():
    body, who, _ = _who(AGENT)
    if who.get("scope"):
        raise Refused("this sign-in is only for one co-browse session", code="scoped")
    out = Outbox()
    try:
        answer = core().codes.invite(who, body.get("claim"), body.get("mode"), out)
    finally:
        out.flush(core().broker)
    return json_response({"ok": True, **answer})


@codes_api.get("/workspace/link/<token>")
def agent_link(token: str):
    """Use an agent link: sign in for its session only, then open the workspace."""
    try:
        cookie = core().agent_links.redeem(token)
    except CobrowseError as err:
        log.info("agent link refused: %s", err.code)
        return Response(err.message + "\n", status=err.status, mimetype="text/plain",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    response = redirect("/workspace/", code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="Strict", path="/",
                        secure=request.is_secure, max_age=core().config.session_ttl)
    return response
