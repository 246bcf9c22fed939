"""Attack and keep tables for sanitize_snapshot, limits, structure, idempotence."""

import json

import pytest
from sanitize_corpus_support import find_dangers

from cobrowse.sanitize import SanitizeError, SitePolicy, sanitize_snapshot

ORIGIN = "https://shop.example"
POLICY = SitePolicy(origins=(ORIGIN,), resource_origins=("https://cdn.example",))


def page(*body, head=()):
    return {
        "k": "snapshot",
        "url": ORIGIN + "/a/b.html",
        "title": "T",
        "vw": 800,
        "vh": 600,
        "sx": 0,
        "sy": 0,
        "doc": {
            "i": 1,
            "t": 9,
            "c": [
                {"i": 2, "t": 10, "n": "html"},
                {
                    "i": 3,
                    "t": 1,
                    "n": "html",
                    "c": [
                        {"i": 4, "t": 1, "n": "head", "c": list(head)},
                        {"i": 5, "t": 1, "n": "body", "c": list(body)},
                    ],
                },
            ],
        },
    }


def el(i, n, a=None, c=(), **extra):
    return {"i": i, "t": 1, "n": n, "a": a or {}, "c": list(c), **extra}


def body_of(clean):
    return clean["doc"]["c"][1]["c"][1]["c"]


def clean_body(*nodes, head=()):
    clean, _ = sanitize_snapshot(page(*nodes, head=head), POLICY)
    assert find_dangers(clean, (ORIGIN, "https://cdn.example")) == []
    return body_of(clean)


