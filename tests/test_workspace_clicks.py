"""The replica never navigates, submits or opens anything, whatever the agent does in it
(issue 10, item 3): real mouse clicks, keys and drags in real Chromium on links, on fields,
labels and options inside links, on submit buttons and areas, in shared and view-only
mode; the replica's document, its URL and its content stay as they were, and no request
leaves for a link's target. Uses the harness of test_workspace_replica.py."""

from __future__ import annotations

import pytest

from tests.test_workspace_replica import ORIGIN, SITE, document, el, page, tx  # noqa: F401 - fixture

SAME = ORIGIN + "/test/harness.html"  # same origin as the workspace: it would load in the replica
OFF = SITE + "/terms"

BODY = [
    el(10, "a", {"id": "a-input", "href": SAME}, [el(11, "input", {"id": "in-link-text"})]),
    el(12, "a", {"id": "a-box", "href": SAME}, [el(13, "input", {"id": "in-link-box", "type": "checkbox"})]),
    el(14, "label", {"id": "terms"}, [el(15, "input", {"id": "terms-box", "type": "checkbox"}),
                                      tx(16, " I accept the "),
                                      el(17, "a", {"id": "terms-link", "href": SAME}, [tx(18, "terms")])]),
    el(19, "a", {"href": SAME}, [el(20, "label", {"id": "label-in-link"}, [
        el(21, "input", {"id": "label-in-link-box", "type": "checkbox"}), tx(22, "label")])]),
    el(23, "a", {"href": SAME}, [el(24, "select", {"id": "select-in-link"}, [
        el(25, "option", {"id": "option-in-link"}, [tx(26, "one")]), el(27, "option", {}, [tx(28, "two")])])]),
    el(29, "a", {"href": SAME}, [el(30, "button", {"id": "button-in-link"}, [tx(31, "button")])]),
    el(32, "a", {"id": "plain-link", "href": OFF}, [el(33, "span", {"id": "span-in-link"}, [tx(34, "text")])]),
    el(35, "form", {"action": SAME}, [el(36, "button", {"id": "go-button"}, [tx(37, "go")]),
                                      el(38, "input", {"id": "form-text", "name": "q"})]),
    el(39, "img", {"id": "mapped", "usemap": "#m", "src": SITE + "/map.png", "width": "60", "height": "20"}),
    el(40, "map", {"name": "m"}, [el(41, "area", {"id": "map-area", "href": SAME, "shape": "rect",
                                                  "coords": "0,0,60,20"})]),
    el(42, "svg", {"width": "60", "height": "20"}, [el(43, "a", {"href": SAME}, [
        el(44, "rect", {"id": "svg-rect", "width": "60", "height": "20"}, ns="svg")], ns="svg")], ns="svg"),
    el(45, "label", {"id": "far-label", "for": "far-input"}, [tx(46, "far label")]),
    el(47, "a", {"href": SAME}, [el(48, "input", {"id": "far-input"})]),
    el(49, "a", {"href": SAME}, [el(50, "details", {}, [el(51, "summary", {"id": "summary-in-link"}, [tx(52, "more")])])]),
    el(53, "a", {"id": "same-link", "href": SAME}, [tx(54, "same")]),
    el(55, "div", {"id": "marker"}, [tx(56, "the replica")]),
]
CLICKED = ["in-link-text", "in-link-box", "terms-link", "label-in-link", "label-in-link-box",
           "select-in-link", "button-in-link", "span-in-link", "plain-link", "go-button", "mapped",
           "map-area", "svg-rect", "far-label", "far-input", "summary-in-link", "same-link", "terms"]

SETUP = """async (mode) => {
  const { Control } = await import('/workspace/js/control.js');
  window.sent = []; window.notes = []; window.frameLoads = 0;
  replica.frame.addEventListener('load', () => { window.frameLoads += 1; });
  window.control = new Control(replica, { send: (events) => sent.push(...events),
    note: (t) => notes.push(t), ring: () => {}, mode: () => mode });
  replica.hooks.onDocument = (doc) => control.hook(doc);
}"""


def center(pg, element_id):
    box = pg.evaluate("""(id) => { const r = replica.doc.getElementById(id).getBoundingClientRect();
        const f = replica.frame.getBoundingClientRect();
        return { x: f.left + r.left + Math.min(r.width / 2, 5), y: f.top + r.top + r.height / 2 }; }""",
                      element_id)
    return box["x"], box["y"]


def still_the_replica(pg):
    pg.wait_for_timeout(300)  # a navigation, had one started, would have replaced the document
    state = pg.evaluate("""() => ({ url: replica.doc.URL, marker: !!replica.doc.getElementById('marker'),
        loads: window.frameLoads })""")
    assert state["url"].split("?")[0] == ORIGIN + "/workspace/replica.html", state
    assert state["marker"] and state["loads"] == 0, state
    requests = pg.watch.requests
    assert requests.count(SAME) == 1 and OFF not in requests, requests


@pytest.mark.parametrize("mode", ["shared", "view"])
def test_nothing_the_agent_does_navigates_the_replica(page, mode):  # noqa: F811 - fixture
    page.evaluate(SETUP, mode)
    assert page.evaluate("s => replica.load(s)", document(*BODY)) is True
    for element_id in CLICKED:
        page.mouse.click(*center(page, element_id))
    for element_id in ("plain-link", "same-link", "map-area"):
        x, y = center(page, element_id)
        page.mouse.click(x, y, button="middle")
        page.keyboard.down("Shift")
        page.mouse.click(x, y)
        page.keyboard.up("Shift")
        page.mouse.dblclick(x, y)
    for element_id in ("same-link", "plain-link", "form-text", "go-button", "in-link-text"):
        page.evaluate("id => replica.doc.getElementById(id).focus()", element_id)
        page.keyboard.press("Enter")
        page.keyboard.press(" ")
    # A real drag hangs Playwright's drag interception once dragstart is cancelled, so the
    # drag and drop events are dispatched: each must be cancelled by the workspace.
    assert page.evaluate("""() => ['dragstart', 'dragover', 'drop', 'contextmenu'].map((type) => {
        const ev = new MouseEvent(type, { bubbles: true, cancelable: true, composed: true });
        replica.doc.getElementById('plain-link').dispatchEvent(ev);
        return ev.defaultPrevented; })""") == [True, True, True, True]
    still_the_replica(page)
    sent = page.evaluate("sent")
    control = [e for e in sent if e["k"].startswith("control.")]
    if mode == "view":
        assert control == [] and page.evaluate("notes")
        return
    ids = {e["i"] for e in control if e["k"] == "control.click"}
    # Fields, labels and options inside links become clicks on the visitor's page.
    for node in (11, 13, 20, 24, 45, 48):
        assert node in ids, (node, control)
    navigations = [e["url"] for e in control if e["k"] == "control.navigate"]
    assert OFF in navigations and SAME in navigations
