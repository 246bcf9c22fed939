"""XSS corpora as snapshot/mutation events, and an independent checker of dangerous output.

Reusable by the in-browser corpus run: ``load_payloads()`` gives (name, html) pairs from
/work/shared/corpora/xss (or ``COBROWSE_XSS_CORPORA``); ``snapshot_event(html)`` turns one
into a crafted snapshot; ``find_dangers(event, allowed_origins)`` lists what is dangerous
in a sanitizer's output. The checker is written apart from the sanitizer on purpose: it
shares no table with it and is a deny-list of constructs, not an allow-list.
"""

import html as html_lib
import json
import os
import re
from pathlib import Path

import html5lib

CORPORA = Path(os.environ.get("COBROWSE_XSS_CORPORA", "/work/shared/corpora/xss"))
MORE_CORPORA = Path(os.environ.get("COBROWSE_XSS_MORE_CORPORA",
                                   "/work/shared/corpora/xss-more"))
#: Placeholders of ../xss-more payloads (its README), with what the in-process tests use.
PLACEHOLDERS = ("{{BRAND}}", "{{BRAND_HOST}}", "{{PORT}}", "{{SERVER}}")
ORIGIN = "https://shop.example"
PAGE_URL = ORIGIN + "/cart/index.html"
_NS = {
    "http://www.w3.org/1999/xhtml": None,
    "http://www.w3.org/2000/svg": "svg",
    "http://www.w3.org/1998/Math/MathML": "math",
}
_ATTR_NS = {
    "http://www.w3.org/1999/xlink": "xlink:",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.w3.org/2000/xmlns/": "xmlns:",
}


# --- payloads -------------------------------------------------------------------------


def load_payloads() -> list[tuple[str, str]]:
    """Every payload of the corpora as (name, html)."""
    out: list[tuple[str, str]] = []
    out += _dompurify()
    out += _h5sc()
    out += _owasp()
    out += _sonar()
    out += _html5lib()
    return out


