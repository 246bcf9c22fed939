"""A second agent joins a co-browse session (issue 15, item 2), through the API, on the
embedded broker, on a real Redis and (slow) on a Redis Cluster: the visitor's consent always,
the owner's agreement for colleagues but not supervisors, the one-session rule, watchers send
nothing, leaving does not end the session, the session ending ends every watch."""

import uuid

import pytest

from cobrowse import create_app
from cobrowse.rules import reaper
from cobrowse.rules.passwords import hash_password
from cobrowse.storage import create_broker, keys
from cobrowse.storage.directory import Agent as AgentRecord
from tests.conftest import AGENT_PASSWORD, configure
from tests.support.actors import Agent, Visitor, flask_transport
from tests.test_api import SNAPSHOT, start_session

POINTER = {"k": "pointer", "i": 5, "x": 0.5, "y": 0.5}


@pytest.fixture(params=["memory", "redis", pytest.param("cluster", marks=pytest.mark.slow)])
def app(request, tmp_path):
    options = {"demo": True, "data_dir": str(tmp_path), "poll_hold": 2.0,
               "reaper_interval": 3600, "webhook_interval": 3600}
    broker = None
    if request.param != "memory":
        url = request.getfixturevalue("redis_url" if request.param == "redis" else "redis_cluster_url")
        options["redis_url"] = url
        broker = create_broker(url, prefix=f"w{uuid.uuid4().hex[:10]}:")
    application = create_app(options, broker=broker)
    core = application.extensions["cobrowse"]
    configure(core)
    core.directory.put_agent(AgentRecord(name="sam", password_hash=hash_password(AGENT_PASSWORD),
                                         display="Sam", supervisor=True))
    yield application
    core.drain()


@pytest.fixture
def core(app):
    return app.extensions["cobrowse"]


@pytest.fixture
def people(app):
    """A visitor co-browsing with alice (view only, a snapshot sent), and bob and sam signed in."""
    def client():  # each its own cookie jar
        return flask_transport(app.test_client())
    visitor, alice, bob, sam = Visitor(client()), Agent(client()), Agent(client()), Agent(client())
    visitor.hello()
    alice.login("alice", AGENT_PASSWORD)
    bob.login("bob", AGENT_PASSWORD)
    sam.login("sam", AGENT_PASSWORD)
    _, sid = start_session(visitor, alice, "view")
    visitor.send(SNAPSHOT)
    alice.poll()
    return visitor, alice, bob, sam, sid


def events(who, kind):
    return [e for e in who.poll() if e["k"] == kind]


def join(agent, sid):
    return agent.send({"k": "join", "session": sid})["results"][0]


def admit(people, watcher):
    """``watcher`` asks; alice agrees if it is bob; the visitor accepts. Returns the join id."""
    visitor, alice, bob, sam, sid = people
    jid = join(watcher, sid)["join"]
    if watcher is bob:
        alice.send({"k": "join.accept", "join": jid})
    visitor.send({"k": "join.accept", "join": jid})
    return jid


def test_a_colleague_needs_the_owner_then_the_visitor(people, core):
    visitor, alice, bob, sam, sid = people
    listed = bob.post("/api/v1/agent/conversations", {"token": bob.token})[1]["cobrowsing"]
    assert [(c["session"], c["agent"], c["watch"]) for c in listed] == [(sid, "Alice", None)]
    answer = join(bob, sid)
    assert answer["state"] == "owner"
    jid = answer["join"]
    # The owner is asked first; the visitor knows nothing yet.
    [ask] = events(alice, "join.request")
    assert ask["join"] == jid and ask["agent"] == "Bob" and not ask["supervisor"]
    assert alice.state["session"]["joins"] == [
        {"join": jid, "agent": "Bob", "stage": "owner", "supervisor": False}]
    assert "join.request" not in visitor.kinds(visitor.poll())
    assert bob.poll() and bob.state["watch"]["state"] == "owner"
    # Nothing of the page before both agreed.
    assert not [e for e in bob.seen if e["s"].startswith("s_")]
    # The visitor cannot answer for the owner, nor the owner for the visitor.
    assert visitor.send({"k": "join.accept", "join": jid}, expect=409)["error"] == "join_closed"
    alice.send({"k": "join.accept", "join": jid})
    [ask] = events(visitor, "join.request")
    assert ask["agent"] == "Bob" and ask["owner"] == "Alice" and "cannot" not in ask["text"]
    assert "will not be able to click, type or point" in ask["text"]
    assert visitor.state["session"]["join"] == {"id": jid, "agent": "Bob", "owner": "Alice"}
    assert alice.send({"k": "join.accept", "join": jid}, expect=409)["error"] == "join_closed"
    visitor.send({"k": "join.accept", "join": jid})
    # Everyone sees the watcher's name; the watcher reads the stored page from cursor 0.
    assert events(visitor, "session.watchers")[-1]["watchers"] == ["Bob"]
    assert visitor.state["session"]["watchers"] == ["Bob"] and visitor.state["session"]["join"] is None
    assert events(alice, "session.watchers")[-1]["watchers"] == ["Bob"]
    assert alice.state["session"]["watchers"] == ["Bob"] and alice.state["session"]["joins"] == []
    got = bob.poll()
    accepted = [e for e in got if e["k"] == "join.state"][-1]
    assert accepted["state"] == "accepted" and accepted["agent"] == "Bob"
    assert bob.state["watch"]["state"] == "watching" and bob.state["session"] is None
    got += bob.poll()
    snapshot = [e for e in got if e["k"] == "snapshot"]
    assert snapshot and snapshot[0]["s"] == f"s_{sid}"
    assert snapshot[0]["doc"]["c"][1]["c"][0]["c"][1]["a"].get("value") is None  # masked #card
    # Later events fan out to both agents from the one stream.
    visitor.send({"k": "scroll", "i": 1, "x": 0, "y": 40})
    assert [e["y"] for e in bob.poll() if e["k"] == "scroll"] == [40]
    assert [e["y"] for e in alice.poll() if e["k"] == "scroll"] == [40]
    steps = [(s["e"], s.get("agent"), s.get("outcome"), s.get("by"))
             for s in core.lifecycle.audit.steps(core.lifecycle.session(sid)["invitation"])
             if s["e"] == "join"]
    assert steps == [("join", "bob", "asked", "colleague"), ("join", "bob", "agreed", "owner"),
                     ("join", "bob", "accepted", "visitor")]


