"""A session whose records Redis lost (issue 12, item 4): a restart without persistence, a
failover that dropped the latest writes, or eviction can leave the agent's lock and the
conversation pointing at a session record that is gone. It ends cleanly on both sides with
reason ``lost``, instead of leaving the agent locked out of new sessions and both clients
guessing. In-process (Flask test client, embedded broker); the browser side is in
tests/acceptance/test_session_ui.py."""

from __future__ import annotations

import threading

from cobrowse.storage import keys
from cobrowse.transport import context as contexts
from tests.test_api import SNAPSHOT, start_session

POINTER = {"k": "pointer", "i": 5, "x": 0.5, "y": 0.5}


def _lose(core, sid: str) -> None:
    """What Redis lost: the session's record only (its pointers survive)."""
    assert core.broker.get(keys.session(sid)) is not None
    core.broker.delete(keys.session(sid))


def test_the_visitor_side_notices_and_both_sides_are_told(core, visitor, agent):
    cid, sid = start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    agent.poll()
    _lose(core, sid)

    refused = visitor.send(POINTER, expect=403)
    assert refused["error"] == "no_session"
    ended = [e for e in visitor.poll(hold=0) if e["k"] == "session.ended"]
    assert [(e["session"], e["reason"]) for e in ended] == [(sid, "lost")]
    assert visitor.state["session"] is None
    ended = [e for e in agent.poll(hold=0) if e["k"] == "session.ended"]
    assert [(e["session"], e["reason"]) for e in ended] == [(sid, "lost")]
    assert agent.state["session"] is None
    # Nothing is left pointing at it: the agent may co-browse again at once.
    assert core.broker.get(keys.agent_session("alice")) is None
    assert core.conversations.get(cid)["session"] is None
    assert sid not in core.broker.smembers(keys.ACTIVE_SESSIONS)
    iid = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    assert iid


def test_the_agent_side_notices_and_finds_the_visitor_through_its_conversations(core, visitor, agent):
    cid, sid = start_session(visitor, agent, "view")
    _lose(core, sid)
    assert agent.send(POINTER, expect=403)["error"] == "no_session"
    assert ("lost" in [e.get("reason") for e in agent.poll(hold=0) if e["k"] == "session.ended"])
    assert [e["reason"] for e in visitor.poll(hold=0) if e["k"] == "session.ended"] == ["lost"]
    assert core.broker.get(keys.agent_session("alice")) is None


def test_an_idle_pair_notices_at_the_end_of_a_poll(core, visitor, agent, monkeypatch):
    """Nobody sends: the end of a held poll checks (at most every VERIFY_AFTER seconds) that
    the session it names still exists."""
    cid, sid = start_session(visitor, agent, "view")
    agent.poll(hold=0)
    visitor.poll(hold=0)
    _lose(core, sid)
    assert agent.poll(hold=0.2) == [] and agent.state["session"] is not None  # checked later
    monkeypatch.setattr(contexts, "VERIFY_AFTER", 0.0)
    got = agent.poll(hold=0.2)
    assert [(e["k"], e["reason"]) for e in got if e["k"] == "session.ended"] == [("session.ended", "lost")]
    assert agent.state["session"] is None
    assert [e["reason"] for e in visitor.poll(hold=0) if e["k"] == "session.ended"] == ["lost"]


def test_a_session_that_exists_is_never_declared_lost(core, visitor, agent, monkeypatch):
    monkeypatch.setattr(contexts, "VERIFY_AFTER", 0.0)
    cid, sid = start_session(visitor, agent, "view")
    for _ in range(3):
        agent.poll(hold=0.1)
        visitor.poll(hold=0.1)
    assert agent.state["session"]["id"] == sid and visitor.state["session"]["id"] == sid
    assert "session.ended" not in agent.kinds() + visitor.kinds()


def test_an_ended_session_is_reported_once_with_its_own_reason(core, visitor, agent):
    """end() drops the record before the pointers: a state read in between must not turn the
    agent's end into a second, "lost" end."""
    cid, sid = start_session(visitor, agent, "view")
    life = core.lifecycle
    real_cas, seen, readers = core.broker.cas, [], []

    def cas(key, old, new, **kwargs):
        done = real_cas(key, old, new, **kwargs)
        if key == keys.session(sid) and new is None and done:
            # The record is gone, the lock and the conversation still point at it: another
            # request reads the state right now, while end() goes on.
            assert core.broker.get(keys.agent_session("alice")) == sid
            reader = threading.Thread(target=lambda: seen.append(
                life.lost(sid, {"role": "agent", "agent": "alice"}, None)))
            reader.start()
            readers.append(reader)
        return done

    core.broker.cas = cas
    try:
        agent.send({"k": "session.end"})
    finally:
        core.broker.cas = real_cas
    for reader in readers:
        reader.join()
    assert seen == [False]
    reasons = [e["reason"] for e in visitor.poll(hold=0) if e["k"] == "session.ended"]
    assert reasons == ["agent"]


def test_the_record_is_saved_before_any_pointer_to_it(core, visitor, agent):
    """A missing record is never one being created: the lock and the links come after it."""
    real_set, checked = core.broker.set, []

    def set_(key, value, *args, **kwargs):
        if key == keys.agent_session("alice"):
            checked.append(core.broker.get(keys.session(value)) is not None)
        return real_set(key, value, *args, **kwargs)

    core.broker.set = set_
    try:
        start_session(visitor, agent, "view")
    finally:
        core.broker.set = real_set
    assert checked == [True]
