"""Applying one send: sequence numbers, permissions, and routing each event.

One send in flight per participant; ``seq == last`` replays the stored answer, ``last + 1``
is applied, anything else is a 409 (DESIGN.md principle 5). The batch is checked as a whole
(shape and permission) before anything is applied.

Two paths (issue 9):

- **Session events only** (pointer, scroll, mutation, input, control...): the hot path, two
  Redis round trips. ``send_begin`` (the participant's keys) checks and takes the seq, marks
  the participant seen and reads its record, the version of its context and, in the same
  round trip, the page index entries the events name; the permission matrix and the
  sanitizer run here in the process; ``session_append`` (the session's keys) appends to the
  other side's stream with the dedupe key, writes the page index changes and publishes the
  wake-up, after checking on the session record itself that the session still exists, the
  sender is in it, and control events find it in shared mode. No answer is stored: a retry
  of the same seq is applied again and its append is deduplicated, so it lands once.
- **Everything else** (chat, invitations, lifecycle): the same first step with a short claim,
  so two copies of one send apply once, then the rules, then the answer is stored.
"""

from __future__ import annotations

import json
import time

from cobrowse import protocol
from cobrowse.errors import BadRequest, CobrowseError
from cobrowse.protocol import AGENT, CONTROL_KINDS, LIFECYCLE_KINDS, SESSION_KINDS, VISITOR
from cobrowse.rules.agent_links import check_scope
from cobrowse.rules.conversations import Conflict
from cobrowse.rules.page_index import PREFETCH_DEPTH, PageIndex, node_ids
from cobrowse.rules.participants import UnknownToken, role_of
from cobrowse.storage import keys
from cobrowse.storage.base import encode_event
from cobrowse.storage.outbox import Outbox

#: How long a lifecycle send's claim holds off a second copy (ms). Applying one takes
#: milliseconds; a claim left by a worker that died is taken over after this.
CLAIM_MS = 5000


def _leave_beacon(role: str, events: list) -> bool:
    """A visitor's last batch, sent with sendBeacon on pagehide, ending with a ``page`` leave,
    may skip ahead: the send that was in flight when the page went away is often cancelled
    by the browser before it reaches us (or reaches us after the beacon). Its events are lost
    with the page; the leave must not be, or the agent never learns the visitor left. A
    skipped send arriving later gets 409 like any stale one."""
    return (role == VISITOR and bool(events) and isinstance(events[-1], dict)
            and events[-1].get("k") == "page")


def last_snapshot(events: list[dict]) -> int | None:
    """Position of the last ``snapshot`` among events bound for the agent, or None."""
    found = [at for at, event in enumerate(events) if event.get("k") == "snapshot"
             or (event.get("k") == "part" and event.get("of") == "snapshot"
                 and event.get("part", [None])[0] == 0)]  # a big one: its first part
    return found[-1] if found else None


class Busy(CobrowseError):
    status = 503
    code = "busy"


