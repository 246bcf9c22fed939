"""Private by default (issue 14): the server's second line for sites added with ``--private``.

On such a site every text and form value is masked (the placeholder), except inside the
elements the site's ``--unmask`` selectors match; passwords and ``--mask`` selectors win over
``--unmask``. Masking keeps the page's shape: element names, layout attributes, images,
style sheets (with the strings of ``content:`` and custom properties blanked, the one place
CSS carries page text) and SVG geometry. Elements masked this way are "soft" masked: the
index remembers it (:mod:`cobrowse.sanitize.index`), so nodes added later below them are
masked the same way and an ``--unmask`` element added later shows.
"""

import re

from .index import encode
from .policy import MASK_PLACEHOLDER, MASKED_ATTRIBUTES

#: Attributes a soft-masked element keeps besides MASKED_ATTRIBUTES: images and style sheets
#: (the shape of the page), never text. ``alt``, ``title``, ``placeholder``, ``value`` and
#: ``aria-*``/``data-*`` go.
_IMAGE_KEEP = frozenset("src srcset sizes media".split())
_LINK_KEEP = frozenset("href rel media crossorigin as".split())
#: SVG geometry and paint: an icon's shape, no text.
_SVG_KEEP = frozenset(
    """
viewBox d fill stroke stroke-width stroke-linecap stroke-linejoin fill-rule clip-rule cx cy r
rx ry x y x1 y1 x2 y2 points transform opacity fill-opacity stroke-opacity preserveAspectRatio
xmlns offset stop-color gradientUnits gradientTransform
""".split()
)
_IMAGE_KINDS = frozenset({"img", "source", "picture", "video", "image"})
#: Kinds never soft-masked: style sheets are the page's shape (their strings are blanked
#: by :func:`blank_css_strings`); a ``<link>`` carries only a URL of the site.
STRUCTURAL_KINDS = frozenset({"style", "svg:style", "link", "#css", "#doctype"})

#: ``content:`` and custom property declarations, up to the end of their value.
_STRING_DECLARATION = re.compile(r"((?:^|[;{\s])(?:content|--[\w-]+)\s*:)([^;}]*)", re.I)
_CSS_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""", re.S)
#: A string with a letter or digit (after unescaping) may be page text; an icon font's
#: private-use glyph or a quote mark is not.
_WORDY = re.compile(r"[^\W_]", re.U)
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)


def _unescape(text: str) -> str:
    def one(m):
        if m.group(1):
            try:
                return chr(int(m.group(1), 16))
            except (ValueError, OverflowError):
                return "\ufffd"
        return m.group(2)
    return _ESCAPE.sub(one, text)


def _blank_string(m) -> str:
    body = m.group(0)[1:-1]
    return f'"{MASK_PLACEHOLDER}"' if _WORDY.search(_unescape(body)) else m.group(0)


def blank_css_strings(text: str) -> str:
    """CSS with the wordy strings of ``content`` and ``--*`` declarations replaced."""
    if "content" not in text.lower() and "--" not in text:
        return text
    return _STRING_DECLARATION.sub(
        lambda m: m.group(1) + _CSS_STRING.sub(_blank_string, m.group(2)), text
    )


def soft_keep(kind: str, name: str) -> bool:
    """May a soft-masked element of ``kind`` keep the attribute ``name``?"""
    if name in MASKED_ATTRIBUTES:
        return True
    if kind.startswith("svg:"):
        return name in _SVG_KEEP or (kind == "svg:image" and name in ("href", "xlink:href"))
    if kind in _IMAGE_KINDS:
        return name in _IMAGE_KEEP
    return kind == "link" and name in _LINK_KEEP


def soften(node: dict, kind: str) -> None:
    """Soft-mask one output element in place (not its child elements)."""
    node["m"] = 2
    attrs = node.get("a")
    if attrs:
        node["a"] = {k: v for k, v in attrs.items() if soft_keep(kind, k)}
    if "p" in node:
        node["p"] = {"value": MASK_PLACEHOLDER} if "value" in node["p"] else {}
    node.pop("img", None)
    _mask_texts(node.get("c"))
    shadow = node.get("sh")
    if type(shadow) is dict:
        _mask_texts(shadow.get("c"))


def _mask_texts(children) -> None:
    for child in children or ():
        if child.get("t") == 3 and child.get("x", "").strip():
            child["x"] = MASK_PLACEHOLDER


def mask_private(run, hard: set, lift: set, top_soft: bool = True) -> None:
    """Soft-mask every record of ``run`` that is neither hard masked nor lifted.

    ``hard``: ids masked whatever ``--unmask`` says (the tag said so, a password, ``--mask``
    matches and their subtrees). ``lift``: ids an ``--unmask`` selector matches. A record's
    parent outside ``run`` is soft when ``top_soft`` (the snapshot's document, or a mutation
    below a soft-masked node).
    """
    lifted: set = set()
    softs: set = set()
    for rid, parent, kind, masked, attrs in run.records:
        if masked or rid in hard or parent in hard:
            hard.add(rid)
            continue
        parent_soft = parent in softs or (parent not in lifted and top_soft)
        if not parent_soft or kind in STRUCTURAL_KINDS or rid in lift:
            lifted.add(rid)
            continue
        softs.add(rid)
        run.index[rid] = encode(parent, True, kind, attrs, soft=True)
        node = run.nodes.get(rid)
        if node is not None:
            soften(node, kind)


def page_title(doc: dict) -> str:
    """The text of the clean document's ``<title>`` (masked or not, as the walk left it)."""
    node = doc
    for name in ("html", "head", "title"):
        node = next((c for c in node.get("c") or () if c.get("t") == 1 and c.get("n") == name),
                    None)
        if node is None:
            return ""
    return "".join(c.get("x", "") for c in node.get("c") or () if c.get("t") == 3)
