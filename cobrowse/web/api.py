"""The long-poll API: ``/api/v1/visitor/hello``, ``send``, ``poll`` and the agent's lists.

CORS: the tag's requests are simple POSTs; the answer echoes the page's origin only if the
site of the token allows it. Agents' requests come from the workspace on the server's own
origin. See docs/protocol.md.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from cobrowse.errors import BadRequest, Refused
from cobrowse.protocol import AGENT, VISITOR
from cobrowse.web.http import allow_origin, json_response, json_text_response, read_json

api = Blueprint("api", __name__, url_prefix="/api/v1")


def core():
    return current_app.extensions["cobrowse"]


def _body():
    cfg = core().config
    return read_json(cfg.max_body, cfg.max_inflated)


def _own_origin() -> str:
    return request.host_url.rstrip("/").lower()


def check_origin(who: dict) -> str | None:
    """The origin to echo for this participant, or a refusal if the page may not use it."""
    origin = request.headers.get("Origin")
    if not origin:
        return None
    origin = origin.lower()
    if who["role"] == VISITOR:
        site = core().directory.site(who["site"])
        if not site or origin not in site.origins:
            raise Refused("this page's origin is not configured for the site", code="origin")
        return origin
    if origin != _own_origin():
        raise Refused("the workspace API is only for the server's own origin", code="origin")
    return None


@api.after_request
def _cors_on_errors(response):
    """Let the tag read error answers too, when its origin belongs to a configured site."""
    origin = (request.headers.get("Origin") or "").lower()
    if origin and "Access-Control-Allow-Origin" not in response.headers:
        if any(origin in site.origins for site in core().directory.sites()):
            allow_origin(response, origin)
    return response


@api.post("/visitor/hello")
def hello():
    origin = request.headers.get("Origin")
    answer = core().visitors.hello(_body(), origin)
    return allow_origin(json_response(answer), origin)


def _participant(body) -> tuple[dict, str | None]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise BadRequest("missing 'token'")
    who = core().participants.by_token(token)
    return who, check_origin(who)


class _OriginCheck:
    """Checks the participant's origin once the first round trip has read its record."""

    origin: str | None = None

    def __call__(self, who: dict) -> None:
        self.origin = check_origin(who)


@api.post("/send")
def send():
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    check = _OriginCheck()
    status, answer = core().sender.send(body, check)
    return allow_origin(json_response(answer, status), check.origin)


@api.post("/poll")
def poll():
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    check = _OriginCheck()
    answer = core().poller.poll(body, check)
    return allow_origin(json_text_response(answer.text), check.origin)


def _agent(body) -> dict:
    who, _ = _participant(body)
    if who["role"] != AGENT:
        raise Refused("only agents can do this", code="agents_only")
    return who


@api.post("/agent/conversations")
def conversations():
    who = _agent(_body())
    return json_response({"ok": True, "conversations": core().conversations.listing(who)})


@api.post("/agent/transcript")
def transcript():
    body = _body()
    who = _agent(body)
    cid = body.get("conversation")
    if not isinstance(cid, str):
        raise Refused("missing 'conversation'", code="bad_request", status=400)
    return json_response({"ok": True, "messages": core().conversations.transcript(who, cid)})
