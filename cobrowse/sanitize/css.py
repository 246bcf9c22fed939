"""CSS from visitor pages: style sheets, ``<style>`` text and ``style`` attributes.

Parsed with tinycss2 (which undoes CSS escapes, so ``\\65xpression`` is seen as
``expression``) and re-serialized. Unlike html5lib's CSS sanitizer, ``url()`` is kept when
it points at the site's resource origins (or is a raster ``data:`` image), so backgrounds
and fonts still show; every other fetch is dropped with its declaration (issue 4, item 3).

The output never holds a token the input did not have (issue 10, item 1): comments are
parsed, not skipped, and each becomes whitespace, so ``u/**/rl(`` stays the two tokens
``u`` and ``rl(``; wherever two emitted tokens would run together (tinycss2's table of
such pairs) a space keeps them apart. The cleaner records every function and URL it lets
through in :class:`CssContext`, so a test can re-tokenize the output and compare.
"""

import re

import tinycss2
from tinycss2.serializer import BAD_PAIRS

from . import urls

#: Properties that run code or bind behaviour in some browser.
BLOCKED_PROPERTIES = frozenset(
    {
        "behavior",
        "-ms-behavior",
        "behaviour",
        "-moz-binding",
        "-webkit-binding",
        "binding",
        "-o-link",
        "-o-link-source",
        "-ms-filter",
    }
)

#: Functions dropped with their declaration (IE's script-in-CSS and element references).
BLOCKED_FUNCTIONS = frozenset({"expression", "-moz-element", "element", "javascript"})

#: Functions whose argument is one URL (as a string or bare): ``url("x")``, ``src("x")``.
URL_FUNCTIONS = frozenset({"url", "src"})

#: Functions whose string arguments are URLs (``image-set("a.png" 1x)``).
URL_STRING_FUNCTIONS = frozenset(
    {
        "image-set",
        "-webkit-image-set",
        "image",
        "cross-fade",
        "-webkit-cross-fade",
    }
)

_URL_STRING_SUFFIXES = tuple(sorted(URL_STRING_FUNCTIONS))

#: Functions that substitute values and so could assemble a URL we never saw.
SUBSTITUTION_FUNCTIONS = frozenset({"var", "env", "attr", "if", "inherit"})

#: At-rules whose block holds rules (kept, their rules sanitized).
RULE_BLOCK_AT_RULES = frozenset(
    {
        "media",
        "supports",
        "container",
        "layer",
        "scope",
        "starting-style",
        "keyframes",
        "-webkit-keyframes",
        "-moz-keyframes",
    }
)

#: At-rules whose block holds declarations.
DECLARATION_AT_RULES = frozenset(
    {
        "font-face",
        "page",
        "property",
        "counter-style",
        "font-palette-values",
        "view-transition",
        "position-try",
    }
)

#: At-rules without a block kept as they are (after the URL check for ``@import``).
STATEMENT_AT_RULES = frozenset({"import", "layer", "namespace"})

_WORRYING = re.compile(r"[\\(@]|behavio|binding|script|progid|import|link", re.IGNORECASE)
_SCRIPT_WORD = re.compile(r"(?:java|vb|live)script:|progid", re.IGNORECASE)
_SCRIPT_IDENT = re.compile(r"(?:java|vb|live)script|progid|expression", re.IGNORECASE)
_MAX_NESTING = 32


class _Drop(Exception):
    """The declaration or rule being cleaned must go."""


class CssContext:
    """What a sheet's URLs are checked against, and what was dropped (for fidelity)."""

    __slots__ = ("base", "allowed", "cache", "dropped_urls", "assets", "in_font_face",
                 "approved")

    def __init__(self, base: str, allowed: frozenset, cache: dict | None = None, assets=None):
        self.base, self.allowed, self.cache = base, allowed, cache
        self.dropped_urls = 0
        #: The resource proxy's rewriter (:class:`.assets.AssetLinks`) or None (issue 11).
        self.assets = assets
        self.in_font_face = False
        #: Function names (lower case) and ``url:<target>`` entries the cleaner emitted.
        self.approved: set[str] = set()

    def proxied(self, url: str, kind: str) -> str:
        """``url`` through the resource proxy when the site proxies ``kind``."""
        return url if self.assets is None else self.assets.rewrite(url, kind)


