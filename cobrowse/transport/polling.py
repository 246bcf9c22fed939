"""The long poll: everything after the client's cursors, or wait for it.

A participant reads its ``inbox`` and, during a co-browse session, its side of the session
stream. The cursor it sends is its acknowledgement; a retried poll gets the same events again
(DESIGN.md principle 4). A newer poll releases an older one (principle 7).

One Redis round trip parks a poll (issue 9): ``poll_begin`` bumps the poll generation (which
releases an older poll of the participant, in whichever worker it is parked), marks the
participant seen, reads its record, the version of its context (transport/context.py) and its
inbox, and, pipelined with it, the session stream the cached context names. A wake-up costs
one more (the two streams again). A parked poll costs no CPU while it waits: there is no
timer per poll; the poll's arrival is the participant's "seen" mark, and the reaper reads
who is overdue. Holds get a little jitter so a crowd that parked together does not come back
together. Events are never decoded here: the answer is spliced from their stored JSON.
"""

from __future__ import annotations

import json
import random
import time

from cobrowse import concurrency
from cobrowse.errors import BadRequest
from cobrowse.protocol import AGENT, parse_cursors
from cobrowse.rules.participants import UnknownToken, role_of
from cobrowse.storage import keys

#: At most this share of a hold (and at most JITTER_MAX seconds) is cut at random.
JITTER_SHARE = 0.1
JITTER_MAX = 2.0
#: The generation of a waiter before ``poll_begin`` says which it is: older polls' release
#: messages that arrive in the meantime never release it.
UNBORN = 2**62
#: Participants whose last answered poll generation a process remembers.
CACHE_LIMIT = 100_000
#: An inbox, and the visitor's side of a session, are trimmed every this many acknowledged
#: events.
TRIM_EVERY = 200