def test_the_owner_declines_and_the_watcher_is_told(people):
    visitor, alice, bob, sam, sid = people
    jid = join(bob, sid)["join"]
    alice.send({"k": "join.decline", "join": jid})
    declined = [e for e in bob.poll() if e["k"] == "join.state"][-1]
    assert declined["state"] == "declined" and declined["by"] == "owner"
    assert bob.state["watch"] is None
    assert "join.request" not in visitor.kinds(visitor.poll())
    join(bob, sid)  # free to ask again


def test_a_supervisor_skips_the_owner_but_not_the_visitor(people, core):
    visitor, alice, bob, sam, sid = people
    answer = join(sam, sid)
    assert answer["state"] == "visitor"
    [ask] = events(visitor, "join.request")
    assert ask["agent"] == "Sam" and ask["supervisor"] is True
    assert "join.request" not in alice.kinds(alice.poll())
    assert alice.state["session"]["joins"][0]["stage"] == "visitor"  # the owner sees it coming
    assert alice.send({"k": "join.accept", "join": answer["join"]}, expect=409)["error"] == "join_closed"
    visitor.send({"k": "join.decline", "join": answer["join"]})
    declined = [e for e in sam.poll() if e["k"] == "join.state"][-1]
    assert declined["state"] == "declined" and declined["by"] == "visitor"
    assert not [e for e in sam.seen if e["s"].startswith("s_")]
    assert sam.state["watch"] is None
    assert core.broker.get(keys.agent_watch("sam")) is None
    assert alice.state["session"]["watchers"] == []
    ref = core.lifecycle.session(sid)["invitation"]
    assert [(s["outcome"], s.get("by")) for s in core.lifecycle.audit.steps(ref)
            if s["e"] == "join"] == [("asked", "supervisor"), ("declined", "visitor")]


def test_watcher_webhooks_name_the_watcher():
    from cobrowse.rules.webhooks import EVENTS, payload

    assert {"session.watcher_joined", "session.watcher_left"} <= EVENTS
    record = {"id": "s_1", "invitation": "i_1", "mode": "view", "started": 1.0,
              "agent_display": "Pat", "watcher": "bob", "reason": "left"}
    assert payload("session.watcher_joined", record, None)["watcher"] == "bob"
    left = payload("session.watcher_left", record, "vr_1")
    assert (left["watcher"], left["reason"], left["visitor"]) == ("bob", "left", "vr_1")


def test_a_watcher_sends_nothing_into_the_session(people):
    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    bob.poll()
    for event in (POINTER, {"k": "highlight", "i": 5, "x": 0, "y": 0}, {"k": "snapshot.request"},
                  {"k": "control.click", "i": 5}, {"k": "scroll", "i": 1, "x": 0, "y": 0}):
        refused = bob.send(event, expect=403)
        assert refused["error"] == "watcher" and "watching" in refused["message"]
    assert bob.send({"k": "session.end"}, expect=409)["error"] == "no_session"
    assert bob.send({"k": "session.mode", "mode": "shared"}, expect=409)["error"] == "no_session"
    assert not [e for e in visitor.poll() if e["s"].startswith("s_")]
    # The owner's own events still go through.
    alice.send(POINTER)
    assert "pointer" in visitor.kinds(visitor.poll())