class Sender:
    """Applies sends for both roles."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config
        self.contexts = core.contexts

    def send(self, body: object, check_origin=None) -> tuple[int, dict]:
        """Apply a send body; returns (HTTP status, JSON answer). ``check_origin(who)``
        refuses a participant whose page may not use this origin (the web layer's)."""
        token, seq, events = protocol.parse_send(body, max_events=self.config.max_events)
        pid = self.core.participants.pid_for(token)
        role = role_of(pid)
        session_only = all(type(e) is dict and type(e.get("k")) is str and e["k"] in SESSION_KINDS
                           for e in events)
        cached = self.contexts.peek(pid)
        sid = cached.session_id if cached and session_only else None
        ids = node_ids(events) if sid else []
        wants_url = bool(sid) and any(e.get("k") == "mutation" for e in events)
        ttl = self.config.participant_ttl
        start = self.broker.send_begin(
            record=keys.participant(pid), last=keys.last_send(pid), seen=keys.seen(pid),
            inbox=keys.inbox(pid), seq=seq, now=time.time(), ttl=ttl,
            claim_ms=0 if session_only else CLAIM_MS, beacon=_leave_beacon(role, events),
            index=keys.session_index(sid) if ids else None, index_ids=ids, depth=PREFETCH_DEPTH,
            values=[keys.session_page_url(sid)] if wants_url else [])
        if start.status == "unknown":
            raise UnknownToken("this token is unknown or has expired: start again")
        who = json.loads(start.record)
        if check_origin is not None:
            check_origin(who)
        if start.status == "replay":
            return start.answer[0], json.loads(start.answer[1])
        if start.status == "seq":
            raise Conflict(f"expected seq {start.expected}, got {seq}", code="seq",
                           expected=start.expected)
        if start.status == "busy":
            raise Busy("the same send is being applied; retry in a moment", retry_after=1)
        context = self.contexts.get(who, start.version)
        if session_only:
            index = None
            if context.session and context.session_id == sid:
                index = PageIndex(self.broker, sid, start.fetched,
                                  start.values[0] if wants_url else None, url_known=wants_url)
            return self._session_send(who, seq, events, context, index)
        return self._lifecycle_send(who, seq, events, context)

    # --- the hot path -------------------------------------------------------------------

    def _session_send(self, who: dict, seq: int, events: list, context,
                      index: PageIndex | None, retried: bool = False) -> tuple[int, dict]:
        """Session events only: answers are not stored (see the module docstring)."""
        sess = context.session
        if sess is None and context.watching and all(e["k"] == "snapshot.request" for e in events):
            # The one session event a watcher may send (issue 15, item 2): throttled.
            try:
                result = self.core.watchers.request_snapshot(who, context.watching, seq)
            except CobrowseError as err:
                return err.status, err.to_json()
            return 200, {"ok": True, "seq": seq, "results": [result] + [{}] * (len(events) - 1)}
        try:
            clean = self._check(who, sess, events, context.watching)
        except CobrowseError as err:
            if err.code in ("no_session", "view_only") and not retried:
                # The cached context may lag behind a session that started or switched to
                # shared a moment ago: decide again on fresh records before refusing.
                err.extra.pop("kind", None)
                return self._session_send(who, seq, events, self._fresh(who), None, True)
            self._audit_refusal(who, sess, err)
            return err.status, err.to_json()
        index = index or PageIndex(self.broker, sess["id"])
        out = Outbox()
        route = self.core.relay.from_visitor if who["role"] == VISITOR else self.core.relay.from_agent
        failure = None
        for position, event in enumerate(clean):
            try:
                if who["role"] == VISITOR:
                    route(sess, event, out, index, presence=False)
                else:
                    route(sess, event, out, index)
            except CobrowseError as err:
                err.extra.update(index=position, applied=position)
                failure = err
                clean = clean[:position]
                break
        target = keys.session_stream(sess["id"], "agent" if who["role"] == VISITOR else "visitor")
        queued = out.take(target)
        kept, gone = index.split()
        member = ("visitor", who["id"]) if who["role"] == VISITOR else ("agent", who["agent"])
        snap = last_snapshot(queued)
        result = self.broker.session_append(
            session=keys.session(sess["id"]), stream=target,
            events=[encode_event(e) for e in queued], ttl=self.config.session_ttl,
            dedupe=(who["id"], seq), member=member,
            need_shared=any(e["k"] in CONTROL_KINDS for e in clean),
            index=index.key, index_set=kept, index_del=gone,
            snapshot=None if snap is None else (keys.session_snapshot(sess["id"]), snap))
        if result.status in ("gone", "mode") and not retried:
            # The cached context lagged behind the session (ended, or its mode changed):
            # decide again on fresh records.
            return self._session_send(who, seq, events, self._fresh(who), None, True)
        if result.status == "gone":
            return 409, Conflict("the co-browse session has ended", code="no_session").to_json()
        if result.status == "mode":
            err = protocol.refusal(who["role"], result.mode, "control.click")
            return err.status, err.to_json()
        if who["role"] == VISITOR and result.status == "ok":
            self._presence(sess, result.presence, [e["k"] for e in clean], out)
        out.flush(self.broker, dedupe=(who["id"], seq))
        if failure is not None:
            return failure.status, failure.to_json()
        return 200, {"ok": True, "seq": seq, "results": [{} for _ in clean]}

    def _presence(self, sess: dict, presence: str, kinds: list[str], out: Outbox) -> None:
        """The visitor's presence, as the session record has it at the append (the cached
        context may predate the reaper marking the visitor away)."""
        if presence == "here" and "page" not in kinds:
            return
        sess = {**sess, "presence": presence}
        for kind in kinds:
            self.core.relay.track_presence(sess, kind, out)
            sess = self.core.lifecycle.session(sess["id"]) or sess

    def _fresh(self, who: dict):
        """The context recomputed from the records (the version is the inbox's now)."""
        return self.contexts.compute(who, self.broker.last_id(keys.inbox(who["id"])))

    def _audit_refusal(self, who: dict, sess: dict | None, err: CobrowseError) -> None:
        """An agent's event the permission matrix refused, in the audit trail (issue 14)."""
        kind = err.extra.pop("kind", None)
        if sess and who["role"] == AGENT and kind:
            self.core.lifecycle.audit.step(sess.get("invitation"), "refused", kind=kind,
                                           reason=err.code)

    def _check(self, who: dict, sess: dict | None, events: list,
               watching: str | None = None) -> list[dict]:
        """Shape and permission of every event, before anything is applied. ``watching``:
        the session a watching agent sees, into which it may send nothing (issue 15)."""
        mode = sess["mode"] if sess else None
        clean = []
        for position, raw in enumerate(events):
            try:
                event = protocol.normalize(raw, max_chat=self.config.max_chat)
            except BadRequest as err:
                err.extra["index"] = position
                raise
            if watching and sess is None and event["k"] == "snapshot.request":
                clean.append(event)  # a watcher's one session event (sent alone: see above)
                continue
            if not protocol.allowed(who["role"], mode, event["k"]):
                err = protocol.refusal(who["role"], mode, event["k"])
                if watching and sess is None and event["k"] in SESSION_KINDS:
                    err = protocol.watcher_refusal(event["k"])
                err.extra["index"] = position
                err.extra["kind"] = event["k"]
                raise err
            clean.append(event)
        return clean

    # --- the lifecycle path -------------------------------------------------------------

    def _lifecycle_send(self, who: dict, seq: int, events: list, context) -> tuple[int, dict]:
        last = keys.last_send(who["id"])
        try:
            status, answer = self._apply(who, seq, events, context)
        except CobrowseError as err:
            if err.status >= 500:
                self.broker.send_finish(last=last, seq=seq, status=0, body="",
                                        ttl=self.config.participant_ttl)
                raise
            status, answer = err.status, err.to_json()
        self.broker.send_finish(last=last, seq=seq, status=status, body=json.dumps(answer),
                                ttl=self.config.participant_ttl)
        return status, answer

    def _apply(self, who: dict, seq: int, events: list, context) -> tuple[int, dict]:
        role = who["role"]
        sess = context.session
        try:
            clean = self._check(who, sess, events, context.watching)
        except CobrowseError as err:
            self._audit_refusal(who, sess, err)
            raise
        out = Outbox()
        index = PageIndex(self.broker, sess["id"]) if sess else None
        sids = {sess["id"]} if sess else set()
        results = []
        try:
            for position, event in enumerate(clean):
                try:
                    results.append(self._route(who, sess, event, out, index))
                except CobrowseError as err:
                    err.extra.update(index=position, applied=position)
                    raise
                if event["k"] in LIFECYCLE_KINDS:
                    # A lifecycle change may start or end the session the next events need.
                    sess = (self.core.lifecycle.agent_session(who["agent"]) if role == AGENT
                            else self.core.lifecycle.visitor_session(who))
                    if index is not None:
                        index.flush(self.config.session_ttl)
                    index = PageIndex(self.broker, sess["id"]) if sess else None
                    sids |= {sess["id"]} if sess else set()
        finally:
            if index is not None:
                index.flush(self.config.session_ttl)
            written = out.flush(self.broker, dedupe=(who["id"], seq))
            if role == VISITOR:
                self._mark_snapshots(sids, written)
        return 200, {"ok": True, "seq": seq, "results": results}

    def _mark_snapshots(self, sids: set[str], written: dict) -> None:
        """A snapshot sent with a lifecycle event (rare) is appended by the outbox: record its
        id where watchers start (the hot path does it inside ``session_append``). One send in
        flight per visitor, so no newer snapshot can be appended meanwhile."""
        for sid in sids:
            events, ids = written.get(keys.session_stream(sid, "agent"), ([], []))
            snap = last_snapshot(events)
            if snap is not None:
                self.broker.set(keys.session_snapshot(sid), str(ids[snap]),
                                ttl=self.config.session_ttl)

    def _route(self, who: dict, sess: dict | None, event: dict, out: Outbox,
               index: PageIndex | None) -> dict:
        kind = event["k"]
        conv, life = self.core.conversations, self.core.lifecycle
        if who["role"] == VISITOR:
            if kind == "chat":
                return conv.visitor_chat(who, event["text"], out)
            if kind == "invite.accept":
                return life.accept(who, event["invitation"], out)
            if kind == "invite.decline":
                return life.decline(who, event["invitation"], out)
            if kind == "session.end":
                return life.end_by_visitor(who, out)
            if kind in ("join.accept", "join.decline"):
                return self.core.watchers.answer(who, event["join"], kind == "join.accept", out)
            return self.core.relay.from_visitor(sess, event, out, index)
        check_scope(who, kind)  # an agent link's sign-in: one session only (issue 13)
        if kind == "chat":
            if "conversation" not in event:
                raise BadRequest("an agent's chat message needs 'conversation'")
            return conv.agent_chat(who, event["conversation"], event["text"], out)
        if kind == "conversation.take":
            return conv.take(who, event["conversation"], out)
        if kind == "conversation.close":
            return conv.close(who, event["conversation"], out)
        if kind == "invite":
            return life.invite(who, event["conversation"], event["mode"], out)
        if kind == "invite.cancel":
            return life.cancel(who, event["invitation"], out)
        if kind == "session.end":
            return life.end_by_agent(who, out)
        if kind == "session.mode":
            return life.switch_mode(who, event["mode"], out)
        if kind.startswith("join"):  # a second agent joins (issue 15, item 2)
            return self._join(who, event, out)
        return self.core.relay.from_agent(sess, event, out, index)

    def _join(self, who: dict, event: dict, out: Outbox) -> dict:
        watchers = self.core.watchers
        if event["k"] == "join":
            return watchers.ask(who, event["session"], out)
        if event["k"] == "join.leave":
            return watchers.leave(who, out)
        return watchers.answer(who, event["join"], event["k"] == "join.accept", out)
