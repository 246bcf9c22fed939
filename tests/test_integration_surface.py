"""The integration surface in-process (Flask test client, embedded broker): support codes,
visitor references, the platform REST API with its keys, agent links and signed webhooks
(issue 13). The same flows run through gunicorn, Redis and Chromium in
tests/acceptance/test_integration.py."""

import json
import time

import pytest

from cobrowse.rules.participants import digest
from cobrowse.rules.webhooks import sign
from cobrowse.storage import keys
from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent
from tests.support.webhook_receiver import Receiver, verify


@pytest.fixture
def client(app):
    return app.test_client()


def code_of(visitor) -> str:
    status, body = visitor.post("/api/v1/visitor/code", {"token": visitor.token}, visitor.headers())
    assert status == 200, body
    assert len(body["code"]) == 6 and body["code"].isdigit() and body["ttl"] == 600
    return body["code"]


def enter(agent, code, expect=200):
    status, body = agent.post("/api/v1/agent/code", {"token": agent.token, "code": code})
    assert status == expect, body
    return body


def test_a_visitor_reads_a_code_and_the_agent_invites_without_a_conversation(visitor, agent, core):
    code = code_of(visitor)
    claim = enter(agent, code)["claim"]
    status, body = agent.post("/api/v1/agent/code/invite", {"token": agent.token, "claim": claim,
                                                            "mode": "view"})
    assert status == 200, body
    invite = [e for e in visitor.poll() if e["k"] == "invite"][0]
    assert invite["conversation"] is None and invite["mode"] == "view"
    assert visitor.state["invitation"]["id"] == body["invitation"]
    visitor.send({"k": "invite.accept", "invitation": body["invitation"]})
    visitor.poll()
    agent.poll()
    assert visitor.state["session"]["mode"] == "view" and agent.state["session"]
    # The session works as any other, and nothing of it is in any conversation.
    assert visitor.send({"k": "scroll", "i": 1, "x": 0, "y": 10})["ok"]
    assert agent.send({"k": "session.end"})["ok"]
    visitor.poll()
    assert visitor.state["session"] is None
    assert agent.conversations() == [] and core.broker.smembers(keys.WAITING) == set()


def test_codes_are_single_use_and_never_say_they_were_valid(visitor, agent, transport):
    code = code_of(visitor)
    enter(agent, code)
    reused = enter(agent, code, expect=404)
    wrong = enter(agent, "000000" if code != "000000" else "000001", expect=404)
    assert reused["error"] == wrong["error"] == "bad_code"
    assert reused["message"] == wrong["message"]
    # A new code replaces the previous one.
    first, second = code_of(visitor), code_of(visitor)
    assert enter(agent, first, expect=404)["message"] == wrong["message"]
    assert enter(agent, second)["claim"]


def test_expired_codes_get_the_same_refusal(visitor, agent, core, monkeypatch):
    code = code_of(visitor)
    later = time.time() + core.config.code_ttl + 1
    monkeypatch.setattr("cobrowse.rules.codes.time.time", lambda: later)
    body = enter(agent, code, expect=404)
    assert body["error"] == "bad_code" and "not valid" in body["message"]


def test_code_guessing_is_throttled_per_agent_and_per_address(visitor, transport, core):
    alice, bob = Agent(transport), Agent(transport)
    alice.login("alice", AGENT_PASSWORD)
    bob.login("bob", AGENT_PASSWORD)
    code = code_of(visitor)
    guesses = [f"{n:06d}" for n in range(1000, 1000 + core.config.code_max_failures)]
    for guess in guesses:
        assert enter(alice, guess if guess != code else "999999", expect=404)["error"] == "bad_code"
    # Now even the right code is refused, for alice and for anyone from the same address.
    assert enter(alice, code, expect=429)["retry_after"] > 0
    assert enter(bob, code, expect=429)["error"] == "throttled"
    assert int(core.broker.get(keys.CODE_FAILURES_TOTAL)) >= core.config.code_max_failures


