"""Consent per permission (issue 10, item 5), through the API: switching a view-only session
to shared asks the visitor; until the visitor accepts, control events are refused; a decline
keeps it view only and tells the agent; the visitor drops control at any time; switching
down needs no consent."""

import pytest

from tests.test_api import SNAPSHOT, start_session

CLICK = {"k": "control.click", "i": 5}


@pytest.fixture
def viewing(visitor, agent):  # noqa: F811 - fixtures imported above
    start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    agent.poll()
    visitor.poll()
    return visitor, agent


def ask(agent_):
    answer = agent_.send({"k": "session.mode", "mode": "shared"})["results"][0]
    assert answer["mode"] == "view" and answer["request"].startswith("r_")
    return answer["request"]


def test_switching_up_asks_and_accept_gives_control(viewing):
    vis, ag = viewing
    rid = ask(ag)
    request = [e for e in vis.poll() if e["k"] == "mode.request"]
    assert len(request) == 1 and request[0]["request"] == rid and request[0]["mode"] == "shared"
    assert "click and fill in forms with you" in request[0]["text"]
    assert vis.state["session"]["mode"] == "view" and vis.state["session"]["request"] == rid
    assert [e["state"] for e in ag.poll() if e["k"] == "mode.state"] == ["open"]
    assert ag.send(CLICK, expect=403)["error"] == "view_only"
    assert ag.send({"k": "session.mode", "mode": "shared"}, expect=409)["error"] == "request_open"
    vis.send({"k": "mode.accept", "request": rid})
    got = ag.poll()
    assert [(e["k"], e.get("state") or e.get("mode")) for e in got] == [
        ("mode.state", "accepted"), ("session.mode", "shared")]
    assert ag.state["session"]["mode"] == "shared" and ag.state["session"]["request"] is None
    ag.send(CLICK)
    assert "control.click" in vis.kinds(vis.poll())
    # An answer to a request that is no longer open is refused, and changes nothing.
    assert vis.send({"k": "mode.decline", "request": rid}, expect=409)["error"] == "request_closed"
    ag.send(CLICK)


def test_decline_keeps_view_only_and_tells_the_agent(viewing):
    vis, ag = viewing
    rid = ask(ag)
    vis.send({"k": "mode.decline", "request": rid})
    assert [e["state"] for e in ag.poll() if e["k"] == "mode.state"] == ["open", "declined"]
    assert "session.mode" not in ag.kinds()
    assert ag.state["session"]["mode"] == "view"
    assert ag.send(CLICK, expect=403)["error"] == "view_only"
    assert vis.send({"k": "mode.accept", "request": rid}, expect=409)["error"] == "request_closed"
    assert ag.send(CLICK, expect=403)["error"] == "view_only"
    ask(ag)  # the agent may ask again


def test_the_visitor_drops_control_at_any_time(viewing):
    vis, ag = viewing
    vis.send({"k": "mode.accept", "request": ask(ag)})
    ag.poll()
    vis.send({"k": "mode.drop"})
    dropped = [e for e in ag.poll() if e["k"] == "session.mode"]
    assert dropped and dropped[-1]["mode"] == "view" and dropped[-1]["by"] == "visitor"
    assert ag.send(CLICK, expect=403)["error"] == "view_only"
    vis.send({"k": "mode.drop"})  # already view only: nothing to do, still fine
    # Dropping while a request is open declines it.
    rid = ask(ag)
    vis.send({"k": "mode.drop"})
    assert [e["state"] for e in ag.poll() if e["k"] == "mode.state"][-1] == "declined"
    assert vis.send({"k": "mode.accept", "request": rid}, expect=409)["error"] == "request_closed"


def test_switching_down_needs_no_consent_and_cancels_a_request(viewing):
    vis, ag = viewing
    vis.send({"k": "mode.accept", "request": ask(ag)})
    ag.poll()
    vis.poll()
    ag.send({"k": "session.mode", "mode": "view"})
    assert [e["mode"] for e in vis.poll() if e["k"] == "session.mode"] == ["view"]
    assert ag.send(CLICK, expect=403)["error"] == "view_only"
    rid = ask(ag)
    ag.send({"k": "session.mode", "mode": "view"})
    assert [e["state"] for e in vis.poll() if e["k"] == "mode.state"] == ["cancelled"]
    assert vis.send({"k": "mode.accept", "request": rid}, expect=409)["error"] == "request_closed"
    assert ag.send(CLICK, expect=403)["error"] == "view_only"


def test_a_shared_invitation_is_consent_enough(visitor, agent):  # noqa: F811
    start_session(visitor, agent, "shared")
    visitor.send(SNAPSHOT)
    agent.send(CLICK)
    assert agent.send({"k": "session.mode", "mode": "shared"})["results"][0] == {"mode": "shared"}


@pytest.mark.parametrize("event, status, code", [
    ({"k": "mode.accept"}, 400, "bad_request"),
    ({"k": "mode.accept", "request": 7}, 400, "bad_request"),
    ({"k": "mode.accept", "request": "r_nope"}, 409, "request_closed"),
    ({"k": "mode.decline", "request": "../../x"}, 400, "bad_request"),
])
def test_crafted_answers_get_a_clear_4xx(viewing, event, status, code):
    vis, ag = viewing
    ask(ag)
    assert vis.send(event, expect=status)["error"] == code
    assert ag.send(CLICK, expect=403)["error"] == "view_only"


def test_the_agent_cannot_answer_for_the_visitor(viewing):
    vis, ag = viewing
    rid = ask(ag)
    refused = ag.send({"k": "mode.accept", "request": rid}, expect=403)
    assert refused["error"] == "kind_not_allowed"
    assert ag.send(CLICK, expect=403)["error"] == "view_only"


def test_answers_need_a_session(visitor):  # noqa: F811
    assert visitor.send({"k": "mode.drop"}, expect=409)["error"] == "no_session"
