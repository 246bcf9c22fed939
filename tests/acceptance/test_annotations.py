"""Issue 15, item 1: the agent draws on the visitor's page.

Strokes drawn on the replica show on the visitor's page in the tag's own shadow root (never
in the page's DOM), each point anchored to the element under it: they stay on the same
element when the visitor's window changes size and when the visitor scrolls. An unpinned
stroke fades; a pinned one stays until the visitor clears it, which clears the agent's copy
too. Pointer moves are coalesced: a burst of moves inside one frame leaves as one event of
a few points.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows

pytestmark = pytest.mark.slow

HEADING = "#hero h1"
PARAGRAPH = "#hero .hero-inner > div > p:not(.eyebrow)"

# The visitor's strokes, read from the tag's open shadow root: tool, pinned, and the points
# in viewport pixels.
VISITOR_STROKES = """() => {
  const root = document.querySelector('cobrowse-ui').shadowRoot;
  return [...root.querySelectorAll('[data-testid="cobrowse-annotation"]')].map((n) => ({
    tool: n.dataset.tool, pinned: n.hasAttribute('data-pinned'),
    points: n.dataset.tool === 'pen'
      ? (n.getAttribute('points') || '').trim().split(/\\s+/).filter(Boolean).map((p) => p.split(',').map(Number))
      : n.dataset.tool === 'rect'
        ? [[+n.getAttribute('x'), +n.getAttribute('y')],
           [+n.getAttribute('x') + +n.getAttribute('width'), +n.getAttribute('y') + +n.getAttribute('height')]]
        : [],
  }));
}"""

# A burst of 120 pointer moves across the replica element inside one task (one frame), as a
# fast mouse or a pen tablet delivers them.
BURST = """([sel, up]) => {
  const surface = document.querySelector('[data-testid="annotate-surface"]');
  const doc = document.querySelector('[data-testid="cobrowse-replica"]').contentDocument;
  const el = doc.querySelector(sel).getBoundingClientRect();
  const frame = surface.getBoundingClientRect();
  const scale = Number(document.querySelector('[data-testid="cobrowse-widget"]').dataset.scale);
  const at = (f) => ({clientX: frame.left + (el.left + el.width * f) * scale,
                      clientY: frame.top + (el.top + el.height / 2) * scale,
                      pointerId: 1, button: 0, bubbles: true});
  if (up) return surface.dispatchEvent(new PointerEvent('pointerup', at(0.9)));
  surface.dispatchEvent(new PointerEvent('pointerdown', at(0.1)));
  for (let k = 0; k < 120; k++) surface.dispatchEvent(new PointerEvent('pointermove', at(0.1 + 0.8 * k / 119)));
  return true;
}"""


def strokes(visitor, tool=None):
    return [s for s in visitor.evaluate(VISITOR_STROKES) if tool is None or s["tool"] == tool]


def all_on(visitor, selector: str, tool: str) -> bool:
    """Every point of the visitor's ``tool`` strokes lies on the element at ``selector``."""
    box = visitor.locator(selector).bounding_box()
    found = strokes(visitor, tool)
    pts = [p for s in found for p in s["points"]]
    return bool(found) and len(pts) >= 2 and all(flows.contains(box, x, y, slack=3) for x, y in pts)