def test_a_claim_is_for_the_agent_who_entered_the_code(visitor, transport):
    alice, bob = Agent(transport), Agent(transport)
    alice.login("alice", AGENT_PASSWORD)
    bob.login("bob", AGENT_PASSWORD)
    claim = enter(alice, code_of(visitor))["claim"]
    status, body = bob.post("/api/v1/agent/code/invite", {"token": bob.token, "claim": claim,
                                                          "mode": "view"})
    assert status == 404 and body["error"] == "no_claim"
    status, body = alice.post("/api/v1/agent/code/invite", {"token": alice.token, "claim": claim,
                                                            "mode": "sideways"})
    assert status == 400 and body["error"] == "bad_mode"


# --- the REST API ---------------------------------------------------------------------------


def api(client, key, method, path, body=None):
    response = client.open(f"/api/v1/integration{path}", method=method, json=body,
                           headers={"Authorization": f"Bearer {key}"} if key else {})
    return response.status_code, response.get_json()


def ref_of(visitor) -> str:
    status, body = visitor.post("/api/v1/visitor/ref", {"token": visitor.token}, visitor.headers())
    assert status == 200, body
    again = visitor.post("/api/v1/visitor/ref", {"token": visitor.token}, visitor.headers())[1]
    assert again["ref"] == body["ref"] and body["ref"] != visitor.token
    return body["ref"]


AGENT = {"id": "agent-42", "display": "Pat from Support"}


def test_keys_are_hashed_and_wrong_keys_refused(core, client):
    item, key = core.integrations.add("crm", "http://127.0.0.1:9/hooks")
    stored = core.directory.store.all("integrations")["crm"]
    assert key not in stored and item.key_hash in stored
    for bad in (None, "nope", key + "x"):
        status, body = api(client, bad, "GET", "/invitations/i_123")
        assert status == 401 and body["error"] == "unknown_key"


def test_the_platform_invites_by_reference_and_reads_and_ends_its_session(core, client, visitor):
    _, key = core.integrations.add("crm")
    _, other_key = core.integrations.add("other")
    status, body = api(client, key, "POST", "/invitations",
                       {"visitor": ref_of(visitor), "agent": AGENT, "mode": "shared"})
    assert status == 201, body
    iid, url = body["invitation"], body["agent_url"]
    assert "/workspace/link/" in url
    invite = [e for e in visitor.poll() if e["k"] == "invite"][0]
    assert invite["agent"] == "Pat from Support" and invite["mode"] == "shared"
    # One open invitation per platform agent.
    status, again = api(client, key, "POST", "/invitations",
                        {"visitor": ref_of(visitor), "agent": AGENT, "mode": "view"})
    assert status == 409, again
    assert api(client, other_key, "GET", f"/invitations/{iid}")[0] == 404
    assert api(client, key, "GET", f"/invitations/{iid}")[1]["state"] == "open"
    sid = visitor.send({"k": "invite.accept", "invitation": iid})["results"][0]["session"]
    inv = api(client, key, "GET", f"/invitations/{iid}")[1]
    assert inv["state"] == "accepted" and inv["session"] == sid
    sess = api(client, key, "GET", f"/sessions/{sid}")[1]
    assert sess["state"] == "active" and sess["mode"] == "shared" and sess["agent"] == AGENT
    assert api(client, other_key, "GET", f"/sessions/{sid}")[0] == 404
    assert api(client, other_key, "DELETE", f"/sessions/{sid}")[0] == 404
    status, ended = api(client, key, "DELETE", f"/sessions/{sid}")
    assert status == 200 and ended["state"] == "ended" and ended["reason"] == "api"
    assert api(client, key, "DELETE", f"/sessions/{sid}")[0] == 409
    visitor.poll()
    assert visitor.state["session"] is None


