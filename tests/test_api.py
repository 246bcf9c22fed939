"""The HTTP API in-process (Flask test client, embedded broker): conversations, the co-browse
lifecycle, permissions, sequence numbers and bad input. The same scenarios run through real
gunicorn and Redis in test_gunicorn.py."""

import gzip
import json
import threading

import pytest

from cobrowse.rules import reaper
from cobrowse.storage import keys
from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent, Visitor

DOC = {"i": 1, "t": 9, "c": [
    {"i": 2, "t": 10, "n": "html"},
    {"i": 3, "t": 1, "n": "html", "c": [
        {"i": 4, "t": 1, "n": "body", "c": [
            {"i": 5, "t": 1, "n": "p", "c": [{"i": 6, "t": 3, "x": "Hello"}]},
            {"i": 7, "t": 1, "n": "input", "a": {"id": "card", "value": "4111 1111 1111 1111"}},
            {"i": 8, "t": 1, "n": "input", "a": {"id": "name"}},
        ]}]}]}
SNAPSHOT = {"k": "snapshot", "doc": DOC, "url": "http://shop.example/page", "title": "Shop",
            "vw": 1280, "vh": 720, "sx": 0, "sy": 0}


def open_conversation(visitor, agent):
    visitor.send({"k": "chat", "text": "Hi, I need help with my booking"})
    agent.poll()
    cid = visitor.poll()[0]["conversation"]
    agent.send({"k": "conversation.take", "conversation": cid})
    return cid


def start_session(visitor, agent, mode="shared"):
    cid = open_conversation(visitor, agent)
    iid = agent.send({"k": "invite", "conversation": cid, "mode": mode})["results"][0]["invitation"]
    invite = [e for e in visitor.poll() if e["k"] == "invite"][0]
    assert invite["invitation"] == iid and invite["mode"] == mode
    visitor.send({"k": "invite.accept", "invitation": iid})
    visitor.poll()
    agent.poll()
    return cid, visitor.state["session"]["id"]


def test_hello_creates_then_resumes_a_visitor(transport):
    v = Visitor(transport)
    first = v.hello()
    again = Visitor(transport).hello(token=first["token"])
    assert again["participant"] == first["participant"]
    assert again["config"]["mask"] == ["#card"]
    other = Visitor(transport).hello(token="not-a-real-token-at-all")
    assert other["participant"] != first["participant"]


def test_hello_refuses_other_origins_and_unknown_sites(transport):
    Visitor(transport, origin="http://evil.example").hello(expect=403)
    Visitor(transport, site="nope").hello(expect=404)


def test_chat_both_ways_and_the_queue(visitor, agent):
    visitor.send({"k": "chat", "text": "Hello?"})
    assert "queue" in agent.kinds(agent.poll())
    [conv] = agent.conversations()
    assert conv["status"] == "waiting" and conv["last"]["text"] == "Hello?"
    agent.send({"k": "conversation.take", "conversation": conv["id"]})
    agent.send({"k": "chat", "conversation": conv["id"], "text": "Hi, I'm Alice"})
    chats = [e for e in visitor.poll() if e["k"] == "chat"]
    assert [c["text"] for c in chats] == ["Hello?", "Hi, I'm Alice"]
    assert [m["from"] for m in agent.transcript(conv["id"])] == ["visitor", "agent"]


def test_a_taken_conversation_is_not_anyone_elses(transport, visitor, agent):
    cid = open_conversation(visitor, agent)
    bob = Agent(transport)
    bob.login("bob", AGENT_PASSWORD)
    assert bob.conversations() == []
    body = bob.send({"k": "conversation.take", "conversation": cid}, expect=409)
    assert body["error"] == "taken"
    assert bob.send({"k": "chat", "conversation": cid, "text": "x"}, expect=403)["error"] == "not_yours"


