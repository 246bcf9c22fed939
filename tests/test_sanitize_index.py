"""URL-valued attributes always go through the URL check, and a removed node takes its
whole subtree out of the page index (issue 10, item 9)."""

import pytest
from test_sanitize_shadow_and_style import Live
from test_sanitize_snapshot import POLICY, body_of, el, page

from cobrowse.sanitize import sanitize_snapshot
from cobrowse.sanitize.index import decode, encode, with_children
from cobrowse.sanitize.policy import HTML_ATTRIBUTES, HTML_URL_ATTRIBUTES, PAGE_HTML_ATTRIBUTES

#: URL-valued attributes of HTML (the standard's index of attributes, and obsolete ones),
#: written out here on purpose rather than read from the sanitizer's tables.
URL_VALUED = ("action archive background cite classid codebase data dynsrc formaction href "
              "icon imagesrcset itemid itemtype longdesc lowsrc manifest ping poster profile "
              "src srcset usemap xmlns").split()
ELEMENTS = ("a area blockquote q del ins img input object source video audio body table td "
            "th tr div span form button link iframe html head menuitem track embed").split()
HOSTILE = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
           "java\tscript:alert(1)", "&#106;avascript:alert(1)", "vbscript:x",
           "data:text/html,<script>alert(1)</script>", "data:image/svg+xml,<svg onload=alert(1)>"]


def test_no_url_attribute_is_also_a_text_attribute():
    assert set(HTML_URL_ATTRIBUTES) & (HTML_ATTRIBUTES | PAGE_HTML_ATTRIBUTES) == set()
    assert set(URL_VALUED) & (HTML_ATTRIBUTES | PAGE_HTML_ATTRIBUTES) == set()


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name", URL_VALUED)
def test_no_element_keeps_a_hostile_url_in_any_url_attribute(name, value):
    nodes = [el(10 + k, tag, {name: value}) for k, tag in enumerate(ELEMENTS)]
    clean, _ = sanitize_snapshot(page(*nodes), POLICY)
    kept = [(n.get("n"), n["a"]) for n in body_of(clean) if name in n.get("a", {})]
    assert kept == [], kept
    live = Live(*[el(100 + k, tag) for k, tag in enumerate(ELEMENTS)])
    ops = live.ops(*[{"o": "attr", "i": 100 + k, "a": name, "v": value}
                     for k in range(len(ELEMENTS))])
    assert [op for op in ops if op.get("v") is not None] == [], ops


@pytest.mark.parametrize("tag", ["blockquote", "q", "del", "ins"])
def test_cite_is_a_checked_absolute_url(tag):
    clean, _ = sanitize_snapshot(page(el(10, tag, {"cite": "../why.html"}),
                                      el(11, tag, {"cite": "javascript:alert(1)"})), POLICY)
    first, second = body_of(clean)
    assert first["a"] == {"cite": "https://shop.example/why.html"}
    assert second["a"] == {}
    live = Live(el(20, tag))
    assert live.ops({"o": "attr", "i": 20, "a": "cite", "v": "javascript:x"}) == [
        {"o": "attr", "i": 20, "a": "cite", "v": None}]  # the old value goes too


@pytest.mark.parametrize("tag", ["img", "input"])
def test_usemap_is_a_local_fragment_only(tag):
    clean, _ = sanitize_snapshot(page(el(10, tag, {"usemap": "#m"}),
                                      el(11, tag, {"usemap": "https://attacker.example/x#m"}),
                                      el(12, tag, {"usemap": "javascript:alert(1)"})), POLICY)
    assert [n["a"].get("usemap") for n in body_of(clean)] == ["#m", None, None]
    assert el(13, "div", {"usemap": "#m"})  # not a usemap element: dropped below
    clean, _ = sanitize_snapshot(page(el(13, "div", {"usemap": "#m"})), POLICY)
    assert body_of(clean)[0]["a"] == {}


# --- removal takes the whole subtree out of the index -----------------------------------

TREE = el(10, "div", c=[
    el(11, "div", {"id": "inner"}, c=[
        {"i": 12, "t": 3, "x": "text"},
        el(13, "span", c=[{"i": 14, "t": 3, "x": "deeper"}]),
        el(15, "style", c=[{"i": 16, "t": 3, "x": "a{color:red}"}]),
        el(17, "input", {"type": "text"}),
        el(18, "x-card", sh={"i": 19, "t": 11, "c": [el(20, "p", c=[{"i": 21, "t": 3, "x": "s"}])]}),
        el(22, "iframe", {"src": "about:blank"}, d={"i": 23, "t": 9, "c": [
            el(24, "html", c=[el(25, "body", c=[el(26, "b")])])]}),
    ])])
SIBLING = el(40, "p", c=[{"i": 41, "t": 3, "x": "stays"}])
DESCENDANTS = list(range(11, 27))


def test_the_index_lists_children():
    live = Live(TREE, SIBLING)
    assert decode(live.index[5]).children == (10, 40)
    assert decode(live.index[11]).children == (12, 13, 15, 17, 18, 22)
    assert decode(live.index[18]).children == (19,)  # the shadow root
    assert decode(live.index[22]).children == (23,)  # the frame's document
    assert decode(live.index[12]).children == ()


