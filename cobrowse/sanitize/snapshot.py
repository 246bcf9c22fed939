"""``sanitize_snapshot``: a whole page, from untrusted visitor JSON to the replica's input."""

import gc
from collections.abc import Callable

from . import urls
from .controls import mark_no_control
from .errors import MAX_ATTRIBUTE, SanitizeError
from .fidelity import sentences
from .index import add_children, encode, with_pending
from .mask import mask_subtree, matching_ids
from .private import mask_private, page_title
from .run import YIELD_EVERY_NODES, Run
from .site import SitePolicy, compile_site
from .tree import AS_DOCUMENT, walk

_VIEWPORT_MAX = 100_000
_SCROLL_MAX = 1e9


def sanitize_snapshot(
    event: dict, policy: SitePolicy, yield_every: Callable[[], object] | None = None
) -> tuple[dict, dict[int, str]]:
    """Sanitize a ``snapshot`` event; return (clean event, index of the kept nodes).

    The clean event keeps the snapshot format (docs/protocol.md) and adds ``fidelity``,
    sentences on what the agent cannot see. The index maps every kept node id to its entry
    (:mod:`cobrowse.sanitize.index`), for :func:`sanitize_mutation`. ``yield_every`` is
    called every few thousand nodes (pass ``gevent.sleep`` bound to 0) so that a huge page
    does not stall the other requests of the worker. Raises :class:`SanitizeError` on bad
    structure or a breached limit.
    """
    if type(event) is not dict:
        raise SanitizeError("A snapshot event must be a JSON object.")
    page = _page_url(event.get("url"), compile_site(policy))
    site = compile_site(policy.for_page(page))  # the rules of this page (issue 14)
    doc = event.get("doc")
    if type(doc) is not dict or doc.get("t") != 9:
        raise SanitizeError("A snapshot needs 'doc', a document node (t = 9).")
    run = Run(site, yield_every)
    base = _base_url(doc, page, site, run)
    # The walk allocates a dict per node and frees nothing: the cyclic collector would
    # rescan the growing heap many times over (half the run time on a 2 MB page), and
    # find nothing, as the new objects hold no cycles. It runs again once we are done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        clean_doc = walk(
            doc,
            run,
            parent_id=0,
            parent_kind="#root",
            masked=False,
            base=base,
            depth=0,
            allowed=AS_DOCUMENT,
        )
        index = _finish(run)
    finally:
        if collecting:
            gc.enable()
    title = page_title(clean_doc) if site.private else event.get("title")
    clean = {
        "k": "snapshot",
        "doc": clean_doc,
        "url": page,
        "title": title[:MAX_ATTRIBUTE] if type(title) is str else "",
        "vw": _number(event.get("vw"), 0, _VIEWPORT_MAX, integer=True),
        "vh": _number(event.get("vh"), 0, _VIEWPORT_MAX, integer=True),
        "sx": _number(event.get("sx"), -_SCROLL_MAX, _SCROLL_MAX),
        "sy": _number(event.get("sy"), -_SCROLL_MAX, _SCROLL_MAX),
        "fidelity": sentences(run.fidelity),
    }
    return clean, index


def _finish(run: Run) -> dict[int, str]:
    """Apply the site's mask selectors to the walked tree; return the index."""
    rules, hook = run.site.rules, run.yield_hook
    found = matching_ids(rules, run.records, hook) if rules.active else ()
    if found:
        mask_matches(run, found, set())
    if run.site.private:
        lift = matching_ids(run.site.unmask, run.records, hook) if run.site.unmask.active else ()
        mask_private(run, set(found), set(lift))
    mark_no_control(run)
    add_children(run.index, run.records)
    mark_pending(run)
    return run.index


def mark_pending(run: Run) -> None:
    """Flag the pending shells (issue 16) in the index, after every other rewrite of it."""
    for i in run.pending:
        if i in run.index:
            run.index[i] = with_pending(run.index[i], True)


def mask_matches(run: Run, found, masked_ids: set) -> None:
    """Mask the subtrees of the ``found`` ids (and update their index entries)."""
    index, nodes, hook = run.index, run.nodes, run.yield_hook
    for count, (rid, parent, kind, masked, attrs) in enumerate(run.records):
        if hook is not None and not count % YIELD_EVERY_NODES:
            hook()
        if masked:
            masked_ids.add(rid)
        elif parent in masked_ids or rid in found:
            masked_ids.add(rid)
            node = nodes.get(rid)
            if node is not None and node.get("m") != 1:
                mask_subtree(node)
            index[rid] = encode(parent, True, kind, attrs)


def _page_url(value, site) -> str:
    if type(value) is not str or len(value) > MAX_ATTRIBUTE:
        raise SanitizeError("A snapshot needs 'url', the page's absolute http(s) URL.")
    page = urls.absolute_url(value, "https://invalid.invalid/")
    if page is None or not value.strip().lower().startswith(("http://", "https://")):
        raise SanitizeError("A snapshot needs 'url', the page's absolute http(s) URL.")
    if urls.origin_of(page) not in site.origins:
        raise SanitizeError(
            f"The snapshot's page {urls.origin_of(page)} is not on the site's origins."
        )
    return page


def _base_url(doc: dict, page: str, site, run: Run) -> str:
    """The document's base URL: the first ``<base href>`` in the head if on the site."""
    html = _first_element(doc.get("c"), "html")
    head = _first_element(html.get("c"), "head") if html else None
    if head is None:
        return page
    for child in head.get("c") if type(head.get("c")) is list else ():
        if type(child) is dict and child.get("t") == 1 and child.get("n") in ("base", "BASE"):
            attrs = child.get("a")
            href = attrs.get("href") if type(attrs) is dict else None
            if type(href) is str:
                url = urls.absolute_url(href, page, run.url_cache)
                if url is not None and urls.origin_of(url) in site.origins:
                    return url.partition("#")[0]
                return page
    return page


def _first_element(children, name: str) -> dict | None:
    if type(children) is not list:
        return None
    for child in children:
        if type(child) is dict and child.get("t") == 1:
            n = child.get("n")
            return child if type(n) is str and n.lower() == name else None
    return None


def _number(value, low, high, integer: bool = False):
    if type(value) not in (int, float) or value != value:
        return 0
    value = min(max(value, low), high)
    return int(value) if integer else value
