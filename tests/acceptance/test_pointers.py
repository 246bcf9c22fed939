"""Co-scrolling, pointers, click rings, wiggle and text highlights, seen by both people.

The visitor's window (1100x800, or a narrow 760x900 where the site's layout folds) and the
agent's (1280x720, the replica scaled into the widget) differ on purpose: a pointer sent as
(node id, fraction inside the element) must land on the same element and the same spot of
it on both screens.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows

HEADING = "#hero h1"
PARAGRAPH = "#hero .hero-inner > div > p:not(.eyebrow)"


VISITOR_CURSOR_TIP = """() => {
  const el = document.querySelector('cobrowse-ui').shadowRoot
    .querySelector('[data-testid="cobrowse-agent-cursor"]');
  if (!el || el.hidden) return null;
  const r = el.getBoundingClientRect();
  return {x: r.left, y: r.top};
}"""


def point_in(box: dict, fx: float, fy: float) -> tuple[float, float]:
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def close_to(a: tuple[float, float], b: tuple[float, float], tol: float = 3) -> bool:
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


@pytest.mark.parametrize("visitor_viewport", [{"width": 1100, "height": 800},
                                              {"width": 760, "height": 900}],
                         ids=["visitor-1100x800", "visitor-760x900"])
def test_both_pointers_shown_labelled_on_the_same_element(visitor, agent, agent_display,
                                                          visitor_viewport):
    """The visitor's pointer shows in the replica labelled "Visitor", and the agent's on the
    visitor's page labelled with the agent's name, each at the same spot of the same element
    although the two windows differ in size."""
    rep = flows.start_cobrowse(visitor, agent, mode="view")

    # Visitor -> agent: a quarter into the "Get a cover quote" button.
    own = visitor.locator("#cta-insurance").bounding_box()
    visitor.mouse.move(*point_in(own, 0.25, 0.5))
    cursor = agent.get_by_test_id("cobrowse-visitor-cursor")
    expect(cursor).to_be_visible()
    expect(cursor).to_have_text("Visitor")

    def visitor_cursor_on_button():
        there = flows.replica_box(agent, "#cta-insurance")
        tip = cursor.bounding_box()
        return close_to((tip["x"], tip["y"]), point_in(there, 0.25, 0.5))
    flows.eventually(visitor_cursor_on_button, what="the visitor's pointer on the button")
    scale = float(agent.get_by_test_id("cobrowse-widget").get_attribute("data-scale"))
    assert scale < 0.9, "the replica is scaled: the two screens really differ"

    # Agent -> visitor: three quarters across the page's heading, in the replica.
    rep.locator(HEADING).hover()
    there = flows.replica_box(agent, HEADING)
    agent.mouse.move(*point_in(there, 0.75, 0.4))
    mark = visitor.get_by_test_id("cobrowse-agent-cursor")
    expect(mark).to_be_visible()
    expect(mark).to_have_text(agent_display)

    def agent_cursor_on_heading():
        tip = visitor.evaluate(VISITOR_CURSOR_TIP)
        here = visitor.locator(HEADING).bounding_box()
        return tip and close_to((tip["x"], tip["y"]), point_in(here, 0.75, 0.4))
    flows.eventually(agent_cursor_on_heading, what="the agent's pointer on the heading")


def test_visitor_scroll_is_followed_by_the_replica(visitor, agent):
    """Co-scrolling, visitor to agent: the replica scrolls to where the visitor scrolled."""
    visitor.goto(visitor.url.replace("/demo/", "/demo/help.html"))
    flows.start_cobrowse(visitor, agent, mode="view")
    visitor.locator("#payment").scroll_into_view_if_needed()
    visitor.mouse.wheel(0, 900)
    target = flows.eventually(lambda: visitor.evaluate("scrollY") > 0 and
                              visitor.evaluate("scrollY"), what="the visitor scrolled")
    flows.eventually(lambda: flows.replica_eval(agent, "win.scrollY") == visitor.evaluate("scrollY"),
                     what=f"the replica at the visitor's scroll ({target})")
    assert flows.replica_eval(agent, "win.scrollY") > 0


def test_agent_scroll_moves_the_visitor_page(visitor, agent):
    """Co-scrolling, agent to visitor: the agent's wheel over the replica scrolls the
    visitor's page to the same place."""
    visitor.goto(visitor.url.replace("/demo/", "/demo/help.html"))
    flows.start_cobrowse(visitor, agent, mode="view")
    assert visitor.evaluate("scrollY") == 0
    agent.get_by_test_id("cobrowse-replica").hover()
    agent.mouse.wheel(0, 1200)
    flows.eventually(lambda: flows.replica_eval(agent, "win.scrollY") > 0, what="the replica scrolled")
    flows.eventually(lambda: visitor.evaluate("scrollY") > 0
                     and visitor.evaluate("scrollY") == flows.replica_eval(agent, "win.scrollY"),
                     what="the visitor's page at the agent's scroll")