ATTACKS = [
    ("script element", el(10, "script", c=[{"i": 11, "t": 3, "x": "alert(1)"}])),
    ("event handler", el(10, "img", {"src": "/x.png", "onerror": "alert(1)"})),
    ("uppercase handler", el(10, "div", {"ONCLICK": "alert(1)"})),
    ("javascript href", el(10, "a", {"href": "javascript:alert(1)"})),
    ("entity javascript", el(10, "a", {"href": "&#106;avascript:alert(1)"})),
    ("tab javascript", el(10, "a", {"href": "java\tscript:alert(1)"})),
    ("zero width", el(10, "a", {"href": "java\u200bscript:alert(1)"})),
    ("leading control", el(10, "a", {"href": "\x01javascript:alert(1)"})),
    ("vbscript", el(10, "a", {"href": "VBScript:msgbox(1)"})),
    ("data html", el(10, "a", {"href": "data:text/html,<script>alert(1)</script>"})),
    ("data svg image", el(10, "img", {"src": "data:image/svg+xml;base64,PHN2Zz4="})),
    ("srcdoc", el(10, "iframe", {"srcdoc": "<script>alert(1)</script>"})),
    (
        "cross-origin iframe",
        el(10, "iframe", {"src": "https://evil.example/"}, d={"i": 11, "t": 9, "c": []}),
    ),
    ("object", el(10, "object", {"data": "https://evil.example/x.swf"})),
    ("embed", el(10, "embed", {"src": "https://evil.example/x.swf"})),
    ("meta refresh", el(10, "meta", {"http-equiv": "refresh", "content": "0;url=javascript:1"})),
    ("form action", el(10, "form", {"action": "javascript:alert(1)"})),
    ("formaction", el(10, "button", {"formaction": "javascript:alert(1)"})),
    ("svg script", el(10, "script", ns="svg", c=[{"i": 11, "t": 3, "x": "alert(1)"}])),
    (
        "svg animate href",
        el(
            10,
            "svg",
            ns="svg",
            c=[
                el(
                    11,
                    "a",
                    ns="svg",
                    c=[
                        el(
                            12,
                            "animate",
                            {"attributeName": "href", "to": "javascript:alert(1)"},
                            ns="svg",
                        )
                    ],
                )
            ],
        ),
    ),
    ("svg set", el(10, "set", {"attributeName": "href", "to": "javascript:1"}, ns="svg")),
    ("external use", el(10, "use", {"href": "https://evil.example/x.svg#a"}, ns="svg")),
    ("external use xlink", el(10, "use", {"xlink:href": "data:image/svg+xml,<svg/>"}, ns="svg")),
    ("foreignObject", el(10, "foreignObject", ns="svg", c=[el(11, "img", {"onerror": "x"})])),
    ("svg fill url", el(10, "rect", {"fill": "url(https://evil.example/p.svg#x)"}, ns="svg")),
    ("style expression", el(10, "div", {"style": "width: expression(alert(1))"})),
    ("style escaped expression", el(10, "div", {"style": "width: \\65xpression(alert(1))"})),
    ("style behavior", el(10, "div", {"style": "behavior: url(x.htc)"})),
    ("style binding", el(10, "div", {"style": "-moz-binding: url(https://evil.example/x)"})),
    ("style js url", el(10, "div", {"style": "background: url(javascript:alert(1))"})),
    ("style foreign url", el(10, "div", {"style": "background: url(https://evil.example/x)"})),
    (
        "style image-set",
        el(10, "div", {"style": "background: image-set('https://evil.example/a' 1x)"}),
    ),
    (
        "style var image-set",
        el(
            10,
            "div",
            {"style": "--u: 'https://evil.example/a'; background: image-set(var(--u) 1x)"},
        ),
    ),
    (
        "style import",
        el(
            10,
            "style",
            c=[{"i": 11, "t": 3, "x": "@import 'https://evil.example/x.css'; a{color:red}"}],
        ),
    ),
    (
        "style escaped url",
        el(
            10, "style", c=[{"i": 11, "t": 3, "x": "a{background:\\75 rl(https://evil.example/x)}"}]
        ),
    ),
    ("backslash host", el(10, "img", {"src": "/\\evil.example/x.png"})),
    ("userinfo host", el(10, "img", {"src": "https://shop.example@evil.example/x.png"})),
    ("protocol relative", el(10, "img", {"src": "//evil.example/x.png"})),
    (
        "foreign stylesheet",
        el(10, "link", {"rel": "stylesheet", "href": "https://evil.example/x.css"}),
    ),
    ("preload link", el(10, "link", {"rel": "preload", "href": "https://evil.example/x"})),
    ("base element", el(10, "base", {"href": "https://evil.example/"})),
    ("target", el(10, "a", {"href": "/x", "target": "_top"})),
    ("ping", el(10, "a", {"href": "/x", "ping": "https://evil.example/"})),
    ("blob img", el(10, "img", {"src": "blob:https://shop.example/uuid"})),
    ("srcset foreign", el(10, "img", {"srcset": "https://evil.example/a.png 1x, javascript:1 2x"})),
    (
        "math annotation-xml",
        el(
            10,
            "math",
            ns="math",
            c=[
                el(11, "annotation-xml", {"encoding": "text/html"}, ns="math", c=[el(12, "script")])
            ],
        ),
    ),
    ("template", el(10, "template", c=[el(11, "img", {"onerror": "x"})])),
    ("noscript", el(10, "noscript", c=[{"i": 11, "t": 3, "x": "<img onerror=x>"}])),
    ("canvas svg", el(10, "canvas", img="data:image/svg+xml;base64,PHN2Zz4=")),
    ("autofocus", el(10, "input", {"autofocus": "", "onfocus": "alert(1)"})),
]


