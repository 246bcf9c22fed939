"""Control of the visitor's page from the replica: co-form filling and co-navigation in
shared mode, both ways; refused in view-only mode, with the reason shown to the agent;
switching mode mid-session, the visitor asked before the agent gets control back and able to
drop it at any time."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.acceptance import flows

VIEW_NOTE = re.compile(r"View only: .*nothing was clicked or typed")


def ring_center(ring) -> tuple[float, float]:
    b = flows.box(ring) or {"x": -1e6, "y": -1e6, "width": 0, "height": 0}
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def on_page(visitor, page: str) -> None:
    """Move the visitor (before the session) to the demo page ``page`` (e.g. travel.html)."""
    visitor.goto(visitor.url.split("/demo/")[0] + "/demo/" + page)
    visitor.wait_for_function("window.CoBrowse !== undefined")


def test_agent_configures_a_trip_for_the_visitor(visitor, agent):
    """Shared mode, on the travel configurator: the agent picks a destination (select), types
    the number of travellers (text field), presses Next (button), picks a room (radio) and two
    extras (checkboxes); the visitor's page takes each, and its own script prices the trip."""
    on_page(visitor, "travel.html")
    rep = flows.start_cobrowse(visitor, agent, mode="shared")

    rep.locator("#destination").select_option("kyoto")
    expect(visitor.locator("#destination")).to_have_value("kyoto")
    rep.locator("#travellers").fill("3")
    expect(visitor.locator("#travellers")).to_have_value("3")
    expect(visitor.locator("#price-total")).to_have_attribute("data-total", "4020.00")

    rep.locator("#next-step").click()
    expect(visitor.locator("#trip-form")).to_have_attribute("data-current-step", "2")
    expect(rep.locator("#step-2")).to_be_visible()  # the replica follows the page's change
    rep.locator("#room-suite").check()
    expect(visitor.locator("#room-suite")).to_be_checked()
    expect(visitor.locator("#room-standard")).not_to_be_checked()
    rep.locator("#extra-insurance").check()
    rep.locator("#extra-breakfast").check()
    expect(visitor.locator("#extra-insurance")).to_be_checked()
    expect(visitor.locator("#extra-breakfast")).to_be_checked()
    expect(visitor.locator("#extra-transfer")).not_to_be_checked()
    expect(visitor.locator("#price-total")).to_have_attribute("data-total", "5901.00")
    expect(rep.locator("#price-total")).to_have_attribute("data-total", "5901.00")


def test_agent_types_into_the_insurance_form(visitor, agent):
    """Shared mode: the agent types a name key by key, picks a plan and ticks a cover on the
    insurance form; the visitor's page holds exactly that."""
    on_page(visitor, "insurance.html")
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    rep.locator("#full-name").press_sequentially("Ada Lovelace", delay=20)
    expect(visitor.locator("#full-name")).to_have_value("Ada Lovelace")
    rep.locator("#plan").select_option("premium")
    expect(visitor.locator("#plan")).to_have_value("premium")
    rep.locator("#cover-winter").check()
    expect(visitor.locator("#cover-winter")).to_be_checked()
    rep.locator("#cover-winter").uncheck()
    expect(visitor.locator("#cover-winter")).not_to_be_checked()


def test_agent_follows_a_link_and_the_session_follows(visitor, agent):
    """Co-navigation: the agent clicks a link in the replica; the visitor's tab goes there and
    the session carries on, the replica showing the new page."""
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    rep.locator("#cta-insurance").click()
    expect(visitor.locator("body")).to_have_attribute("data-page", "insurance")
    flows.wait_replica_page(agent, "insurance")
    expect(flows.visitor_frame(visitor)).to_be_visible()
    flows.wait_status(agent, "active")


def test_visitor_typing_is_seen_in_the_replica(visitor, agent):
    """Co-form filling the other way: what the visitor types, selects and ticks shows in the
    agent's replica."""
    on_page(visitor, "insurance.html")
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    visitor.locator("#full-name").press_sequentially("Grace Hopper", delay=20)
    visitor.locator("#plan").select_option("essential")
    visitor.locator("#cover-gadgets").check()
    expect(rep.locator("#full-name")).to_have_value("Grace Hopper")
    expect(rep.locator("#plan")).to_have_value("essential")
    expect(rep.locator("#cover-gadgets")).to_be_checked()