def test_the_platform_invites_by_code_and_cancels(core, client, visitor):
    _, key = core.integrations.add("crm")
    code = code_of(visitor)
    status, body = api(client, key, "POST", "/invitations", {"code": code, "agent": AGENT})
    assert status == 201, body
    assert api(client, key, "POST", "/invitations", {"code": code, "agent": AGENT})[0] == 404
    status, cancelled = api(client, key, "DELETE", f"/invitations/{body['invitation']}")
    assert status == 200 and cancelled["state"] == "cancelled"
    assert api(client, key, "DELETE", f"/invitations/{body['invitation']}")[0] == 409


@pytest.mark.parametrize("body, error", [
    ({"agent": AGENT}, "bad_request"),
    ({"visitor": "vr_x", "code": "123456", "agent": AGENT}, "bad_request"),
    ({"visitor": "vr_unknown", "agent": AGENT}, "unknown_visitor"),
    ({"visitor": "vr_unknown", "agent": {"id": "a b"}}, "bad_request"),
    ({"visitor": "vr_unknown", "agent": AGENT, "mode": "drive"}, "bad_request"),
    ([], "bad_request"),
])
def test_bad_invitations_get_a_clear_4xx(core, client, body, error):
    _, key = core.integrations.add("crm")
    status, answer = api(client, key, "POST", "/invitations", body)
    assert 400 <= status < 500 and answer["error"] == error and answer["message"]


def test_calls_are_throttled_per_key(app, client):
    core = app.extensions["cobrowse"]
    object.__setattr__(core.config, "api_rate", 3)
    _, key = core.integrations.add("crm")
    _, other = core.integrations.add("other")
    assert [api(client, key, "GET", "/invitations/i_x")[0] for _ in range(4)] == [404, 404, 404, 429]
    assert api(client, other, "GET", "/invitations/i_x")[0] == 404


# --- agent links ----------------------------------------------------------------------------


def test_an_agent_link_works_once_and_only_for_its_session(core, client, visitor, transport):
    _, key = core.integrations.add("crm")
    body = api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})[1]
    path = body["agent_url"].split("localhost", 1)[-1]
    first = client.get(path)
    assert first.status_code == 303 and first.headers["Location"].endswith("/workspace/")
    me = client.get("/workspace/api/me").get_json()
    assert me["scoped"] and me["agent"]["display"] == "Pat from Support"
    second = client.application.test_client().get(path)
    assert second.status_code == 410 and b"used or has expired" in second.data
    # The scoped sign-in sees the invitation, but nothing of our conversations.
    scoped = Agent(transport)
    scoped.token, scoped.seq = me["token"], me["seq"]
    scoped.poll()
    assert scoped.state["invitation"]["id"] == body["invitation"]
    assert scoped.conversations() == []
    refused = scoped.send({"k": "conversation.take", "conversation": "c_1"}, expect=403)
    assert refused["error"] == "scoped"
    assert scoped.post("/api/v1/agent/code", {"token": scoped.token, "code": "123456"})[0] == 403


def test_an_expired_agent_link_is_refused(core, client, visitor, monkeypatch):
    _, key = core.integrations.add("crm")
    body = api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})[1]
    token = body["agent_url"].rsplit("/", 1)[1]
    core.broker.delete(keys.agent_link(digest(token)))  # what its TTL does
    assert client.get(f"/workspace/link/{token}").status_code == 410


# --- webhooks -------------------------------------------------------------------------------


def test_webhooks_are_signed_and_retried_until_the_receiver_is_back(core, client, visitor):
    receiver = Receiver()
    try:
        item, key = core.integrations.add("crm", receiver.url)
        receiver.secret = item.secret
        receiver.down = True
        body = api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})[1]
        sid = visitor.send({"k": "invite.accept", "invitation": body["invitation"]})["results"][0]["session"]
        visitor.send({"k": "session.end"})
        assert core.webhooks.deliver_due() == 0 and receiver.failed == 3
        receiver.down = False
        assert core.webhooks.deliver_due() == 0  # not due yet: backoff
        assert core.webhooks.deliver_due(now=time.time() + 3600) == 3
        assert core.broker.smembers(keys.WEBHOOKS_PENDING) == set()
        assert [e["type"] for e in receiver.events] == [
            "invitation.accepted", "session.started", "session.ended"]
        ended = receiver.events[-1]
        assert ended["data"]["session"] == sid and ended["data"]["reason"] == "visitor"
        assert ended["data"]["agent"] == AGENT and ended["_id_header"] == ended["id"]
        assert len({e["id"] for e in receiver.events}) == 3 and receiver.bad == []
    finally:
        receiver.close()