def later_ops() -> list[dict]:
    """An op of every kind on every removed descendant."""
    ops = []
    for i in DESCENDANTS:
        ops += [{"o": "attr", "i": i, "a": "title", "v": "x"},
                {"o": "text", "i": i, "x": "changed"},
                {"o": "add", "p": i, "b": None, "n": el(1000 + i, "b")},
                {"o": "prop", "i": i, "p": {"value": "v"}},
                {"o": "css", "i": i, "css": "a{color:blue}"},
                {"o": "ss", "i": i, "ss": ["a{color:blue}"]},
                {"o": "rm", "i": i}]
    return ops


def test_ops_on_removed_descendants_are_refused():
    live = Live(TREE, SIBLING)
    assert live.ops({"o": "rm", "i": 10}) == [{"o": "rm", "i": 10}]
    assert [i for i in [10, *DESCENDANTS] if i in live.index] == []
    assert decode(live.index[5]).children == (40,)
    assert live.ops(*later_ops()) == []
    assert live.ops({"o": "text", "i": 41, "x": "still here"}) == [
        {"o": "text", "i": 41, "x": "still here"}]


def test_a_removal_in_the_same_event_refuses_later_ops_of_that_event():
    live = Live(TREE, SIBLING)
    assert live.ops({"o": "rm", "i": 11}, *later_ops()) == [{"o": "rm", "i": 11}]
    assert decode(live.index[10]).children == ()


def test_a_removed_and_re_added_subtree_is_known_again():
    live = Live(TREE, SIBLING)
    again = el(11, "div", c=[{"i": 12, "t": 3, "x": "back"}])
    ops = live.ops({"o": "rm", "i": 11}, {"o": "add", "p": 40, "b": None, "n": again})
    assert [op["o"] for op in ops] == ["rm", "add"]
    assert decode(live.index[11]).parent == 40 and 12 in live.index and 13 not in live.index
    assert live.ops({"o": "text", "i": 12, "x": "ok"}) == [{"o": "text", "i": 12, "x": "ok"}]
    assert decode(live.index[40]).children == (41, 11)


def test_an_added_node_is_removed_with_its_new_parent():
    live = Live(TREE, SIBLING)
    live.ops({"o": "add", "p": 13, "b": None, "n": el(60, "em", c=[{"i": 61, "t": 3, "x": "n"}])})
    assert decode(live.index[13]).children == (14, 60)
    live.ops({"o": "rm", "i": 10})
    assert 60 not in live.index and 61 not in live.index


def test_an_id_moved_elsewhere_stays_when_its_old_parent_goes():
    live = Live(TREE, SIBLING)
    live.ops({"o": "add", "p": 40, "b": None, "n": el(13, "span")})  # same id, new place
    live.ops({"o": "rm", "i": 11})
    assert decode(live.index[13]).parent == 40
    assert live.ops({"o": "attr", "i": 13, "a": "title", "v": "t"}) != []


def test_a_deep_subtree_goes_in_full():
    node = {"i": 999, "t": 3, "x": "leaf"}
    for i in range(998, 600, -1):
        node = el(i, "div", c=[node])
    live = Live(node)
    assert live.ops({"o": "rm", "i": 601}) == [{"o": "rm", "i": 601}]
    assert [i for i in range(601, 1000) if i in live.index] == []


def test_entries_without_children_still_decode():
    old = '7|0|input|{"type":"text","data-x":"a|b"}'
    entry = decode(old)
    assert entry.parent == 7 and entry.attrs == {"type": "text", "data-x": "a|b"}
    assert entry.children == ()
    assert decode(with_children(old, [3, 4])).children == (3, 4)
    assert decode(encode(1, True, "div", {"a": "|"}, children=(5,))) == (
        1, True, "div", {"a": "|"}, False, False, (5,), False)
    assert decode("1|0|div|5,x") is None
    assert decode(encode(1, False, "ul", pending=True)).pending  # issue 16: flag 8


def test_a_wide_list_costs_a_few_bytes_in_its_parents_entry():
    """10,000 rows of a list (each an li with a link and its text: ids step by 3): the list's
    entry stays tiny, so a mutation under it reads and writes a few bytes, not 60 KB."""
    rows = [el(100 + 3 * n, "li", c=[el(101 + 3 * n, "a", {"href": "/x"},
                                        c=[{"i": 102 + 3 * n, "t": 3, "x": "row"}])])
            for n in range(10_000)]
    live = Live(el(10, "ul", c=rows))
    assert len(live.index[10]) < 80, live.index[10]
    assert decode(live.index[10]).children == tuple(range(100, 30_100, 3))
    before = len(live.index[10])
    live.ops({"o": "add", "p": 10, "b": None, "n": el(30_100, "li", c=[])})  # one more row
    assert len(live.index[10]) == before  # the run grew by one: same bytes
    live.ops({"o": "rm", "i": 5_101})  # a row from the middle
    assert len(live.index[10]) < 80 and 5_101 not in decode(live.index[10]).children
    assert 5_102 not in live.index  # its subtree went with it


@pytest.mark.parametrize("ids", [(), (7,), (7, 9), (1, 2, 3), (5, 3, 1), (1, 4, 7, 8, 9, 10, 20),
                                 (2, 2, 2), tuple(range(3, 3000, 7)) + (5000,)])
def test_child_runs_round_trip(ids):
    from cobrowse.sanitize.index import decode_ids, encode_ids

    assert decode_ids(encode_ids(ids)) == ids


@pytest.mark.parametrize("bad", ["1+0*5", "1+2*", "+2*3", "1+2*3*4", "a", "1,,x", "1+2*9999999"])
def test_malformed_child_runs_are_refused(bad):
    from cobrowse.sanitize.index import decode_ids

    assert decode_ids(bad) is None
