"""Visible-first snapshots (issue 16, item 3; docs/protocol.md "Visible first"): a snapshot's
pending shells (``"f": 1``) get their children in ``fill`` ops, sanitized with the same rules
and page-index bookkeeping as the snapshot; a fill of anything but a pending shell is refused
with a clear 400; the corpora hold through the fill path too."""

import html5lib
import pytest
from sanitize_corpus_support import (
    ORIGIN,
    PAGE_URL,
    Ids,
    find_dangers,
    load_more_payloads,
    load_payloads,
    node_of,
    snapshot_event,
)
from sanitize_corpus_support import fill as fill_urls

from cobrowse.node_ids import expand_event
from cobrowse.sanitize import SitePolicy, sanitize_mutation, sanitize_snapshot
from cobrowse.sanitize.index import decode
from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent, Visitor
from tests.test_api import SNAPSHOT, start_session

POLICY = SitePolicy(origins=(ORIGIN,), mask_selectors=(".secret",))


def shell_page():
    """A page whose body holds a pending shell ``<div id=target>`` (id 6) and a text."""
    return dict(SNAPSHOT, url=PAGE_URL, doc={"i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": "html", "a": {}, "c": [
        {"i": 3, "t": 1, "n": "head", "a": {}, "c": []},
        {"i": 4, "t": 1, "n": "body", "a": {}, "c": [
            {"i": 5, "t": 3, "x": "visible"},
            {"i": 6, "t": 1, "n": "div", "a": {"id": "target"}, "c": [], "f": 1, "fh": 480.5}]}]}]})


def index_after(event):
    clean, index = sanitize_snapshot(event, POLICY)
    return clean, dict(index)


def apply(event, store):
    expand_event(event)
    clean, changes = sanitize_mutation(event, POLICY, lambda ids: {i: store.get(i) for i in ids},
                                       PAGE_URL)
    store.update(changes)
    return clean


def test_a_shell_is_kept_pending_and_filled_in_parts():
    clean, store = index_after(shell_page())
    shell = clean["doc"]["c"][0]["c"][1]["c"][1]
    assert shell["f"] == 1 and shell["fh"] == 480 and shell["c"] == [] and decode(store[6]).pending
    first = apply({"k": "mutation", "m": [{"o": "fill", "i": 6, "more": True, "c": [
        {"i": 7, "t": 1, "n": "p", "a": {"onclick": "x()"}, "c": [{"t": 3, "x": "one"}]}]}]}, store)
    assert first["m"] == [{"o": "fill", "i": 6, "more": True, "c": [
        {"i": 7, "t": 1, "n": "p", "a": {}, "c": [{"i": 8, "t": 3, "x": "one"}]}]}]
    assert decode(store[6]).pending and decode(store[6]).children == (7,)
    apply({"k": "mutation", "m": [{"o": "fill", "i": 6, "c": [
        {"i": 9, "t": 1, "n": "p", "a": {"class": "secret"}, "c": [{"t": 3, "x": "4111"}]},
        {"t": 1, "n": "input", "a": {"type": "password", "value": "hunter2"}, "c": []}]}]}, store)
    entry = decode(store[6])
    assert not entry.pending and entry.children == (7, 9, 11)
    assert decode(store[10]).masked and decode(store[10]).parent == 9  # the site's selector
    assert decode(store[11]).masked  # a password, whatever the site says


def test_a_nested_shell_in_a_fill_is_pending_until_its_own_fill():
    _, store = index_after(shell_page())
    apply({"k": "mutation", "m": [{"o": "fill", "i": 6, "c": [
        {"i": 7, "t": 1, "n": "ul", "a": {}, "c": [], "f": 1}]}]}, store)
    assert not decode(store[6]).pending and decode(store[7]).pending
    out = apply({"k": "mutation", "m": [{"o": "fill", "i": 7, "c": [
        {"i": 8, "t": 1, "n": "li", "a": {}, "c": []}]}]}, store)
    assert out["m"][0]["c"][0]["i"] == 8 and not decode(store[7]).pending