def clean_declarations(text: str, ctx: CssContext) -> str:
    """A ``style`` attribute's text, cleaned: only declarations, separated by ``;``."""
    if not _WORRYING.search(text):
        return text  # no function, escape or at-rule: nothing can fetch or run
    try:
        items = tinycss2.parse_blocks_contents(text, skip_comments=False, skip_whitespace=True)
        return ";".join(_declarations(items, ctx, 0))
    except RecursionError:
        return ""


def clean_stylesheet(text: str, ctx: CssContext) -> str:
    """A whole style sheet's text, cleaned; ``""`` when nothing safe is left."""
    try:
        rules = tinycss2.parse_stylesheet(text, skip_comments=False, skip_whitespace=True)
        return "".join(_rules(rules, ctx, 0, top=True))
    except RecursionError:
        return ""


def _rules(rules, ctx: CssContext, depth: int, top: bool = False):
    if depth > _MAX_NESTING:
        return
    for rule in rules:
        try:
            if rule.type == "qualified-rule":
                prelude = _tokens(rule.prelude, ctx, 0, local_only=True)
                body = _block(rule.content, ctx, depth)
                yield f"{prelude.strip()}{{{body}}}"
            elif rule.type == "at-rule":
                text = _at_rule(rule, ctx, depth, top)
                if text:
                    yield text
        except _Drop:
            continue


def _block(content, ctx: CssContext, depth: int) -> str:
    items = tinycss2.parse_blocks_contents(content, skip_comments=False, skip_whitespace=True)
    return ";".join(_declarations(items, ctx, depth + 1, nested=True))


def _at_rule(rule, ctx: CssContext, depth: int, top: bool) -> str | None:
    name = rule.lower_at_keyword
    if name == "import":
        return _import(rule, ctx) if top else None
    if rule.content is None:
        if name not in STATEMENT_AT_RULES or name == "import":
            return None
        return f"@{name} {_tokens(rule.prelude, ctx, 0).strip()};"
    prelude = _tokens(rule.prelude, ctx, 0, local_only=True).strip()
    head = f"@{name} {prelude}" if prelude else f"@{name}"
    if name in RULE_BLOCK_AT_RULES:
        inner = tinycss2.parse_blocks_contents(
            rule.content, skip_comments=False, skip_whitespace=True
        )
        body = "".join(_rules(inner, ctx, depth + 1))
        return f"{head}{{{body}}}"
    if name in DECLARATION_AT_RULES:
        # URLs in @font-face are fonts: the proxy serves them with the right type (issue 11).
        outer, ctx.in_font_face = ctx.in_font_face, name == "font-face"
        try:
            return f"{head}{{{_block(rule.content, ctx, depth)}}}"
        finally:
            ctx.in_font_face = outer
    return None


def _import(rule, ctx: CssContext) -> str | None:
    tokens = [t for t in rule.prelude if t.type not in ("whitespace", "comment")]
    if not tokens:
        return None
    first, rest = tokens[0], rule.prelude[rule.prelude.index(tokens[0]) + 1 :]
    if first.type in ("url", "string"):
        target = first.value
    elif first.type == "function" and first.lower_name == "url":
        target = _single_string(first)
    else:
        return None
    url = urls.resource_url(target, ctx.base, ctx.allowed, ctx.cache) if target else None
    if url is None:
        ctx.dropped_urls += 1
        return None
    url = ctx.proxied(url, "style")
    tail = _tokens(rest, ctx, 0, local_only=True).strip()
    ctx.approved.add("url:" + url)
    return f'@import url("{url}"){" " + tail if tail else ""};'


