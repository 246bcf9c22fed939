"""Property tests (hypothesis): random hostile trees always come out safe and stable."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sanitize_corpus_support import find_dangers

from cobrowse.sanitize import SanitizeError, SitePolicy, sanitize_mutation, sanitize_snapshot

ORIGIN = "https://shop.example"
POLICY = SitePolicy(
    origins=(ORIGIN,), resource_origins=("https://cdn.example",), mask_selectors=(".secret",)
)
ALLOWED = (ORIGIN, "https://cdn.example")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAGS = st.sampled_from(
    [
        "div",
        "a",
        "img",
        "script",
        "iframe",
        "object",
        "embed",
        "style",
        "link",
        "meta",
        "base",
        "form",
        "button",
        "input",
        "svg",
        "use",
        "animate",
        "set",
        "foreignObject",
        "image",
        "math",
        "annotation-xml",
        "template",
        "noscript",
        "x-widget",
        "SCRIPT",
        "Style",
        "video",
        "source",
        "canvas",
        "frame",
        "rect",
        "textarea",
        "select",
        "option",
    ]
)
NAMES = st.sampled_from(
    [
        "href",
        "src",
        "srcset",
        "style",
        "onclick",
        "onerror",
        "ONLOAD",
        "srcdoc",
        "formaction",
        "action",
        "xlink:href",
        "fill",
        "class",
        "title",
        "value",
        "type",
        "rel",
        "http-equiv",
        "poster",
        "background",
        "target",
        "ping",
        "data-x",
        "width",
        "height",
        "content",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:1",
            "&#106;avascript:1",
            "vbscript:x",
            "data:text/html,<script>x</script>",
            "data:image/svg+xml;base64,PHN2Zz4=",
            "data:image/png;base64,iVBORw0KGgo=",
            "https://evil.example/x",
            "//evil.example/x",
            "/\\evil.example/x",
            "https://shop.example@evil.example/",
            "x.png",
            "#frag",
            "stylesheet",
            "background:url(https://evil.example/x)",
            "width:expression(alert(1))",
            "a{background:url('//evil.example/x')}",
            "@import 'https://evil.example/x.css';",
            "behavior:url(x.htc)",
            "url(https://evil.example/p#x)",
            "url(#ok)",
            "password",
            "background:image-set('https://evil.example/a' 1x)",
            "\\75 rl(https://evil.example/x)",
            "blob:https://shop.example/1",
            "refresh",
            "0;url=javascript:1",
        ]
    ),
    st.text(max_size=30),
)


def trees():
    def node(children):
        return st.fixed_dictionaries(
            {
                "t": st.just(1),
                "n": TAGS,
                "a": st.dictionaries(NAMES, VALUES, max_size=4),
                "c": st.lists(children, max_size=4),
            },
            optional={
                "ns": st.sampled_from(["svg", "math"]),
                "css": VALUES,
                "img": VALUES,
                "p": st.fixed_dictionaries({"value": VALUES}),
                "m": st.just(1),
            },
        )

    text = st.fixed_dictionaries({"t": st.just(3), "x": VALUES})
    leaf = st.fixed_dictionaries(
        {"t": st.just(1), "n": TAGS, "a": st.dictionaries(NAMES, VALUES, max_size=4)}
    )
    return st.recursive(text | leaf, node, max_leaves=25)


def numbered(tree):
    counter = iter(range(10, 10**6))
    stack = [tree]
    while stack:
        item = stack.pop()
        item["i"] = next(counter)
        stack.extend(item.get("c", []))
    return tree


def page(body_nodes):
    return {
        "k": "snapshot",
        "url": ORIGIN + "/p/",
        "title": "t",
        "vw": 1,
        "vh": 1,
        "sx": 0,
        "sy": 0,
        "doc": {
            "i": 1,
            "t": 9,
            "c": [
                {
                    "i": 2,
                    "t": 1,
                    "n": "html",
                    "c": [
                        {"i": 3, "t": 1, "n": "head"},
                        {"i": 4, "t": 1, "n": "body", "c": body_nodes},
                    ],
                }
            ],
        },
    }


@SETTINGS
@given(st.lists(trees(), max_size=3))
def test_random_trees_come_out_safe_and_stable(forest):
    event = page([numbered(t) for t in forest])
    try:
        clean, index = sanitize_snapshot(event, POLICY)
    except SanitizeError:
        return
    assert find_dangers(clean, ALLOWED) == []
    again, index2 = sanitize_snapshot(json.loads(json.dumps(clean)), POLICY)
    assert {k: v for k, v in again.items() if k != "fidelity"} == {
        k: v for k, v in clean.items() if k != "fidelity"
    }
    assert set(index2) == set(index)


@SETTINGS
@given(trees(), st.lists(st.tuples(NAMES, VALUES), max_size=5))
def test_random_mutations_come_out_safe(tree, attributes):
    _, index = sanitize_snapshot(page([{"i": 5, "t": 1, "n": "div"}]), POLICY)
    store = dict(index)
    ops = [{"o": "add", "p": 4, "b": None, "n": numbered(tree)}]
    ops += [{"o": "attr", "i": 5, "a": k, "v": v} for k, v in attributes]
    try:
        clean, changes = sanitize_mutation(
            {"k": "mutation", "m": ops},
            POLICY,
            lambda ids: {i: store.get(i) for i in ids},
            ORIGIN + "/p/",
        )
    except SanitizeError:
        return
    assert find_dangers(clean, ALLOWED) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["i", "t", "n", "a", "c", "x", "ns", "sh", "d", "p", "ss", "css"]),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@SETTINGS
@given(JSON)
def test_arbitrary_json_raises_only_sanitize_error(doc):
    event = page([])
    event["doc"] = doc
    try:
        clean, _ = sanitize_snapshot(event, POLICY)
    except SanitizeError:
        return
    assert find_dangers(clean, ALLOWED) == []
    try:
        sanitize_mutation(
            {"k": "mutation", "m": [doc] if not isinstance(doc, list) else doc},
            POLICY,
            lambda ids: {},
            ORIGIN + "/",
        )
    except SanitizeError:
        pass
