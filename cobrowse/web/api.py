"""The long-poll API: ``/api/v1/visitor/hello``, ``send``, ``poll`` and the agent's lists.

CORS: the tag's requests are simple POSTs; the answer echoes the page's origin only if the
site of the token allows it. Agents' requests come from the workspace on the server's own
origin. Error answers get their CORS header from what the request had already established
(``g.cors_origin``: the site of the token or of ``hello``), never from a fresh Redis read, so
a Redis outage still gives the tag a readable ``503`` (issue 12, item 3). See docs/protocol.md.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from cobrowse import logs, metrics
from cobrowse.errors import BadRequest, Refused
from cobrowse.protocol import AGENT, VISITOR
from cobrowse.transport.parts import is_part
from cobrowse.web.http import (
    allow_origin,
    json_response,
    json_text_response,
    own_origin,
    read_json,
)
from cobrowse.web.outcomes import refused

api = Blueprint("api", __name__, url_prefix="/api/v1")


def core():
    return current_app.extensions["cobrowse"]


def _body():
    cfg = core().config
    return read_json(cfg.max_body, cfg.max_inflated)


def _own_origin() -> str:
    return own_origin(core().config)


def origin_for(core, who: dict, origin: str | None, own_origin: str) -> str | None:
    """The origin to echo for this participant, or a refusal if the page may not use it."""
    if not origin:
        return None
    origin = origin.lower()
    if who["role"] == VISITOR:
        site = core.directory.site(who["site"])
        if not site or origin not in site.origins:
            raise Refused("this page's origin is not configured for the site", code="origin")
        return origin
    if origin != own_origin:
        raise Refused("the workspace API is only for the server's own origin", code="origin")
    return None


def check_origin(who: dict) -> str | None:
    """``origin_for`` the current Flask request."""
    return origin_for(core(), who, request.headers.get("Origin"), _own_origin())


@api.after_request
def _cors_on_errors(response):
    """Let the tag read error answers too. No I/O here: the origin is the one this request
    already established; when it established none (unknown site or token, e.g. after Redis
    lost its data), the refusal is still readable: an error answer carries only a code and a
    sentence, and the API takes no cookies, so reading it gives a page nothing it could not
    do already."""
    if response.status_code < 400 or "Access-Control-Allow-Origin" in response.headers:
        return response
    origin = g.get("cors_origin") or (request.headers.get("Origin") or "").lower()
    return allow_origin(response, origin or None)


def _established(origin: str | None) -> str | None:
    g.cors_origin = origin
    return origin


@api.post("/visitor/hello")
def hello():
    origin = request.headers.get("Origin")
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    site = core().visitors.site_for_origin(body.get("site"), origin)
    _established(origin.lower())
    answer = core().visitors.hello(body, origin, site=site)
    return allow_origin(json_response(answer), origin)


def _participant(body) -> tuple[dict, str | None]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise BadRequest("missing 'token'")
    who = core().participants.by_token(token)
    logs.bind(participant=who.get("id"))
    return who, _established(check_origin(who))


class _OriginCheck:
    """Checks the participant's origin once the first round trip has read its record."""

    origin: str | None = None

    def __call__(self, who: dict) -> None:
        logs.bind(participant=who.get("id"))
        self.origin = _established(check_origin(who))


@api.post("/send")
def send():
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    check = _OriginCheck()
    if is_part(body):  # one part of a big send (docs/protocol.md "Parts and lanes")
        status, answer = core().parts.receive(body, check)
    else:
        status, answer = core().sender.send(body, check)
    if status >= 400:
        refused(status, answer)  # applied as a refusal: stored for replays, answered as-is
    else:
        _count_send(body.get("events"))
    return allow_origin(json_response(answer, status), check.origin)


def _count_send(events) -> None:
    metrics.count_send(events)
    if isinstance(events, list) and any(isinstance(e, dict) and e.get("k") == "snapshot"
                                        for e in events):
        metrics.SNAPSHOT_BYTES.observe(request.content_length or 0)


@api.post("/poll")
def poll():
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    check = _OriginCheck()
    with metrics.POLLS_OPEN.track_inprogress():
        answer = core().poller.poll(body, check)
    metrics.POLLS_ANSWERED.inc()
    return allow_origin(json_text_response(answer.text), check.origin)


def _agent(body) -> dict:
    who, _ = _participant(body)
    if who["role"] != AGENT:
        raise Refused("only agents can do this", code="agents_only")
    return who


@api.post("/agent/conversations")
def conversations():
    who = _agent(_body())
    if who.get("scope"):  # an agent link's sign-in sees no conversations of ours (issue 13)
        return json_response({"ok": True, "conversations": []})
    return json_response({"ok": True, "conversations": core().conversations.listing(who),
                          "cobrowsing": core().watchers.joinable(who)})


@api.post("/agent/transcript")
def transcript():
    body = _body()
    who = _agent(body)
    if who.get("scope"):
        raise Refused("this sign-in is only for one co-browse session", code="scoped")
    cid = body.get("conversation")
    if not isinstance(cid, str):
        raise Refused("missing 'conversation'", code="bad_request", status=400)
    return json_response({"ok": True, "messages": core().conversations.transcript(who, cid)})