@pytest.mark.parametrize(("name", "node"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attacks_are_neutralized(name, node):
    raw_dangers = find_dangers(page(node), (ORIGIN, "https://cdn.example"))
    assert raw_dangers, f"the table entry {name!r} should be dangerous before sanitizing"
    clean_body(node)


KEEPS = [
    (
        "link",
        el(10, "a", {"href": "../x.html?a=1#top", "title": "t"}),
        {"href": ORIGIN + "/x.html?a=1#top", "title": "t"},
    ),
    (
        "offsite link",
        el(10, "a", {"href": "https://other.example/p"}),
        {"href": "https://other.example/p"},
    ),
    (
        "image",
        el(10, "img", {"src": "img/x.png", "alt": "x", "width": "10"}),
        {"src": ORIGIN + "/a/img/x.png", "alt": "x", "width": "10"},
    ),
    (
        "cdn image",
        el(10, "img", {"src": "https://cdn.example/x.png"}),
        {"src": "https://cdn.example/x.png"},
    ),
    (
        "data image",
        el(10, "img", {"src": "data:image/png;base64,iVBORw0KGgo="}),
        {"src": "data:image/png;base64,iVBORw0KGgo="},
    ),
    (
        "srcset",
        el(10, "img", {"srcset": "a.png 1x, b.png 2x"}),
        {"srcset": f"{ORIGIN}/a/a.png 1x, {ORIGIN}/a/b.png 2x"},
    ),
    (
        "style background",
        el(10, "div", {"style": "background: url(bg.png) no-repeat; color: red"}),
        {"style": f'background:url("{ORIGIN}/a/bg.png") no-repeat;color:red'},
    ),
    (
        "plain style",
        el(10, "div", {"style": "color: red; margin: 0 auto"}),
        {"style": "color: red; margin: 0 auto"},
    ),
    (
        "input",
        el(10, "input", {"type": "TEXT", "name": "q", "value": "shoes", "placeholder": "Search"}),
        {"type": "text", "name": "q", "value": "shoes", "placeholder": "Search"},
    ),
    (
        "data and aria",
        el(10, "div", {"data-x": "1", "aria-label": "L", "role": "button"}),
        {"data-x": "1", "aria-label": "L", "role": "button"},
    ),
    (
        "svg local use",
        el(10, "use", {"href": "#icon", "x": "1"}, ns="svg"),
        {"href": "#icon", "x": "1"},
    ),
    ("svg viewBox case", el(10, "svg", {"viewbox": "0 0 1 1"}, ns="svg"), {"viewBox": "0 0 1 1"}),
    ("svg local fill", el(10, "rect", {"fill": "url(#g)"}, ns="svg"), {"fill": "url(#g)"}),
]


@pytest.mark.parametrize(("name", "node", "attrs"), KEEPS, ids=[k[0] for k in KEEPS])
def test_keeps(name, node, attrs):
    (clean,) = clean_body(node)
    assert clean["a"] == attrs


def test_cross_origin_iframe_becomes_a_placeholder():
    clean, _ = sanitize_snapshot(
        page(el(10, "iframe", {"src": "https://other.example/v", "width": "640", "height": "360"})),
        POLICY,
    )
    (node,) = body_of(clean)
    assert node == {
        "i": 10,
        "t": 1,
        "n": "div",
        "c": [],
        "a": {
            "data-cobrowse-placeholder": "Embedded page from other.example",
            "style": "width:640px;height:360px",
        },
    }
    assert clean["fidelity"] == ["1 embedded page from another site"]


def test_same_origin_iframe_is_kept_as_a_nested_document():
    inner = {
        "i": 11,
        "t": 9,
        "c": [
            el(12, "html", c=[el(13, "body", c=[el(14, "img", {"src": "p.png", "onerror": "x"})])])
        ],
    }
    (node,) = clean_body(el(10, "iframe", {"src": "/frame/f.html"}, d=inner))
    assert "src" not in node["a"]
    img = node["d"]["c"][0]["c"][0]["c"][0]
    assert img["a"] == {"src": ORIGIN + "/frame/p.png"}


def test_plugins_are_counted():
    clean, _ = sanitize_snapshot(page(el(10, "object"), el(11, "embed")), POLICY)
    assert clean["fidelity"] == ["2 plugin objects"]


def test_base_on_the_site_is_used_and_dropped_off_site():
    base = el(20, "base", {"href": "/root/"})
    assert (
        clean_body(el(10, "img", {"src": "x.png"}), head=[base])[0]["a"]["src"]
        == ORIGIN + "/root/x.png"
    )
    evil = el(20, "base", {"href": "https://evil.example/"})
    assert (
        clean_body(el(10, "img", {"src": "x.png"}), head=[evil])[0]["a"]["src"]
        == ORIGIN + "/a/x.png"
    )


def test_unknown_keys_are_dropped_and_custom_elements_kept():
    node = el(10, "my-widget", {"foo": "1"}, evil="x")
    (clean,) = clean_body(node, el(11, "blink"))[:1]
    assert clean == {"i": 10, "t": 1, "n": "my-widget", "a": {"foo": "1"}, "c": []}
    assert clean_body(el(11, "blink"))[0]["n"] == "span"


def test_custom_elements_keep_plain_attributes_under_the_usual_rules():
    """Issue 11, item 2: Shoelace's <sl-tab-panel active> keeps `active`; handlers, URLs,
    active names and unsafe style go as on any element."""
    raw = {"active": "", "placement": "bottom-start", "sync": "width", "onclick": "x()",
           "href": "javascript:alert(1)", "src": "https://evil.example/x", "srcdoc": "<b>",
           "formaction": "https://evil.example/", "style": "background:url(https://evil.example/a)",
           "xmlns:x": "y", "Strategy": "fixed", "bad name": "1", "target": "_blank",
           "caption": "javascript:alert(1)", "icon-url": "data:text/html,<script>"}
    (clean,) = clean_body(el(10, "sl-tab-panel", raw))[:1]
    assert clean["a"] == {"active": "", "placement": "bottom-start", "sync": "width",
                          "strategy": "fixed"}
    (plain,) = clean_body(el(10, "div", {"active": "", "placement": "x"}))[:1]
    assert plain["a"] == {}


@pytest.mark.parametrize(
    "bad",
    [
        "not a dict",
        {"i": "1", "t": 9, "c": []},
        {"i": 1, "t": 9, "c": "x"},
        {"i": 1, "t": 9, "c": [{"i": 1, "t": 10, "n": "html"}]},
        {"i": 1, "t": 9, "c": [{"i": 2, "t": 99}]},
        {"i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": 5}]},
        {"i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": "p", "a": []}]},
    ],
)
def test_bad_structure_raises_sanitize_error(bad):
    event = page()
    event["doc"] = bad
    with pytest.raises(SanitizeError):
        sanitize_snapshot(event, POLICY)


