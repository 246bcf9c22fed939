"""The server's wall against an agent's ``control.click`` leaving the site (issue 10, item 4):
crafted sends over the API, in-process. The tag's own wall is tested in test_tag_clicks.py."""

import copy

import pytest

from cobrowse import click_targets
from tests.test_api import SNAPSHOT, start_session

EVIL = "https://evil.example/steal"


def el(i, name, attrs=None, *children, ns=None):
    node = {"i": i, "t": 1, "n": name, "a": attrs or {}, "c": list(children)}
    if ns:
        node["ns"] = ns
    return node


def text(i, x):
    return {"i": i, "t": 3, "x": x}


BODY = [
    el(10, "a", {"href": EVIL}, el(11, "span", {}, text(12, "offers")), el(13, "input", {"type": "checkbox"})),
    el(14, "a", {"href": "/cart"}, el(15, "input", {})),
    el(16, "form", {"action": EVIL},
       el(17, "button", {}, el(18, "span", {}, text(19, "Pay"))),
       el(20, "input", {"type": "submit"}),
       el(21, "input", {"type": "image", "src": "/pay.png"}),
       el(22, "button", {"type": "button"}),
       el(23, "input", {"type": "text", "id": "q"}),
       el(24, "button", {"formaction": "/ok"}),
       el(25, "label", {}, el(26, "span", {}, text(27, "go")), el(28, "input", {"type": "submit"}))),
    el(30, "form", {"action": "/search"},
       el(31, "button", {"formaction": "//evil.example/x"}),
       el(32, "button", {"type": "submit"}),
       el(33, "button", {"type": "reset"})),
    el(34, "form", {"id": "far", "action": EVIL}),
    el(35, "button", {"form": "far", "id": "farbtn"}),
    el(36, "label", {"for": "farbtn"}, text(37, "Pay elsewhere")),
    el(38, "map", {"name": "m"}, el(39, "area", {"href": EVIL, "shape": "rect", "coords": "0,0,9,9"})),
    el(40, "svg", {}, el(41, "a", {"xlink:href": EVIL}, el(42, "rect", {}, ns="svg"), ns="svg"), ns="svg"),
    el(43, "form", {}, el(44, "button", {})),
    el(45, "a", {"href": "HTTPS://EVIL.example:443/"}, text(46, "case")),
    el(47, "a", {"href": "http://shop.example/help#top"}, text(48, "help")),
    el(49, "button", {}),
]


def page():
    snap = copy.deepcopy(SNAPSHOT)
    snap["doc"]["c"][1]["c"][0]["c"].extend(copy.deepcopy(BODY))
    return snap


OFF_SITE = [10, 11, 12, 13, 17, 18, 19, 20, 21, 25, 26, 27, 28, 31, 35, 36, 37, 39, 41, 42, 45]
ON_SITE = [5, 6, 14, 15, 16, 22, 23, 24, 30, 32, 33, 34, 38, 40, 43, 44, 47, 48, 49]


@pytest.fixture
def shared(visitor, agent):  # noqa: F811 - fixtures imported above
    start_session(visitor, agent, "shared")
    visitor.send(page())
    agent.poll()
    return visitor, agent


def test_every_click_that_leaves_the_site_is_refused(shared):
    page_visitor, page_agent = shared
    for node in OFF_SITE:
        refused = page_agent.send({"k": "control.click", "i": node}, expect=403)
        assert refused["error"] == "off_site", node
    assert "control.click" not in page_visitor.kinds(page_visitor.poll())


def test_clicks_that_stay_on_the_site_go_through(shared):
    page_visitor, page_agent = shared
    for node in ON_SITE:
        page_agent.send({"k": "control.click", "i": node})
    assert [e["i"] for e in page_visitor.poll() if e["k"] == "control.click"] == ON_SITE


def test_a_click_on_an_unknown_node_is_refused(shared):
    _, page_agent = shared
    for node in (999, 2**53 - 1):
        assert page_agent.send({"k": "control.click", "i": node}, expect=403)["error"] == "unknown_node"


def test_mutations_keep_the_click_facts_current(shared):
    page_visitor, page_agent = shared
    page_visitor.send({"k": "mutation", "m": [
        {"o": "add", "p": 4, "b": None, "n": el(60, "a", {"href": EVIL}, el(61, "b", {}))},
        {"o": "attr", "i": 14, "a": "href", "v": "https://evil.example/cart"},
        {"o": "attr", "i": 30, "a": "action", "v": "https://evil.example/search"},
        {"o": "attr", "i": 10, "a": "href", "v": "/offers"},
        {"o": "add", "p": 43, "b": None, "n": el(62, "input", {"type": "submit", "formaction": EVIL})},
    ]})
    page_agent.poll()
    for node in (60, 61, 14, 15, 32, 62):
        assert page_agent.send({"k": "control.click", "i": node}, expect=403)["error"] == "off_site", node
    page_agent.send({"k": "control.click", "i": 11})  # its link now points to this site
    page_visitor.send({"k": "mutation", "m": [{"o": "attr", "i": 14, "a": "href", "v": None}]})
    page_agent.send({"k": "control.click", "i": 15})


def test_a_new_page_forgets_the_old_facts(shared):
    page_visitor, page_agent = shared
    snap = copy.deepcopy(SNAPSHOT)
    snap["doc"]["c"][1]["c"][0]["c"].append(el(10, "a", {"href": "/fine"}, el(11, "span")))
    page_visitor.send(snap)
    page_agent.send({"k": "control.click", "i": 11})


def test_base_href_decides_relative_targets(shared):
    page_visitor, page_agent = shared
    snap = copy.deepcopy(SNAPSHOT)
    snap["doc"]["c"][1]["c"].insert(0, {"i": 90, "t": 1, "n": "head", "a": {}, "c": [
        el(91, "base", {"href": "https://evil.example/"})]})
    snap["doc"]["c"][1]["c"][1]["c"].append(el(92, "a", {"href": "relative"}))
    page_visitor.send(snap)
    assert page_agent.send({"k": "control.click", "i": 92}, expect=403)["error"] == "off_site"


@pytest.mark.parametrize("value, base, off", [
    ("/x", "http://shop.example/a", False),
    ("", "http://shop.example/a", False),
    ("#frag", "http://shop.example/a", False),
    ("javascript:alert(1)", "http://shop.example/a", True),
    ("mailto:a@b.example", "http://shop.example/a", True),
    ("//evil.example/", "http://shop.example/a", True),
    ("https://shop.example/", "http://shop.example/a", True),  # another scheme, another origin
    ("\\\\evil.example/x", "http://shop.example/a", True),
    ("http://shop.example:80/ok", "http://shop.example/a", False),
    (click_targets.TOO_LONG, "http://shop.example/a", True),
])
def test_off_site_resolution(value, base, off):
    assert click_targets.off_site(value, base, ["http://shop.example"]) is off
