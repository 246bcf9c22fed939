"""The session's own controls and state on both sides: the frame around the visitor's tab
and its X, the agent's end button, fullscreen, and the widget's status line."""

from __future__ import annotations

import gzip
import json

from playwright.sync_api import expect

from tests.acceptance import flows


def sent_kinds(request) -> set[str]:
    """Event kinds in one of the tag's ``send`` requests (the body may be gzipped)."""
    body = request.post_data_buffer or b""
    if "z=1" in request.url:
        body = gzip.decompress(body)
    try:
        return {e.get("k") for e in json.loads(body).get("events", [])}
    except (ValueError, AttributeError):
        return set()


def test_visitor_ends_with_the_x_on_the_frame(visitor, agent, agent_display):
    """During a session a frame runs around the visitor's tab saying who sees it; its X ends
    the session: the frame goes, and the agent is told the visitor ended it."""
    flows.start_cobrowse(visitor, agent, mode="view")
    frame = flows.visitor_frame(visitor)
    expect(frame).to_be_visible()
    expect(frame.get_by_test_id("cobrowse-mode")).to_have_text(f"{agent_display} can see this tab")
    frame.get_by_test_id("cobrowse-close").click()

    flows.wait_ended(visitor, agent)
    expect(agent.get_by_test_id("cobrowse-ended")).to_contain_text("The visitor ended the co-browse.")
    expect(agent.get_by_test_id("cobrowse-replica")).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-end")).to_be_disabled()
    # The agent closes the finished widget and may invite again.
    agent.get_by_test_id("cobrowse-close").click()
    expect(agent.get_by_test_id("cobrowse-widget")).to_be_hidden()
    expect(agent.get_by_test_id("cobrowse-button")).to_be_enabled()


def test_agent_end_button_ends_the_session(visitor, agent):
    """The agent's end button ends the session for both: the visitor's frame and the agent's
    pointer go away; the chat carries on."""
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    rep.locator("#hero h1").hover()
    expect(visitor.get_by_test_id("cobrowse-agent-cursor")).to_be_visible()
    agent.get_by_test_id("cobrowse-end").click()

    flows.wait_ended(visitor, agent)
    expect(agent.get_by_test_id("cobrowse-ended")).to_contain_text("You ended the co-browse.")
    expect(visitor.get_by_test_id("cobrowse-agent-cursor")).to_be_hidden()
    line = flows.agent_chat(agent)
    expect(visitor.get_by_test_id("cobrowse-chat-message").filter(has_text=line)).to_be_visible()


def test_fullscreen_enters_and_exits(agent, visitor):
    """The fullscreen button puts the widget in real fullscreen (the Fullscreen API) with the
    replica scaled up to the screen, and takes it out again."""
    flows.start_cobrowse(visitor, agent, mode="view")
    widget = agent.get_by_test_id("cobrowse-widget")
    button = agent.get_by_test_id("cobrowse-fullscreen")
    before = float(widget.get_attribute("data-scale"))
    button.click()
    agent.wait_for_function(
        "document.fullscreenElement === document.querySelector('[data-testid=cobrowse-widget]')")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text("Exit fullscreen")
    flows.eventually(lambda: float(widget.get_attribute("data-scale")) > before,
                     what="the replica scaled up in fullscreen")

    button.click()
    agent.wait_for_function("document.fullscreenElement === null")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_have_text("Fullscreen")
    flows.eventually(lambda: float(widget.get_attribute("data-scale")) == before,
                     what="the replica back to its size")


def test_status_connecting_until_the_page_arrives_then_active(visitor, agent):
    """The status line says "connecting" from the accept until the visitor's page is shown,
    then "active", and "ended" at the end."""
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "view")
    held = []

    def hold_snapshot(route):
        if "snapshot" in sent_kinds(route.request):
            held.append(route)
        else:
            route.continue_()
    visitor.route("**/api/v1/send*", hold_snapshot)
    flows.visitor_accept(visitor)

    flows.wait_status(agent, "connecting")
    expect(flows.status(agent)).to_have_text("Connecting…")
    expect(agent.get_by_test_id("cobrowse-progress")).to_be_visible()
    # The route handler runs only while Playwright is called: pump the visitor's page.
    flows.eventually(lambda: held, what="the visitor's snapshot on its way", pump=visitor)
    expect(flows.status(agent)).to_have_attribute("data-state", "connecting")

    for route in held:
        route.continue_()
    visitor.unroute("**/api/v1/send*")
    flows.wait_status(agent, "active")
    expect(flows.status(agent)).to_have_text("Active")
    flows.wait_replica_page(agent, "home")
    expect(agent.get_by_test_id("cobrowse-progress")).to_be_hidden()

    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_status(agent, "ended")
    expect(flows.status(agent)).to_have_text("Ended")


def test_status_reconnecting_while_the_agent_is_offline(visitor, agent, agent_context):
    """The agent's network drops: the status says "reconnecting"; back online, "active"
    again at once (not after the retry back-off, which has grown meanwhile) and the replica
    still follows the visitor."""
    rep = flows.start_cobrowse(visitor, agent, mode="view")
    failed = []
    agent_context.on("requestfailed",
                     lambda r: failed.append(r.url) if "/api/v1/poll" in r.url else None)
    agent_context.set_offline(True)
    # The visitor's pointer answers the agent's parked poll; the next poll finds no network.
    visitor.mouse.move(200, 300)
    visitor.mouse.move(220, 320)
    flows.wait_status(agent, "reconnecting")
    expect(flows.status(agent)).to_have_text("Reconnecting…")
    # Three failed polls: the back-off before the next try is now 8 to 12 s.
    flows.eventually(lambda: len(failed) >= 3, timeout=15, what="three failed polls",
                     pump=agent)
    agent_context.set_offline(False)
    flows.wait_status(agent, "active", timeout=4_000)
    visitor.locator("#nav-help").click()
    expect(rep.locator('body[data-page="help"]')).to_have_count(1)


def test_status_away_while_the_visitor_is_off_the_site(visitor, agent):
    """The visitor follows a link to a partner page without the tag: the status says the
    visitor is away; back on the site, "active" again."""
    flows.start_cobrowse(visitor, agent, mode="view")
    visitor.locator("#link-outside").click()
    expect(visitor.locator("#untagged-note")).to_be_visible()
    flows.wait_status(agent, "away")
    expect(flows.status(agent)).to_have_text("Visitor away")
    visitor.locator("#back-link").click()
    flows.wait_status(agent, "active")
    flows.wait_replica_page(agent, "home")


def test_a_session_that_redis_lost_ends_on_both_sides_with_the_reason(visitor, agent, redis_client):
    """Redis lost the session's record (a restart without persistence, a failover that
    dropped the latest writes): the next event ends the session on both sides, each told
    why, and the agent may invite again."""
    flows.start_cobrowse(visitor, agent, mode="view")
    sid = visitor.evaluate("CoBrowse.info().session.id")
    [record] = [k for k in redis_client.scan_iter(match=f"*s:{{{sid}}}", count=1000)]
    redis_client.delete(record)
    visitor.mouse.move(200, 200)
    visitor.mouse.move(260, 240)

    flows.wait_ended(visitor, agent)
    expect(agent.get_by_test_id("cobrowse-ended")).to_contain_text("the server lost it")
    expect(visitor.get_by_test_id("cobrowse-notice")).to_contain_text("server problem")
    agent.get_by_test_id("cobrowse-close").click()
    expect(agent.get_by_test_id("cobrowse-button")).to_be_enabled()