def test_invite_accept_relay_and_end(core, visitor, agent):
    cid, sid = start_session(visitor, agent, "view")
    assert visitor.state["session"]["mode"] == "view"
    assert "session.started" in agent.kinds()
    assert "snapshot.request" not in visitor.kinds()  # the tag snapshots by itself on start
    visitor.send(SNAPSHOT, {"k": "pointer", "i": 5, "x": 0.5, "y": 0.5})
    got = agent.poll()
    snap = [e for e in got if e["k"] == "snapshot"][0]
    assert snap["s"] == f"s_{sid}" and "fidelity" in snap
    assert "4111 1111" not in json.dumps(got)  # the server's mask selector, second line
    agent.send({"k": "pointer", "i": 5, "x": 0.2, "y": 0.9}, {"k": "wiggle", "i": 5})
    assert visitor.kinds(visitor.poll()) == ["pointer", "wiggle"]
    refused = agent.send({"k": "control.click", "i": 5}, expect=403)
    assert refused["error"] == "view_only" and "view only" in refused["message"]
    rid = agent.send({"k": "session.mode", "mode": "shared"})["results"][0]["request"]
    assert visitor.kinds(visitor.poll()) == ["mode.request"]  # asked, not switched
    visitor.send({"k": "mode.accept", "request": rid})
    assert "session.mode" in visitor.kinds(visitor.poll())
    agent.send({"k": "control.click", "i": 5})
    assert visitor.kinds(visitor.poll()) == ["control.click"]
    visitor.send({"k": "session.end"})
    assert "session.ended" in agent.kinds(agent.poll())
    assert agent.last("session.ended")["reason"] == "visitor"
    for key in keys.session_keys(sid):
        assert core.broker.get(key) is None and core.broker.last_id(key) == 0
    assert core.broker.get(keys.agent_session("alice")) is None


def test_agent_ends_and_control_rules(visitor, agent):
    start_session(visitor, agent, "shared")
    visitor.send(SNAPSHOT)
    agent.poll()
    masked = agent.send({"k": "control.input", "i": 7, "value": "1234"}, expect=403)
    assert masked["error"] == "masked_field"
    agent.send({"k": "control.input", "i": 8, "value": "Ada"})
    off = agent.send({"k": "control.navigate", "url": "https://evil.example/"}, expect=403)
    assert off["error"] == "off_site"
    agent.send({"k": "control.navigate", "url": "http://shop.example/cart"})
    agent.send({"k": "session.end"})
    assert visitor.last("session.ended")["reason"] if visitor.poll() else False
    assert visitor.state["session"] is None


def test_one_invitation_and_one_session_per_agent(transport, visitor, agent):
    cid = open_conversation(visitor, agent)
    iid = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    again = agent.send({"k": "invite", "conversation": cid, "mode": "shared"}, expect=409)
    assert again["error"] == "invitation_open"
    agent.send({"k": "invite.cancel", "invitation": iid})
    assert [e["state"] for e in visitor.poll() if e["k"] == "invite.state"] == ["cancelled"]
    late = visitor.send({"k": "invite.accept", "invitation": iid}, expect=409)
    assert late["error"] == "invitation_closed"
    iid2 = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    visitor.send({"k": "invite.accept", "invitation": iid2})
    other = Visitor(transport)
    other.hello()
    cid2 = open_conversation(other, agent)
    busy = agent.send({"k": "invite", "conversation": cid2, "mode": "view"}, expect=409)
    assert busy["error"] == "session_active"


def test_decline_and_expiry(core, visitor, agent):
    cid = open_conversation(visitor, agent)
    iid = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    visitor.send({"k": "invite.decline", "invitation": iid})
    agent.poll()
    assert agent.last("invite.state")["state"] == "declined"
    iid = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    reaper.sweep(core, now=core.lifecycle.invitation(iid)["expires"] + 1)
    agent.poll()
    assert agent.last("invite.state")["state"] == "expired"
    assert agent.send({"k": "invite", "conversation": cid, "mode": "view"})["ok"]


def test_visitor_gone_ends_the_session_and_frees_the_agent(core, visitor, agent):
    _, sid = start_session(visitor, agent)
    core.broker.set(keys.seen(visitor.state and core.lifecycle.session(sid)["visitor"]), "0")
    reaper.sweep(core)
    agent.poll()
    assert agent.last("session.ended")["reason"] == "visitor_gone"
    assert core.broker.get(keys.agent_session("alice")) is None


def test_transcript_never_holds_the_invitation(visitor, agent):
    cid = open_conversation(visitor, agent)
    agent.send({"k": "invite", "conversation": cid, "mode": "shared"})
    text = visitor.last("invite")["text"] if visitor.poll() else ""
    assert "click and fill in forms" in text
    assert all("click and fill" not in m["text"] for m in agent.transcript(cid))


def test_sign_out_cancels_the_invitation(transport, visitor, agent):
    cid = open_conversation(visitor, agent)
    agent.send({"k": "invite", "conversation": cid, "mode": "view"})
    status, _ = transport("/workspace/api/logout", {}, {"Content-Type": "application/json"})
    assert status == 200
    visitor.poll()
    assert visitor.last("invite.state")["state"] == "cancelled"
    status, body = transport("/api/v1/poll", {"token": agent.token}, {})
    assert status == 401