def load_more_payloads() -> list[tuple[str, str]]:
    """Every payload of ../xss-more as (name, html), placeholders left in (see fill)."""
    out: list[tuple[str, str]] = []
    for path in sorted(MORE_CORPORA.glob("*/payloads.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if isinstance(item.get("html"), str):
                out.append((f"more:{item['n']}", item["html"]))
    return out


def fill(payload: str, brand: str = ORIGIN, server: str = "https://cobrowse.example") -> str:
    """``payload`` with the xss-more placeholders filled in for a brand page and a server."""
    if "{{" not in payload:
        return payload
    host_port = brand.split("://", 1)[-1]
    host, _, port = host_port.partition(":")
    return (payload.replace("{{BRAND_HOST}}", host).replace("{{PORT}}", port or "443")
            .replace("{{BRAND}}", brand).replace("{{SERVER}}", server))


def _dompurify():
    text = (CORPORA / "dompurify" / "expect.mjs").read_text(encoding="utf-8")
    body = text[text.index("[") : text.rindex("]") + 1]
    items = json.loads(re.sub(r",\s*([\]}])", r"\1", body))  # JS allows trailing commas
    return [
        (f"dompurify:{n}:{item.get('title', '')[:60]}", item["payload"])
        for n, item in enumerate(items)
        if isinstance(item.get("payload"), str)
    ]


def _h5sc():
    text = (CORPORA / "h5sc" / "vectors.txt").read_text(encoding="utf-8")
    found = re.findall(r'<div id="(\d+)">(.*?)//\["\'`-->\]\]>\]</div>', text, re.S)
    return [(f"h5sc:{n}", payload) for n, payload in found]


def _owasp():
    text = (CORPORA / "owasp" / "XSS_Filter_Evasion_Cheat_Sheet.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    return [
        (f"owasp:{n}", b.replace("\\<", "<").replace("\\>", ">"))
        for n, b in enumerate(blocks)
        if "<" in b or ":" in b
    ]


def _sonar():
    out = []
    for name in ("examples.md", "data.yml"):
        text = (CORPORA / "sonar-mxss" / name).read_text(encoding="utf-8")
        for n, code in enumerate(re.findall(r"`([^`\n]*<[^`\n]*)`", text)):
            out.append(
                (
                    f"sonar:{name}:{n}",
                    html_lib.unescape(code) if "&lt;" in code and name == "never" else code,
                )
            )
    return out


def _html5lib():
    items = json.loads((CORPORA / "html5lib-sanitizer" / "tests1.dat").read_text("utf-8"))
    return [(f"html5lib:{item['name']}", item["input"]) for item in items]


# --- conversion -----------------------------------------------------------------------


class Ids:
    """Node ids, unique across one test."""

    def __init__(self, start: int = 1):
        self.next = start

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


def node_of(element, ids: Ids) -> dict | None:
    """An html5lib etree element (and everything in it) in the snapshot format."""
    holder: list = []
    stack: list = [(element, holder)]
    while stack:
        item, out = stack.pop()
        if isinstance(item, str):
            out.append({"i": ids(), "t": 3, "x": item})
            continue
        if not isinstance(item.tag, str):
            continue  # comments and processing instructions are never captured
        if item.tag.startswith("{"):
            ns, _, local = item.tag[1:].partition("}")
        else:
            ns, local = "", item.tag
        node = {"i": ids(), "t": 1, "n": local, "a": {}, "c": []}
        if _NS.get(ns):
            node["ns"] = _NS[ns]
        for key, value in item.attrib.items():
            if key.startswith("{"):
                kns, _, kl = key[1:].partition("}")
                key = _ATTR_NS.get(kns, "") + kl
            node["a"][key] = value
        out.append(node)
        later: list = []
        if item.text:
            later.append(item.text)
        for child in item:
            later.append(child)
            if child.tail:
                later.append(child.tail)
        for thing in reversed(later):
            stack.append((thing, node["c"]))
    return holder[0] if holder else None


def snapshot_event(payload: str, ids: Ids | None = None) -> dict:
    """A crafted snapshot of a page whose body holds ``payload`` (parsed by html5lib)."""
    ids = ids or Ids()
    tree = html5lib.parse(payload, treebuilder="etree", namespaceHTMLElements=True)
    doc = {"i": ids(), "t": 9, "c": [{"i": ids(), "t": 10, "n": "html"}, node_of(tree, ids)]}
    return {
        "k": "snapshot",
        "doc": doc,
        "url": PAGE_URL,
        "title": "t",
        "vw": 800,
        "vh": 600,
        "sx": 0,
        "sy": 0,
    }


def mutation_events(payload: str, body_id: int, target_id: int, ids: Ids) -> list[dict]:
    """Crafted mutations: the payload added under the body, and its attributes set on a
    known element (``target_id``), and its text set on a known text node."""
    fragment = html5lib.parseFragment(payload, treebuilder="etree", namespaceHTMLElements=True)
    wrapper = node_of(fragment, ids) or {"c": []}
    ops = [{"o": "add", "p": body_id, "b": None, "n": child} for child in wrapper["c"]]
    attr_ops = []
    stack = list(wrapper["c"])
    while stack:
        node = stack.pop()
        for key, value in node.get("a", {}).items():
            attr_ops.append({"o": "attr", "i": target_id, "a": key, "v": value})
        stack.extend(c for c in node.get("c", []) if c.get("t") == 1)
    return [{"k": "mutation", "m": ops}, {"k": "mutation", "m": attr_ops}]


# --- the independent checker ----------------------------------------------------------

_BAD_ELEMENTS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "meta",
    "foreignobject",
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "animatecolor",
    "handler",
    "listener",
    "portal",
    "fencedframe",
    "param",
    "annotation-xml",
    "noscript",
    "template",
}
#: Valid shadow hosts (the HTML standard's list; custom elements are checked apart).
_SHADOW_HOSTS = set("article aside blockquote body div footer h1 h2 h3 h4 h5 h6 header main "
                    "nav p section span".split())
_BAD_ATTRIBUTES = {
    "srcdoc",
    "formaction",
    "action",
    "ping",
    "http-equiv",
    "target",
    "xmlns",
    "autofocus",
    "contenteditable",
    "sandbox",
    "allow",
}
_URL_ATTRIBUTES = {
    "href",
    "xlink:href",
    "src",
    "poster",
    "background",
    "cite",
    "data",
    "codebase",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "usemap",
    "icon",
    "manifest",
    "archive",
    "classid",
    "itemtype",
    "formaction",
    "action",
}
_PRESENTATION = {
    "fill",
    "stroke",
    "filter",
    "mask",
    "clip-path",
    "marker",
    "marker-start",
    "marker-mid",
    "marker-end",
    "cursor",
    "color-profile",
    "mathbackground",
}
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
_RASTER = re.compile(r"data:image/(png|jpeg|gif|webp|avif);base64,[A-Za-z0-9+/]*={0,2}\Z")


def _decoded_css(text: str) -> str:
    # Comments go (glued, the worst reading); an escaped "/" cannot start one.
    text = re.sub(r"\\.|/\*.*?(?:\*/|\Z)",
                  lambda m: m.group(0) if m.group(0)[0] == "\\" else "", text, flags=re.S)

    def unescape(m):
        if m.group(1):
            try:
                return chr(int(m.group(1), 16))
            except (ValueError, OverflowError):
                return "\ufffd"
        return m.group(2)

    return _CSS_ESCAPE.sub(unescape, text)


#: A resource-proxy link exactly as the sanitizer writes it (cobrowse/sanitize/assets.py).
_PROXY_LINK = re.compile(r"^/replica-assets/[A-Za-z0-9._-]+/(font|style|image)/[A-Za-z0-9_-]+"
                         r"/[A-Za-z0-9_-]+$")


def _url_problem(url: str, allowed: set, fetch: bool) -> str | None:
    probe = re.sub(r"[\x00-\x20\x7f-\xa0\u200b-\u200f\ufeff]", "", html_lib.unescape(url)).lower()
    if fetch and _RASTER.match(url):
        return None
    if url.startswith("#"):
        return None  # a fragment of the same document: fetches and runs nothing
    if _PROXY_LINK.match(url):
        return None  # our own resource proxy (issue 11): signed, fetches the site's origins only
    if not probe.startswith(("http://", "https://")):
        return f"non-http URL {url[:80]!r}"
    if "\\" in url or re.search(r"[\x00-\x20]", url):
        return f"ambiguous URL {url[:80]!r}"
    if fetch:
        origin = "/".join(url.split("/")[:3])
        if origin.lower() not in allowed or "@" in origin:
            return f"fetch from {origin!r}"
    return None


def css_dangers(text: str, allowed: set) -> list[str]:
    """What in a piece of CSS could run code or fetch from elsewhere."""
    css = _decoded_css(text)
    found = []
    for match in _CSS_URL.finditer(css):
        problem = _url_problem(match.group(2).strip(), allowed, fetch=True)
        if problem:
            found.append("css " + problem)
    low = _CSS_URL.sub("url()", css).lower()  # checked URLs may hold any word in their path
    found += [
        f"css {word}"
        for word in ("expression(", "behavior", "-moz-binding", "javascript:", "vbscript:")
        if word in low
    ]
    for match in re.finditer(r"@import\s+(['\"])(.*?)\1", css):
        found.append(f"css @import string {match.group(2)[:60]!r}")
    for match in re.finditer(r"image-set\(([^;}]*)", low):
        if re.search(r"['\"]|var\(|attr\(|env\(", match.group(1)):
            found.append("css image-set with a string or computed URL")
    return found


def find_dangers(event: dict, allowed_origins=(ORIGIN,)) -> list[str]:
    """Every dangerous construct in a sanitized snapshot or mutation event (empty = safe)."""
    allowed = {o.lower() for o in allowed_origins}
    found: list[str] = []
    roots = [event["doc"]] if event.get("k") == "snapshot" else []
    for op in event.get("m", []):
        if op.get("o") == "add":
            roots.append(op["n"])
        elif op.get("o") == "fill":  # a visible-first snapshot's shell filled (issue 16)
            roots.extend(op["c"])
        elif op.get("o") == "attr" and op.get("v") is not None:
            found += _attribute_dangers("?", op["a"], op["v"], allowed)
        elif op.get("o") in ("css",):
            found += css_dangers(op["css"], allowed)
        elif op.get("o") == "ss":
            for sheet in op["ss"]:
                found += css_dangers(sheet, allowed)
        elif op.get("o") == "img" and not _RASTER.match(op["img"]):
            found.append("canvas image that is not a raster data: URL")
    stack = [(r, None) for r in roots]
    while stack:
        node, parent = stack.pop()
        name = str(node.get("n", "")).lower()
        if node.get("t") == 1:
            if "sh" in node and (node.get("ns") or not (
                    name in _SHADOW_HOSTS or re.fullmatch(r"[a-z][a-z0-9._]*-[a-z0-9._-]*", name))):
                found.append(f"shadow root on <{name}>, which cannot host one")
            if name == "style" and any(c.get("t") == 1 for c in node.get("c", [])):
                found.append("element inside a <style>")
            if name in _BAD_ELEMENTS and not (
                name == "iframe" and "d" in node and "src" not in node.get("a", {})
            ):
                found.append(f"element <{name}>")
            if name == "link" and node.get("a", {}).get("rel", "").lower() != "stylesheet":
                found.append("link that is not a style sheet")
            for key, value in node.get("a", {}).items():
                found += _attribute_dangers(name, key, value, allowed)
            if "css" in node:
                found += css_dangers(node["css"], allowed)
            if "img" in node and not _RASTER.match(node["img"]):
                found.append("canvas image that is not a raster data: URL")
        elif node.get("t") == 3 and parent in ("style",):
            found += css_dangers(node.get("x", ""), allowed)
        for sheet in node.get("ss", []):
            found += css_dangers(sheet, allowed)
        for child in node.get("c", []):
            stack.append((child, name))
        for key in ("sh", "d"):
            if key in node:
                stack.append((node[key], name))
    return found


def _attribute_dangers(element: str, key: str, value: str, allowed: set) -> list[str]:
    low = key.lower()
    found = []
    if low.startswith("on"):
        found.append(f"event handler {key}")
    if low in _BAD_ATTRIBUTES:
        found.append(f"attribute {key}")
    if low == "style":
        found += css_dangers(value, allowed)
    elif low == "srcset":
        for candidate in value.split(", "):
            url = candidate.strip().split(" ")[0]
            if url:
                problem = _url_problem(url, allowed, fetch=True)
                if problem:
                    found.append("srcset " + problem)
    elif low in _URL_ATTRIBUTES:
        fetch = not (
            element in ("a", "area", "blockquote", "q", "del", "ins", "?")
            and low in ("href", "xlink:href", "cite")
        )
        if element == "use" and not value.startswith("#"):
            found.append("use of an external document")
        problem = _url_problem(value, allowed, fetch=fetch)
        if problem:
            found.append(f"{key}: {problem}")
    elif (
        low in _PRESENTATION
        and "url(" in _decoded_css(value).lower()
        and not re.match(r"\s*url\(\s*['\"]?#", value)
    ):
        found.append(f"presentation attribute {key} with an external url()")
    return found