class Answer:
    """A poll answer as JSON text (events spliced in as stored), for the web layer."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def splice(stream: str, entries: list[tuple[int, str]]) -> list[str]:
    """Stored events as answer items: ``{"s": stream, "id": n, ...the event}``."""
    head = json.dumps(stream)
    out = []
    for eid, raw in entries:
        rest = raw[1:].lstrip()
        out.append(f'{{"s":{head},"id":{eid}' + ("}" if rest == "}" else "," + rest))
    return out


class Poller:
    """Answers polls for both roles."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config
        self.contexts = core.contexts
        self.draining = concurrency.Event()
        # The generation of each participant's last poll this process answered. When the
        # poll before a new one is known answered, no older poll can be parked anywhere (each
        # released the one before it), so the new one publishes no release: one wake-up less
        # for every worker, per poll.
        self._answered: dict[str, int] = {}
        # Where each session stream was last trimmed by this process (_forget_acknowledged).
        self._trimmed: dict[str, int] = {}

    def poll(self, body: object, check_origin=None) -> Answer:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        pid = self.core.participants.pid_for(body.get("token"))
        role = role_of(pid)
        cursors = parse_cursors(body.get("cursors"))
        hold = body.get("hold", self.config.poll_hold)
        if not isinstance(hold, (int, float)) or isinstance(hold, bool):
            raise BadRequest("'hold' must be a number of seconds")
        hold = max(0.0, min(float(hold), self.config.poll_hold))
        hold -= random.uniform(0, min(JITTER_MAX, hold * JITTER_SHARE))
        deadline = time.monotonic() + hold
        cached = self.contexts.peek(pid)
        streams = self._streams(pid, role, cached)
        if cached is not None:
            cursors = self._watch_start(cached, cursors)
        own = cached.session_id if cached is not None else None
        peek = (keys.session_snapshot(own),) if own and role == AGENT else ()
        with self.broker.waiter(streams.values(), release=(pid, UNBORN)) as waiter:
            start = self.broker.poll_begin(
                record=keys.participant(pid), generation=keys.poll_generation(pid),
                seen=keys.seen(pid), inbox=keys.inbox(pid), after=cursors.get("inbox", 0),
                limit=self.config.poll_batch, now=time.time(), ttl=self.config.participant_ttl,
                owner=pid, streams=self._after(streams, cursors, skip="inbox"),
                answered=self._answered.get(pid, 0), peek=peek)
            if start.record is None:
                raise UnknownToken("this token is unknown or has expired: start again")
            waiter.generation = start.generation
            self._answered.pop(pid, None)
            who = json.loads(start.record)
            if check_origin is not None:
                check_origin(who)
            context = self.contexts.get(who, start.version)
            if own and context.session_id == own:
                self._forget_acknowledged(role, own, cursors.get(f"s_{own}", 0), start.values)
            self._forget_read(keys.inbox(pid), cursors.get("inbox", 0))
            found = {"inbox": start.inbox, **{name: start.streams.get(key, [])
                                              for name, key in streams.items() if name != "inbox"}}
            if self._streams(pid, role, context) != streams:
                answer = self._moved(who, role, cursors, context, deadline, waiter.generation)
            else:
                answer = self._park(who, waiter, streams, cursors, context, found, deadline)
            if not waiter.released:
                if len(self._answered) > CACHE_LIMIT:
                    self._answered.clear()
                self._answered[pid] = start.generation
            return answer

    def _forget_acknowledged(self, role: str, sid: str, cursor: int, values: tuple) -> None:
        """Keep a session's streams from growing with its length (a page's snapshot and all
        its events, for every page the visitor went through). A cursor acknowledges what is
        before it, so:

        - the agent's side drops what came before the newest snapshot once the owner has read
          that snapshot (``cursor`` past it): the owner had everything before it, and anyone
          reading from the start (a reloaded workspace, a watcher) starts at that snapshot;
        - the visitor's side drops what the visitor acknowledged, every TRIM_EVERY events
          (watchers read it live, and a replayed old control event would do harm anyway).

        One extra round trip per snapshot or per TRIM_EVERY events, on a poll; never on a
        send, never on the event path's budget (tests/test_round_trips.py)."""
        stream = keys.session_stream(sid, role)
        done = self._trimmed.get(stream, 0)
        if role == AGENT:
            mark = values[0] if values else None
            before = int(mark) if isinstance(mark, str) and mark.isdigit() else 0
            if before <= max(1, done) or cursor < before:
                return
        else:
            self._forget_read(stream, cursor)
            return
        self._trim(stream, before)

    def _forget_read(self, stream: str, cursor: int) -> None:
        """A stream with one reader (an inbox, the visitor's side of a session): drop what it
        acknowledged, every TRIM_EVERY events (a long-lived agent's inbox, a long session)."""
        if cursor - self._trimmed.get(stream, 0) >= TRIM_EVERY:
            self._trim(stream, cursor + 1)

    def _trim(self, stream: str, before: int) -> None:
        self.broker.trim(stream, before)
        if len(self._trimmed) > CACHE_LIMIT:
            self._trimmed.clear()
        self._trimmed[stream] = before

    def _moved(self, who, role, cursors, context, deadline, generation) -> Answer:
        """The session is not the one the cache guessed: park on the right streams."""
        streams = self._streams(who["id"], role, context)
        cursors = self._watch_start(context, cursors)
        with self.broker.waiter(streams.values(), release=(who["id"], generation)) as waiter:
            found = self.broker.read_raw(self._after(streams, cursors), self.config.poll_batch)
            found = {name: found[key] for name, key in streams.items()}
            return self._park(who, waiter, streams, cursors, context, found, deadline)

    def _park(self, who, waiter, streams, cursors, context, found, deadline) -> Answer:
        while True:
            if any(found.values()):
                if found.get("inbox") and found["inbox"][-1][0] > context.version:
                    # A lifecycle change came after the context's version: read it again.
                    context = self.contexts.compute(who, found["inbox"][-1][0])
                return self._answer(found, streams, cursors, context.state)
            if self.draining.is_set():
                return self._answer({}, streams, cursors, context.state)
            left = deadline - time.monotonic()
            if left <= 0:
                checked = self.contexts.verified(who, context)
                if checked.stream_session_id != context.stream_session_id:
                    # Its session was lost and has just been ended: answer with the news.
                    got = self.broker.read_raw(self._after(streams, cursors), self.config.poll_batch)
                    found = {name: got[key] for name, key in streams.items()}
                    return self._answer(found, streams, cursors, checked.state)
                return self._answer({}, streams, cursors, checked.state)
            woken = waiter.wait(left)
            if waiter.released:
                return Answer(json.dumps({"ok": True, "events": [], "released": True,
                                          "cursors": cursors, "state": context.state},
                                         separators=(",", ":"), ensure_ascii=False))
            if self.draining.is_set():  # the broker is closing: answer before touching it
                return self._answer({}, streams, cursors, context.state)
            if not woken:
                continue
            if self.config.poll_coalesce > 0:
                # A burst (a page's mutations, a typed word) goes out in one answer.
                concurrency.sleep(self.config.poll_coalesce)
            found = self._carried(waiter, streams, cursors)
            if found is None:
                got = self.broker.read_raw(self._after(streams, cursors), self.config.poll_batch)
                found = {name: got[key] for name, key in streams.items()}

    @staticmethod
    def _carried(waiter, streams: dict[str, str], cursors: dict[str, int]) -> dict | None:
        """The events that came with the wake-ups, if they are exactly what follows the
        cursors (then no read is needed), else None."""
        carried = waiter.take_carried()
        if not carried:
            return None
        names = {key: name for name, key in streams.items()}
        found: dict[str, list] = {}
        for key, first, events in carried:
            name = names.get(key)
            if name is None:
                return None
            entries = found.setdefault(name, [])
            expected = entries[-1][0] + 1 if entries else cursors.get(name, 0) + 1
            if first != expected:
                return None
            entries.extend(zip(range(first, first + len(events)), events, strict=True))
        return found

    @staticmethod
    def _streams(pid: str, role: str, context) -> dict[str, str]:
        """Client stream name -> broker key, for what this participant may read now. A
        watcher reads both streams of the session it watches (issue 15, item 2): ``s_<sid>``
        (the visitor's page, as the owner reads it) and ``o_<sid>`` (the owner's pointer,
        highlights and drawings, as the visitor reads them); the same stored events."""
        names = {"inbox": keys.inbox(pid)}
        if context is None:
            return names
        if context.session_id:
            names[f"s_{context.session_id}"] = keys.session_stream(context.session_id, role)
        elif context.watching:
            sid = context.watching
            names[f"s_{sid}"] = keys.session_stream(sid, "agent")
            names[f"o_{sid}"] = keys.session_stream(sid, "visitor")
        return names

    def _watch_start(self, context, cursors: dict[str, int]) -> dict[str, int]:
        """Where a watcher starts (issue 15, item 2). Having seen nothing of the page's
        stream (cursor 0), it starts at the latest snapshot: what came before is moot (the
        snapshot supersedes it; the workspace drops it anyway), and replaying a long session
        would cost the watcher minutes. Without a cursor for the owner's stream, it starts
        after the owner's last event (live from now; the answer's cursors give it the id).
        A read each, only in these two cases; never for the owner or the visitor."""
        sid = None if context.session_id else context.watching
        if not sid:
            return cursors
        page, owner = f"s_{sid}", f"o_{sid}"
        cursors = dict(cursors)
        if not cursors.get(page):
            snap = self.broker.get(keys.session_snapshot(sid))
            cursors[page] = max(0, int(snap) - 1) if snap and snap.isdigit() else 0
        if owner not in cursors:
            cursors[owner] = self.broker.last_id(keys.session_stream(sid, "visitor"))
        return cursors

    @staticmethod
    def _after(streams: dict[str, str], cursors: dict[str, int], skip: str = "") -> dict[str, int]:
        return {key: cursors.get(name, 0) for name, key in streams.items() if name != skip}

    def _answer(self, found: dict, streams: dict, cursors: dict, state: dict) -> Answer:
        """The answer: as many events as ``poll_batch`` allows and, with the envelope, at
        most ``max_answer`` bytes of JSON (docs/protocol.md "Answers are capped the same
        way"); the cursors move past what it carries only, so the rest comes next poll. It
        always carries at least one event, so a poll never stalls (an event for the agent
        bigger than the cap was stored in parts, cobrowse/answer_parts.py)."""
        limit = max(1, self.config.poll_batch)
        state_text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
        new = {name: cursors.get(name, 0) for name in streams}
        # The envelope with the longest cursors it can have (ids below 2**53).
        envelope = len(state_text.encode()) + 64 + sum(len(name) + 24 for name in streams)
        room = self.config.max_answer - envelope
        items: list[str] = []
        used = 0
        for name in streams:
            entries = (found.get(name) or [])[: max(0, limit - len(items))]
            for (eid, _), item in zip(entries, splice(name, entries), strict=True):
                size = len(item.encode()) + 1
                if items and used + size > room:
                    break
                items.append(item)
                used += size
                new[name] = max(new[name], eid)
            else:
                continue
            break
        text = ('{"ok":true,"events":[' + ",".join(items) + '],"cursors":'
                + json.dumps(new, separators=(",", ":")) + ',"state":' + state_text + "}")
        return Answer(text)