def _declarations(items, ctx: CssContext, depth: int, nested: bool = False):
    for item in items:
        if item.type == "declaration":
            name = item.lower_name
            if name in BLOCKED_PROPERTIES or _SCRIPT_IDENT.search(name):
                continue
            try:
                value = _tokens(item.value, ctx, 0).strip()
            except _Drop:
                continue
            important = " !important" if item.important else ""
            yield f"{tinycss2.serialize_identifier(item.name)}:{value}{important}"
        elif nested and item.type in ("qualified-rule", "at-rule"):
            yield from _rules([item], ctx, depth)


def _single_string(function) -> str | None:
    args = [t for t in function.arguments if t.type not in ("whitespace", "comment")]
    if len(args) == 1 and args[0].type == "string":
        return args[0].value
    return None


def _url(target: str | None, ctx: CssContext, local_only: bool) -> str:
    if target is None:
        raise _Drop
    clean = urls.local_fragment(target)
    if clean is None:
        if local_only:
            raise _Drop
        clean = urls.image_url(target, ctx.base, ctx.allowed, ctx.cache)
        if clean is None:
            ctx.dropped_urls += 1
            raise _Drop
        clean = ctx.proxied(clean, "font" if ctx.in_font_face else "image")
    ctx.approved.add("url:" + clean)
    return f'url("{clean}")'


def _tokens(
    tokens, ctx: CssContext, depth: int, local_only: bool = False, strings_are_urls: bool = False
) -> str:
    """Serialize a token list, cleaning every URL; raise _Drop when it cannot be made safe."""
    if depth > _MAX_NESTING:
        raise _Drop
    out: list[tuple[str, str]] = []  # (tinycss2 serialization type, text)
    for token in tokens:
        kind = token.type
        if kind == "url":
            out.append(("url", _url(token.value, ctx, local_only)))
        elif kind == "function":
            out.append(("function", _function(token, ctx, depth, local_only)))
        elif kind in ("() block", "[] block", "{} block"):
            inner = _tokens(token.content, ctx, depth + 1, local_only, strings_are_urls)
            out.append((kind, f"{kind[0]}{inner}{kind[1]}"))
        elif kind == "string":
            if strings_are_urls:
                out.append(("url", _url(token.value, ctx, local_only)))
            elif _SCRIPT_WORD.search(token.value):
                raise _Drop
            else:
                out.append((kind, token.serialize()))
        elif kind == "ident" and _SCRIPT_IDENT.search(token.value):
            raise _Drop
        elif kind == "error" or (kind == "literal" and token.value == "\\"):
            raise _Drop  # a bad string, bad URL or stray backslash: invalid CSS anyway
        elif kind in ("comment", "whitespace"):
            out.append(("whitespace", " " if kind == "comment" else token.value))
        else:
            out.append((token.value if kind == "literal" else kind, token.serialize()))
    return _join(out)


def _function(token, ctx: CssContext, depth: int, local_only: bool) -> str:
    name = token.lower_name
    if name in BLOCKED_FUNCTIONS:
        raise _Drop
    if name in URL_FUNCTIONS:
        return _url(_single_string(token), ctx, local_only)
    # Suffixes too: "-/**/webkit-image-set(" is "-" then "webkit-image-set(", unknown to
    # browsers today; its strings are checked as URLs all the same.
    url_strings = name in URL_STRING_FUNCTIONS or name.endswith(_URL_STRING_SUFFIXES)
    if url_strings and any(
        t.type == "function" and t.lower_name in SUBSTITUTION_FUNCTIONS for t in token.arguments
    ):
        raise _Drop
    inner = _tokens(token.arguments, ctx, depth + 1, local_only, url_strings)
    ctx.approved.add(name)
    return f"{tinycss2.serialize_identifier(token.name)}({inner})"


def _join(pieces: list[tuple[str, str]]) -> str:
    """The pieces' texts, with a space wherever two tokens would otherwise run together
    (``u`` then ``rl(``, ``@`` then ``import``, ``url`` then ``(x)``): the reader must see
    the tokens the cleaner saw, never a new one."""
    out = []
    previous = None
    for kind, text in pieces:
        if kind == "whitespace":
            if previous == "whitespace":
                continue
        elif (previous, kind) in BAD_PAIRS:
            out.append(" ")
        out.append(text)
        previous = kind
    return "".join(out)
