"""Pause (issue 14): the visitor pauses from the frame bar; while paused nothing of the page
leaves the browser (counted in the server's session stream and in every request the visitor
sends), the agent sees "Paused by the visitor" instead of the replica; resuming sends a fresh
snapshot. A ``--pause`` page pauses by itself and sharing resumes when the visitor leaves it.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.privacy_pages import add_site, plain_page, serve, stream_length
from tests.acceptance.support_privacy import RequestLog, marker, wait_replica

pytestmark = pytest.mark.slow


def where(agent, text: str) -> None:
    wait_replica(agent, "(d, t) => !!d.getElementById('where') && "
                        "d.getElementById('where').textContent === t", text)


def sent_kinds(log, start: int) -> list[str]:
    """Kinds of the events the visitor sent since request number ``start``."""
    kinds = []
    for url, body in log.entries[start:]:
        if "/api/v1/send" in url:
            kinds += [e.get("k") for e in json.loads(body).get("events") or []]
    return kinds


def barrier(visitor, agent) -> None:
    """Everything the tag had to send is sent: its queue is empty and a chat line sent after
    it has reached the agent (one send in flight, in order)."""
    flows.eventually(lambda: visitor.evaluate("CoBrowse.info().pending") == 0,
                     what="the tag's send queue to drain")
    text = flows.visitor_chat(visitor)
    expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_be_visible()


def test_pause_resume_and_a_pause_page(stack, directory, visitor_context, agent, redis_client):
    site = add_site(directory, stack, pause=["/demo/vault-*"])
    home = f"{stack.base}/demo/home-{site}.html"
    vault = f"{stack.base}/demo/vault-{site}.html"
    serve(visitor_context, home, plain_page(site, "Home"))
    serve(visitor_context, vault, plain_page(site, "Vault", marker("SVault")))
    log = RequestLog(visitor_context, stack.base)
    visitor = visitor_context.new_page()
    visitor.goto(home)
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info && CoBrowse.info().config)")
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "shared")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    where(agent, "Home")
    sid = visitor.evaluate("CoBrowse.info().session.id")
    paused = agent.get_by_test_id("cobrowse-paused")

    visitor.get_by_test_id("cobrowse-pause").click()
    expect(paused).to_be_visible()
    expect(paused).to_contain_text("Paused by the visitor")
    expect(agent.get_by_test_id("cobrowse-replica")).to_be_hidden()
    queued, sent = stream_length(redis_client, sid), len(log.entries)

    secret = marker("SPause")
    visitor.locator("#field").press_sequentially(secret)
    visitor.evaluate("(s) => { document.getElementById('note').textContent = s; }", secret)
    visitor.mouse.move(30, 30)
    visitor.mouse.move(300, 200)
    visitor.evaluate("window.scrollTo(0, 30)")
    barrier(visitor, agent)
    assert stream_length(redis_client, sid) == queued  # nothing reached the server's stream
    assert sent_kinds(log, sent) == ["chat"]  # the barrier's chat line, nothing of the page
    assert log.hits(secret) == []

    visitor.get_by_test_id("cobrowse-resume").click()
    expect(paused).to_be_hidden()
    wait_replica(agent, "(d, s) => !!d.getElementById('note') && "
                        "d.getElementById('note').textContent === s", secret)
    assert log.hits(secret), "resuming sends a fresh snapshot"

    # A --pause page: paused by itself, no Resume; back home, sharing resumes.
    visitor.goto(vault)
    expect(paused).to_be_visible()
    expect(paused).to_contain_text("keeps private")
    expect(visitor.get_by_test_id("cobrowse-resume")).to_be_hidden()
    queued, sent = stream_length(redis_client, sid), len(log.entries)
    barrier(visitor, agent)
    assert sent_kinds(log, sent) == ["chat"]
    vault_text = visitor.locator("#note").text_content()
    assert log.hits(vault_text) == [] and stream_length(redis_client, sid) == queued
    visitor.goto(home)
    where(agent, "Home")
    expect(paused).to_be_hidden()
    assert log.hits(vault_text) == []
