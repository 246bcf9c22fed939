"""Server-side masking, the second line (issue 4, item 8).

The tag masks first. The server applies the site's mask selectors again, with cssselect
over an lxml mirror of the sanitized tree (elements and the attributes the selectors read),
and replaces what slipped through. Password fields and ``data-cobrowse-mask`` elements are
always masked. Shadow roots and same-origin frames are mirrored inside their host element,
so a selector reaches into them (more masking than the browser's own matching, never less).
"""

import re
from functools import lru_cache

from cssselect import HTMLTranslator, SelectorError, parse
from lxml import etree

from .policy import MASK_PLACEHOLDER, MASKED_ATTRIBUTES

#: Attributes mirrored whatever the selectors say: the ones pseudo-classes read.
BASE_ATTRIBUTES = frozenset(
    "id class name type autocomplete role checked selected disabled".split()
)
#: The attribute that marks an element to mask, set by the brand's page.
MASK_ATTRIBUTE = "data-cobrowse-mask"

#: Longest attribute value kept in the index for the selectors (keeps the index small).
_KEEP_CHARS = 2048
_NAME = re.compile(r"[A-Za-z_][\w.\-]*\Z")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class MaskRules:
    """The compiled mask selectors of a site."""

    def __init__(self, selectors: tuple[str, ...], also: tuple[str, ...] = ()):
        """``also``: further selectors (other rule lists) whose attributes are kept too."""
        translator = HTMLTranslator()
        self.xpaths = []
        names = set(BASE_ATTRIBUTES)
        for n, selector in enumerate((*selectors, *also)):
            try:
                path = translator.css_to_xpath(selector)
                for parsed in parse(selector):
                    _collect_attributes(parsed.parsed_tree, names)
            except SelectorError:
                continue  # refused when the site is configured: see selector_problem()
            if n < len(selectors):
                self.xpaths.append(etree.XPath(path))
        self.attributes = frozenset(n for n in names if _NAME.match(n))
        self.active = bool(self.xpaths) or bool(also)

    def pick(self, raw: dict) -> dict:
        """The raw attributes (lower-case names) the selectors may read."""
        wanted = self.attributes
        return {
            k.lower(): v[:_KEEP_CHARS]
            for k, v in raw.items()
            if type(k) is str and type(v) is str and k.lower() in wanted
        }


def selector_problem(selector: str) -> str | None:
    """Why a configured mask selector cannot be used, or None if it can."""
    try:
        HTMLTranslator().css_to_xpath(selector)
    except SelectorError as err:
        return f"The mask selector {selector!r} is not valid CSS: {err}."
    return None


def _collect_attributes(node, names: set) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        kind = type(item).__name__
        if kind == "Attrib":
            names.add(str(item.attrib).lower())
        elif kind == "Class":
            names.add("class")
        elif kind == "Hash":
            names.add("id")
        for value in getattr(item, "__dict__", {}).values():
            if isinstance(value, list | tuple):
                stack.extend(v for v in value if hasattr(v, "__dict__"))
            elif hasattr(value, "__dict__"):
                stack.append(value)


@lru_cache(maxsize=256)
def compile_rules(selectors: tuple[str, ...], also: tuple[str, ...] = ()) -> MaskRules:
    """Compiled rules, cached per site's selector list."""
    return MaskRules(selectors, also)


def self_masked(tag: str, raw: dict, flagged: object) -> bool:
    """Masked whatever the site configures: the tag said so, a password, a marked element."""
    if flagged == 1 or MASK_ATTRIBUTE in raw:
        return True
    if tag == "input":
        for key, value in raw.items():
            if type(key) is str and key.lower() == "type" and type(value) is str:
                return value.strip().lower() == "password"
    return False


def matching_ids(rules: MaskRules, records, yield_hook=None) -> set[int]:
    """Ids of the elements among ``records`` that a mask selector matches.

    ``records`` are (id, parent id, kind, masked, attrs) in document order, parents first.
    """
    root = etree.Element("cobrowse-root")
    holders = {}
    ids = {}
    for count, (rid, parent, kind, _masked, attrs) in enumerate(records):
        if yield_hook is not None and not count & 4095:
            yield_hook()
        if kind[0] == "#":
            if kind in ("#document", "#shadow"):
                holders[rid] = holders.get(parent, root)
            elif kind != "#ph":
                continue
        host = holders.get(parent, root)
        tag = "div" if kind == "#ph" else kind.rpartition(":")[2]
        try:
            element = etree.SubElement(host, tag)
        except ValueError:
            element = etree.SubElement(host, "x-cobrowse")
        for name, value in (attrs or {}).items():
            if name in rules.attributes and type(value) is str:
                try:
                    element.set(name, _XML_UNSAFE.sub("", value))
                except ValueError:
                    continue
        holders[rid] = element
        ids[element] = rid
    found = set()
    for xpath in rules.xpaths:
        for element in xpath(root):
            rid = ids.get(element)
            if rid is not None:
                found.add(rid)
    return found


def mask_subtree(node: dict) -> None:
    """Mask an output subtree in place: placeholder text, no value-bearing attributes."""
    stack = [node]
    while stack:
        item = stack.pop()
        t = item.get("t")
        if t == 3:
            item["x"] = MASK_PLACEHOLDER
            continue
        if t == 1:
            item["m"] = 1
            attrs = item.get("a")
            if attrs and item.get("n") != "link":  # a style sheet link holds no secret
                item["a"] = {k: v for k, v in attrs.items() if k in MASKED_ATTRIBUTES}
            if "p" in item:
                item["p"] = mask_form_state(item["p"])
            item.pop("img", None)
            for key in ("sh", "d"):
                if key in item:
                    stack.append(item[key])
        stack.extend(item.get("c") or ())


def mask_form_state(state: dict) -> dict:
    """Form state of a masked element: the placeholder value only."""
    return {"value": MASK_PLACEHOLDER} if "value" in state else {}
