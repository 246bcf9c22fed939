"""What a participant's client should show now (the ``STATE`` of every poll answer)."""

from __future__ import annotations

import json

from cobrowse.protocol import AGENT
from cobrowse.rules.direct import direct_pointers
from cobrowse.rules.sessions import public_presence
from cobrowse.rules.watchers import watch_view, watcher_names
from cobrowse.storage import keys


def _load(raw: str | None) -> dict | None:
    return json.loads(raw) if raw else None


def agent_or_visitor_state(core, who: dict) -> tuple[dict, dict | None]:
    """What the client should show now; also returns the active session record.

    Two batched round trips: the ids, then the records they name. A session pointer whose
    record Redis lost ends that session cleanly first (``Lifecycle.lost``), then reads again.
    """
    state, sess, dangling, conv = _state(core, who)
    if dangling and core.lifecycle.lost(dangling, who, conv):
        state, sess, _, _ = _state(core, who)
    return state, sess


def _state(core, who: dict) -> tuple[dict, dict | None, str | None, dict | None]:
    broker = core.broker
    wid = None
    if who["role"] == AGENT:
        conv = None
        sid, iid, wid = broker.get_many([keys.agent_session(who["agent"]),
                                         keys.agent_invitation(who["agent"]),
                                         keys.agent_watch(who["agent"])])
    else:
        conv = core.conversations.get(who.get("conversation") or "")
        sid, iid = (conv.get("session"), conv.get("invitation")) if conv else (None, None)
        if not (sid or iid):  # an invitation without a conversation of ours (issue 13)
            sid, iid = direct_pointers(core, who)
    wanted = [keys.session(sid) if sid else None, keys.invitation(iid) if iid else None,
              keys.session(wid) if wid else None]
    found = broker.get_many([k for k in wanted if k])
    records = iter(found)
    sess = _load(next(records)) if sid else None
    inv = _load(next(records)) if iid else None
    inv = inv if inv and inv["state"] == "open" else None
    watched = _load(next(records)) if wid else None
    if wid and watched is None:
        # The watched session is gone (ended a moment ago, or lost by Redis): free the
        # agent's watch lock, or it could never watch or invite again (issue 15, item 2).
        broker.cas(keys.agent_watch(who["agent"]), wid, None)
    state = {
        "conversation": {"id": conv["id"], "status": conv["status"]} if conv else None,
        "invitation": {"id": inv["id"], "mode": inv["mode"], "agent": inv["agent_display"],
                       "conversation": inv["conversation"], "expires": inv["expires"]} if inv else None,
        "session": {"id": sess["id"], "mode": sess["mode"], "agent": sess["agent_display"],
                    "conversation": sess["conversation"], "visitor": public_presence(sess.get("presence")),
                    "request": sess.get("request"), **_watchers(sess, who)}
        if sess else None,
    }
    if who["role"] == AGENT:
        state["watch"] = watch_view(watched, who["agent"]) if watched else None
    return state, sess, (sid if sid and sess is None else None), conv


def _watchers(sess: dict, who: dict) -> dict:
    """Who watches the session and who asks to (issue 15, item 2): the owner sees the asks
    it must answer and those waiting for the visitor; the visitor the one it must answer."""
    joins = sess.get("joins") or {}
    if who["role"] == AGENT:
        asks = [{"join": jid, "agent": j["display"], "stage": j["stage"],
                 "supervisor": j["supervisor"]} for jid, j in sorted(joins.items())]
        return {"watchers": watcher_names(sess), "joins": asks}
    ask = next(({"id": jid, "agent": j["display"], "owner": sess["agent_display"]}
                for jid, j in sorted(joins.items()) if j["stage"] == "visitor"), None)
    return {"watchers": watcher_names(sess), "join": ask}
