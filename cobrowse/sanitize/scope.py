"""Rules scoped to pages (issue 14): a ``--mask``, ``--unmask`` or ``--no-control`` rule may
start with a URL path pattern and a space (``/checkout/* #card-number``); a ``--pause`` rule
is a pattern. A pattern is a glob on the page's path (no query string): ``*`` is any run of
characters, slashes included, ``?`` one character. Same rules as tag/src/scope.js.
"""

import re
from functools import lru_cache
from urllib.parse import urlsplit

_RULE = re.compile(r"\s*(/\S*)\s+(.+)\Z", re.S)


def split_rule(rule: str) -> tuple[str | None, str]:
    """(path pattern or None, selector) of one rule."""
    m = _RULE.match(rule)
    return (m.group(1), m.group(2).strip()) if m else (None, rule)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.S)


def path_matches(pattern: str, path: str) -> bool:
    """Does the glob ``pattern`` match the whole ``path``?"""
    return bool(_glob(pattern.strip()).match(path))


def rules_for(rules, path: str) -> tuple[str, ...]:
    """The selectors of ``rules`` that apply on ``path`` (unscoped rules apply everywhere)."""
    out = []
    for rule in rules:
        pattern, selector = split_rule(rule)
        if pattern is None or path_matches(pattern, path):
            out.append(selector)
    return tuple(out)


def page_path(url: str) -> str:
    """The path of a page URL (what patterns match), "/" when it has none."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def pauses_on(patterns, url: str) -> bool:
    """Does a ``--pause`` pattern match the page at ``url``?"""
    path = page_path(url)
    return any(path_matches(p, path) for p in patterns)