def test_deep_tree_raises_not_recursion_error():
    node = {"i": 100_000, "t": 3, "x": "deep"}
    for i in range(99_999, 5, -1):
        node = {"i": i, "t": 1, "n": "div", "c": [node]}
    with pytest.raises(SanitizeError, match="deeper than 512"):
        sanitize_snapshot(page(node), POLICY)
    json.dumps  # noqa: B018


def test_limits():
    with pytest.raises(SanitizeError, match="attribute"):
        sanitize_snapshot(page(el(10, "div", {"title": "x" * 70_000})), POLICY)
    with pytest.raises(SanitizeError, match="2,097,152"):
        sanitize_snapshot(
            page(el(10, "img", {"src": "data:image/png;base64," + "A" * 2_200_000})), POLICY
        )
    many = [{"i": 10 + n, "t": 3, "x": ""} for n in range(250_001)]
    with pytest.raises(SanitizeError, match="250,000"):
        sanitize_snapshot(page(*many), POLICY)


def test_page_off_site_is_refused():
    event = page()
    event["url"] = "https://evil.example/"
    with pytest.raises(SanitizeError, match="origins"):
        sanitize_snapshot(event, POLICY)


@pytest.mark.parametrize(("name", "node"), ATTACKS + [(k[0], k[1]) for k in KEEPS])
def test_idempotent(name, node):
    once, _ = sanitize_snapshot(page(node), POLICY)
    twice, _ = sanitize_snapshot(once, POLICY)
    assert {k: v for k, v in twice.items() if k != "fidelity"} == {
        k: v for k, v in once.items() if k != "fidelity"
    }


def test_deeply_nested_css_does_not_blow_the_stack():
    deep = "a{b:" + "(" * 20_000 + "}"
    nodes = clean_body(
        el(10, "div", {"style": "x:" + "(" * 20_000}),
        el(11, "style", c=[{"i": 12, "t": 3, "x": deep}]),
    )
    assert nodes[0]["a"].get("style", "") == "" or "(" in nodes[0]["a"]["style"]


def test_deep_mutation_subtree_raises_sanitize_error():
    from cobrowse.sanitize import sanitize_mutation

    _, index = sanitize_snapshot(page(), POLICY)
    node = {"i": 200_000, "t": 3, "x": "deep"}
    for i in range(199_999, 100_000, -1):
        node = {"i": i, "t": 1, "n": "div", "c": [node]}
    with pytest.raises(SanitizeError, match="deeper"):
        sanitize_mutation(
            {"k": "mutation", "m": [{"o": "add", "p": 5, "b": None, "n": node}]},
            POLICY,
            lambda ids: {i: index.get(i) for i in ids},
            ORIGIN + "/",
        )