def test_a_retried_send_is_applied_once(visitor, agent):
    cid = open_conversation(visitor, agent)
    first = agent.send({"k": "chat", "conversation": cid, "text": "once"})
    replay = agent.send({"k": "chat", "conversation": cid, "text": "once"}, seq=agent.seq)
    assert replay == first
    assert [m["text"] for m in agent.transcript(cid)].count("once") == 1
    gap = agent.send({"k": "chat", "conversation": cid, "text": "x"}, seq=agent.seq + 5, expect=409)
    assert gap["error"] == "seq" and gap["expected"] == agent.seq + 1
    stale = agent.send({"k": "chat", "conversation": cid, "text": "x"}, seq=1, expect=409)
    assert stale["error"] == "seq"


def test_a_refused_send_is_remembered_and_the_next_seq_works(visitor, agent):
    start_session(visitor, agent, "view")
    agent.send({"k": "control.click", "i": 5}, expect=403)
    again = agent.send({"k": "control.click", "i": 5}, seq=agent.seq, expect=403)
    assert again["error"] == "view_only"
    agent.send({"k": "pointer", "i": 5, "x": 0.1, "y": 0.1})


@pytest.mark.parametrize("raw, status, code", [
    (b"{not json", 400, "bad_json"),
    (b"[1,2]", 400, "bad_request"),
    (b'{"token": 5, "seq": 1, "events": [{"k": "chat", "text": "x"}]}', 400, "bad_request"),
    (b'{"token": "zzzzzzzzzzzzzzzzzzzz", "seq": 1, "events": [{"k": "chat", "text": "x"}]}', 401,
     "unknown_token"),
    (b"[" * 100000 + b"]" * 100000, 400, "bad_request"),
])
def test_bad_input_gets_a_clear_4xx(transport, raw, status, code):
    got, body = transport("/api/v1/send", None, raw=raw)
    assert got == status and body["error"] == code and body["message"]


def test_oversized_and_bad_gzip_bodies(transport, app, visitor):
    big = b'{"x": "' + b"a" * (app.extensions["cobrowse"].config.max_body + 10) + b'"}'
    status, body = transport("/api/v1/send", None, raw=big)
    assert status == 413
    status, body = transport("/api/v1/send?z=1", None, raw=b"not gzip")
    assert status == 415
    bomb = gzip.compress(b" " * (app.extensions["cobrowse"].config.max_inflated + 10))
    status, body = transport("/api/v1/send?z=1", None, raw=bomb)
    assert status == 413 and "inflated" in body["message"]
    ok = gzip.compress(json.dumps({"token": visitor.token, "seq": visitor.seq + 1,
                                   "events": [{"k": "chat", "text": "zipped"}]}).encode())
    status, body = transport("/api/v1/send?z=1", None, raw=ok, headers={"Origin": visitor.origin})
    assert status == 200, body


def test_events_for_another_session_are_refused(transport, visitor, agent):
    cid = open_conversation(visitor, agent)
    iid = agent.send({"k": "invite", "conversation": cid, "mode": "view"})["results"][0]["invitation"]
    intruder = Visitor(transport)
    intruder.hello()
    assert intruder.send({"k": "invite.accept", "invitation": iid}, expect=403)["error"] == "not_yours"
    assert intruder.send({"k": "pointer", "i": 1, "x": 0, "y": 0}, expect=403)["error"] == "no_session"
    visitor.send({"k": "invite.accept", "invitation": iid})  # the real visitor is unharmed
    assert visitor.poll() and visitor.state["session"]


def test_the_tag_origin_is_checked_on_every_request(transport, visitor):
    status, body = transport("/api/v1/poll", {"token": visitor.token},
                             headers={"Origin": "http://evil.example"})
    assert status == 403 and body["error"] == "origin"


def test_a_newer_poll_releases_the_older_one(visitor):
    answers = []
    old = threading.Thread(target=lambda: answers.append(
        visitor.post("/api/v1/poll", {"token": visitor.token, "hold": 2}, visitor.headers())))
    old.start()
    threading.Event().wait(0.3)
    visitor.poll(hold=0)
    old.join(5)
    assert answers and answers[0][1].get("released") is True


def test_poll_wakes_when_an_event_arrives(visitor, agent):
    cid = open_conversation(visitor, agent)
    visitor.poll()
    got = []
    waiter = threading.Thread(target=lambda: got.extend(visitor.poll(hold=2)))
    waiter.start()
    threading.Event().wait(0.2)
    agent.send({"k": "chat", "conversation": cid, "text": "ping"})
    waiter.join(5)
    assert [e["text"] for e in got] == ["ping"]


def test_sign_in_is_throttled_and_csrf_checked(transport):
    a = Agent(transport)
    for _ in range(5):
        assert a.login("alice", "wrong", expect=401)["error"] == "signin_wrong"
    body = a.login("alice", AGENT_PASSWORD, expect=429)
    assert body["retry_after"] > 0
    evil = Agent(transport, origin="http://evil.example")
    assert evil.login("bob", AGENT_PASSWORD, expect=403)["error"] == "csrf"


