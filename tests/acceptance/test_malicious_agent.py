"""A malicious agent (issue 10): every agent event kind with hostile fields, crafted over HTTP
by a raw client holding a real agent's token, in view-only and then shared mode, against the
demo insurance page, which has no Content-Security-Policy. Every crafted send gets a clear
4xx, and nothing reaches the page: no navigation, no script, no dialog, no prototype
pollution, no change in the visitor's fields (masked or not, in view only), and in shared
mode none in masked fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.conftest import PASSWORD
from tests.support.actors import Agent, http_transport
from tests.support.tag_fake import by_attr

pytestmark = pytest.mark.slow


def malformed(ids: dict, cid: str) -> list:
    """Events whose shape is wrong: 400 in any mode, before any permission is looked at."""
    name = ids["full-name"]
    return [
        {"k": "pointer", "i": 2**60, "x": 0, "y": 0},
        {"k": "pointer", "i": -1, "x": 0, "y": 0},
        {"k": "pointer", "i": 1.5, "x": 0, "y": 0},
        {"k": "pointer", "i": True, "x": 0, "y": 0},
        {"k": "pointer", "i": str(name), "x": 0, "y": 0},
        {"k": "highlight", "i": name, "x": float("inf"), "y": 0},
        {"k": "highlight", "i": name, "x": [1], "y": 0},
        {"k": "wiggle", "i": None},
        {"k": "selection", "r": "1,2,3,4"},
        {"k": "selection", "r": [1, -2, 3, 4]},
        {"k": "selection", "r": [True, 1, 1, 1]},
        {"k": "scroll", "i": name, "x": "9e9", "y": 0},
        {"k": "control.click", "i": "__proto__"},
        {"k": "control.click", "i": {"$gt": 0}},
        {"k": "control.input", "i": name, "value": 5},
        {"k": "control.input", "i": name, "value": "x" * 100_001},
        {"k": "control.input", "i": name, "checked": "true"},
        {"k": "control.input", "i": ids["plan"], "selected": "0"},
        {"k": "control.input", "i": ids["plan"], "selected": [-1]},
        {"k": "control.input", "i": name},
        {"k": "control.navigate", "url": "javascript:window.__pwned=1"},
        {"k": "control.navigate", "url": "data:text/html,<script>alert(1)</script>"},
        {"k": "control.navigate", "url": "//evil.example/"},
        {"k": "control.navigate", "url": ["http://evil.example/"]},
        {"k": "session.mode", "mode": "admin"},
        {"k": "session.mode", "mode": ["shared"]},
        {"k": "invite", "conversation": "../../x", "mode": "shared"},
        {"k": "invite.cancel", "invitation": {"$ne": 1}},
        {"k": "conversation.take", "conversation": "__proto__/x"},
        {"k": "chat", "conversation": cid, "text": 5},
        {"k": "chat", "conversation": cid, "text": "x" * 5000},
        {"k": "control.eval", "code": "alert(1)"},
        {"k": "__proto__"},
        {"k": ["control.click"]},
        "control.click",
        None,
    ]


def refused(ids: dict, base: str, mode: str) -> list:
    """Well-formed but refused: (event, status, code) for ``mode``."""
    view = mode == "view"
    masked = [{"k": "control.input", "i": ids["national-id"], "value": "agent"},
              {"k": "control.input", "i": ids["card-cvc"], "value": "999"},
              {"k": "control.click", "i": ids["national-id"]}]
    cases = [(e, 403, "view_only" if view else "masked_field") for e in masked]
    cases += [
        ({"k": "control.click", "i": 987_654_321}, 403, "view_only" if view else "unknown_node"),
        ({"k": "control.input", "i": 987_654_321, "value": "x"}, 403, "view_only" if view else "unknown_node"),
        ({"k": "control.navigate", "url": "https://evil.example/"}, 403, "view_only" if view else "off_site"),
        ({"k": "control.navigate", "url": f"http://evil@{base.split('//')[1]}/"}, 403,
         "view_only" if view else "off_site"),
        ({"k": "snapshot", "doc": {"i": 1, "t": 9, "c": []}}, 403, "kind_not_allowed"),
        ({"k": "mutation", "m": []}, 403, "kind_not_allowed"),
        ({"k": "mode.accept", "request": "r_forged"}, 403, "kind_not_allowed"),
        ({"k": "control.click", "i": 5, "k2": "x", "mode": "shared"}, 403, "view_only") if view else None,
    ]
    return [c for c in cases if c]


def send_raw(agent: Agent, event) -> tuple[int, dict]:
    """One crafted send, its seq taken in order (a 409 seq is re-sent with the expected one)."""
    for _ in range(3):
        agent.seq += 1
        status, body = agent.post("/api/v1/send", {"token": agent.token, "seq": agent.seq,
                                                   "events": [event]}, agent.headers())
        if status == 409 and body.get("error") == "seq":
            agent.seq = body["expected"] - 1
            continue
        return status, body
    raise AssertionError("could not take a seq")


def assert_clear_4xx(status: int, body: dict, event, code: str | None = None) -> None:
    assert 400 <= status < 500, (event, status, body)
    assert body["ok"] is False and body["error"] and body["message"], (event, body)
    if code:
        assert body["error"] == code, (event, body)


def page_untouched(visitor, start_url: str, dialogs: list, typed: dict) -> None:
    assert visitor.url == start_url
    assert dialogs == []
    assert visitor.evaluate("() => [window.__pwned, ({}).polluted, Object.prototype.polluted]") == [
        None, None, None]
    for selector, value in typed.items():
        assert visitor.input_value(selector) == value, selector


def test_a_malicious_agent_reaches_nothing_on_the_page(visitor, stack, agent_name):
    visitor.goto(f"{stack.base}/demo/insurance.html")
    visitor.wait_for_function("window.CoBrowse !== undefined")
    dialogs: list = []
    visitor.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    typed = {"#full-name": "Visitor Name", "#national-id": "SECRET-ID-123", "#card-cvc": "321"}
    for selector, value in typed.items():
        visitor.fill(selector, value)
    text = flows.visitor_chat(visitor)
    attacker = Agent(http_transport(stack.base), origin=stack.base)
    attacker.login(agent_name, PASSWORD)
    cid = next(c["id"] for c in attacker.conversations() if c["last"]["text"] == text)
    attacker.send({"k": "conversation.take", "conversation": cid})
    attacker.send({"k": "invite", "conversation": cid, "mode": "view"})
    flows.visitor_accept(visitor)
    snapshot = None
    for _ in range(20):
        snapshot = next((e for e in attacker.poll(hold=5) if e["k"] == "snapshot"), None)
        if snapshot:
            break
    assert snapshot, "the visitor's page never arrived"
    ids = {name: by_attr(snapshot["doc"], "id", name)["i"]
           for name in ("full-name", "national-id", "card-cvc", "plan")}
    start_url = visitor.url
    cursor = visitor.get_by_test_id("cobrowse-agent-cursor")
    for mode in ("view", "shared"):
        if mode == "shared":
            # Control needs the visitor's consent, given in the engagement window.
            answer = attacker.send({"k": "session.mode", "mode": "shared"})["results"][0]
            assert answer["mode"] == "view"
            visitor.get_by_test_id("cobrowse-control-accept").click()
            expect(visitor.get_by_test_id("cobrowse-frame")).to_have_attribute("data-mode", "shared")
        for event in malformed(ids, cid):
            status, body = send_raw(attacker, event)
            assert_clear_4xx(status, body, event)
            assert status == 400, (event, status, body)
        for event, status_wanted, code in refused(ids, stack.base, mode):
            status, body = send_raw(attacker, event)
            assert status == status_wanted, (event, status, body)
            assert_clear_4xx(status, body, event, code)
        # Extra fields, prototype keys among them, are dropped by the server, not relayed.
        status, body = send_raw(attacker, {"k": "pointer", "i": ids["full-name"], "x": 0.5, "y": 0.5,
                                           "__proto__": {"polluted": "yes"},
                                           "constructor": {"prototype": {"polluted": "yes"}}})
        assert status == 200, body
        expect(cursor).to_be_visible()  # the tag has handled everything sent before it
        page_untouched(visitor, start_url, dialogs, typed)
    # In shared mode a fair field still works: the attacker's refusals changed nothing else.
    attacker.send({"k": "control.input", "i": ids["full-name"], "value": "Changed by agent"})
    expect(visitor.locator("#full-name")).to_have_value("Changed by agent")
    assert visitor.input_value("#national-id") == typed["#national-id"]
    assert visitor.input_value("#card-cvc") == typed["#card-cvc"]
