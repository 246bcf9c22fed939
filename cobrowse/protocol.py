"""Event kinds, their shapes, size limits and the permission matrix (role x mode x kind).

Pure: no I/O. The JavaScript lists (tag/src/kinds.js, workspace/js/kinds.js) mirror the two
tuples below; tests/test_protocol.py checks that they agree. See docs/protocol.md.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from cobrowse.errors import BadRequest, Refused

VISITOR, AGENT = "visitor", "agent"
VIEW, SHARED = "view", "shared"
MODES = (VIEW, SHARED)

#: Kinds a visitor may send.
VISITOR_KINDS = (
    "chat", "invite.accept", "invite.decline", "session.end",
    "snapshot", "mutation", "scroll", "pointer", "click", "selection",
    "resize", "visibility", "page", "session.pause", "session.resume", "annotate.clear",
    "mode.accept", "mode.decline", "mode.drop", "join.accept", "join.decline",
)
#: Kinds an agent may send.
AGENT_KINDS = (
    "conversation.take", "conversation.close", "chat", "invite", "invite.cancel",
    "session.end", "session.mode", "snapshot.request",
    "pointer", "highlight", "wiggle", "selection", "scroll",
    "control.click", "control.input", "control.navigate",
    "annotate", "annotate.clear", "join", "join.accept", "join.decline", "join.leave",
)
#: Agent kinds that act on the visitor's page: allowed in shared mode only.
CONTROL_KINDS = frozenset({"control.click", "control.input", "control.navigate"})
#: The visitor's answers about control (issue 10, item 5): accept or decline the agent's
#: request to switch to shared, or drop control at any time. Lifecycle kinds: their answers
#: are stored like any lifecycle send's, so a retried accept is applied once.
MODE_ANSWER_KINDS = frozenset({"mode.accept", "mode.decline", "mode.drop"})
#: Kinds that flow inside an active co-browse session (relayed to the other side).
SESSION_KINDS = frozenset({
    "snapshot", "mutation", "scroll", "pointer", "click", "selection", "resize", "visibility",
    "page", "snapshot.request", "highlight", "wiggle", "annotate", "annotate.clear",
    *CONTROL_KINDS, "session.pause", "session.resume",
})
#: Visitor kinds that carry something of the page: refused while the visitor paused (issue 14).
PAGE_KINDS = frozenset({
    "snapshot", "mutation", "scroll", "pointer", "click", "selection", "resize", "visibility",
})
#: Kinds that change the lifecycle of a conversation, invitation or session.
LIFECYCLE_KINDS = frozenset(set(VISITOR_KINDS) | set(AGENT_KINDS)) - SESSION_KINDS

MAX_ID = 2**53 - 1
#: Annotation tools: freehand ink, an arrow and a rectangle (both from two points).
ANNOTATE_TOOLS = ("pen", "arrow", "rect")
#: Points in one ``annotate`` event: the few of one animation frame, or a whole short stroke
#: sent again after a retry. A longer stroke comes in several events.
MAX_ANNOTATE_POINTS = 64
#: Stroke ids are small positive integers chosen by the workspace.
MAX_STROKE_ID = 2**31 - 1


def allowed(role: str, mode: str | None, kind: str) -> bool:
    """The permission matrix: may ``role`` send ``kind`` while the session is in ``mode``?

    ``mode`` is None when there is no active session; session kinds then are refused.
    """
    kinds = VISITOR_KINDS if role == VISITOR else AGENT_KINDS if role == AGENT else ()
    if kind not in kinds:
        return False
    if kind in SESSION_KINDS and mode is None:
        return False
    if role == AGENT and kind in CONTROL_KINDS:
        return mode == SHARED
    return True


def watcher_refusal(kind: str) -> Refused:
    """A watching agent's session event (issue 15, item 2): watchers see the page and send
    nothing into the session, not even a pointer."""
    return Refused(f"you are watching this co-browse session: a watcher sees the page but "
                   f"cannot send {kind!r} (only the owner points, highlights or controls)",
                   code="watcher")


def refusal(role: str, mode: str | None, kind: str) -> Refused:
    """The error for an event the matrix refuses, in words the sender can show."""
    kinds = VISITOR_KINDS if role == VISITOR else AGENT_KINDS
    if kind not in kinds:
        return Refused(f"a {role} cannot send {kind!r} events", code="kind_not_allowed")
    if mode is None:
        return Refused(f"{kind!r} needs an active co-browse session", code="no_session")
    return Refused(
        "the co-browse session is view only: the agent can point, highlight and scroll, "
        "but not click, type or navigate",
        code="view_only",
    )


# --- shape checks ---------------------------------------------------------------------------

def _need(event: dict, key: str, kinds: tuple[type, ...], what: str):
    value = event.get(key)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise BadRequest(f"{event.get('k')!r} needs {key!r} as {what}")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"{event.get('k')!r} needs a finite number in {key!r}")
    return value


def _node_id(event: dict, key: str = "i") -> int:
    value = _need(event, key, (int,), "a node id")
    if not 0 < value <= MAX_ID:
        raise BadRequest(f"{key!r} is not a valid node id")
    return value


def _number(event: dict, key: str) -> float:
    return _need(event, key, (int, float), "a number")


def _text(event: dict, key: str, limit: int) -> str:
    value = _need(event, key, (str,), "a string")
    if len(value) > limit:
        raise BadRequest(f"{key!r} is longer than {limit} characters")
    return value


def _ident(event: dict, key: str) -> str:
    value = _text(event, key, 64)
    if not value or not all(c.isalnum() or c in "_-" for c in value):
        raise BadRequest(f"{key!r} is not a valid identifier")
    return value


def _fraction(event: dict, key: str) -> float:
    return min(1.0, max(0.0, float(_number(event, key))))


def http_url(value: object, what: str = "url") -> str:
    """Return ``value`` if it is an absolute http(s) URL of sane length, else raise."""
    if not isinstance(value, str) or len(value) > 4096:
        raise BadRequest(f"{what} must be an absolute http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"{what} must be an absolute http(s) URL")
    return value


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _selection(event: dict) -> list | None:
    r = event.get("r")
    if r is None:
        return None
    if (not isinstance(r, list) or len(r) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_ID for v in r)):
        raise BadRequest("'selection' needs 'r' as [startId, startOffset, endId, endOffset] or null")
    return r


def _anchor(point: object) -> list:
    """One annotation point: ``[node id, fx, fy]``, fractions inside the element (0..1)."""
    if not isinstance(point, list) or len(point) != 3:
        raise BadRequest("'annotate' points must be [nodeId, x, y]")
    nid, fx, fy = point
    if not isinstance(nid, int) or isinstance(nid, bool) or not 0 < nid <= MAX_ID:
        raise BadRequest("'annotate' point has no valid node id")
    for v in (fx, fy):
        if (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)
                or not 0 <= v <= 1):
            raise BadRequest("'annotate' point offsets must be fractions from 0 to 1")
    return [nid, float(fx), float(fy)]


def _annotate(e):
    """A stroke, or a piece of one: ``a`` names the stroke (``id`` is the stream's, on
    delivery); pen points add to it, an arrow or a rectangle is its two points (start, end)
    and each event replaces them."""
    sid = _need(e, "a", (int,), "a stroke id")
    if not 0 < sid <= MAX_STROKE_ID:
        raise BadRequest("'a' is not a valid stroke id")
    tool = _choice(e, "tool", ANNOTATE_TOOLS)
    points = e.get("p")
    if not isinstance(points, list) or not points:
        raise BadRequest("'annotate' needs 'p', a non-empty list of points")
    if len(points) > MAX_ANNOTATE_POINTS:
        raise BadRequest(f"'annotate' carries at most {MAX_ANNOTATE_POINTS} points per event")
    if tool != "pen" and len(points) != 2:
        raise BadRequest(f"a {tool!r} annotation is two points: start and end")
    out = {"a": sid, "tool": tool, "p": [_anchor(p) for p in points]}
    for flag in ("end", "pin"):
        if flag in e:
            out[flag] = _need(e, flag, (bool,), "true or false")
    return out


def _pointer(e):
    return {"i": _node_id(e), "x": _fraction(e, "x"), "y": _fraction(e, "y")}


def _scroll(e):
    return {"i": _node_id(e), "x": float(_number(e, "x")), "y": float(_number(e, "y"))}


def _control_input(e):
    out = {"i": _node_id(e)}
    if "value" in e:
        out["value"] = _text(e, "value", 100_000)
    elif "checked" in e:
        out["checked"] = _need(e, "checked", (bool,), "true or false")
    elif "selected" in e:
        sel = e["selected"]
        if not isinstance(sel, list) or len(sel) > 10_000 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100_000 for v in sel):
            raise BadRequest("'selected' must be a list of option indexes")
        out["selected"] = sel
    else:
        raise BadRequest("'control.input' needs 'value', 'checked' or 'selected'")
    return out


#: Field normalizers per kind. snapshot and mutation bodies are checked by cobrowse.sanitize.
_SHAPES = {
    "chat": lambda e, lim: {"text": _text(e, "text", lim["chat"]).strip(),
                            **({"conversation": _ident(e, "conversation")} if "conversation" in e else {})},
    "conversation.take": lambda e, lim: {"conversation": _ident(e, "conversation")},
    "conversation.close": lambda e, lim: {"conversation": _ident(e, "conversation")},
    "invite": lambda e, lim: {"conversation": _ident(e, "conversation"), "mode": _mode(e)},
    "invite.cancel": lambda e, lim: {"invitation": _ident(e, "invitation")},
    "invite.accept": lambda e, lim: {"invitation": _ident(e, "invitation")},
    "invite.decline": lambda e, lim: {"invitation": _ident(e, "invitation")},
    "session.end": lambda e, lim: {},
    "session.mode": lambda e, lim: {"mode": _mode(e)},
    "mode.accept": lambda e, lim: {"request": _ident(e, "request")},
    "mode.decline": lambda e, lim: {"request": _ident(e, "request")},
    "mode.drop": lambda e, lim: {},
    "join": lambda e, lim: {"session": _ident(e, "session")},
    "join.accept": lambda e, lim: {"join": _ident(e, "join")},
    "join.decline": lambda e, lim: {"join": _ident(e, "join")},
    "join.leave": lambda e, lim: {},
    "snapshot.request": lambda e, lim: {},
    "snapshot": lambda e, lim: dict(e),
    "mutation": lambda e, lim: dict(e),
    "scroll": lambda e, lim: _scroll(e),
    "pointer": lambda e, lim: _pointer(e),
    "click": lambda e, lim: _pointer(e),
    "highlight": lambda e, lim: _pointer(e),
    "wiggle": lambda e, lim: {"i": _node_id(e)},
    "selection": lambda e, lim: {"r": _selection(e)},
    "resize": lambda e, lim: {"w": int(_number(e, "w")), "h": int(_number(e, "h"))},
    "visibility": lambda e, lim: {"hidden": _need(e, "hidden", (bool,), "true or false")},
    "page": lambda e, lim: {"state": _choice(e, "state", ("leave",))},
    "session.pause": lambda e, lim: {"by": _choice(e, "by", ("visitor", "page"))},
    "session.resume": lambda e, lim: {},
    "control.click": lambda e, lim: {"i": _node_id(e)},
    "control.input": lambda e, lim: _control_input(e),
    "control.navigate": lambda e, lim: {"url": http_url(e.get("url"), "'url'")},
    "annotate": lambda e, lim: _annotate(e),
    "annotate.clear": lambda e, lim: {},
}


def _choice(e: dict, key: str, choices: tuple[str, ...]) -> str:
    value = e.get(key)
    if value not in choices:
        raise BadRequest(f"{key!r} must be one of {', '.join(choices)}")
    return value


def _mode(e: dict) -> str:
    return _choice(e, "mode", MODES)


def normalize(event: object, *, max_chat: int = 4000) -> dict:
    """Check one event's shape and return a clean copy holding only the known fields."""
    if not isinstance(event, dict):
        raise BadRequest("each event must be a JSON object")
    kind = event.get("k")
    shape = _SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        raise BadRequest(f"unknown event kind {kind!r}", code="unknown_kind")
    body = shape(event, {"chat": max_chat})
    if kind == "chat" and not body["text"]:
        raise BadRequest("a chat message cannot be empty")
    return {"k": kind, **body}


def parse_send(body: object, *, max_events: int) -> tuple[str, int, list]:
    """Validate the envelope of a send: ``{"token", "seq", "events"}``."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    token = body.get("token")
    seq = body.get("seq")
    events = body.get("events")
    if not isinstance(token, str) or not token or len(token) > 200:
        raise BadRequest("missing 'token'")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq <= MAX_ID:
        raise BadRequest("'seq' must be a positive integer")
    if not isinstance(events, list) or not events:
        raise BadRequest("'events' must be a non-empty list")
    if len(events) > max_events:
        raise BadRequest(f"at most {max_events} events per send", status=413, code="too_many_events")
    return token, seq, events


def parse_cursors(raw: object) -> dict[str, int]:
    """Validate a poll's cursors: stream name -> last id seen."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 8:
        raise BadRequest("'cursors' must be an object of stream name to last id")
    out = {}
    for name, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
            raise BadRequest(f"cursor {name!r} must be a non-negative integer")
        out[str(name)[:80]] = value
    return out