def test_failures_on_other_names_slow_the_address_but_never_lock_a_name(core, transport):
    attacker = Agent(transport)
    for n in range(6):
        assert attacker.login(f"nobody{n}", "wrong", expect=401)["error"] == "signin_wrong"
    # Same address (the test client's), other name: slowed, not refused.
    assert core.auth.slowdown(6) > 0
    assert Agent(transport).login("alice", AGENT_PASSWORD)["agent"]["name"] == "alice"
    assert core.auth.slowdown(4) == 0 and core.auth.slowdown(100) == core.config.login_slowdown_max


def test_responses_are_complete_and_never_cached(app, visitor):
    client = app.test_client()
    response = client.post("/api/v1/poll", data=json.dumps({"token": visitor.token, "hold": 0}),
                           headers={"Origin": visitor.origin, "Content-Type": "text/plain"})
    assert response.headers["Cache-Control"].startswith("no-store")
    assert response.headers["X-Accel-Buffering"] == "no"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert response.headers["Access-Control-Allow-Origin"] == visitor.origin


def test_healthz(app):
    assert app.test_client().get("/healthz").get_json()["ok"] is True


def test_a_sessions_streams_keep_one_page_not_the_whole_session(core, visitor, agent):
    """A snapshot supersedes what the agent's side held before it: once the agent has read
    it, that is dropped (a session keeps the current page's history in Redis, not every
    page's). Not before: events before it the agent has not read yet (a resume, say) still
    reach it. A reader from the start (a reloaded workspace) begins at the newest snapshot.
    The visitor's side drops what the visitor acknowledged."""
    from cobrowse.transport.polling import TRIM_EVERY

    _, sid = start_session(visitor, agent, "view")
    page = keys.session_stream(sid, "agent")
    for n in range(5):
        visitor.send({**SNAPSHOT, "url": f"http://shop.example/p{n}"},
                     {"k": "pointer", "i": 5, "x": 0.1, "y": 0.1})
        visitor.send({"k": "scroll", "i": 1, "x": 0, "y": n})
        assert [e["url"] for e in agent.poll() if e["k"] == "snapshot"] == [f"http://shop.example/p{n}"]
    agent.poll()  # its cursor now acknowledges the last snapshot
    held = core.broker.read(page, 0, 100)
    assert [e["k"] for _, e in held] == ["snapshot", "pointer", "scroll"]
    assert held[0][1]["url"] == "http://shop.example/p4"
    # Not read yet: nothing goes. The pause and resume before the next page arrive.
    visitor.send({"k": "session.pause", "by": "visitor"})
    visitor.send({"k": "session.resume"}, {**SNAPSHOT, "url": "http://shop.example/p5"})
    assert core.broker.read(page, 0, 100)[0][1]["url"] == "http://shop.example/p4"
    assert [k for k in agent.kinds(agent.poll()) if k.startswith("session.") or k == "snapshot"][-3:] \
        == ["session.pause", "session.resume", "snapshot"]
    # A workspace reloaded (no cursors) starts at the newest snapshot.
    agent.poll()
    fresh = type(agent)(agent.post)
    fresh.token = agent.token
    assert [e["k"] for e in fresh.poll() if e["s"] == f"s_{sid}"][0] == "snapshot"
    # The visitor's side: what the visitor acknowledged goes.
    for n in range(TRIM_EVERY + 5):
        agent.send({"k": "pointer", "i": 5, "x": n / 1000, "y": 0.5})
    assert len(visitor.poll()) >= TRIM_EVERY
    visitor.poll()
    assert core.broker.read(keys.session_stream(sid, "visitor"), 0, 1000) == []


def test_an_inbox_keeps_only_what_its_reader_has_not_acknowledged(core, visitor, agent):
    from cobrowse.transport.polling import TRIM_EVERY

    open_conversation(visitor, agent)
    for n in range(TRIM_EVERY + 10):
        visitor.send({"k": "chat", "text": f"line {n}"})
    got = []
    while fresh := agent.poll():
        got += [e["text"] for e in fresh if e["k"] == "chat"]
    assert got[-TRIM_EVERY - 10:] == [f"line {n}" for n in range(TRIM_EVERY + 10)]
    inbox = keys.inbox(core.participants.pid_for(agent.token))
    assert len(core.broker.read(inbox, 0, 10_000)) < TRIM_EVERY
    assert core.broker.last_id(inbox) >= TRIM_EVERY + 10  # ids go on where they were
