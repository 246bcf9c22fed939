"""The state of one sanitizing call: caches, what was dropped, the nodes seen."""

from collections import Counter
from collections.abc import Callable

from . import css
from .errors import MAX_NODES
from .index import encode
from .private import blank_css_strings
from .site import Site

#: Nodes between two calls of the cooperative yield hook (a few milliseconds of work).
YIELD_EVERY_NODES = 2048


class Run:
    """Per-call state shared by the tree walk, the attribute cleaner and the CSS cleaner."""

    __slots__ = (
        "site",
        "resource_origins",
        "assets",
        "fidelity",
        "url_cache",
        "records",
        "nodes",
        "seen",
        "count",
        "node_limit",
        "yield_hook",
        "_css_cache",
        "index",
        "pending",
    )

    def __init__(
        self,
        site: Site,
        yield_hook: Callable[[], object] | None = None,
        node_limit: int = MAX_NODES,
    ):
        self.site = site
        self.resource_origins = site.resource_origins
        #: The resource proxy's rewriter, or None (issue 11).
        self.assets = site.assets
        self.fidelity: Counter = Counter()
        self.url_cache: dict = {}
        self._css_cache: dict = {}
        #: (id, parent id, kind, masked, attrs for the index) in document order.
        self.records: list = []
        #: id -> output element, for masking by selectors after the walk.
        self.nodes: dict = {}
        self.seen: set = set()
        #: id -> index entry (docs in :mod:`cobrowse.sanitize.index`).
        self.index: dict = {}
        #: ids of the pending shells of a visible-first snapshot (``"f": 1``, issue 16).
        self.pending: list = []
        self.count = 0
        self.node_limit = node_limit
        self.yield_hook = yield_hook

    def record(self, i: int, parent: int, kind: str, masked: bool, attrs: dict | None) -> None:
        """Remember a kept node: for the mask selectors and the index."""
        self.records.append((i, parent, kind, masked, attrs))
        self.index[i] = encode(parent, masked, kind, attrs)

    def declarations(self, text: str, base: str) -> str:
        """A ``style`` attribute, cleaned (cached: pages repeat their inline styles)."""
        key = (text, base)
        hit = self._css_cache.get(key)
        if hit is None:
            ctx = css.CssContext(base, self.resource_origins, self.url_cache, self.assets)
            hit = css.clean_declarations(text, ctx)
            if self.site.private:
                hit = blank_css_strings(hit)
            self._css_cache[key] = hit
            self.fidelity["css_url"] += ctx.dropped_urls
        return hit

    def proxied(self, url: str | None, kind: str) -> str | None:
        """``url`` through the resource proxy when the site proxies ``kind``."""
        if url is None or self.assets is None:
            return url
        return self.assets.rewrite(url, kind)

    def stylesheet(self, text: str, base: str) -> str:
        """A style sheet's text, cleaned."""
        ctx = css.CssContext(base, self.resource_origins, self.url_cache, self.assets)
        clean = css.clean_stylesheet(text, ctx)
        self.fidelity["css_url"] += ctx.dropped_urls
        # A private site's CSS strings may be page text (issue 14): blanked, wherever they are.
        return blank_css_strings(clean) if self.site.private else clean
