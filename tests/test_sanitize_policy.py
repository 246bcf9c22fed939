"""The allow-lists are html5lib's WHATWG-derived tables, tightened (issue 4, item 2)."""

import warnings

from cobrowse.sanitize import policy


def html5lib_tables():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from html5lib.filters import sanitizer
    return sanitizer


def test_html_tables_are_html5lib_subsets():
    tables = html5lib_tables()
    html = {n for ns, n in tables.allowed_elements if ns.endswith("xhtml")}
    attributes = {n for ns, n in tables.allowed_attributes if ns is None}
    assert policy.HTML_ELEMENTS <= html
    assert policy.HTML_ATTRIBUTES <= attributes
    # what html5lib allows and we do not: active or fetching things
    assert {
        "accesskey",
        "action",
        "autofocus",
        "contenteditable",
        "ping",
        "target",
        "dynsrc",
        "lowsrc",
    } <= attributes - policy.HTML_ATTRIBUTES
    assert not (policy.HTML_ELEMENTS & policy.DROPPED_HTML_ELEMENTS)


def test_svg_animation_and_math_actions_are_gone():
    for name in (
        "animate",
        "set",
        "animateMotion",
        "animateTransform",
        "animateColor",
        "script",
        "foreignObject",
    ):
        assert name not in policy.SVG_ELEMENTS
    assert "maction" not in policy.MATH_ELEMENTS
    assert not {"attributeName", "begin", "to", "from", "dur"} & policy.SVG_ATTRIBUTES
