"""Elements the agent may not operate (issue 14, ``--no-control``): in shared mode the agent
cannot click the Pay button, neither on it, nor on its child element, nor on its label; the
workspace says why; a crafted ``control.click`` on it is refused by the server."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.privacy_pages import add_site, index_id, pay_page, serve

pytestmark = pytest.mark.slow


def clicks(visitor) -> dict:
    return visitor.evaluate("({...window.clicks})")


def test_agent_cannot_operate_a_no_control_button(stack, directory, visitor_context, agent,
                                                  redis_client):
    site = add_site(directory, stack, no_control=["#pay"])
    url = f"{stack.base}/demo/pay-{site}.html"
    serve(visitor_context, url, pay_page(site))
    visitor = visitor_context.new_page()
    visitor.goto(url)
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info && CoBrowse.info().config)")
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "shared")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    rep = flows.replica(agent)
    expect(rep.locator("#pay")).to_be_visible()  # it stays visible

    note = agent.get_by_test_id("cobrowse-note")
    for target in ("#pay", "#pay-inner", "#pay-label"):
        rep.locator(target).click()
        expect(note).to_contain_text("does not let agents operate")
    rep.locator("#other").click()
    flows.eventually(lambda: clicks(visitor)["other"] == 1, what="the allowed click")
    assert clicks(visitor) == {"pay": 0, "other": 1}

    # A crafted control.click on the Pay button: the workspace's next click is rewritten in
    # flight to the Pay button's node id, so only the server stands in its way.
    sid = visitor.evaluate("CoBrowse.info().session.id")
    pay_id = index_id(redis_client, sid, "button", "pay")
    other_id = index_id(redis_client, sid, "button", "other")
    answers = []

    def craft(route):
        body = json.loads(route.request.post_data or "{}")
        events = body.get("events") or []
        if any(e.get("k") == "control.click" and e.get("i") == other_id for e in events):
            for e in events:
                if e.get("k") == "control.click":
                    e["i"] = pay_id
            response = route.fetch(post_data=json.dumps(body))
            answers.append((response.status, response.json()))
            route.fulfill(response=response)
        else:
            route.continue_()

    agent.route("**/api/v1/send*", craft)
    rep.locator("#other").click()
    flows.eventually(lambda: answers, what="the crafted send's answer", pump=agent)
    agent.unroute("**/api/v1/send*")
    assert answers[0][0] == 403 and answers[0][1]["error"] == "no_control", answers
    expect(note).to_contain_text("Not allowed")
    rep.locator("#other").click()
    flows.eventually(lambda: clicks(visitor)["other"] == 2, what="the next allowed click")
    assert clicks(visitor) == {"pay": 0, "other": 2}