@pytest.mark.parametrize("target", [5, 4, 99, "6", None])
def test_a_fill_of_anything_but_a_pending_shell_is_refused(target):
    from cobrowse.sanitize import SanitizeError

    _, store = index_after(shell_page())
    with pytest.raises(SanitizeError, match="not a pending shell"):
        apply({"k": "mutation", "m": [{"o": "fill", "i": target, "c": []}]}, store)


def test_a_fill_twice_is_refused():
    from cobrowse.sanitize import SanitizeError

    _, store = index_after(shell_page())
    apply({"k": "mutation", "m": [{"o": "fill", "i": 6, "c": []}]}, store)
    with pytest.raises(SanitizeError):
        apply({"k": "mutation", "m": [{"o": "fill", "i": 6, "c": []}]}, store)


def test_through_the_api_a_bad_fill_is_a_400_and_a_good_one_reaches_the_agent(transport):
    visitor, agent = Visitor(transport), Agent(transport)
    visitor.hello()
    agent.login("alice", AGENT_PASSWORD)
    start_session(visitor, agent)
    page = shell_page()
    page["url"] = "http://shop.example/page"
    visitor.send(page)
    body = visitor.send({"k": "mutation", "m": [{"o": "fill", "i": 5, "c": []}]}, expect=400)
    assert body["error"] == "bad_mutation" and "pending shell" in body["message"]
    visitor.send({"k": "mutation", "m": [{"o": "fill", "i": 6, "c": [
        {"i": 7, "t": 1, "n": "a", "a": {"href": "/next"}, "c": [{"t": 3, "x": "go"}]}]}]})
    fills = [op for e in agent.poll() if e["k"] == "mutation" for op in e["m"]]
    assert fills == [{"o": "fill", "i": 6, "c": [{"i": 7, "t": 1, "n": "a",
                     "a": {"href": "http://shop.example/next"}, "c": [{"i": 8, "t": 3, "x": "go"}]}]}]


PAYLOADS = load_payloads() + [(name, fill_urls(html)) for name, html in load_more_payloads()]
SAMPLE = PAYLOADS[::12]


@pytest.mark.parametrize(("name", "payload"), SAMPLE, ids=[n for n, _ in SAMPLE])
def test_corpus_payloads_through_the_fill_path(name, payload):
    ids = Ids(1)
    base = snapshot_event('<div id="target">x</div>', ids)
    body = base["doc"]["c"][1]["c"][1]
    target = body["c"][0]
    target["c"], target["f"] = [], 1
    _, store = index_after(base)
    fragment = html5lib.parseFragment(payload, treebuilder="etree", namespaceHTMLElements=True)
    children = (node_of(fragment, ids) or {"c": []})["c"]
    clean = apply({"k": "mutation", "m": [{"o": "fill", "i": target["i"], "c": children}]}, store)
    assert find_dangers(clean) == [], name


def test_the_checker_sees_raw_fills_as_dangerous():
    ids = Ids(1)
    flagged = 0
    for _, payload in SAMPLE:
        fragment = html5lib.parseFragment(payload, treebuilder="etree", namespaceHTMLElements=True)
        children = (node_of(fragment, ids) or {"c": []})["c"]
        flagged += bool(find_dangers({"k": "mutation", "m": [{"o": "fill", "i": 1, "c": children}]}))
    assert flagged > len(SAMPLE) * 0.5


@pytest.mark.parametrize("height", ["100px", -5, 0, 1e9, True, None])
def test_a_shell_height_that_is_not_a_plain_number_is_dropped(height):
    page = shell_page()
    page["doc"]["c"][0]["c"][1]["c"][1]["fh"] = height
    clean, _ = index_after(page)
    assert "fh" not in clean["doc"]["c"][0]["c"][1]["c"][1]
