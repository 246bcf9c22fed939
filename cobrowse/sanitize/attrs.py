"""Attributes of one element: allow-listed, URLs made safe, ``style`` through the CSS cleaner."""

import re

from . import urls
from .errors import MAX_ATTRIBUTE, MAX_DATA_IMAGE, SanitizeError
from .policy import (
    DATA_OR_ARIA,
    HTML_ATTRIBUTES,
    HTML_URL_ATTRIBUTES,
    INPUT_TYPES,
    MASKED_ATTRIBUTES,
    MATH_ATTRIBUTES,
    PAGE_HTML_ATTRIBUTES,
    SVG_ATTRIBUTE_CASE,
    SVG_LOCAL_HREF,
)

#: Every plain-text HTML attribute kept.
_HTML_TEXT = HTML_ATTRIBUTES | PAGE_HTML_ATTRIBUTES
#: Attributes allowed to be as long as a data: image.
_LONG_URL_ATTRIBUTES = frozenset({"src", "srcset", "poster", "href", "xlink:href", "background"})
# A presentation value that only references a local paint server / clip / marker / filter.
_LOCAL_REF = re.compile(r"\s*url\(\s*(['\"]?)#[\w\-.:]+\1\s*\)[\w\s#.,%()-]*\Z")
# Words that make a CSS-parsed value fetch or compute something we cannot see through.
_VALUE_FUNCTION = re.compile(r"url|image|src|expression|attr|var|env|\\", re.IGNORECASE)
#: A plain attribute name a custom element may keep (issue 11, item 2: Shoelace's ``active``).
_CUSTOM_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_.\-]*\Z")
#: Names no element keeps, custom or not: they run, submit, fetch, focus or embed a document.
_ACTIVE_ATTRIBUTES = frozenset(
    """
action formaction srcdoc ping http-equiv autofocus autoplay nonce popovertarget
popovertargetaction is contenteditable target manifest codebase data dynsrc lowsrc longdesc profile
icon imagesrcset background poster cite usemap
""".split()
)
#: URL kinds the proxy serves as images (issue 11, item 1).
_PROXIED_IMAGE_KINDS = frozenset({"image", "srcset"})


def _check_length(name: str, value: str) -> None:
    if len(value) > MAX_ATTRIBUTE:
        limit = MAX_DATA_IMAGE if name in _LONG_URL_ATTRIBUTES else MAX_ATTRIBUTE
        if len(value) > limit:
            raise SanitizeError(
                f"The attribute {name[:40]!r} is {len(value):,} characters long; the limit is "
                f"{limit:,}. Leave such values out of the capture."
            )


def _url(kind: str, value: str, run, base: str) -> str | None:
    if kind == "navigate":
        return urls.absolute_url(value, base, run.url_cache)
    if kind == "local":
        return urls.local_fragment(value)
    if kind == "resource":
        clean = urls.resource_url(value, base, run.resource_origins, run.url_cache)
    elif kind == "image":
        clean = urls.image_url(value, base, run.resource_origins, run.url_cache)
    else:  # srcset
        clean, dropped = urls.srcset(value, base, run.resource_origins, run.url_cache)
        if dropped:
            run.fidelity["image"] += 1
        if clean and run.assets is not None and "image" in run.assets.kinds:
            clean = urls.map_srcset(clean, lambda u: run.proxied(u, "image"))
        return clean or None
    if clean is None:
        run.fidelity["image" if kind == "image" else "media"] += 1
    elif clean is urls.BLANK_IMAGE:
        run.fidelity["blob"] += 1
    elif kind in _PROXIED_IMAGE_KINDS:
        clean = run.proxied(clean, "image")
    return clean


def _custom_attribute(name: str, value: str) -> bool:
    """Whether a custom element may keep ``name`` as text: plain, inert, not a URL or handler.

    Custom elements are styled by their own attributes (``:host([active])``); without their
    script nothing reads the values, so only names that act on their own are refused.
    """
    return (
        _CUSTOM_ATTRIBUTE.match(name) is not None
        and not name.startswith(("on", "xmlns", "xml"))
        and name not in _ACTIVE_ATTRIBUTES
        and name not in HTML_URL_ATTRIBUTES
        and urls.probe_scheme(value) in (None, "http", "https")  # no javascript:, data:...
    )