def test_the_signature_recipe():
    body = b'{"id":"evt_1","type":"session.started"}'
    header = sign("whsec_test", body)
    assert verify("whsec_test", body, header)
    assert not verify("whsec_other", body, header)
    assert not verify("whsec_test", body + b" ", header)


def test_nothing_of_codes_or_the_api_enters_a_transcript(visitor, transport, core, client):
    alice, bob = Agent(transport), Agent(transport)
    alice.login("alice", AGENT_PASSWORD)
    bob.login("bob", AGENT_PASSWORD)
    visitor.send({"k": "chat", "text": "Hello there"})
    cid = visitor.poll()[0]["conversation"]
    alice.send({"k": "conversation.take", "conversation": cid})
    claim = enter(bob, code_of(visitor))["claim"]
    iid = bob.post("/api/v1/agent/code/invite", {"token": bob.token, "claim": claim,
                                                 "mode": "view"})[1]["invitation"]
    visitor.send({"k": "invite.accept", "invitation": iid})
    visitor.poll()
    assert visitor.state["session"]["agent"] == "Bob"
    bob.send({"k": "session.end"})
    _, key = core.integrations.add("crm")
    api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})
    assert [m["text"] for m in alice.transcript(cid)] == ["Hello there"]
    assert core.conversations.get(cid)["invitation"] is None


def test_a_platform_session_waits_for_its_agent_link_then_ends(core, client, visitor):
    from cobrowse.rules import reaper

    _, key = core.integrations.add("crm")
    ref = ref_of(visitor)
    body = api(client, key, "POST", "/invitations", {"visitor": ref, "agent": AGENT})[1]
    sid = visitor.send({"k": "invite.accept", "invitation": body["invitation"]})["results"][0]["session"]
    started = core.lifecycle.session(sid)["started"]
    pid = core.visitor_refs.visitor(ref)["id"]
    for later, alive in ((core.config.gone_after - 5, True), (core.config.gone_after + 1, False)):
        core.broker.set(keys.seen(pid), str(started + later))  # the visitor is still there
        reaper.sweep(core, now=started + later)
        assert (core.lifecycle.session(sid) is not None) == alive
    assert api(client, key, "GET", f"/sessions/{sid}")[1]["reason"] == "agent_gone"


def test_guessing_codes_through_the_api_is_throttled(core, client, visitor):
    _, key = core.integrations.add("crm")
    code = code_of(visitor)
    wrong = "000000" if code != "000000" else "000001"
    answers = [api(client, key, "POST", "/invitations", {"code": wrong, "agent": AGENT})[0]
               for _ in range(core.config.code_max_failures)]
    assert answers == [404] * core.config.code_max_failures
    status, body = api(client, key, "POST", "/invitations", {"code": code, "agent": AGENT})
    assert status == 429 and body["retry_after"] > 0


def test_an_unanswered_platform_invitation_expires_with_a_webhook(core, client, visitor):
    from cobrowse.rules import reaper

    _, key = core.integrations.add("crm", "http://127.0.0.1:9/hooks")
    iid = api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})[1]["invitation"]
    reaper.sweep(core, now=time.time() + core.config.invite_ttl + 1)
    assert api(client, key, "GET", f"/invitations/{iid}")[1]["state"] == "expired"
    [pending] = core.broker.smembers(keys.WEBHOOKS_PENDING)
    body = json.loads(core.broker.get(keys.webhook(pending)))["body"]
    assert json.loads(body)["type"] == "invitation.expired"
    # The agent may invite again at once: the one-invitation lock went with it.
    assert api(client, key, "POST", "/invitations", {"visitor": ref_of(visitor), "agent": AGENT})[0] == 201