def test_view_only_refuses_control_and_says_why(visitor, agent):
    """View only: the agent's click on a link, typing into a field and click on a checkbox
    change nothing on the visitor's page, and the workspace says why."""
    on_page(visitor, "insurance.html")
    rep = flows.start_cobrowse(visitor, agent, mode="view")
    note = agent.get_by_test_id("cobrowse-note")

    rep.locator("#nav-travel").click()
    expect(note).to_be_visible()
    expect(note).to_have_text(VIEW_NOTE)
    rep.locator("#full-name").press_sequentially("Mallory", delay=10)
    rep.locator("#cover-winter").click()
    expect(rep.locator("#full-name")).to_have_value("")
    expect(rep.locator("#cover-winter")).not_to_be_checked()
    # The checkbox click reached the visitor as a highlight, after anything typed before it:
    # from then on the visitor's page shows all it ever will of these attempts.
    box = visitor.locator("#cover-winter").bounding_box()
    rings = visitor.get_by_test_id("cobrowse-highlight")
    flows.eventually(lambda: any(flows.contains(box, *ring_center(r), slack=6)
                                 for r in rings.all() if flows.box(r)),
                     what="the highlight of the checkbox click on the visitor's page")
    assert visitor.evaluate("document.body.dataset.page") == "insurance"
    expect(visitor.locator("#full-name")).to_have_value("")
    expect(visitor.locator("#cover-winter")).not_to_be_checked()


def test_switching_mode_mid_session(visitor, agent, agent_display):
    """The agent switches shared -> view only -> shared: the visitor's frame says what the
    agent may do now, and control follows the mode."""
    on_page(visitor, "insurance.html")
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    frame = flows.visitor_frame(visitor)
    label = frame.get_by_test_id("cobrowse-mode")
    expect(label).to_have_text(f"{agent_display} can see this tab, click and fill in forms with you")

    agent.get_by_test_id("cobrowse-switch-mode").click()
    expect(agent.get_by_test_id("cobrowse-mode")).to_have_text("View only")
    expect(frame).to_have_attribute("data-mode", "view")
    expect(label).to_have_text(f"{agent_display} can see this tab")
    rep.locator("#cover-winter").click()
    expect(agent.get_by_test_id("cobrowse-note")).to_have_text(VIEW_NOTE)
    expect(visitor.locator("#cover-winter")).not_to_be_checked()

    # Back up to shared: the visitor is asked first, in the words of an invitation, and the
    # session stays view only until the visitor accepts (issue 10, item 5).
    agent.get_by_test_id("cobrowse-switch-mode").click()
    expect(agent.get_by_test_id("cobrowse-note")).to_have_text(re.compile("Asked the visitor for control"))
    card = visitor.get_by_test_id("cobrowse-control-request")
    expect(card).to_be_visible()
    expect(card).to_contain_text(f"{agent_display} asks to control this page with you")
    expect(card).to_contain_text("the agent will be able to see this tab, click and fill in forms with you")
    expect(agent.get_by_test_id("cobrowse-mode")).to_have_text("View only")
    expect(frame).to_have_attribute("data-mode", "view")
    visitor.get_by_test_id("cobrowse-control-accept").click()
    expect(card).to_be_hidden()
    expect(agent.get_by_test_id("cobrowse-mode")).to_have_text("Shared")
    expect(frame).to_have_attribute("data-mode", "shared")
    rep.locator("#cover-winter").check()
    expect(visitor.locator("#cover-winter")).to_be_checked()


def test_the_visitor_drops_control_and_declines_it(visitor, agent):
    """Shared mode: the visitor stops the agent's control from the frame bar (view only at
    once, the agent told); the agent asks again and the visitor declines: the session stays
    view only, the agent is told, and the agent's clicks do nothing."""
    on_page(visitor, "insurance.html")
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    frame = flows.visitor_frame(visitor)
    drop = frame.get_by_test_id("cobrowse-drop-control")
    expect(drop).to_be_visible()
    drop.click()
    expect(frame).to_have_attribute("data-mode", "view")
    expect(drop).to_be_hidden()
    expect(agent.get_by_test_id("cobrowse-mode")).to_have_text("View only")
    expect(agent.get_by_test_id("cobrowse-note")).to_have_text(re.compile("took back control"))
    rep.locator("#cover-winter").click()
    expect(visitor.locator("#cover-winter")).not_to_be_checked()

    agent.get_by_test_id("cobrowse-switch-mode").click()
    expect(agent.get_by_test_id("cobrowse-switch-mode")).to_be_disabled()
    visitor.get_by_test_id("cobrowse-control-decline").click()
    expect(visitor.get_by_test_id("cobrowse-control-request")).to_be_hidden()
    expect(agent.get_by_test_id("cobrowse-note")).to_have_text(re.compile("declined control"))
    expect(agent.get_by_test_id("cobrowse-switch-mode")).to_be_enabled()
    expect(agent.get_by_test_id("cobrowse-mode")).to_have_text("View only")
    expect(frame).to_have_attribute("data-mode", "view")
    rep.locator("#cover-winter").click()
    expect(agent.get_by_test_id("cobrowse-note")).to_have_text(VIEW_NOTE)
    expect(visitor.locator("#cover-winter")).not_to_be_checked()