def test_one_session_rule_for_watchers(people, transport_for_visitor):
    visitor, alice, bob, sam, sid = people
    # The owner cannot watch its own session; a watcher watches one session at a time and
    # cannot invite (or own) while it watches.
    assert alice.send({"k": "join", "session": sid}, expect=409)["error"] == "own_session"
    assert bob.send({"k": "join", "session": "s_nope"}, expect=404)["error"] == "unknown_session"
    join(bob, sid)
    assert bob.send({"k": "join", "session": sid}, expect=409)["error"] == "watching"
    other = transport_for_visitor()
    other.send({"k": "chat", "text": "Hello?"})
    bob.poll()
    cid = other.poll()[0]["conversation"]
    bob.send({"k": "conversation.take", "conversation": cid})
    assert bob.send({"k": "invite", "conversation": cid, "mode": "view"},
                    expect=409)["error"] == "watching"
    bob.send({"k": "join.leave"})
    iid = bob.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    # An agent with an open invitation (or a session) of its own cannot watch.
    assert bob.send({"k": "join", "session": sid}, expect=409)["error"] == "session_active"
    bob.send({"k": "invite.cancel", "invitation": iid})
    join(bob, sid)


@pytest.fixture
def transport_for_visitor(app):
    def make():
        v = Visitor(flask_transport(app.test_client()))
        v.hello()
        return v
    return make


def test_leaving_does_not_end_the_session(people, core):
    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    admit(people, sam)
    assert events(visitor, "session.watchers")[-1]["watchers"] == ["Bob", "Sam"]
    bob.send({"k": "join.leave"})
    assert [e["state"] for e in bob.poll() if e["k"] == "join.state"][-1] == "left"
    assert bob.state["watch"] is None
    assert visitor.state["session"]["id"] == sid
    assert events(visitor, "session.watchers")[-1]["watchers"] == ["Sam"]
    assert events(alice, "session.watchers")[-1]["watchers"] == ["Sam"]
    assert bob.send({"k": "join.leave"}, expect=409)["error"] == "not_watching"
    # Signing out leaves too; the session goes on.
    status, _ = sam.post("/workspace/api/logout", {}, {"Content-Type": "application/json"})
    assert status == 200
    assert alice.poll() is not None and alice.state["session"]["watchers"] == []
    assert core.broker.get(keys.agent_watch("sam")) is None
    alice.send(POINTER)
    assert "pointer" in visitor.kinds(visitor.poll())
    steps = [s.get("outcome") + ":" + s.get("agent") for s in core.lifecycle.audit.steps(
        core.lifecycle.session(sid)["invitation"]) if s["e"] == "join" and s.get("outcome") == "left"]
    assert steps == ["left:bob", "left:sam"]


def test_a_watcher_gone_offline_leaves(people, core):
    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    for pid in core.broker.smembers(keys.agent_participants("bob")):
        core.broker.set(keys.seen(pid), "0")
    reaper.sweep(core)
    assert core.lifecycle.session(sid) and core.lifecycle.session(sid)["watchers"] == {}
    assert [e for e in bob.poll() if e["k"] == "join.state"][-1]["reason"] == "agent_gone"


def test_the_session_ending_ends_every_watch(people, core):
    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    join(sam, sid)  # still waiting for the visitor
    bob.poll()
    alice.send({"k": "session.end"})
    for watcher in (bob, sam):
        ended = [e for e in watcher.poll() if e["k"] == "join.state"][-1]
        assert ended["state"] == "ended" and ended["reason"] == "agent"
        assert watcher.state["watch"] is None
    assert core.broker.get(keys.agent_watch("bob")) is None
    assert core.broker.get(keys.agent_watch("sam")) is None
    assert [k for k in core.broker.read_raw({keys.session_stream(sid, "agent"): 0}, 10).values()
            if k] == []
    # Free to co-browse on their own now.
    assert bob.send({"k": "join.leave"}, expect=409)["error"] == "not_watching"


def test_a_watch_of_a_session_redis_lost_is_freed(people, core):
    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    core.broker.delete(keys.session(sid))  # Redis lost the record (no persistence, eviction)
    state, _ = core.state(core.participants.get(core.participants.pid_for(bob.token)))
    assert state["watch"] is None
    assert core.broker.get(keys.agent_watch("bob")) is None
    # A stale lock is freed at the agent's next request (its context is computed again).
    core.broker.set(keys.agent_watch("sam"), "s_gone")
    assert sam.send({"k": "join", "session": sid}, expect=404)["error"] == "unknown_session"
    assert core.broker.get(keys.agent_watch("sam")) is None


def test_an_idle_watcher_notices_a_lost_session_at_the_end_of_a_poll(people, core, monkeypatch):
    from cobrowse.transport import context as contexts

    visitor, alice, bob, sam, sid = people
    admit(people, bob)
    bob.poll()
    assert bob.state["watch"]["state"] == "watching"
    monkeypatch.setattr(contexts, "VERIFY_AFTER", 0.0)
    core.broker.delete(keys.session(sid))
    bob.poll(hold=0.2)  # nothing in its inbox announces it: the end of the hold checks
    assert bob.state["watch"] is None
    assert core.broker.get(keys.agent_watch("bob")) is None