def _presentation(value: str) -> bool:
    """An SVG/MathML presentation value is CSS: keep it only if it cannot fetch."""
    if "(" not in value and "\\" not in value:
        return True
    return bool(_LOCAL_REF.match(value)) or not _VALUE_FUNCTION.search(value)


def clean_html(tag: str, raw: dict, run, base: str, masked: bool) -> dict:
    """The kept attributes of an HTML element ``tag`` (lower case)."""
    out = {}
    for key, value in raw.items():
        if type(value) is not str or type(key) is not str:
            continue
        if len(value) > MAX_ATTRIBUTE:
            _check_length(key, value)
        name = key.lower()
        if name in HTML_URL_ATTRIBUTES:  # before the text list: a URL is never plain text
            kind = HTML_URL_ATTRIBUTES[name].get(tag)
            if kind is None or (name == "src" and tag == "input" and _type(raw) != "image"):
                continue
            value = _url(kind, value, run, base)
            if value is not None:
                out[name] = value
        elif name in _HTML_TEXT:
            if name == "type" and tag == "input":
                value = value.strip().lower()
                if value not in INPUT_TYPES:
                    continue
            out[name] = value
        elif name == "style":
            value = run.declarations(value, base)
            if value:
                out[name] = value
        elif DATA_OR_ARIA.match(name) or ("-" in tag and _custom_attribute(name, value)):
            out[name] = value
    if masked:
        out = {k: v for k, v in out.items() if k in MASKED_ATTRIBUTES}
    return out


def _type(raw: dict) -> str:
    for key, value in raw.items():
        if type(key) is str and key.lower() == "type" and type(value) is str:
            return value.strip().lower()
    return ""


def clean_svg(tag: str, raw: dict, run, base: str, masked: bool) -> dict:
    """The kept attributes of an SVG element ``tag`` (canonical case)."""
    out = {}
    for key, value in raw.items():
        if type(value) is not str or type(key) is not str:
            continue
        if len(value) > MAX_ATTRIBUTE:
            _check_length(key, value)
        lower = key.lower()
        if lower == "style":
            value = run.declarations(value, base)
            if value:
                out["style"] = value
        elif lower in ("href", "xlink:href"):
            if tag == "a":
                value = _url("navigate", value, run, base)
            elif tag == "image":
                value = _url("image", value, run, base)
            elif tag in SVG_LOCAL_HREF:
                value = urls.local_fragment(value)
            else:
                value = None
            if value is not None:
                out[lower] = value
        elif lower in SVG_ATTRIBUTE_CASE:
            if _presentation(value):
                out[SVG_ATTRIBUTE_CASE[lower]] = value
        elif DATA_OR_ARIA.match(lower):
            out[lower] = value
    if masked:
        out = {k: v for k, v in out.items() if k in MASKED_ATTRIBUTES}
    return out


def clean_math(tag: str, raw: dict, run, base: str, masked: bool) -> dict:
    """The kept attributes of a MathML element."""
    out = {}
    for key, value in raw.items():
        if type(value) is not str or type(key) is not str:
            continue
        if len(value) > MAX_ATTRIBUTE:
            _check_length(key, value)
        lower = key.lower()
        if lower == "style":
            value = run.declarations(value, base)
            if value:
                out["style"] = value
        elif lower in MATH_ATTRIBUTES and _presentation(value):
            out[lower] = value
        elif DATA_OR_ARIA.match(lower):
            out[lower] = value
    if masked:
        out = {k: v for k, v in out.items() if k in MASKED_ATTRIBUTES}
    return out


#: Namespace (None, "svg", "math") -> attribute cleaner.
CLEANERS = {None: clean_html, "svg": clean_svg, "math": clean_math}