def test_strokes_stay_on_their_element_fade_and_are_cleared_by_the_visitor(visitor, agent):
    sent = []

    def record(request):
        if "/api/v1/send" in request.url and request.post_data:
            sent.extend(e for e in json.loads(request.post_data).get("events", [])
                        if e.get("k") == "annotate")
    agent.on("request", record)
    rep = flows.start_cobrowse(visitor, agent, mode="view")
    expect(rep.locator(HEADING)).to_be_visible()

    # A pinned freehand line across the heading, with the real mouse on the replica.
    agent.get_by_test_id("annotate-pin").click()
    agent.get_by_test_id("annotate-pen").click()
    expect(agent.get_by_test_id("annotate-pen")).to_have_attribute("aria-pressed", "true")
    there = flows.replica_box(agent, HEADING)
    agent.mouse.move(*flows_point(there, 0.15, 0.5))
    agent.mouse.down()
    agent.mouse.move(*flows_point(there, 0.5, 0.3), steps=12)
    agent.mouse.move(*flows_point(there, 0.85, 0.6), steps=12)
    agent.mouse.up()
    expect(agent.get_by_test_id("annotation")).to_have_count(1)

    flows.eventually(lambda: all_on(visitor, HEADING, "pen"), what="the line on the heading")
    assert strokes(visitor, "pen")[0]["pinned"]
    # In the tag's shadow root, never in the page's own DOM (nor, then, in the replica).
    assert visitor.evaluate("document.querySelectorAll('svg polyline, [data-testid*=annotation]').length") == 0
    assert flows.replica_eval(agent, "doc.querySelectorAll('polyline').length") == 0

    # Another window size: the layout folds, the heading moves, the line follows it.
    before = visitor.locator(HEADING).bounding_box()
    visitor.set_viewport_size({"width": 700, "height": 900})
    flows.eventually(lambda: visitor.locator(HEADING).bounding_box() != before, what="a new layout")
    flows.eventually(lambda: all_on(visitor, HEADING, "pen"), what="the line on the heading at 700x900")
    # And scrolled: still on the heading.
    visitor.mouse.wheel(0, 120)
    flows.eventually(lambda: visitor.evaluate("window.scrollY") > 0, what="the visitor's scroll")
    flows.eventually(lambda: all_on(visitor, HEADING, "pen"), what="the line on the heading, scrolled")

    # An unpinned rectangle around the paragraph fades by itself; the pinned line stays.
    agent.get_by_test_id("annotate-pin").click()
    agent.get_by_test_id("annotate-rect").click()
    para = flows.replica_box(agent, PARAGRAPH)
    agent.mouse.move(*flows_point(para, 0.05, 0.1))
    agent.mouse.down()
    agent.mouse.move(*flows_point(para, 0.95, 0.9), steps=8)
    agent.mouse.up()
    flows.eventually(lambda: all_on(visitor, PARAGRAPH, "rect"), what="the box on the paragraph")
    assert not strokes(visitor, "rect")[0]["pinned"]
    flows.eventually(lambda: not strokes(visitor, "rect"), what="the box to fade")
    expect(agent.get_by_test_id("annotation")).to_have_count(1)  # faded on the agent's side too
    assert [s["tool"] for s in strokes(visitor)] == ["pen"]

    # A burst of 120 moves in one frame leaves as one event of a few points.
    agent.get_by_test_id("annotate-pen").click()
    sent.clear()
    agent.evaluate(BURST, [PARAGRAPH, False])
    agent.evaluate(BURST, [PARAGRAPH, True])
    flows.eventually(lambda: any(e.get("end") for e in sent), pump=agent, what="the burst's stroke")
    burst = [e for e in sent if e["a"] == sent[-1]["a"]]
    assert len(burst) <= 3, burst
    assert all(len(e["p"]) <= 6 for e in burst), burst
    flows.eventually(lambda: len(strokes(visitor, "pen")) == 2, what="the burst's line on the visitor's page")

    # The visitor clears the drawings: gone on both screens.
    clear = visitor.get_by_test_id("cobrowse-annotations-clear")
    expect(clear).to_be_visible()
    clear.click()
    assert strokes(visitor) == []
    expect(clear).to_be_hidden()
    expect(agent.get_by_test_id("annotation")).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-note")).to_contain_text("visitor cleared")

    # And the agent's Clear does the same the other way.
    agent.get_by_test_id("annotate-pin").click()
    agent.evaluate(BURST, [HEADING, False])
    agent.evaluate(BURST, [HEADING, True])
    flows.eventually(lambda: strokes(visitor, "pen"), what="a new pinned line")
    agent.get_by_test_id("annotate-clear").click()
    flows.eventually(lambda: strokes(visitor) == [], what="the agent's clear on the visitor's page")
    expect(agent.get_by_test_id("annotation")).to_have_count(0)


def flows_point(box: dict, fx: float, fy: float) -> tuple[float, float]:
    """The point at fractions (fx, fy) of ``box``."""
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