def ring_center(locator) -> tuple[float, float] | None:
    b = flows.box(locator)
    return b and (b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)


def test_click_rings_on_both_sides(visitor, agent):
    """The agent's click shows a yellow ring on the element for both people; the visitor's
    click shows a ring in the agent's replica on the same element."""
    rep = flows.start_cobrowse(visitor, agent, mode="view")

    rep.locator(HEADING).click(position={"x": 30, "y": 10})
    expect(agent.get_by_test_id("cobrowse-ring-agent")).to_have_count(1)
    ring = visitor.get_by_test_id("cobrowse-highlight")
    expect(ring).to_have_count(1)
    heading = visitor.locator(HEADING).bounding_box()
    center = ring_center(ring)
    assert center and flows.contains(heading, *center), (center, heading)

    visitor.locator(PARAGRAPH).click(position={"x": 40, "y": 8})
    theirs = agent.get_by_test_id("cobrowse-ring-visitor")
    expect(theirs).to_have_count(1)
    # The ring's anchor is its top-left corner (the circle is drawn around it).
    anchor = theirs.bounding_box()
    there = flows.replica_box(agent, PARAGRAPH)
    assert flows.contains(there, anchor["x"], anchor["y"]), (anchor, there)


def test_ctrl_click_wiggles_the_element_for_the_visitor(visitor, agent):
    """Ctrl+click in the replica makes that element wiggle on the visitor's page, and does not
    follow the link even in shared mode."""
    rep = flows.start_cobrowse(visitor, agent, mode="shared")
    visitor.evaluate("""() => { window.__wiggled = null;
      const check = () => {
        const a = document.getAnimations().find((x) => x.effect && x.effect.target
          && x.effect.target.id === 'cta-travel');
        if (a) window.__wiggled = 'cta-travel'; else requestAnimationFrame(check);
      };
      requestAnimationFrame(check); }""")
    rep.locator("#cta-travel").click(modifiers=["Control"])
    expect(agent.get_by_test_id("cobrowse-ring-wiggle")).to_have_count(1)
    visitor.wait_for_function("window.__wiggled === 'cta-travel'")
    assert visitor.evaluate("document.body.dataset.page") == "home"


def test_text_highlight_both_ways(visitor, agent):
    """Text the visitor selects is highlighted in the replica; text the agent selects in the
    replica is highlighted on the visitor's page, over the same words."""
    rep = flows.start_cobrowse(visitor, agent, mode="view")

    para = visitor.locator(PARAGRAPH).bounding_box()
    visitor.mouse.move(para["x"] + 2, para["y"] + 8)
    visitor.mouse.down()
    visitor.mouse.move(para["x"] + para["width"] * 0.6, para["y"] + 8, steps=5)
    visitor.mouse.up()
    assert visitor.evaluate("getSelection().toString().length") > 5
    boxes = agent.get_by_test_id("cobrowse-visitor-selection")
    expect(boxes.first).to_be_visible()
    there = flows.replica_box(agent, PARAGRAPH)
    first = boxes.first.bounding_box()
    assert flows.contains(there, first["x"] + 1, first["y"] + first["height"] / 2), (first, there)

    # A double-click selects a word (Playwright cannot drag inside a sandboxed iframe
    # without scripts: its drag detection waits on a script context that never comes).
    rep.locator(HEADING).dblclick(position={"x": 10, "y": 10})
    assert flows.replica_eval(agent, "doc.getSelection().toString()").strip() == "Go"
    marks = visitor.get_by_test_id("cobrowse-agent-selection").locator(".sel")
    expect(marks.first).to_be_visible()
    expect(marks).to_have_count(1)
    here = visitor.locator(HEADING).bounding_box()
    mark = marks.first.bounding_box()
    assert flows.contains(here, mark["x"] + 1, mark["y"] + mark["height"] / 2), (mark, here)
