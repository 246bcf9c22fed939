"""The server's second line for private sites (issue 14), with plain asserts: a snapshot the
tag did not mask at all comes out with every text and value masked except the ``--unmask``
parts, and mutations below masked nodes are masked the same way."""

import json

from cobrowse.sanitize import SitePolicy, sanitize_mutation, sanitize_snapshot
from cobrowse.sanitize.private import blank_css_strings

DOT = "\u2022\u2022\u2022"
POLICY = SitePolicy(origins=("https://s.example",), private=True, unmask_selectors=(".open",),
                    mask_selectors=(".mask",))


def el(i, n, a=None, c=None, **kw):
    return {"i": i, "t": 1, "n": n, "a": a or {}, "c": c or [], **kw}


def tx(i, x):
    return {"i": i, "t": 3, "x": x}


def page():
    head = el(3, "head", c=[el(4, "title", c=[tx(5, "SECRET title")]),
                            el(6, "style", c=[tx(7, '.a::before{content:"SECRETCSS"}'
                                                    '.b::after{content:"\\f101"}')])])
    body = el(8, "body", c=[
        el(9, "p", {"title": "SECRETT", "data-x": "SECRETA", "class": "k"}, [tx(10, "SECRET text")]),
        el(11, "input", {"value": "SECRETV", "placeholder": "SECRETP", "type": "text"},
           p={"value": "SECRETV"}),
        el(12, "img", {"alt": "SECRETALT", "src": "/a.png"}),
        el(13, "div", {"class": "open"}, [tx(14, "visible"),
                                          el(15, "span", {"class": "mask"}, [tx(16, "SECRET m")])]),
    ])
    return {"i": 1, "t": 9, "c": [el(2, "html", c=[head, body])]}


def snapshot():
    return sanitize_snapshot({"k": "snapshot", "doc": page(), "url": "https://s.example/x",
                              "title": "SECRET title"}, POLICY)


def test_only_unmasked_parts_and_the_shape_remain():
    clean, index = snapshot()
    out = json.dumps(clean, ensure_ascii=False)
    assert "SECRET" not in out
    assert "visible" in out and "https://s.example/a.png" in out  # unmasked text, images
    assert clean["title"] == DOT
    assert '"k"' in out  # layout attributes stay
    assert "\uf101" in out  # an icon glyph is no text
    assert index[9].split("|")[1] == "2" and index[13].split("|")[1] == "0"
    assert index[15].split("|")[1] == "1"  # --mask wins over --unmask


def test_mutations_below_masked_nodes_are_masked_and_unmask_adds_show():
    _, index = snapshot()
    ops = [{"o": "add", "p": 8, "n": el(20, "div", {"class": "open"}, [tx(21, "shown later")])},
           {"o": "add", "p": 8, "n": el(22, "b", c=[tx(23, "SECRET later")])},
           {"o": "text", "i": 10, "x": "SECRET again"}]
    clean, _ = sanitize_mutation({"k": "mutation", "m": ops}, POLICY,
                                 lambda ids: {i: index.get(i) for i in ids}, "https://s.example/x")
    out = json.dumps(clean)
    assert "SECRET" not in out and "shown later" in out


def test_not_private_changes_nothing():
    clean, _ = sanitize_snapshot({"k": "snapshot", "doc": page(), "url": "https://s.example/x",
                                  "title": "T"}, SitePolicy(origins=("https://s.example",)))
    assert "SECRET text" in json.dumps(clean)


def test_css_strings_blanked():
    assert blank_css_strings('a::before{content:"Hi there"}') == f'a::before{{content:"{DOT}"}}'
    assert blank_css_strings("a{--label:'x1'}") == f'a{{--label:"{DOT}"}}'
    assert blank_css_strings('a::before{content:"\\2713"}') == 'a::before{content:"\\2713"}'
    assert blank_css_strings('a{font-family:"Open Sans"}') == 'a{font-family:"Open Sans"}'


# --- no-control (issue 14) ---------------------------------------------------------------

NC = SitePolicy(origins=("https://s.example",), no_control_selectors=("#pay",))


def pay_page():
    body = el(3, "body", c=[
        el(4, "button", {"id": "pay"}, [el(5, "span", c=[tx(6, "Pay")])]),
        el(7, "label", {"for": "pay"}, [tx(8, "Pay now")]),
        el(9, "label", c=[el(10, "input", {"id": "ok", "type": "checkbox"}), tx(11, "ok")]),
        el(12, "button", {"id": "other"}),
    ])
    return {"i": 1, "t": 9, "c": [el(2, "html", c=[body])]}


def test_no_control_flags_the_element_its_children_and_labels():
    from cobrowse.sanitize import is_no_control

    clean, index = sanitize_snapshot({"k": "snapshot", "doc": pay_page(),
                                      "url": "https://s.example/x"}, NC)
    flagged = {i for i, e in index.items() if is_no_control(e)}
    assert flagged == {4, 5, 6, 7, 8}
    assert "Pay now" in json.dumps(clean)  # it stays visible
    ops = [{"o": "add", "p": 4, "n": el(20, "i", c=[tx(21, "!")])},
           {"o": "add", "p": 3, "n": el(22, "div", c=[el(23, "a", {"id": "pay"})])}]
    _, changes = sanitize_mutation({"k": "mutation", "m": ops}, NC,
                                   lambda ids: {i: index.get(i) for i in ids},
                                   "https://s.example/x")
    # 4 itself is in the changes too: its entry lists its new child (issue 10, item 9).
    assert {i for i, e in changes.items() if is_no_control(e)} == {4, 20, 21, 23}
    assert not is_no_control(index[12])


def test_soft_masked_elements_keep_image_sources_not_text_attributes():
    _, index = snapshot()
    ops = [{"o": "attr", "i": 12, "a": "src", "v": "/lazy.png"},
           {"o": "attr", "i": 12, "a": "alt", "v": "SECRET alt"},
           {"o": "attr", "i": 9, "a": "title", "v": "SECRET title"}]
    clean, _ = sanitize_mutation({"k": "mutation", "m": ops}, POLICY,
                                 lambda ids: {i: index.get(i) for i in ids}, "https://s.example/x")
    out = json.dumps(clean)
    assert "https://s.example/lazy.png" in out and "SECRET" not in out
